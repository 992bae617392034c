"""The merge gate: a pure decision over the reported findings and analyzer runs."""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.model import SEVERITY_RANK, AnalyzerRun, Finding, Gate
from bot.core.policy import Config

_FAIL_RANK = {"error": 3, "warning": 2, "never": 99}


def decide(findings: Iterable[Finding], runs: Iterable[AnalyzerRun], config: Config) -> Gate:
    reasons = [
        f"{f.source}: {f.rule} at {f.path}:{f.line}"
        for f in findings
        if SEVERITY_RANK[f.severity] >= _FAIL_RANK[config.fail_on_for(f.path)]
    ]
    if config.fail_closed and config.fail_on != "never":
        # Fail closed: a check that could not run counts against the merge.
        reasons += [
            f"{r.name}: did not complete ({r.status})"
            for r in runs
            if r.status in ("error", "timeout")
        ]
    return Gate(failed=bool(reasons), reasons=tuple(reasons), fail_on=config.fail_on)
