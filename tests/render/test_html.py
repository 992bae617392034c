"""The review page renderer: what it shows, the reading order, the line budget, and that
nothing from a pull request gets out of its text (scripts, tags, quotes, bidi controls)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import jsonschema

from bot.core.diff import parse_diff
from bot.core.policy import Config
from bot.core.trees import MemoryTree
from bot.render import FORMATS, render
from bot.render.document import to_document
from bot.render.html import render_html
from bot.render.html_highlight import BIDI, LINE_CUT
from bot.render.html_view import EAGER_ROWS
from bot.review.pipeline import review
from tests.conftest import SCHEMA
from tests.render.html_samples import DOM, document, file, finding, hunk

GOLDEN = Path(__file__).resolve().parents[1] / "samples" / "golden"
NASTY = (
    "<script>window.__pwned=1</script>"
    '</textarea><img src=x onerror="window.__pwned=2">'
    "\"quotes' and `ticks`"
    "\u202eevil\u202c\u2066isolate\u2069"
)


def real_review(name: str = "commit-138b7be") -> dict:
    """A real commit of this project through the pipeline (no analyzers: order and scores
    only), as a document with its code lines."""
    files = json.loads((GOLDEN / f"{name}.files.json").read_text(encoding="utf-8"))
    diff = parse_diff((GOLDEN / f"{name}.patch").read_text(encoding="utf-8"))
    return to_document(review(diff, MemoryTree(files), Config(), []), lines=True)


def test_the_document_with_lines_carries_each_hunk_s_rows_and_stays_valid() -> None:
    doc = real_review()
    jsonschema.validate(doc, SCHEMA)
    rows = doc["files"][0]["hunks"][0]["diff"]
    assert {r["kind"] for r in rows} <= {"add", "del", "ctx"}
    assert all(set(r) == {"kind", "old", "new", "text"} for r in rows)
    plain = to_document(
        review(
            parse_diff((GOLDEN / "commit-138b7be.patch").read_text(encoding="utf-8")),
            MemoryTree({}),
            Config(),
            [],
        )
    )
    assert all("diff" not in h for f in plain["files"] for h in f["hunks"])


def test_a_real_commit_shows_every_file_in_reading_order_with_its_hunks() -> None:
    doc = real_review()
    dom = DOM(render_html(doc)).root
    sections = dom.find_all("section", class_="file")
    shown = [s.find_all("h2")[0].find_all("code")[0].text() for s in sections]
    assert shown == [f["path"] for f in doc["files"]]
    order = dom.find_all("nav")[0]
    assert [a.text() for a in order.find_all("a")] == shown
    hunks = dom.find_all("details", class_="hunk")
    assert len(hunks) == sum(len(f["hunks"]) for f in doc["files"])
    assert [h.attrs["id"] for h in hunks] == [f"h-{i}" for i in range(1, len(hunks) + 1)]
    rows = sum(len(h["diff"]) for f in doc["files"] for h in f["hunks"])
    code_rows = [tr for t in dom.find_all("table", class_="code") for tr in t.find_all("tr")]
    assert len(code_rows) - len(hunks) == rows  # and one header row per hunk table


def test_skim_hunks_are_collapsed_to_their_note_and_scrutinize_ones_are_open_and_marked() -> None:
    doc = document(
        [
            file(
                "a.py",
                [
                    hunk(1, ["x = 1"], attention="scrutinize"),
                    hunk(
                        20, ["y = 2"], attention="skim", note="12 repeated edits like the one above"
                    ),
                ],
            )
        ]
    )
    dom = DOM(render_html(doc)).root
    first, second = dom.find_all("details", class_="hunk")
    assert "open" in first.attrs and "scrutinize" in first.attrs["class"]
    assert "scrutinize" in first.find_all("summary")[0].text()
    assert "open" not in second.attrs
    assert "12 repeated edits like the one above" in second.find_all("summary")[0].text()


def test_heat_is_a_background_level_and_a_glyph_with_its_figures() -> None:
    doc = document(
        [file("a.py", [hunk(1, ["hot = 1"], heat=0.95), hunk(30, ["cold = 0"], heat=0.0)])]
    )
    dom = DOM(render_html(doc)).root
    added = [tr for tr in dom.find_all("tr") if (tr.attrs.get("class") or "").startswith("a")]
    assert [tr.attrs["class"] for tr in added] == ["a4", "a0"]
    marks = [tr.find_all("td")[2] for tr in added]
    assert [m.text() for m in marks] == ["+█", "+▁"]
    assert marks[0].attrs["title"] == "heat 0.95, 9.5 bits"


def test_findings_are_underlined_on_their_line_with_a_described_tooltip_and_suggestion() -> None:
    path = "app/run.py"
    doc = document(
        [file(path, [hunk(1, ["return eval(cmd)", "pass"])])],
        [
            finding(path, 3, "`eval` runs anything", suggestion="return literal_eval(cmd)\n"),
            finding(path, 99, "outside the diff", severity="warning"),
        ],
    )
    dom = DOM(render_html(doc)).root
    (mark,) = dom.find_all("mark", tabindex="0")
    assert mark.attrs["id"] == "f-0" and "e" in mark.attrs["class"].split()
    assert "eval" in mark.text()
    tip = [
        n
        for n in dom.find_all(role="tooltip")
        if n.attrs.get("id") == mark.attrs["aria-describedby"]
    ]
    assert len(tip) == 1
    assert "semgrep/eval-use" in tip[0].text() and "score 0.90" in tip[0].text()
    assert "eval runs anything" in tip[0].text()
    (suggestion,) = dom.find_all(role="group")
    assert (
        "−return eval(cmd)" in suggestion.text()
        and "+return literal_eval(cmd)" in suggestion.text()
    )
    (unplaced,) = dom.find_all("div", class_="unplaced")
    assert "outside the diff" in unplaced.text()


def test_verdicts_show_the_refuting_call_and_why_others_are_unknown() -> None:
    doc = document(
        [file("m.py", [hunk(1, ["def f(x): return 1 // x"])])],
        verification={
            "proved": 0,
            "refuted": 1,
            "unknown": 1,
            "conditions": [
                {
                    "path": "m.py",
                    "function": "f",
                    "line": 1,
                    "kind": "raise",
                    "condition": "no ZeroDivisionError",
                    "status": "refuted",
                    "reason": None,
                    "counterexample": {"args": {"x": 0}, "raises": "ZeroDivisionError"},
                    "ms": 1,
                },
                {
                    "path": "m.py",
                    "function": "g",
                    "line": 5,
                    "kind": "post",
                    "condition": "result > 0",
                    "status": "unknown",
                    "reason": "loop bound reached",
                    "counterexample": None,
                    "ms": 1,
                },
            ],
        },
    )
    text = DOM(render_html(doc)).root.text()
    assert (
        "✗ refuted f raise no ZeroDivisionError (m.py:1): f(x=0) raises ZeroDivisionError" in text
    )
    assert "loop bound reached" in text


def test_the_header_has_the_gate_coverage_and_analyzer_status() -> None:
    doc = document(
        [file("a.py", [hunk(1, ["x = 1"])])],
        gate={"failed": True, "reasons": ["semgrep: eval-use at a.py:3"], "fail_on": "error"},
        coverage={
            "files_reviewed": 1,
            "files_skipped": [{"path": "big.bin", "reason": "binary"}],
            "notes": [],
            "truncated": "the host returned 3,000 of 3,500 files",
            "suppressions": [],
        },
        analyzers=[
            {
                "name": "detector",
                "version": "1",
                "ms": 0,
                "status": "timeout",
                "detail": "budget 5 s",
            }
        ],
    )
    header = DOM(render_html(doc)).root.find_all("header")[0].text()
    assert "Gate: ✗ failed" in header and "eval-use at a.py:3" in header
    assert "Skipped big.bin: binary" in header
    assert "Truncated: the host returned 3,000 of 3,500 files" in header
    assert "detector" in header and "timeout" in header and "budget 5 s" in header


def test_a_review_with_no_files_renders_and_says_so() -> None:
    dom = DOM(render_html(document([]))).root
    assert "This review has no files: nothing to read." in dom.text()
    assert dom.find_all("details", class_="hunk") == []
    assert len(dom.find_all("script")) == 1


def test_a_ten_thousand_line_change_defers_hunks_past_the_budget_and_says_so() -> None:
    files = [
        file(
            f"pkg/m{i}.py",
            [hunk(1 + 200 * j, [f"v{i}_{j}_{k} = {k}" for k in range(50)]) for j in range(10)],
        )
        for i in range(20)
    ]
    doc = document(files)
    assert sum(len(h["lines"]) for f in files for h in f["hunks"]) == 10_000
    html = render_html(doc)
    # Plain string checks: a DOM of 30,000 rows in the stdlib parser takes seconds.
    budget = html[html.index('id="budget"') : html.index("</p>", html.index('id="budget"'))]
    assert "render when you open them" in budget and "8,000" in budget
    outside = re.sub(r"<template>.*?</template>", "", html, flags=re.DOTALL)
    templates = html.count("<template>")
    assert templates, "hunks past the budget are deferred"
    tables = outside.count('<table class="code">')
    assert outside.count("<tr") - tables <= EAGER_ROWS
    lazy = re.findall(r'<details class="hunk read lazy"[^>]*>', html)
    assert len(lazy) == templates and not any(" open" in d for d in lazy)
    assert "rendered when opened" in html


def test_everything_from_the_pull_request_is_escaped_and_bidi_controls_are_shown() -> None:
    long_line = "x = '" + "A" * (LINE_CUT + 500) + "'"
    path = f"src/{NASTY}.py"
    doc = document(
        [
            {
                **file(
                    path, [hunk(1, [NASTY, long_line], removed=[NASTY], note=NASTY)], reason=NASTY
                ),
                "old_path": NASTY,
                "group": NASTY,
            }
        ],
        [finding(path, 3, NASTY, rule=NASTY, source=NASTY, suggestion=NASTY + "\n")],
        groups=[{"label": NASTY, "reason": NASTY, "paths": [path]}],
        gate={"failed": True, "reasons": [NASTY], "fail_on": "error"},
        coverage={
            "files_reviewed": 1,
            "files_skipped": [{"path": NASTY, "reason": NASTY}],
            "notes": [{"path": NASTY, "note": NASTY}],
            "truncated": NASTY,
            "suppressions": [],
        },
        analyzers=[{"name": NASTY, "version": "1", "ms": 1, "status": "error", "detail": NASTY}],
    )
    html = render_html(doc, subtitle=NASTY)
    dom = DOM(html).root
    assert len(dom.find_all("script")) == 1  # ours alone
    assert dom.find_all("img") == [] and dom.find_all("textarea") == []
    assert not any(k.startswith("on") for n in dom.walk() for k in n.attrs)
    assert not any(ch in html for ch in BIDI), "no bidi control reaches the page raw"
    assert "[U+202E]" in dom.text() and "[U+2066]" in dom.text()
    text = dom.text()
    assert text.count("<script>window.__pwned=1</script>") >= 10
    assert "</textarea><img src=x onerror=" in text
    assert "line cut: 5,506 characters" in text
    assert "A" * (LINE_CUT + 1) not in html


def test_the_inline_style_and_script_are_the_ones_the_policy_names() -> None:
    html = render_html(document([file("a.py", [hunk(1, ["x = 1"])])]))
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert policy is not None
    for tag in ("style", "script"):
        body = re.search(rf"<{tag}>(.*?)</{tag}>", html, re.DOTALL)
        assert body is not None
        digest = base64.b64encode(hashlib.sha256(body.group(1).encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy.group(1).replace("&#39;", "'")
    assert "default-src 'none'" in policy.group(1).replace("&#39;", "'")
    assert "http://" not in html and "https://" not in html  # nothing to fetch


def test_the_cli_writes_a_self_contained_page(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    assert "html" in FORMATS
    out = tmp_path / "review.html"
    code, _, err = run_cli(
        "review",
        "--diff",
        str(GOLDEN / "commit-c9e0382.patch"),
        "--skip",
        "detector,entropy,semgrep,verify",
        "--format",
        "html",
        "--output",
        str(out),
        "--fail-on",
        "never",
    )
    assert code == 0, err
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>")
    dom = DOM(page).root
    assert dom.find_all("section", class_="file") and dom.find_all("table", class_="code")
    assert render.__module__ == "bot.render"
