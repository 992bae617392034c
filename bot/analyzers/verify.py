"""Spec verification as an analyzer: the contracts of changed Python functions are proved or
refuted (with a confirmed counterexample) by verify/; refutations become findings, and every
verdict is listed in the review's summary, the same verdicts `redline verify` gives on the
file. Conditions left undecided when the budget ran out are listed as such, and the
analyzer's detail says so."""

from __future__ import annotations

import time
from collections.abc import Mapping

from bot.core.model import Finding, Verdict
from bot.core.paths import is_test_path
from bot.core.ports import AnalysisRequest, AnalyzerOutput

_KIND = {
    "pre": "precondition",
    "post": "postcondition",
    "assert": "assertion",
    "invariant": "invariant",
    "raise": "safety property",
}


def message(v: Verdict) -> str:
    what = f"The {_KIND.get(v.kind, v.kind)} of `{v.function}` (`{v.condition}`) is violated"
    return f"{what}: {v.reason}." if v.reason else f"{what}."


def findings(verdicts: list[Verdict], source: str) -> list[Finding]:
    """One finding per line and kind: refutations that share them are listed together (the
    review keeps one finding per line and rule)."""
    grouped: dict[tuple[str, int, str], list[Verdict]] = {}
    for v in verdicts:
        if v.status == "refuted" and v.counterexample is not None:
            grouped.setdefault((v.path, v.line, v.kind), []).append(v)
    out = []
    for (path, line, kind), group in grouped.items():
        out.append(
            Finding(
                path=path,
                line=line,
                end_line=line,
                severity="error",
                source=source,
                rule=f"{kind}-refuted",
                message=" ".join(message(v) for v in group),
                score=1.0,
            )
        )
    return out


class VerifyAnalyzer:
    name = "verify"
    version = "2"
    default_budget = 30.0
    thresholds: Mapping[str, float] = {}

    def analyze(self, request: AnalysisRequest, deadline: float) -> AnalyzerOutput:
        from verify.project import scan
        from verify.runner import BUDGET_REASON, Job, run

        jobs = []
        texts: dict[str, str] = {}
        for file in request.diff.files:
            text = request.text(file.path)
            if file.language != "python" or text is None:
                continue
            texts[file.path] = text
            if not file.added_count or is_test_path(file.path):
                continue  # tests assert on purpose; their asserts are not contracts
            lines = frozenset(n for h in file.hunks for n in h.touched_new_lines)
            jobs.append(Job(file.path, text, lines))
        total = min(request.config.verify_total, max(0.5, deadline - time.monotonic() - 0.5))
        verdicts = run(jobs, request.config.verify_timeout, total, scan(texts))
        counts = {s: sum(v.status == s for v in verdicts) for s in ("proved", "refuted", "unknown")}
        detail = (
            f"{counts['proved']} proved, {counts['refuted']} refuted, "
            f"{counts['unknown']} not checked"
        )

        undecided = sum(v.reason == BUDGET_REASON for v in verdicts)
        if undecided:
            detail += f" ({undecided} for lack of time: the verify budget was spent)"
        return AnalyzerOutput(
            findings=tuple(findings(verdicts, self.name)), verdicts=tuple(verdicts), detail=detail
        )
