"""The terminal rendering: files in reading order, hunks by attention (skims collapsed, runs of
one repeated edit folded), findings with their code and replacement, coverage and the gate."""

from __future__ import annotations

import io
from dataclasses import replace

from bot.core.diff import parse_diff
from bot.core.model import Gate, Group, ReviewFile
from bot.render import render
from bot.render.terminal import MAX_HUNK_LINES, WIDTH, render_terminal
from tests.render.review_samples import FINDING, RUN, clean, sample, scored


def plain(review: object) -> str:
    out = io.StringIO()
    render_terminal(review, out, color=False)  # type: ignore[arg-type]
    return out.getvalue()


def lines_of(review: object) -> list[str]:
    return [line.rstrip() for line in plain(review).split("\n")]


def test_header_and_reading_order() -> None:
    lines = lines_of(sample())
    assert lines[0] == "redline review · 3 files · 3 findings · gate FAILED"
    assert lines[2:6] == [
        "Suggested reading order",
        "  1. pkg/run.py  runs the commands `go` is given",
        "  2. pkg/new.py  renamed from pkg/old.py",
        "  3. logo.png  binary",
    ]


def test_files_hunks_and_skims() -> None:
    lines = lines_of(sample())
    assert "━━ 1. pkg/run.py  [modified]" in lines
    assert "━━ 2. pkg/new.py (from pkg/old.py)  [renamed]" in lines
    assert "  @@ -1,4 +1,5 @@ def go(cmd):  scrutinize   risk 0.83 · 3.1 bits/token" in lines
    assert "      3 + y = subprocess.call(cmd, shell=True)" in lines
    assert "      2 - x = 1" in lines
    assert "    ▸ import re-sort (collapsed)" in lines
    assert "   skipped: binary" in lines


def test_a_repeat_whose_edit_is_not_shown_above_is_shown_once() -> None:
    lines = lines_of(sample())
    assert "    ▸ import re-sort: shown once, its repeats collapse" in lines
    assert "     41 + import a" in lines


def test_a_run_of_one_repeated_edit_is_folded_into_one_header() -> None:
    shown = scored(RUN, 0, "read")
    skims = tuple(
        replace(
            scored(RUN, 1, "skim", note="renames `a` to `b`"),
            hunk=replace(RUN.hunks[1], new_start=n),
        )
        for n in (30, 40, 50)
    )
    review = sample(files=(ReviewFile(RUN, "r", (shown, *skims)),), groups=(), findings=())
    lines = lines_of(review)
    assert "  @@ +30, +40, +50 @@  skim" in lines
    assert lines.count("    ▸ renames `a` to `b` (collapsed)") == 1


def test_long_hunks_are_cut() -> None:
    body = "".join(f"+line {n}\n" for n in range(MAX_HUNK_LINES + 5))
    diff = parse_diff(f"--- a/big.py\n+++ b/big.py\n@@ -0,0 +1,{MAX_HUNK_LINES + 5} @@\n{body}")
    file = diff.files[0]
    review = sample(
        files=(ReviewFile(file, "r", (scored(file, 0, "read"),)),), groups=(), findings=()
    )
    lines = lines_of(review)
    assert "    … 5 more lines" in lines
    assert f"line {MAX_HUNK_LINES - 1}" in "\n".join(lines)
    assert f"line {MAX_HUNK_LINES}\n" not in "\n".join(lines) + "\n"


def test_long_code_lines_are_cut_to_the_width() -> None:
    diff = parse_diff("--- a/w.py\n+++ b/w.py\n@@ -0,0 +1 @@\n+" + "x" * 300 + "\n")
    file = diff.files[0]
    review = sample(
        files=(ReviewFile(file, "r", (scored(file, 0, "read"),)),), groups=(), findings=()
    )
    code = [line for line in lines_of(review) if "xxxx" in line]
    assert code and all(len(line) <= WIDTH for line in code)
    assert code[0].endswith("…")


def test_findings_with_their_code_and_replacement() -> None:
    lines = lines_of(sample())
    start = lines.index("  error semgrep/subprocess-shell-true  pkg/run.py:3  score 0.91")
    assert lines[start + 1 : start + 5] == [
        "    `subprocess.call` with `shell=True`. Pass a list instead",
        "        3 | y = subprocess.call(cmd, shell=True)",
        "    suggested replacement:",
        "          | y = subprocess.call(cmd)",
    ]


def test_a_finding_on_a_removed_line_shows_the_removed_code() -> None:
    lines = lines_of(sample())
    start = lines.index("  warning detector/removed-guard  pkg/new.py:4 (removed line)  score 0.61")
    assert lines[start + 2] == "        4 | if ok:"


def test_footer_contracts_coverage_analyzers_and_gate() -> None:
    text = plain(sample())
    assert "Contracts: 1 proved, 1 refuted, 1 not checked" in text
    assert "Coverage: 2 files reviewed; skipped logo.png (binary); pkg/new.py: post-image" in text
    assert "detector ok 12 ms, entropy timeout (exceeded its 5 s budget)" in text
    assert text.rstrip().endswith(
        "Gate failed (fail-on error): semgrep: subprocess-shell-true at pkg/run.py:3"
    )


def test_a_clean_review() -> None:
    lines = lines_of(clean())
    assert lines[0] == "redline review · 0 files · 0 findings · gate passed"
    assert "Gate passed (fail-on error)" in lines
    assert not any(line.startswith("Contracts") for line in lines)


def test_color_only_when_asked() -> None:
    colored = io.StringIO()
    render_terminal(sample(), colored, color=True)
    assert "\x1b[" in colored.getvalue()
    assert "\x1b" not in plain(sample())


def test_render_dispatches_to_the_terminal_by_default() -> None:
    assert render(sample(), "terminal", color=False) == plain(sample())


def test_escape_sequences_from_the_pull_request_never_reach_the_terminal() -> None:
    diff = parse_diff("--- a/e.py\n+++ b/e.py\n@@ -0,0 +1 @@\n+x = 1  # \x1b[2J\x1b]0;owned\x07\n")
    file = diff.files[0]
    review = sample(
        files=(ReviewFile(file, "r", (scored(file, 0, "read"),)),),
        groups=(Group("g", "g", ("e.py",)),),
        findings=(
            replace(FINDING, path="e.py", line=1, end_line=1, message="\x1b[31mfake\x1b[0m"),
        ),
        gate=Gate(False, (), "error"),
    )
    assert "\x1b" not in plain(review)
