"""The Markdown summary: gate line, reading order, attention map with skims collapsed, the
findings table, contracts and the coverage footer; everything from the PR escaped, checked by
rendering it with a CommonMark parser."""

from __future__ import annotations

import re
from dataclasses import replace

from markdown_it import MarkdownIt

from bot.core.model import AnalyzerRun, FileDiff, Gate, Group, ReviewFile, Skipped
from bot.render.markdown import (
    attention_map,
    coverage_footer,
    findings_table,
    gate_line,
    reading_order,
    render_markdown,
    verification,
)
from tests.render.review_samples import FINDING, OLD_SIDE, RUN, clean, sample, scored

MD = MarkdownIt("commonmark").enable("table")


def test_gate_line_passed_and_failed() -> None:
    assert gate_line(clean()) == "**Gate: ✅ passed** (fail-on `error`)"
    assert gate_line(sample()) == (
        "**Gate: ❌ failed** (fail-on `error`): "
        "semgrep: subprocess\\-shell\\-true at pkg/run\\.py:3"
    )


def test_gate_line_shows_five_reasons_and_counts_the_rest() -> None:
    reasons = tuple(f"reason {n}" for n in range(8))
    line = gate_line(sample(gate=Gate(True, reasons, "warning")))
    assert "reason 4" in line and "reason 5" not in line
    assert line.endswith("(and 3 more)") and "fail-on `warning`" in line


def test_reading_order_numbers_files_with_their_reasons_and_hunks() -> None:
    lines = reading_order(sample())
    assert lines[0] == "### Suggested reading order"
    assert lines[2:5] == [
        "1. `pkg/run.py`: runs the commands `go` is given (3 hunks: 1 scrutinize, 2 skim)",
        "2. `pkg/new.py`: renamed from pkg/old\\.py (1 hunk: 1 read)",
        "3. `logo.png`: binary (skipped: binary)",
    ]
    assert not any(line.startswith("**") for line in lines)  # one group: no group headings


def test_reading_order_with_groups_numbers_straight_through() -> None:
    groups = (
        Group("runner", "the command runner", ("pkg/run.py",)),
        Group("rest", "everything else", ("pkg/new.py", "logo.png")),
    )
    lines = reading_order(sample(groups=groups))
    assert "**runner**: the command runner" in lines
    assert "**rest**: everything else" in lines
    numbered = [line.split(".")[0] for line in lines if re.match(r"^\d+\. ", line)]
    assert numbered == ["1", "2", "3"]


def test_attention_map_rows_and_collapsed_skims() -> None:
    lines = attention_map(sample())
    assert "| `pkg/run.py` | 1–5 | 🔍 scrutinize | 0.83 | 3.1 |" in lines
    assert "| `pkg/new.py` | 3–4 | read | 0.20 | 2.0 |" in lines
    assert "<details><summary>2 skim hunks collapsed (predictable changes)</summary>" in lines
    # The same note, but one repeats another edit and one does not: two lines.
    assert "- `pkg/run.py` 21–22: import re\\-sort" in lines
    assert "- `pkg/run.py` 41–42: import re\\-sort" in lines


def test_attention_map_puts_scrutinize_first_and_cuts_at_the_limit() -> None:
    hunks = tuple(
        replace(scored(RUN, 0, "read"), attention="scrutinize" if n == 5 else "read")
        for n in range(6)
    )
    review = sample(files=(ReviewFile(RUN, "r", hunks),), groups=())
    lines = attention_map(review, limit=3)
    rows = [line for line in lines if line.startswith("| `")]
    assert len(rows) == 3 and "scrutinize" in rows[0]
    assert "| … | | 3 more hunks | | |" in lines


def test_repeated_skims_are_one_line_with_their_places() -> None:
    hunks = tuple(
        replace(scored(RUN, 1, "skim", note="renames `a` to `b`"), repeat_of=("pkg/run.py", 0))
        for _ in range(10)
    )
    review = sample(files=(ReviewFile(RUN, "r", hunks),), groups=())
    (line,) = [line for line in attention_map(review) if line.startswith("- ")]
    assert line.count("`pkg/run.py` 21–22") == 8
    assert "and 2 more: renames `a` to `b`" in line


def test_attention_map_without_hunks() -> None:
    assert attention_map(clean()) == ["### Attention map", "", "No hunks to review.", ""]


def test_a_pure_deletion_is_shown_by_its_old_line() -> None:
    deletion = replace(RUN.hunks[0], new_lines=0, old_start=7)
    hunk = replace(scored(RUN, 0, "read"), hunk=deletion)
    review = sample(files=(ReviewFile(RUN, "r", (hunk,)),), groups=())
    assert any("| -7 |" in line for line in attention_map(review))


def test_findings_table() -> None:
    lines = findings_table(sample().findings)
    assert lines[0] == "### Findings (3)"
    assert (
        "| 🔴 | `pkg/run.py:3` | `semgrep/subprocess-shell-true` | 0.91 "
        "| `subprocess.call` with `shell=True`\\. Pass a list instead |"
    ) in lines
    assert any("`pkg/new.py:4` (removed line)" in line and "🟠" in line for line in lines)
    assert findings_table((), "All findings") == [
        "### All findings (0)",
        "",
        "No findings at this paranoia level.",
        "",
    ]


def test_verification() -> None:
    lines = verification(sample())
    assert lines[:3] == ["### Contracts", "", "1 proved, 1 refuted, 1 not checked."]
    assert "- ✅ `go` post `result >= 0` (`pkg/run.py:1`)" in lines
    assert "- ❌ `go` pre `cmd` (`pkg/run.py:1`): cmd = ''" in lines
    assert verification(sample(verdicts=())) == []


def test_coverage_footer() -> None:
    (_, _, footer, _) = coverage_footer(sample(), ["**truncated**: no"])
    assert footer.startswith("<sub>Coverage: 2 files reviewed; skipped: `logo.png` (binary)")
    assert "4 candidate findings below the `high` paranoia threshold" in footer
    assert "**truncated**: no" in footer
    assert "detector ok (12 ms)" in footer
    assert "entropy timeout (exceeded its 5 s budget)" in footer
    assert footer.endswith("</sub>")
    one = coverage_footer(sample(files_reviewed=1, suppressed=0, skipped=(), notes=()))[2]
    assert "1 file reviewed." in one and "below the" not in one


def test_a_skipped_analyzer_without_detail() -> None:
    footer = coverage_footer(sample(analyzers=(AnalyzerRun("static", "1", 0, "skipped"),)))[2]
    assert footer.endswith("Analyzers: static skipped</sub>")


def test_the_whole_summary_in_order() -> None:
    text = render_markdown(sample())
    headings = [line for line in text.split("\n") if line.startswith("#")]
    assert headings == [
        "## redline review",
        "### Suggested reading order",
        "### Attention map",
        "### Findings (3)",
        "### Contracts",
    ]
    html = MD.render(text)
    assert html.count("<table>") == 2


HOSTILE_PATH = "x`y <img src=x> [a](https://evil.example) @team\n# Gate passed <!-- -->.py"
HOSTILE_MESSAGE = (
    "ok\n\n## ✅ Gate passed\n![t](https://evil.example/p) <b>@admin</b> <!-- redline:summary -->"
)


def hostile() -> str:
    file = FileDiff(HOSTILE_PATH, "modified", RUN.hunks)
    finding = replace(FINDING, path=HOSTILE_PATH, message=HOSTILE_MESSAGE, rule="r`ule")
    review = sample(
        files=(
            ReviewFile(
                file,
                HOSTILE_MESSAGE,
                (scored(file, 0, "read"), scored(file, 1, "skim", note=HOSTILE_MESSAGE)),
            ),
        ),
        groups=(Group("g", "g", (HOSTILE_PATH,)),),
        findings=(finding, OLD_SIDE),
        skipped=(Skipped(HOSTILE_PATH, HOSTILE_MESSAGE),),
        gate=Gate(True, (f"semgrep: r at {HOSTILE_PATH}:3",), "error"),
    )
    return render_markdown(review)


def test_nothing_from_the_pull_request_becomes_markup() -> None:
    html = MD.render(hostile())
    assert "<img" not in html and "<a " not in html and "<b>" not in html
    assert "<!--" not in hostile()
    # Mentions ping nobody outside code spans (inside them GitHub never links one).
    prose = re.sub(r"<code>.*?</code>", "", html, flags=re.S)
    assert re.search(r"@(team|admin)", prose) is None
    assert "@team" in html  # the path is still shown, as code
    headings = re.findall(r"<h\d>(.*?)</h\d>", html)
    assert headings == [
        "redline review",
        "Suggested reading order",
        "Attention map",
        "Findings (2)",
        "Contracts",
    ]


def test_a_pipe_in_a_path_cannot_split_a_table_cell() -> None:
    path = "a|[click](https://evil.example)|b.py"
    file = FileDiff(path, "modified", RUN.hunks)
    review = sample(
        files=(ReviewFile(file, "r", (scored(file, 0, "read"),)),),
        groups=(Group("g", "g", (path,)),),
        findings=(replace(FINDING, path=path),),
    )
    html = MD.render(render_markdown(review))
    assert "<a " not in html


def test_render_dispatches_markdown() -> None:
    from bot.render import render

    assert render(sample(), "markdown") == render_markdown(sample())
