"""random.Random methods: choice and randint, as nondeterministic picks the counterexample
names (replayed through the oracle when it is confirmed)."""

from __future__ import annotations

import z3

from verify.builtins.common import Rebind
from verify.core import Core
from verify.state import Path
from verify.values import IntV, RandomV, Value, length, to_int


def random_method(
    ex: Core,
    receiver: Value,
    method: str,
    args: list[Value],
    rebind: Rebind | None,
    path: Path,
    line: int,
) -> tuple[Path, Value | None] | None:
    if not isinstance(receiver, RandomV):
        return None
    if method == "choice" and args:
        size = length(args[0], line)
        ex.oblige(path, "raise", "choice from a non-empty sequence", line, size > 0, "IndexError")
        pick = ex.ctx.fresh(f"{receiver.name}.choice", z3.IntSort())
        chosen = path.add(z3.And(pick >= 0, pick < size))
        return chosen, ex.index(args[0], IntV(pick), chosen, line, "choice")
    if method == "randint" and len(args) == 2:
        pick = ex.ctx.fresh(f"{receiver.name}.randint", z3.IntSort())
        low, high = to_int(args[0], line), to_int(args[1], line)
        return path.add(z3.And(pick >= low, pick <= high)), IntV(pick)
    return None
