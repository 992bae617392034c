"""Random sources: a `random.Random` parameter's choice, randint, random and uniform, and the
same functions of the `random` module, as nondeterministic picks the counterexample names
(replayed through the oracle when it is confirmed)."""

from __future__ import annotations

import ast

import z3

from verify.builtins.common import Rebind, call_args
from verify.core import Core
from verify.operations import length
from verify.state import Path, Results
from verify.values import IntV, RandomV, RealV, Value, to_int, to_real


def random_method(
    ex: Core,
    receiver: Value,
    method: str,
    args: list[Value],
    rebind: Rebind | None,
    node: ast.Call,
    path: Path,
    line: int,
) -> tuple[Path, Value | None] | None:
    if not isinstance(receiver, RandomV):
        return None
    return pick(ex, receiver.name, method, args, path, line)


def pick(
    ex: Core, source: str, method: str, args: list[Value], path: Path, line: int
) -> tuple[Path, Value | None] | None:
    if method == "choice" and len(args) == 1:
        size = length(args[0], line)
        path = ex.unless(path, size > 0, "IndexError", "choice from a non-empty sequence", line)
        index = ex.ctx.choice(f"{source}.choice", z3.IntSort())
        chosen = path.add(z3.And(index >= 0, index < size))
        return ex.index(args[0], IntV(index), chosen, line, "choice")
    if method in ("randint", "randrange") and len(args) == 2:
        value = ex.ctx.choice(f"{source}.{method}", z3.IntSort())
        low, high = to_int(args[0], line), to_int(args[1], line)
        if method == "randrange":
            path = ex.unless(path, low < high, "ValueError", "an empty range", line)
            return path.add(z3.And(value >= low, value < high)), IntV(value)
        path = ex.unless(path, low <= high, "ValueError", "an empty range", line)
        return path.add(z3.And(value >= low, value <= high)), IntV(value)
    if method in ("random", "uniform") and len(args) == (0 if method == "random" else 2):
        ex.ctx.reals = True
        value = ex.ctx.choice(f"{source}.{method}", z3.RealSort())
        if method == "random":
            return path.add(z3.And(value >= 0, value < 1)), RealV(value)
        low, high = to_real(args[0], line), to_real(args[1], line)
        between = z3.Or(z3.And(value >= low, value <= high), z3.And(value >= high, value <= low))
        return path.add(between), RealV(value)
    return None


def module_random(method: str):  # type: ignore[no-untyped-def]
    def run(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
        out: Results = []
        for p, args in call_args(ex, node, path):
            outcome = pick(ex, "random", method, args, p, line)
            if outcome is None:
                return ex.opaque_call(node, path, line, f"`random.{method}`")
            out.append(outcome)
        return out

    return run


RANDOM = {
    f"random.{m}": module_random(m) for m in ("choice", "randint", "randrange", "random", "uniform")
}
