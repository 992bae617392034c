"""Markdown: the PR summary body (reading order, attention map, findings, gate, coverage).
The host adapters post this, with their own additions (resolved findings, truncation)."""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.model import SEVERITY_ICON, Finding, Review, ReviewFile, ScoredHunk
from bot.render import escape

_ATTENTION = {"scrutinize": "🔍 scrutinize", "read": "read", "skim": "skim"}
# Text from the pull request is escaped where it is written (bot.render.escape): paths as
# code, messages and reasons as prose with code spans.
_cell = escape.message


def _span(hunk: ScoredHunk) -> str:
    h = hunk.hunk
    if h.new_lines == 0:
        return f"-{h.old_start}"
    end = h.new_start + h.new_lines - 1
    return f"{h.new_start}" if end == h.new_start else f"{h.new_start}–{end}"


def gate_line(review: Review) -> str:
    if review.gate.failed:
        reasons = "; ".join(review.gate.reasons[:5])
        more = len(review.gate.reasons) - 5
        tail = f" (and {more} more)" if more > 0 else ""
        return (
            f"**Gate: ❌ failed** (fail-on `{review.gate.fail_on}`): {escape.text(reasons)}{tail}"
        )
    return f"**Gate: ✅ passed** (fail-on `{review.gate.fail_on}`)"


def _file_summary(file: ReviewFile) -> str:
    if file.skipped:
        return f"skipped: {escape.message(file.skipped)}"
    counts: dict[str, int] = {}
    for hunk in file.hunks:
        counts[hunk.attention] = counts.get(hunk.attention, 0) + 1
    parts = [f"{n} {a}" for a, n in sorted(counts.items(), key=lambda kv: kv[0] != "scrutinize")]
    return f"{len(file.hunks)} hunk{'s' if len(file.hunks) != 1 else ''}" + (
        f": {', '.join(parts)}" if parts else ""
    )


def reading_order(review: Review) -> list[str]:
    out = ["### Suggested reading order", ""]
    number = 0
    show_groups = len(review.groups) > 1
    by_path = {f.diff.path: f for f in review.files}
    for group in review.groups:
        if show_groups:
            out.append(f"**{_cell(group.label)}**: {_cell(group.reason)}")
            out.append("")
        for path in group.paths:
            number += 1
            file = by_path[path]
            where = escape.code(path)
            out.append(f"{number}. {where}: {_cell(file.reason)} ({_file_summary(file)})")
        out.append("")
    return out


def attention_map(review: Review, limit: int = 60) -> list[str]:
    rows = []
    skims: list[tuple[ReviewFile, ScoredHunk]] = []
    for file in review.files:
        if file.skipped:
            continue
        for hunk in file.hunks:
            if hunk.attention == "skim":
                skims.append((file, hunk))
            else:
                risk = "" if hunk.risk is None else f"{hunk.risk:.2f}"
                entropy = "" if hunk.entropy is None else f"{hunk.entropy:.1f}"
                where = escape.code(file.diff.path, table=True)
                level = _ATTENTION[hunk.attention]
                if hunk.note:  # why a mechanical-looking hunk is read, and that it repeats
                    level += f" — {escape.cell(hunk.note)}"
                rows.append(f"| {where} | {_span(hunk)} | {level} | {risk} | {entropy} |")
    out = ["### Attention map", ""]
    if rows:
        rows.sort(key=lambda r: "scrutinize" not in r)
        out += ["| File | Lines | Attention | Risk | Entropy (bits) |", "|---|---|---|---|---|"]
        out += rows[:limit]
        if len(rows) > limit:
            out.append(f"| … | | {len(rows) - limit} more hunks | | |")
        out.append("")
    if skims:
        out += [
            f"<details><summary>{len(skims)} skim hunk{'s' if len(skims) != 1 else ''} "
            "collapsed (predictable changes)</summary>",
            "",
        ]
        # One line per note and repeated edit: twenty repeats of one edit are one thing to
        # skim, not twenty; two different edits are two lines, whatever their notes say.
        groups: dict[tuple[str, tuple[str, int] | None], list[str]] = {}
        for file, hunk in skims:
            key = (hunk.note or "predictable change", hunk.repeat_of)
            groups.setdefault(key, []).append(f"{escape.code(file.diff.path)} {_span(hunk)}")
        for (note, _), places in list(groups.items())[:limit]:
            shown = ", ".join(places[:8]) + (
                f" and {len(places) - 8} more" if len(places) > 8 else ""
            )
            out.append(f"- {shown}: {_cell(note)}")
        if len(groups) > limit:
            out.append(f"- … and {len(groups) - limit} more")
        out += ["", "</details>", ""]
    if not rows and not skims:
        out += ["No hunks to review.", ""]
    return out


def findings_table(findings: Iterable[Finding], title: str = "Findings") -> list[str]:
    findings = list(findings)
    out = [f"### {title} ({len(findings)})", ""]
    if not findings:
        return [*out, "No findings at this paranoia level.", ""]
    out += ["| | Location | Rule | Score | Message |", "|---|---|---|---|---|"]
    for f in findings:
        where = escape.code(f"{f.path}:{f.line}", table=True)
        where += " (removed line)" if f.side == "old" else ""
        out.append(
            f"| {SEVERITY_ICON[f.severity]} | {where} "
            f"| {escape.code(f'{f.source}/{f.rule}', table=True)} "
            f"| {f.score:.2f} "
            f"| {escape.cell(f.message)} |"
        )
    out.append("")
    return out


def verification(review: Review) -> list[str]:
    if not review.verdicts:
        return []
    counts = {"proved": 0, "refuted": 0, "unknown": 0}
    for v in review.verdicts:
        counts[v.status] += 1
    out = [
        "### Contracts",
        "",
        f"{counts['proved']} proved, {counts['refuted']} refuted, {counts['unknown']} not checked.",
        "",
    ]
    for v in review.verdicts:
        mark = {"proved": "✅", "refuted": "❌", "unknown": "❔"}[v.status]
        why = f": {v.reason}" if v.reason else ""
        out.append(
            f"- {mark} {escape.code(v.function)} {v.kind} {escape.code(v.condition)} "
            f"({escape.code(f'{v.path}:{v.line}')}){_cell(why)}"
        )
    out.append("")
    return out


def coverage_footer(review: Review, extra: Iterable[str] = ()) -> list[str]:
    parts = [f"{review.files_reviewed} file{'s' if review.files_reviewed != 1 else ''} reviewed"]
    if review.skipped:
        parts.append(
            "skipped: "
            + ", ".join(f"{escape.code(s.path)} ({_cell(s.reason)})" for s in review.skipped)
        )
    if review.notes:
        parts.append(
            "notes: "
            + ", ".join(f"{escape.code(n.path)} ({_cell(n.reason)})" for n in review.notes)
        )
    if review.suppressed:
        parts.append(
            f"{review.suppressed} candidate findings below the `{review.paranoia}` "
            "paranoia threshold"
        )
    parts.extend(extra)
    runs = ", ".join(
        f"{r.name} {r.status}"
        + (f" ({r.ms} ms)" if r.status == "ok" else f" ({_cell(r.detail)})" if r.detail else "")
        for r in review.analyzers
    )
    # The parts are escaped already; only table pipes and newlines are left to flatten.
    flat = ("Coverage: " + "; ".join(parts) + ". Analyzers: " + runs).replace("\n", " ")
    return ["---", "", "<sub>" + flat + "</sub>", ""]


def render_markdown(review: Review) -> str:
    lines = ["## redline review", "", gate_line(review), ""]
    lines += reading_order(review)
    lines += attention_map(review)
    lines += findings_table(review.findings)
    lines += verification(review)
    lines += coverage_footer(review)
    return "\n".join(lines)
