"""One hunk's code rows as HTML: heat levels and their bar glyphs, findings as underlines with
their tooltip (placed once), the suggestion block under the last line it replaces, and every
piece of text from the pull request escaped."""

from __future__ import annotations

from typing import Any

from bot.render.html_highlight import LINE_CUT
from bot.render.html_rows import (
    FINDING_SPAN,
    HEAT_GLYPHS,
    HEAT_LEVELS,
    FileFindings,
    heat_level,
    hunk_rows,
    message_html,
    tooltip,
)
from tests.render.html_samples import DOM

HOSTILE = "<script>alert(1)</script> \"double\" 'single' & `<img src=x>` \u202eevil"

ROWS: list[dict[str, Any]] = [
    {"kind": "ctx", "old": 1, "new": 1, "text": "import os"},
    {"kind": "del", "old": 2, "new": None, "text": "x = '<b>'"},
    {"kind": "add", "old": None, "new": 2, "text": 'y = eval("<script>")'},
    {"kind": "add", "old": None, "new": 3, "text": "z = 1"},
    {"kind": "ctx", "old": 3, "new": 4, "text": "pass"},
]
HUNK: dict[str, Any] = {
    "diff": ROWS,
    "lines": [
        {"line": 2, "heat": 0.95, "surprisal": 7.25},
        {"line": 3, "heat": 0.1, "surprisal": 1},
    ],
}


def _finding(line: int, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "line": line,
        "end_line": line,
        "side": "new",
        "severity": "warning",
        "source": "semgrep",
        "rule": "no-eval",
        "score": 0.9,
        "message": "`eval` of untrusted input",
    }
    out.update(extra)
    return out


def test_heat_levels_cover_zero_to_one_and_clamp_outside() -> None:
    assert [heat_level(h) for h in (0.0, 0.19, 0.2, 0.5, 0.79, 0.8, 0.999, 1.0)] == [
        0,
        0,
        1,
        2,
        3,
        4,
        4,
        4,
    ]
    assert heat_level(-3.0) == 0 and heat_level(7.0) == HEAT_LEVELS - 1
    assert len(HEAT_GLYPHS) == HEAT_LEVELS


def test_a_message_is_text_with_its_code_spans_kept_as_code() -> None:
    html = message_html(HOSTILE)
    dom = DOM(html).root
    assert [n.tag for n in dom.walk()] == ["#document", "code", "span"]  # no script, no img
    assert dom.find_all("code")[0].text() == "<img src=x>"
    assert dom.text() == HOSTILE.replace("`", "").replace("\u202e", "[U+202E]")
    assert "&lt;script&gt;" in html and "<script" not in html
    assert message_html("plain") == "plain"


def test_findings_are_indexed_by_side_and_line_and_a_tooltip_describes_each() -> None:
    wide = _finding(10, end_line=10 + FINDING_SPAN + 50)
    removed = _finding(2, side="old", severity="error", message=HOSTILE, end_line=None)
    findings = FileFindings([(0, _finding(3)), (1, wide), (2, removed)])
    assert findings.new[3] == [0] and findings.old == {2: [2]}
    assert max(line for line, ixs in findings.new.items() if 1 in ixs) == 10 + FINDING_SPAN
    assert findings.covering(ROWS[1]) == [2]  # the removed line 2, not the new line 2
    assert findings.covering(ROWS[2]) == []
    assert findings.covering({"kind": "add", "old": None, "new": 3, "text": ""}) == [0]
    assert findings.covering({"kind": "ctx", "old": 2, "new": 9, "text": ""}) == []
    assert findings.unplaced() == list(findings.findings)

    tip = DOM(tooltip([0, 1, 2], findings, "f-0-tip")).root
    (outer,) = tip.find_all("span", class_="tip")
    assert outer.attrs == {"class": "tip", "role": "tooltip", "id": "f-0-tip"}
    parts = [n.text() for n in tip.find_all("span", class_="tf")]
    assert parts[0] == "warning semgrep/no-eval · score 0.90 · line 3eval of untrusted input"
    assert f"line 10–{10 + FINDING_SPAN + 50}" in parts[1]
    assert "line 2 (removed line)" in parts[2] and "<script>alert(1)</script>" in parts[2]
    assert not tip.find_all("script") and not tip.find_all("img")
    no_score = FileFindings([(0, _finding(3, score=None))])
    assert "· score  ·" in DOM(tooltip([0], no_score, "t")).root.text()


def test_hunk_rows_show_numbers_heat_escaped_code_one_tooltip_and_the_suggestion() -> None:
    finding = _finding(2, end_line=3, severity="error", suggestion="y = ast.literal_eval('<s>')\n")
    findings = FileFindings([(4, finding), (5, _finding(3, severity="note"))])
    shown: list[int] = []
    html = hunk_rows(HUNK, "a.py", findings, shown)
    assert "<script>" not in html and "<b>" not in html
    dom = DOM(html).root
    rows = dom.find_all("tr")
    assert [r.attrs.get("class") for r in rows] == [None, "d", "a4", "a0", "sg", None]
    cells = [[c.text() for c in r.find_all("td")] for r in rows]
    assert cells[0] == ["1", "1", "", "import os"]
    assert cells[1] == ["2", "", "−", "x = '<b>'"]
    assert cells[2][:3] == ["", "2", "+" + HEAT_GLYPHS[4]]
    assert cells[2][3].startswith('y = eval("<script>")')
    assert cells[3][:3] == ["", "3", "+" + HEAT_GLYPHS[0]]
    assert rows[2].find_all("td")[2].attrs["title"] == "heat 0.95, 7.2 bits"
    assert cells[5] == ["3", "4", "", "pass"]

    # The error outranks the note; the tooltip comes with the first line that places them.
    marks = dom.find_all("mark")
    assert [m.attrs["class"] for m in marks] == ["sq e", "sq e"]
    assert marks[0].attrs["id"] == "f-4" and marks[0].attrs["aria-describedby"] == "f-4-tip"
    assert marks[0].attrs["data-f"] == "4"
    # Line 3 is still under the error, and places the note with a tooltip of its own.
    assert (marks[1].attrs["id"], marks[1].attrs["data-f"]) == ("f-5", "5")
    tips = dom.find_all("span", class_="tip")
    assert [t.attrs["id"] for t in tips] == ["f-4-tip", "f-5-tip"]
    assert findings.placed == {4, 5} and findings.unplaced() == []

    # The suggestion comes once, after line 3 (the last it replaces), with both lines it
    # replaces and its new text, highlighted and escaped.
    assert shown == [4]
    (group,) = dom.find_all("div", class_="sug")
    assert group.attrs["aria-label"] == "Suggested change 4"
    assert [n.text() for n in group.find_all("span", class_="sd")] == [
        '−y = eval("<script>")',
        "−z = 1",
    ]
    assert [n.text() for n in group.find_all("span", class_="sa")] == [
        "+y = ast.literal_eval('<s>')"
    ]
    assert "Suggested change (semgrep/no-eval):" in group.text()


def test_a_deleting_suggestion_and_a_removed_line_s_finding() -> None:
    deleting = _finding(3, suggestion="")
    on_removed = _finding(2, side="old", suggestion="never shown\n")
    findings = FileFindings([(0, deleting), (1, on_removed)])
    shown: list[int] = []
    dom = DOM(hunk_rows(HUNK, "a.py", findings, shown)).root
    assert shown == [0]  # a removed line's finding gets an underline, never a suggestion
    (group,) = dom.find_all("div", class_="sug")
    assert group.find_all("span", class_="sa")[-1].text() == "(delete these lines)"
    assert "never shown" not in dom.text()
    (removed,) = [r for r in dom.find_all("tr") if r.attrs.get("class") == "d"]
    assert removed.find_all("mark")[0].attrs["id"] == "f-1"


def test_a_finding_over_several_lines_has_one_tooltip() -> None:
    findings = FileFindings([(3, _finding(2, end_line=3))])
    dom = DOM(hunk_rows(HUNK, "a.py", findings, [])).root
    marks = dom.find_all("mark")
    assert [m.attrs for m in marks] == [
        {
            "class": "sq w",
            "id": "f-3",
            "data-f": "3",
            "tabindex": "0",
            "aria-describedby": "f-3-tip",
        },
        {"class": "sq w"},
    ]
    assert len(dom.find_all("span", class_="tip")) == 1


def test_a_hunk_without_heat_or_rows() -> None:
    assert hunk_rows({"diff": []}, "a.py", FileFindings([]), []) == ""
    cold = hunk_rows({"diff": ROWS[2:3]}, "a.py", FileFindings([]), [])
    dom = DOM(cold).root
    assert dom.find_all("tr")[0].attrs["class"] == "a0"
    assert [c.text() for c in dom.find_all("td")][2] == "+"
    long_row = {"kind": "add", "old": None, "new": 1, "text": "x" * (LINE_CUT + 10)}
    cut = DOM(hunk_rows({"diff": [long_row]}, "a.py", FileFindings([]), [])).root
    (note,) = cut.find_all("span", class_="cut")
    assert note.text() == f" … line cut: {LINE_CUT + 10:,} characters"
