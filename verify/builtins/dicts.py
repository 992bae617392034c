"""dict methods: get."""

from __future__ import annotations

import z3

from verify.builtins.common import Rebind
from verify.core import Core
from verify.state import Path
from verify.values import DictV, NoneV, Value, atomic, atomic_expr, merge


def dict_method(
    ex: Core,
    receiver: Value,
    method: str,
    args: list[Value],
    rebind: Rebind | None,
    path: Path,
    line: int,
) -> tuple[Path, Value | None] | None:
    if isinstance(receiver, DictV) and method == "get" and args:
        key = atomic_expr(args[0], receiver.key, line)
        found = atomic(receiver.value, z3.Select(receiver.val, key))
        default = args[1] if len(args) > 1 else NoneV()
        return path, merge(z3.Select(receiver.has, key), found, default, line)
    return None
