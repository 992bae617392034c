"""The review document (`--format json`): the one contract every output renders.
See docs/review-json.md; the JSON Schema ships beside this module."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from bot import __version__
from bot.core.model import Finding, Fix, Review, ReviewFile, ScoredHunk

VERSION = 1


@cache
def schema() -> dict[str, Any]:
    """The review document's JSON Schema, shipped with the package."""
    text = (resources.files("bot.render") / "review.schema.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def heat_clamp(review: Review) -> float:
    """GLTR-style: clamp per document at the 95th percentile of line surprisal."""
    values = sorted(v for f in review.files for h in f.hunks for _, v in h.line_heat)
    if not values:
        return 1.0
    return max(values[min(len(values) - 1, int(0.95 * len(values)))], 1e-6)


def _hunk(hunk: ScoredHunk, lines: bool, clamp: float) -> dict[str, Any]:
    out: dict[str, Any] = {
        "old_start": hunk.hunk.old_start,
        "old_lines": hunk.hunk.old_lines,
        "new_start": hunk.hunk.new_start,
        "new_lines": hunk.hunk.new_lines,
        "risk": _round(hunk.risk, 3),
        "entropy": _round(hunk.entropy, 2),
        "attention": hunk.attention,
        "reasons": list(hunk.reasons),
    }
    if hunk.hunk.section:
        out["section"] = hunk.hunk.section
    if hunk.note:
        out["note"] = hunk.note
    if lines:
        out["lines"] = [
            {"line": n, "surprisal": round(v, 2), "heat": round(min(v, clamp) / clamp, 3)}
            for n, v in hunk.line_heat
        ]
        # The hunk's own lines, for renderings that show code (the review page).
        out["diff"] = [
            {"kind": line.kind, "old": line.old_no, "new": line.new_no, "text": line.text}
            for line in hunk.hunk.lines
        ]
    return out


def _file(file: ReviewFile, lines: bool, clamp: float) -> dict[str, Any]:
    diff = file.diff
    out: dict[str, Any] = {"path": diff.path}
    if diff.old_path and diff.old_path != diff.path:
        out["old_path"] = diff.old_path
    out["status"] = diff.status
    if diff.copied:
        out["copied"] = True
    if diff.old_mode and diff.new_mode and diff.old_mode != diff.new_mode:
        out["mode_change"] = f"{diff.old_mode} -> {diff.new_mode}"
    out["reason"] = file.reason
    if file.group:
        out["group"] = file.group
    if file.skipped:
        out["skipped"] = file.skipped
    out["hunks"] = [_hunk(h, lines, clamp) for h in file.hunks]
    return out


def finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "path": finding.path,
        "line": finding.line,
        "end_line": finding.end_line,
        "side": finding.side,
        "severity": finding.severity,
        "source": finding.source,
        "rule": finding.rule,
        "message": finding.message,
        "score": round(finding.score, 3),
        "fingerprint": finding.fingerprint,
        "suggestion": finding.suggestion,
    }


def fix_dict(fix: Fix) -> dict[str, Any]:
    return {
        "path": fix.path,
        "start": fix.start,
        "end": fix.end,
        "replacement": fix.replacement,
        "original": fix.original,
        "finding": fix.finding,
        "rule": fix.rule,
        "origin": fix.origin,
        "checks": list(fix.checks),
        "suggestion": fix.suggestion,
        "tokens": fix.tokens,
        "ms": fix.ms,
    }


def _coverage(review: Review) -> dict[str, Any]:
    return {
        "files_reviewed": review.files_reviewed,
        "files_skipped": [{"path": s.path, "reason": s.reason} for s in review.skipped],
        "notes": [{"path": n.path, "note": n.reason} for n in review.notes],
        "findings_below_threshold": review.suppressed,
        "suppressions": [
            {
                "path": s.path,
                "line": s.line,
                "marker": s.marker,
                "rule": s.rule,
                "honoured": s.honoured,
                "reason": s.reason,
            }
            for s in review.suppressions
        ],
    }


def _analyzers(review: Review) -> list[dict[str, Any]]:
    return [
        {
            "name": r.name,
            "version": r.version,
            "ms": r.ms,
            "status": r.status,
            **({"detail": r.detail} if r.detail else {}),
        }
        for r in review.analyzers
    ]


def _verification(review: Review) -> dict[str, Any]:
    counts = {"proved": 0, "refuted": 0, "unknown": 0}
    for verdict in review.verdicts:
        counts[verdict.status] += 1
    return {
        **counts,
        "conditions": [
            {
                "path": v.path,
                "function": v.function,
                "line": v.line,
                "kind": v.kind,
                "condition": v.condition,
                "status": v.status,
                "reason": v.reason,
                "counterexample": v.counterexample,
                "ms": v.ms,
            }
            for v in review.verdicts
        ],
    }


def to_document(review: Review, lines: bool = False) -> dict[str, Any]:
    # The keys are inserted in the order the golden documents (and clients diffing them) expect.
    clamp = heat_clamp(review) if lines else 1.0
    document: dict[str, Any] = {
        "version": VERSION,
        "tool": {"name": "redline", "version": __version__},
        "paranoia": review.paranoia,
        "files": [_file(f, lines, clamp) for f in review.files],
        "groups": [
            {"label": g.label, "reason": g.reason, "paths": list(g.paths)} for g in review.groups
        ],
        "findings": [finding_dict(f) for f in review.findings],
        "gate": {
            "failed": review.gate.failed,
            "reasons": list(review.gate.reasons),
            "fail_on": review.gate.fail_on,
        },
        "coverage": _coverage(review),
        "analyzers": _analyzers(review),
    }
    # Fixes appear once the engine took part, even when it offered none (an empty list says so).
    if review.fixes or review.fixes_dropped or any(r.name == "engine" for r in review.analyzers):
        document["fixes"] = [fix_dict(f) for f in review.fixes]
        document["coverage"]["fixes_dropped"] = [
            {"path": d.path, "line": d.line, "rule": d.rule, "origin": d.origin, "reason": d.reason}
            for d in review.fixes_dropped
        ]
    if review.verdicts:
        document["verification"] = _verification(review)
    return document


def dumps(review: Review, lines: bool = False) -> str:
    return json.dumps(to_document(review, lines), indent=2, ensure_ascii=False) + "\n"
