"""What the review page shows, computed from a review document (docs/review-json.md, with
`lines=True` for the code): files in reading order under their groups, each hunk with its
rows, findings placed on their lines, verdicts by file, and the header's gate, coverage and
analyzers. The template only lays this out. Pure: a dict in, frozen values out."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from bot.render.html_rows import FileFindings, hunk_rows, message_html

EAGER_ROWS = 8_000  # diff rows put on the page at once; later hunks render when opened
HUNK_EAGER_MAX = 2_000  # a single hunk longer than this renders when opened, wherever it is
SEVERITIES = ("error", "warning", "note")
ATTENTIONS = ("scrutinize", "read", "skim")
_COVERAGE: dict[str, Any] = {
    "files_reviewed": 0,
    "files_skipped": [],
    "notes": [],
    "truncated": None,
    "findings_below_threshold": 0,
    "suppressions": [],
}


@dataclass(frozen=True)
class HunkView:
    id: str
    number: int  # 1-based, in reading order over the whole page
    attention: str
    header: str
    section: str | None
    risk: float | None
    entropy: float | None
    note: str | None
    findings: int
    rows: Markup
    row_count: int
    changed: int
    lazy: bool
    open: bool


@dataclass(frozen=True)
class FindingView:
    index: int
    severity: str
    source: str
    rule: str
    score: float
    line: int
    end_line: int
    side: str
    path: str
    message: Markup


@dataclass(frozen=True)
class VerdictView:
    status: str
    function: str
    kind: str
    condition: str
    line: int
    reason: str | None
    call: str | None  # the counterexample as a call: f(x=0)
    outcome: str | None  # "returns 1" | "raises ZeroDivisionError"


@dataclass(frozen=True)
class FileView:
    number: int
    id: str
    path: str
    old_path: str | None
    status: str
    reason: str
    group: str | None
    skipped: str | None
    mode_change: str | None
    copied: bool
    hunks: tuple[HunkView, ...]
    unplaced: tuple[FindingView, ...]  # findings on lines the diff does not show
    findings: int
    verdicts: tuple[VerdictView, ...]
    counts: Mapping[str, int]  # hunks by attention


@dataclass(frozen=True)
class GroupView:
    label: str
    reason: str
    files: tuple[FileView, ...]


@dataclass(frozen=True)
class PageView:
    title: str
    subtitle: str | None
    files: tuple[FileView, ...]
    groups: tuple[GroupView, ...]
    show_groups: bool
    gate: Mapping[str, Any]
    coverage: Mapping[str, Any]
    analyzers: tuple[Mapping[str, Any], ...]
    verdicts: tuple[tuple[str, VerdictView], ...]  # (path, verdict), refuted first
    verdict_counts: Mapping[str, int]
    orphans: tuple[FindingView, ...]  # findings on files the document does not list
    findings_by_severity: Mapping[str, int]
    hunks_by_attention: Mapping[str, int]
    total_rows: int
    changed_rows: int
    deferred_hunks: int
    deferred_rows: int
    budget: int
    code_missing: bool  # the document was made without lines=True: no code to show
    paranoia: str | None
    tool: str


def _finding_view(index: int, f: Mapping[str, Any]) -> FindingView:
    return FindingView(
        index,
        str(f.get("severity", "note")),
        str(f.get("source", "")),
        str(f.get("rule", "")),
        float(f.get("score") or 0.0),
        int(f.get("line") or 0),
        int(f.get("end_line") or f.get("line") or 0),
        str(f.get("side") or "new"),
        str(f.get("path", "")),
        Markup(message_html(str(f.get("message", "")))),
    )


def _call(v: Mapping[str, Any]) -> tuple[str | None, str | None]:
    example = v.get("counterexample")
    if not isinstance(example, Mapping):
        return None, None
    args = example.get("args")
    shown = ", ".join(
        f"{name}={json.dumps(value, ensure_ascii=False)}"
        for name, value in (args.items() if isinstance(args, Mapping) else ())
    )
    call = f"{v.get('function', '?')}({shown})"
    if "raises" in example:
        return call, f"raises {example['raises']}"
    if "returns" in example:
        return call, f"returns {json.dumps(example['returns'], ensure_ascii=False)}"
    return call, None


def _verdict(v: Mapping[str, Any]) -> VerdictView:
    call, outcome = _call(v) if v.get("status") == "refuted" else (None, None)
    return VerdictView(
        str(v.get("status", "unknown")),
        str(v.get("function", "")),
        str(v.get("kind", "")),
        str(v.get("condition", "")),
        int(v.get("line") or 0),
        v.get("reason"),
        call,
        outcome,
    )


def _header(h: Mapping[str, Any]) -> str:
    return (
        f"@@ -{h.get('old_start', 0)},{h.get('old_lines', 0)} "
        f"+{h.get('new_start', 0)},{h.get('new_lines', 0)} @@"
    )


class _Budget:
    """Rows put on the page so far; hunks past the budget are deferred, in reading order."""

    def __init__(self, budget: int) -> None:
        self.budget, self.used, self.deferred_hunks, self.deferred_rows = budget, 0, 0, 0

    def eager(self, rows: int) -> bool:
        if rows <= HUNK_EAGER_MAX and self.used + rows <= self.budget:
            self.used += rows
            return True
        self.deferred_hunks += 1
        self.deferred_rows += rows
        return False


def _hunks(
    file: Mapping[str, Any], findings: FileFindings, counter: list[int], budget: _Budget
) -> tuple[HunkView, ...]:
    out = []
    path = str(file.get("path", ""))
    for hunk in file.get("hunks") or ():
        counter[0] += 1
        rows = hunk.get("diff") or ()
        before = len(findings.placed)
        html = Markup(hunk_rows(hunk, path, findings, []))
        attention = str(hunk.get("attention", "read"))
        eager = budget.eager(len(rows))
        out.append(
            HunkView(
                id=f"h-{counter[0]}",
                number=counter[0],
                attention=attention if attention in ATTENTIONS else "read",
                header=_header(hunk),
                section=hunk.get("section"),
                risk=hunk.get("risk"),
                entropy=hunk.get("entropy"),
                note=hunk.get("note"),
                findings=len(findings.placed) - before,
                rows=html,
                row_count=len(rows),
                changed=sum(1 for r in rows if r.get("kind") != "ctx"),
                lazy=not eager,
                open=eager and attention != "skim" and not file.get("skipped"),
            )
        )
    return tuple(out)


def _file(
    number: int,
    file: Mapping[str, Any],
    findings: Sequence[tuple[int, Mapping[str, Any]]],
    verdicts: Sequence[Mapping[str, Any]],
    counter: list[int],
    budget: _Budget,
) -> FileView:
    index = FileFindings(findings)
    hunks = _hunks(file, index, counter, budget)
    counts = {a: sum(1 for h in hunks if h.attention == a) for a in ATTENTIONS}
    return FileView(
        number=number,
        id=f"file-{number}",
        path=str(file.get("path", "")),
        old_path=file.get("old_path"),
        status=str(file.get("status", "modified")),
        reason=str(file.get("reason", "")),
        group=file.get("group"),
        skipped=file.get("skipped"),
        mode_change=file.get("mode_change"),
        copied=bool(file.get("copied")),
        hunks=hunks,
        unplaced=tuple(_finding_view(i, f) for i, f in index.unplaced()),
        findings=len(findings),
        verdicts=tuple(_verdict(v) for v in verdicts),
        counts=counts,
    )


def _groups(document: Mapping[str, Any], files: Sequence[FileView]) -> tuple[GroupView, ...]:
    by_path = {f.path: f for f in files}
    seen: set[str] = set()
    groups = []
    for g in document.get("groups") or ():
        members = tuple(by_path[p] for p in g.get("paths") or () if p in by_path)
        seen.update(f.path for f in members)
        if members:
            groups.append(GroupView(str(g.get("label", "")), str(g.get("reason", "")), members))
    rest = tuple(f for f in files if f.path not in seen)
    if rest:
        groups.append(GroupView("Other files", "not in a group of the reading order", rest))
    return tuple(groups)


def build(document: Mapping[str, Any], title: str, subtitle: str | None, budget: int) -> PageView:
    files_doc = list(document.get("files") or ())
    all_findings = list(enumerate(document.get("findings") or ()))
    by_path: dict[str, list[tuple[int, Mapping[str, Any]]]] = {}
    for index, f in all_findings:
        by_path.setdefault(str(f.get("path", "")), []).append((index, f))
    conditions = list((document.get("verification") or {}).get("conditions") or ())
    verdicts_by_path: dict[str, list[Mapping[str, Any]]] = {}
    for v in conditions:
        verdicts_by_path.setdefault(str(v.get("path", "")), []).append(v)
    counter, pager = [0], _Budget(budget)
    files = tuple(
        _file(
            n,
            f,
            by_path.get(str(f.get("path", "")), []),
            verdicts_by_path.get(str(f.get("path", "")), []),
            counter,
            pager,
        )
        for n, f in enumerate(files_doc, start=1)
    )
    listed = {f.path for f in files}
    hunks = [h for f in files for h in f.hunks]
    order = {"refuted": 0, "unknown": 1, "proved": 2}
    verdicts = sorted(
        ((str(v.get("path", "")), _verdict(v)) for v in conditions),
        key=lambda pv: order.get(pv[1].status, 3),
    )
    verification = document.get("verification") or {}
    groups = _groups(document, files)
    return PageView(
        title=title,
        subtitle=subtitle,
        files=files,
        groups=groups,
        show_groups=len(groups) > 1,
        gate={"failed": False, "reasons": [], "fail_on": None, **(document.get("gate") or {})},
        coverage={**_COVERAGE, **(document.get("coverage") or {})},
        analyzers=tuple({"detail": None, "ms": 0, **a} for a in document.get("analyzers") or ()),
        verdicts=tuple(verdicts),
        verdict_counts={k: int(verification.get(k) or 0) for k in order},
        orphans=tuple(
            _finding_view(i, f) for i, f in all_findings if str(f.get("path", "")) not in listed
        ),
        findings_by_severity={
            s: sum(1 for _, f in all_findings if f.get("severity") == s) for s in SEVERITIES
        },
        hunks_by_attention={a: sum(1 for h in hunks if h.attention == a) for a in ATTENTIONS},
        total_rows=sum(h.row_count for h in hunks),
        changed_rows=sum(h.changed for h in hunks),
        deferred_hunks=pager.deferred_hunks,
        deferred_rows=pager.deferred_rows,
        budget=budget,
        code_missing=any(h.get("diff") is None for f in files_doc for h in f.get("hunks") or ()),
        paranoia=document.get("paranoia"),
        tool=f"{(document.get('tool') or {}).get('name', 'redline')} "
        f"{(document.get('tool') or {}).get('version', '')}".strip(),
    )
