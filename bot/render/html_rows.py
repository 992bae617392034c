"""The code rows of one hunk as HTML: old and new line numbers, a +/− marker with the line's
heat as a bar glyph (heat is never colour alone), the highlighted code, findings as wavy
underlines with their tooltip, and suggestions as a small diff under the line they replace.
Rows are built here as strings, not in the template: a 2,000-line change has 6,000 rows and
the page's render budget is 200 ms. Every piece of text from the document is escaped."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.render.html_highlight import LINE_CUT, highlight_lines, plain

HEAT_LEVELS = 5
HEAT_GLYPHS = "▁▂▄▆█"
SEVERITY_CLASS = {"error": "e", "warning": "w", "note": "n"}
FINDING_SPAN = 2_000  # lines of one finding that get an underline (the anchor always does)
_CODE = re.compile(r"`([^`\n]+)`")


def heat_level(heat: float) -> int:
    return max(0, min(HEAT_LEVELS - 1, int(heat * HEAT_LEVELS)))


def message_html(message: str) -> str:
    """A finding's message, escaped, with `code` spans kept as code."""
    return _CODE.sub(r"<code>\1</code>", plain(message))


def _number(value: float | int | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


@dataclass
class FileFindings:
    """The findings of one file, indexed by the lines they cover, and which were placed."""

    findings: Sequence[tuple[int, Mapping[str, Any]]]  # (index in the document, finding)
    new: dict[int, list[int]] = field(default_factory=dict)
    old: dict[int, list[int]] = field(default_factory=dict)
    placed: set[int] = field(default_factory=set)
    by_index: dict[int, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for index, finding in self.findings:
            self.by_index[index] = finding
            side = self.old if finding.get("side") == "old" else self.new
            start = int(finding["line"])
            end = max(start, int(finding.get("end_line") or start))
            for line in range(start, min(end, start + FINDING_SPAN) + 1):
                side.setdefault(line, []).append(index)

    def covering(self, row: Mapping[str, Any]) -> list[int]:
        if row["kind"] == "del":
            return self.old.get(row["old"], []) if row["old"] is not None else []
        return self.new.get(row["new"], []) if row["new"] is not None else []

    def unplaced(self) -> list[tuple[int, Mapping[str, Any]]]:
        return [(i, f) for i, f in self.findings if i not in self.placed]


def tooltip(indices: Sequence[int], findings: FileFindings, tip_id: str) -> str:
    parts = []
    for index in indices:
        f = findings.by_index[index]
        where = f"line {f['line']}" + (
            f"–{f['end_line']}" if f.get("end_line") and f["end_line"] != f["line"] else ""
        )
        side = " (removed line)" if f.get("side") == "old" else ""
        parts.append(
            f'<span class="tf"><strong>{plain(str(f["severity"]))}</strong> '
            f"{plain(str(f['source']))}/{plain(str(f['rule']))} · score "
            f"{_number(f.get('score'), 2)} · {where}{side}<br>{message_html(str(f['message']))}"
            "</span>"
        )
    return f'<span class="tip" role="tooltip" id="{tip_id}">{"".join(parts)}</span>'


def _suggestion(finding: Mapping[str, Any], replaced: list[str], path: str, number: int) -> str:
    new_lines = str(finding["suggestion"]).split("\n")
    if new_lines and new_lines[-1] == "":
        new_lines.pop()
    old_html = highlight_lines(replaced, path) if replaced else []
    new_html = highlight_lines(new_lines, path) if new_lines else []
    body = "".join(f'<span class="sd">−{h}</span>' for h in old_html)
    body += "".join(f'<span class="sa">+{h}</span>' for h in new_html)
    if not new_lines:
        body += '<span class="sa">(delete these lines)</span>'
    rule = f"{plain(str(finding['source']))}/{plain(str(finding['rule']))}"
    return (
        f'<tr class="sg"><td colspan="4"><div class="sug" role="group" '
        f'aria-label="Suggested change {number}"><span class="sh">Suggested change ({rule}):'
        f"</span>{body}</div>"
    )


def _replaced_text(rows: Sequence[Mapping[str, Any]], finding: Mapping[str, Any]) -> list[str]:
    start, end = int(finding["line"]), int(finding.get("end_line") or finding["line"])
    return [
        str(r["text"])
        for r in rows
        if r["kind"] != "del" and r["new"] is not None and start <= r["new"] <= end
    ]


def _highlighted(rows: Sequence[Mapping[str, Any]], path: str) -> list[str]:
    """Highlight the new side (context and added lines) and the removed lines apart, so
    each reads as code; then put them back in the hunk's order."""
    new_side = [str(r["text"]) for r in rows if r["kind"] != "del"]
    removed = [str(r["text"]) for r in rows if r["kind"] == "del"]
    new_html = iter(highlight_lines(new_side, path))
    old_html = iter(highlight_lines(removed, path))
    return [next(old_html) if r["kind"] == "del" else next(new_html) for r in rows]


def _marker(row: Mapping[str, Any], heat: Mapping[int, tuple[float, float]]) -> str:
    if row["kind"] == "del":
        return "<td>−"
    if row["kind"] != "add":
        return "<td>"
    value = heat.get(row["new"]) if row["new"] is not None else None
    if value is None:
        return "<td>+"
    level = heat_level(value[0])
    return f'<td title="heat {value[0]:.2f}, {value[1]:.1f} bits">+{HEAT_GLYPHS[level]}'


def _row_class(row: Mapping[str, Any], heat: Mapping[int, tuple[float, float]]) -> str:
    if row["kind"] == "del":
        return " class=d"
    if row["kind"] == "add":
        value = heat.get(row["new"]) if row["new"] is not None else None
        return f" class=a{heat_level(value[0]) if value else 0}"
    return ""


def hunk_rows(
    hunk: Mapping[str, Any], path: str, findings: FileFindings, suggestions: list[int]
) -> str:
    """The <tr> rows of one hunk (end tags omitted, as HTML allows, to keep the page small).
    `suggestions` collects the numbers of the suggestions shown (for their labels)."""
    rows: Sequence[Mapping[str, Any]] = hunk.get("diff") or ()
    heat = {
        int(x["line"]): (float(x.get("heat", 0.0)), float(x["surprisal"]))
        for x in hunk.get("lines") or ()
    }
    code = _highlighted(rows, path)
    out: list[str] = []
    emitted: set[int] = set()
    for position, row in enumerate(rows):
        text = code[position]
        if len(str(row["text"])) > LINE_CUT:
            text += f'<span class="cut"> … line cut: {len(str(row["text"])):,} characters</span>'
        covering = findings.covering(row)
        cell = text
        if covering:
            severity = min(
                (str(findings.by_index[i]["severity"]) for i in covering),
                key=lambda s: "ewn".index(SEVERITY_CLASS.get(s, "n")),
            )
            css = SEVERITY_CLASS.get(severity, "n")
            fresh = [i for i in covering if i not in findings.placed]
            if fresh:
                first = fresh[0]
                findings.placed.update(fresh)
                ids = " ".join(str(i) for i in fresh)
                cell = (
                    f'<mark class="sq {css}" id="f-{first}" data-f="{ids}" tabindex="0" '
                    f'aria-describedby="f-{first}-tip">{text}</mark>'
                    + tooltip(fresh, findings, f"f-{first}-tip")
                )
            else:
                cell = f'<mark class="sq {css}">{text}</mark>'
        old = "" if row["old"] is None else row["old"]
        new = "" if row["new"] is None else row["new"]
        out.append(f"<tr{_row_class(row, heat)}><td>{old}<td>{new}{_marker(row, heat)}<td>{cell}")
        for index in covering:
            finding = findings.by_index[index]
            if finding.get("suggestion") is None or finding.get("side") == "old":
                continue
            if index in emitted:
                continue
            following = rows[position + 1] if position + 1 < len(rows) else None
            if following is not None and index in findings.covering(following):
                continue  # not the last line the finding covers yet
            emitted.add(index)
            suggestions.append(index)
            out.append(_suggestion(finding, _replaced_text(rows, finding), path, index))
    return "".join(out)
