"""List methods: append, extend, insert, pop, remove, index, count, clear, copy, sort and
reverse, on lists of atomic values held by a name the executor can store back to (and
append on a list of composite values of known length)."""

from __future__ import annotations

import ast
from collections.abc import Callable

import z3

from verify.builtins.common import Rebind
from verify.core import Core
from verify.operations import same_elem
from verify.state import LOOP_BOUND, Path
from verify.values import (
    BListV,
    IntV,
    NoneV,
    SeqV,
    Unsupported,
    Value,
    atomic,
    atomic_expr,
    to_int,
)

_Outcome = tuple[Path, Value | None] | None
# A reading method: (executor, receiver, args, path, line); None where the arguments do not
# fit, so the call stays unsupported.
_Reader = Callable[[Core, SeqV, list[Value], Path, int], _Outcome]
# A mutating method also stores the new list back through `rebind`; it reads the call's
# keywords (sort and reverse take none we model).
_Mutator = Callable[[Core, SeqV, str, list[Value], Rebind, ast.Call, Path, int], _Outcome]


def _copy(ex: Core, receiver: SeqV, args: list[Value], path: Path, line: int) -> _Outcome:
    return (path, SeqV(receiver.e, receiver.elem)) if not args else None


def _count_method(ex: Core, receiver: SeqV, args: list[Value], path: Path, line: int) -> _Outcome:
    return (path, _count(ex, receiver, args[0], line)) if len(args) == 1 else None


def _index(ex: Core, receiver: SeqV, args: list[Value], path: Path, line: int) -> _Outcome:
    if len(args) != 1:
        return None
    s = receiver.e
    unit = z3.Unit(atomic_expr(args[0], receiver.elem, line))
    path = ex.unless(path, z3.Contains(s, unit), "ValueError", "the item is in the list", line)
    return path, IntV(z3.IndexOf(s, unit, 0))


def _append(
    ex: Core,
    receiver: SeqV,
    method: str,
    args: list[Value],
    rebind: Rebind,
    node: ast.Call,
    path: Path,
    line: int,
) -> _Outcome:
    if len(args) != 1:
        return None
    element = atomic_expr(args[0], receiver.elem, line)
    return rebind(path, SeqV(z3.Concat(receiver.e, z3.Unit(element)), receiver.elem)), NoneV()


def _extend(
    ex: Core,
    receiver: SeqV,
    method: str,
    args: list[Value],
    rebind: Rebind,
    node: ast.Call,
    path: Path,
    line: int,
) -> _Outcome:
    if len(args) != 1:
        return None
    other = args[0]
    if not isinstance(other, SeqV):
        raise Unsupported("extend() with a non-sequence", line, "method:list.extend")
    _, other = same_elem(receiver, other, line)
    return rebind(path, SeqV(z3.Concat(receiver.e, other.e), receiver.elem)), NoneV()


def _pop(
    ex: Core,
    receiver: SeqV,
    method: str,
    args: list[Value],
    rebind: Rebind,
    node: ast.Call,
    path: Path,
    line: int,
) -> _Outcome:
    if len(args) > 1:
        return None
    s = receiver.e
    size = z3.Length(s)
    index = to_int(args[0], line) if args else size - 1
    path = ex.unless(
        path,
        z3.And(size > 0, index >= -size, index < size),
        "IndexError",
        "pop from a non-empty list, in range",
        line,
    )
    at = z3.If(index < 0, size + index, index)
    rest = z3.Concat(z3.Extract(s, 0, at), z3.Extract(s, at + 1, size - at - 1))
    return rebind(path, SeqV(rest, receiver.elem)), atomic(receiver.elem, s[at])


def _insert(
    ex: Core,
    receiver: SeqV,
    method: str,
    args: list[Value],
    rebind: Rebind,
    node: ast.Call,
    path: Path,
    line: int,
) -> _Outcome:
    if len(args) != 2:
        return None
    s = receiver.e
    size = z3.Length(s)
    index = to_int(args[0], line)
    # Python clamps the position into the list rather than failing.
    at = z3.If(
        index < 0, z3.If(size + index < 0, 0, size + index), z3.If(index > size, size, index)
    )
    unit = z3.Unit(atomic_expr(args[1], receiver.elem, line))
    updated = z3.Concat(z3.Extract(s, 0, at), unit, z3.Extract(s, at, size - at))
    return rebind(path, SeqV(updated, receiver.elem)), NoneV()


def _remove(
    ex: Core,
    receiver: SeqV,
    method: str,
    args: list[Value],
    rebind: Rebind,
    node: ast.Call,
    path: Path,
    line: int,
) -> _Outcome:
    if len(args) != 1:
        return None
    s = receiver.e
    size = z3.Length(s)
    unit = z3.Unit(atomic_expr(args[0], receiver.elem, line))
    path = ex.unless(path, z3.Contains(s, unit), "ValueError", "the item is in the list", line)
    at = z3.IndexOf(s, unit, 0)
    rest = z3.Concat(z3.Extract(s, 0, at), z3.Extract(s, at + 1, size - at - 1))
    return rebind(path, SeqV(rest, receiver.elem)), NoneV()


def _clear(
    ex: Core,
    receiver: SeqV,
    method: str,
    args: list[Value],
    rebind: Rebind,
    node: ast.Call,
    path: Path,
    line: int,
) -> _Outcome:
    if args:
        return None
    return rebind(path, SeqV(z3.Empty(receiver.e.sort()), receiver.elem)), NoneV()


def _reorder(
    ex: Core,
    receiver: SeqV,
    method: str,
    args: list[Value],
    rebind: Rebind,
    node: ast.Call,
    path: Path,
    line: int,
) -> _Outcome:
    """sort and reverse, without arguments (a key or `reverse=` is not modelled)."""
    if args or node.keywords:
        return None
    from verify.builtins.containers import sorted_seq

    if method == "sort":
        return rebind(path, sorted_seq(ex, receiver, False)), NoneV()
    s = receiver.e
    size = z3.Length(s)
    flipped = ex.ctx.fresh("reversed", s.sort())
    ex.ctx.facts.append(z3.Length(flipped) == size)
    for i in range(LOOP_BOUND):
        ex.ctx.facts.append(z3.Implies(i < size, flipped[i] == s[size - 1 - i]))
    ex.abstract(size > LOOP_BOUND, f"reversed elements past the first {LOOP_BOUND} left open")
    return rebind(path, SeqV(flipped, receiver.elem)), NoneV()


_READERS: dict[str, _Reader] = {"copy": _copy, "count": _count_method, "index": _index}
_MUTATORS: dict[str, _Mutator] = {
    "append": _append,
    "extend": _extend,
    "insert": _insert,
    "pop": _pop,
    "remove": _remove,
    "clear": _clear,
    "sort": _reorder,
    "reverse": _reorder,
}
_MUTATING = set(_MUTATORS)
_READING = set(_READERS)


def list_method(
    ex: Core,
    receiver: Value,
    method: str,
    args: list[Value],
    rebind: Rebind | None,
    node: ast.Call,
    path: Path,
    line: int,
) -> tuple[Path, Value | None] | None:
    if not isinstance(receiver, SeqV | BListV) or (receiver.tuple_like and method in _MUTATING):
        return None
    if method not in _MUTATING | _READING:
        return None
    if method in _MUTATING and rebind is None:
        raise Unsupported(
            f"`{method}` on an object that may be shared (aliasing)", line, "alias:mutation"
        )
    if isinstance(receiver, BListV):
        return _composite(receiver, method, args, rebind, path, line)
    reader = _READERS.get(method)
    if reader is not None:
        outcome = reader(ex, receiver, args, path, line)
        if outcome is not None:
            return outcome
    assert rebind is not None
    mutator = _MUTATORS.get(method)
    if mutator is None:
        return None
    return mutator(ex, receiver, method, args, rebind, node, path, line)


def _count(ex: Core, receiver: SeqV, item: Value, line: int) -> IntV:
    element = atomic_expr(item, receiver.elem, line)
    size = z3.Length(receiver.e)
    total: z3.ArithRef = z3.IntVal(0)
    for i in range(LOOP_BOUND):
        total = total + z3.If(z3.And(i < size, receiver.e[i] == element), 1, 0)
    rest = ex.ctx.fresh("count", z3.IntSort())
    ex.ctx.facts.append(z3.And(rest >= 0, rest <= size - LOOP_BOUND))
    ex.abstract(size > LOOP_BOUND, f"list.count past the first {LOOP_BOUND} items left open")
    return IntV(z3.If(size > LOOP_BOUND, total + rest, total))


def _composite(
    receiver: BListV, method: str, args: list[Value], rebind: Rebind | None, path: Path, line: int
) -> tuple[Path, Value | None] | None:
    known = z3.simplify(receiver.length)
    if (
        method == "append"
        and len(args) == 1
        and rebind is not None
        and z3.is_int_value(known)
        and known.as_long() == len(receiver.items)
        and not receiver.ids
    ):
        updated = BListV(z3.IntVal(len(receiver.items) + 1), (*receiver.items, args[0]))
        return rebind(path, updated), NoneV()
    if method == "copy" and not args:
        return path, BListV(receiver.length, receiver.items, receiver.ids)
    raise Unsupported(
        f"`{method}` on a list of composite values", line, f"method:list.{method}(composite)"
    )
