"""Spec verification as an analyzer: the contracts of changed Python functions are proved or
refuted (with a confirmed counterexample) by verify/; refutations become findings, and every
verdict is listed in the review's summary."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping

from bot.core.model import Finding
from bot.core.paths import is_test_path
from bot.core.ports import AnalysisRequest, AnalyzerOutput

_KIND = {
    "pre": "precondition",
    "post": "postcondition",
    "assert": "assertion",
    "invariant": "invariant",
    "raise": "safety property",
}


def describe_call(function: str, example: dict[str, object]) -> str:
    args = example.get("args") or {}
    assert isinstance(args, dict)
    shown = ", ".join(f"{k}={json.dumps(v)}" for k, v in args.items() if k != "self")
    name = function.rsplit(".", 1)[-1]
    text = f"`{name}({shown})`"
    if "raises" in example:
        return f"{text}, which raises {example['raises']}"
    return f"{text}, which returns {json.dumps(example.get('returns'))}"


class VerifyAnalyzer:
    name = "verify"
    version = "1"
    default_budget = 30.0
    thresholds: Mapping[str, float] = {}

    def analyze(self, request: AnalysisRequest, deadline: float) -> AnalyzerOutput:
        from verify.runner import Job, run

        jobs = []
        for file in request.diff.files:
            text = request.text(file.path)
            if file.language != "python" or text is None or not file.added_count:
                continue
            if is_test_path(file.path):
                continue  # tests assert on purpose; their asserts are not contracts
            lines = frozenset(n for h in file.hunks for n in h.touched_new_lines)
            jobs.append(Job(file.path, text, lines))
        total = min(request.config.verify_total, max(0.5, deadline - time.monotonic() - 0.5))
        verdicts = run(jobs, request.config.verify_timeout, total)
        findings = []
        for v in verdicts:
            if v.status == "refuted" and v.counterexample is not None:
                findings.append(
                    Finding(
                        path=v.path,
                        line=v.line,
                        end_line=v.line,
                        severity="error",
                        source=self.name,
                        rule=f"{v.kind}-refuted",
                        message=(
                            f"The {_KIND.get(v.kind, v.kind)} of `{v.function}` "
                            f"(`{v.condition}`) is violated by "
                            f"{describe_call(v.function, v.counterexample)}."
                            + (f" ({v.reason})" if v.reason else "")
                        ),
                        score=1.0,
                    )
                )
        counts = {
            s: sum(1 for v in verdicts if v.status == s) for s in ("proved", "refuted", "unknown")
        }
        return AnalyzerOutput(
            findings=tuple(findings),
            verdicts=tuple(verdicts),
            detail=f"{counts['proved']} proved, {counts['refuted']} refuted, "
            f"{counts['unknown']} not checked",
        )
