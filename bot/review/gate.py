"""The merge gate: a pure decision over the reported findings, the analyzer runs and what the
dangerous-code rules could not read.

Failing closed (the `fail-closed` policy, "rules" by default): a dangerous-code analyzer that
could not run (an error, a timeout, not installed) or a file it could not read fails the gate;
with "all", any analyzer that could not run does too. Only the base's explicit "off" (or
`fail-on = "never"`) lets such a review pass."""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.model import SEVERITY_RANK, AnalyzerRun, Finding, Gate, Skipped
from bot.core.policy import RULE_PACK, Config

_FAIL_RANK = {"error": 3, "warning": 2, "never": 99}
_NOT_RUN = ("error", "timeout")


def _could_not_run(run: AnalyzerRun, config: Config) -> bool:
    if config.fail_closed == "all":
        return run.status in _NOT_RUN or (run.status == "skipped" and not _disabled(run))
    if config.fail_closed == "rules" and run.name in RULE_PACK:
        return run.status in _NOT_RUN or (run.status == "skipped" and not _disabled(run))
    return False


def _disabled(run: AnalyzerRun) -> bool:
    return (run.detail or "").startswith("disabled in .redline.toml")


def decide(
    findings: Iterable[Finding],
    runs: Iterable[AnalyzerRun],
    config: Config,
    unscanned: Iterable[Skipped] = (),
) -> Gate:
    reasons = [
        f"{f.source}: {f.rule} at {f.path}:{f.line}"
        for f in findings
        if SEVERITY_RANK[f.severity] >= _FAIL_RANK[config.fail_on_for(f.path)]
    ]
    if config.fails_closed:
        reasons += [
            f"{r.name}: could not run ({r.status}: {r.detail or 'no detail'})"
            for r in runs
            if _could_not_run(r, config)
        ]
        reasons += [f"coverage: {s.path} not read by the rules ({s.reason})" for s in unscanned]
    return Gate(failed=bool(reasons), reasons=tuple(reasons), fail_on=config.fail_on)
