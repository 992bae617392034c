"""List methods: append, extend and pop (without an index), on lists of atomic values held by
a name the executor can store back to."""

from __future__ import annotations

import z3

from verify.builtins.common import Rebind
from verify.core import Core
from verify.state import Path
from verify.values import BListV, NoneV, SeqV, Unsupported, Value, atomic, atomic_expr, same_elem


def list_method(
    ex: Core,
    receiver: Value,
    method: str,
    args: list[Value],
    rebind: Rebind | None,
    path: Path,
    line: int,
) -> tuple[Path, Value | None] | None:
    if not (isinstance(receiver, SeqV | BListV) and method in ("append", "pop", "extend")):
        return None
    if rebind is None:
        raise Unsupported(f"`{method}` on an object that may be shared (aliasing)", line)
    if isinstance(receiver, BListV):
        raise Unsupported(f"`{method}` on a list of composite values", line)
    if method == "append":
        element = atomic_expr(args[0], receiver.elem, line)
        updated = SeqV(z3.Concat(receiver.e, z3.Unit(element)), receiver.elem)
        return rebind(path, updated), NoneV()
    if method == "extend":
        other = args[0]
        if not isinstance(other, SeqV):
            raise Unsupported("extend() with a non-sequence", line)
        _, other = same_elem(receiver, other, line)
        return rebind(path, SeqV(z3.Concat(receiver.e, other.e), receiver.elem)), NoneV()
    size = z3.Length(receiver.e)
    if args:
        raise Unsupported("pop() with an index", line)
    ex.oblige(path, "raise", "pop from a non-empty list", line, size > 0, "IndexError")
    last = atomic(receiver.elem, receiver.e[size - 1])
    rest = SeqV(z3.Extract(receiver.e, 0, size - 1), receiver.elem)
    return rebind(path.add(size > 0), rest), last
