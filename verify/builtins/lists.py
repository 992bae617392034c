"""List methods: append, extend, insert, pop, remove, index, count, clear, copy, sort and
reverse, on lists of atomic values held by a name the executor can store back to (and
append on a list of composite values of known length)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

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


@dataclass(frozen=True)
class _Call:
    """A mutating method's call on a list of atomic values, with its arguments counted already,
    and `rebind`, which stores the new list back into the name that holds it."""

    ex: Core
    receiver: SeqV
    method: str
    args: list[Value]
    rebind: Rebind
    node: ast.Call  # for its keywords (sort and reverse take none we model)
    path: Path
    line: int

    def store(self, updated: z3.SeqRef, path: Path | None = None) -> _Outcome:
        """The list becomes `updated` on `path` (the call's own by default); the call is None."""
        on = self.path if path is None else path
        return self.rebind(on, SeqV(updated, self.receiver.elem)), NoneV()


_Mutator = Callable[[_Call], _Outcome]


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


def _append(call: _Call) -> _Outcome:
    element = atomic_expr(call.args[0], call.receiver.elem, call.line)
    return call.store(z3.Concat(call.receiver.e, z3.Unit(element)))


def _extend(call: _Call) -> _Outcome:
    other = call.args[0]
    if not isinstance(other, SeqV):
        raise Unsupported("extend() with a non-sequence", call.line, "method:list.extend")
    _, other = same_elem(call.receiver, other, call.line)
    return call.store(z3.Concat(call.receiver.e, other.e))


def _pop(call: _Call) -> _Outcome:
    s, receiver, line = call.receiver.e, call.receiver, call.line
    size = z3.Length(s)
    index = to_int(call.args[0], line) if call.args else size - 1
    path = call.ex.unless(
        call.path,
        z3.And(size > 0, index >= -size, index < size),
        "IndexError",
        "pop from a non-empty list, in range",
        line,
    )
    at = z3.If(index < 0, size + index, index)
    rest = z3.Concat(z3.Extract(s, 0, at), z3.Extract(s, at + 1, size - at - 1))
    return call.rebind(path, SeqV(rest, receiver.elem)), atomic(receiver.elem, s[at])


def _insert(call: _Call) -> _Outcome:
    s = call.receiver.e
    size = z3.Length(s)
    index = to_int(call.args[0], call.line)
    # Python clamps the position into the list rather than failing.
    at = z3.If(
        index < 0, z3.If(size + index < 0, 0, size + index), z3.If(index > size, size, index)
    )
    unit = z3.Unit(atomic_expr(call.args[1], call.receiver.elem, call.line))
    return call.store(z3.Concat(z3.Extract(s, 0, at), unit, z3.Extract(s, at, size - at)))


def _remove(call: _Call) -> _Outcome:
    s, line = call.receiver.e, call.line
    size = z3.Length(s)
    unit = z3.Unit(atomic_expr(call.args[0], call.receiver.elem, line))
    path = call.ex.unless(
        call.path, z3.Contains(s, unit), "ValueError", "the item is in the list", line
    )
    at = z3.IndexOf(s, unit, 0)
    rest = z3.Concat(z3.Extract(s, 0, at), z3.Extract(s, at + 1, size - at - 1))
    return call.store(rest, path)


def _clear(call: _Call) -> _Outcome:
    return call.store(z3.Empty(call.receiver.e.sort()))


def _reorder(call: _Call) -> _Outcome:
    """sort and reverse, without arguments (a key or `reverse=` is not modelled)."""
    if call.node.keywords:
        return None
    from verify.builtins.containers import sorted_seq

    ex, receiver = call.ex, call.receiver
    if call.method == "sort":
        return call.rebind(call.path, sorted_seq(ex, receiver, False)), NoneV()
    s = receiver.e
    size = z3.Length(s)
    flipped = ex.ctx.fresh("reversed", s.sort())
    ex.ctx.facts.append(z3.Length(flipped) == size)
    for i in range(LOOP_BOUND):
        ex.ctx.facts.append(z3.Implies(i < size, flipped[i] == s[size - 1 - i]))
    ex.abstract(size > LOOP_BOUND, f"reversed elements past the first {LOOP_BOUND} left open")
    return call.store(flipped)


_READERS: dict[str, _Reader] = {"copy": _copy, "count": _count_method, "index": _index}
# Each mutating method, with the numbers of positional arguments it is modelled with.
_MUTATORS: dict[str, tuple[_Mutator, frozenset[int]]] = {
    "append": (_append, frozenset({1})),
    "extend": (_extend, frozenset({1})),
    "insert": (_insert, frozenset({2})),
    "pop": (_pop, frozenset({0, 1})),
    "remove": (_remove, frozenset({1})),
    "clear": (_clear, frozenset({0})),
    "sort": (_reorder, frozenset({0})),
    "reverse": (_reorder, frozenset({0})),
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
        # A reader's arguments that do not fit leave the call unsupported; it never falls
        # through to the mutators (with no way to store the list back, that was a crash).
        return reader(ex, receiver, args, path, line)
    mutator, arities = _MUTATORS[method]
    if rebind is None or len(args) not in arities:
        return None
    return mutator(_Call(ex, receiver, method, args, rebind, node, path, line))


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
