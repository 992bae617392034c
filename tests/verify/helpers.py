"""Helpers for the verify tests: verdicts of a source, and replaying a counterexample by
calling the function (test code only: redline never executes what it verifies)."""

from __future__ import annotations

import ast
import textwrap
from typing import Any

from bot.core.model import Verdict
from verify.check import verify_source


def verdicts(source: str, timeout: float = 5.0) -> list[Verdict]:
    return list(verify_source(textwrap.dedent(source), "case.py", timeout))


def table(source: str, timeout: float = 5.0) -> dict[tuple[str, str], Verdict]:
    """(function, condition) -> verdict."""
    return {(v.function, v.condition): v for v in verdicts(source, timeout)}


class ReplayRandom:
    """A random source that makes the counterexample's picks, in order."""

    def __init__(self, picks: list[list[Any]]) -> None:
        self.picks = list(picks)

    def _next(self, method: str) -> Any:
        made, value = self.picks.pop(0)
        assert made == method, (made, method)
        return value

    def choice(self, seq: Any) -> Any:
        return seq[self._next("choice")]

    def randint(self, low: int, high: int) -> int:
        return int(self._next("randint"))


def _python(value: Any, hint: str) -> Any:
    """A JSON counterexample value as the Python value of the hinted type."""
    if isinstance(value, dict) and "random" in value:
        return ReplayRandom(value["random"])
    if hint.startswith(("Set[", "set[", "FrozenSet[")) and isinstance(value, list):
        return set(value)
    if hint.startswith(("Tuple[", "tuple[")) and isinstance(value, list):
        inner = hint[6:-1].split(", ")
        return tuple(
            _python(v, inner[0] if inner[-1] == "..." else inner[min(i, len(inner) - 1)])
            for i, v in enumerate(value)
        )
    if hint.startswith(("Dict[int", "dict[int")) and isinstance(value, dict):
        return {int(k): v for k, v in value.items()}
    return value


def replay(source: str, verdict: Verdict) -> tuple[str, Any]:
    """Call the function on the counterexample: ("returns", value) or ("raises", name)."""
    namespace: dict[str, Any] = {}
    exec(textwrap.dedent(source), namespace)  # the test's own source, not a reviewed file
    assert verdict.counterexample is not None
    name = verdict.function.rsplit(".", 1)[-1]
    tree = ast.parse(textwrap.dedent(source))
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == name)
    hints = {a.arg: ast.unparse(a.annotation) if a.annotation else "" for a in node.args.args}
    args = {k: _python(v, hints.get(k, "")) for k, v in verdict.counterexample["args"].items()}  # type: ignore[union-attr]
    function = namespace[name]

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
