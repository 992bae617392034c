"""Helpers for the verify tests: verdicts of a source, and replaying a counterexample by
calling the function (test code only: redline never executes what it verifies)."""

from __future__ import annotations

import textwrap
from typing import Any

from bot.core.model import Verdict
from verify.check import verify_source


def verdicts(source: str, timeout: float = 5.0) -> list[Verdict]:
    return list(verify_source(textwrap.dedent(source), "case.py", timeout))


def table(source: str, timeout: float = 5.0) -> dict[tuple[str, str], Verdict]:
    """(function, condition) -> verdict."""
    return {(v.function, v.condition): v for v in verdicts(source, timeout)}


def replay(source: str, verdict: Verdict) -> tuple[str, Any]:
    """Call the function on the counterexample: ("returns", value) or ("raises", name)."""
    namespace: dict[str, Any] = {}
    exec(textwrap.dedent(source), namespace)  # the test's own source, not a reviewed file
    assert verdict.counterexample is not None
    args = dict(verdict.counterexample["args"])  # type: ignore[arg-type]
    function = namespace[verdict.function.rsplit(".", 1)[-1]]
    if "aliases" in verdict.counterexample:
        for alias in verdict.counterexample["aliases"]:  # type: ignore[attr-defined]
            first, second = alias.split(" is ")
            args[second] = args[first]
    try:
        return "returns", function(**args)
    except Exception as exc:  # the behaviour the refutation names
        return "raises", type(exc).__name__


def holds(source: str, verdict: Verdict) -> bool:
    """Whether the refuted condition, checked in Python on the replayed call, fails."""
    outcome, value = replay(source, verdict)
    example = verdict.counterexample or {}
    if "raises" in example:
        return outcome == "raises" and value == example["raises"]
    return outcome == "returns" and value == example.get("returns")
