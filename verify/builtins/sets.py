"""set methods: add, discard, remove, union, intersection, difference, issubset, issuperset,
isdisjoint and copy, on sets as membership arrays with a size."""

from __future__ import annotations

import ast

import z3

from verify.builtins.common import Rebind
from verify.core import Core
from verify.state import Path
from verify.values import SORTS, BoolV, NoneV, SetV, Unsupported, Value, atomic_expr


def set_method(
    ex: Core,
    receiver: Value,
    method: str,
    args: list[Value],
    rebind: Rebind | None,
    node: ast.Call,
    path: Path,
    line: int,
) -> tuple[Path, Value | None] | None:
    if not isinstance(receiver, SetV):
        return None
    if method in ("add", "discard", "remove") and len(args) == 1:
        if rebind is None:
            raise Unsupported(f"`{method}` on a set that may be shared", line, "alias:mutation")
        element = atomic_expr(args[0], receiver.elem, line)
        present = z3.Select(receiver.has, element)
        if method == "add":
            grown = SetV(
                z3.Store(receiver.has, element, True),
                receiver.elem,
                receiver.size + z3.If(present, 0, 1),
            )
            return rebind(path, grown), NoneV()
        if method == "remove":
            path = ex.unless(path, present, "KeyError", "the item is in the set", line)
        shrunk = SetV(
            z3.Store(receiver.has, element, False),
            receiver.elem,
            receiver.size - z3.If(present, 1, 0),
        )
        return rebind(path, shrunk), NoneV()
    if (
        method in ("issubset", "issuperset", "isdisjoint")
        and len(args) == 1
        and isinstance(args[0], SetV)
    ):
        other = args[0]
        key = z3.Const("k", SORTS[receiver.elem])
        a, b = z3.Select(receiver.has, key), z3.Select(other.has, key)
        relation = {
            "issubset": z3.Implies(a, b),
            "issuperset": z3.Implies(b, a),
            "isdisjoint": z3.Not(z3.And(a, b)),
        }[method]
        return path, BoolV(z3.ForAll([key], relation))
    if method in ("union", "intersection", "difference", "symmetric_difference") and len(args) == 1:
        op = {
            "union": ast.BitOr(),
            "intersection": ast.BitAnd(),
            "difference": ast.Sub(),
            "symmetric_difference": ast.BitXor(),
        }[method]
        return ex.binary(op, receiver, args[0], path, line)
    if method == "copy" and not args:
        return path, receiver
    return None
