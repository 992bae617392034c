"""dict methods: get, keys, values, items, setdefault, pop, update, copy and clear, on dicts
given as arrays (parameters) and dicts built in the function (entries)."""

from __future__ import annotations

import ast

import z3

from verify.builtins.common import Rebind
from verify.core import Core
from verify.operations import equal, merge
from verify.state import Path, Stream
from verify.values import AssocV, DictV, NoneV, TupleV, Unsupported, Value, atomic, atomic_expr


def dict_method(
    ex: Core,
    receiver: Value,
    method: str,
    args: list[Value],
    rebind: Rebind | None,
    node: ast.Call,
    path: Path,
    line: int,
) -> tuple[Path, Value | None] | None:
    if isinstance(receiver, DictV):
        return _array_method(ex, receiver, method, args, rebind, path, line)
    if isinstance(receiver, AssocV):
        return _entries_method(ex, receiver, method, args, rebind, path, line)
    return None


def _array_method(
    ex: Core, d: DictV, method: str, args: list[Value], rebind: Rebind | None, path: Path, line: int
) -> tuple[Path, Value | None] | None:
    if method in ("get", "pop", "setdefault") and args:
        key = atomic_expr(args[0], d.key, line)
        present = z3.Select(d.has, key)
        found = atomic(d.value, z3.Select(d.val, key))
        default = args[1] if len(args) > 1 else NoneV()
        if method == "get":
            return path, merge(present, found, default, line)
        if rebind is None:
            raise Unsupported(f"`{method}` on a dict that may be shared", line, "alias:mutation")
        if method == "pop":
            if len(args) == 1:
                path = ex.unless(path, present, "KeyError", "the key is in the dict", line)
            removed = DictV(
                z3.Store(d.has, key, False), d.val, d.key, d.value, d.size - z3.If(present, 1, 0)
            )
            return rebind(path, removed), merge(present, found, default, line)
        value = atomic_expr(default, d.value, line)
        stored = DictV(
            z3.Store(d.has, key, True),
            z3.If(present, d.val, z3.Store(d.val, key, value)),
            d.key,
            d.value,
            d.size + z3.If(present, 0, 1),
        )
        return rebind(path, stored), merge(present, found, default, line)
    if method in ("keys", "values", "items") and not args:
        stream = ex.stream(d, path, line)[1]
        elements = []
        for present, key in stream.elements:
            value = atomic(d.value, z3.Select(d.val, atomic_expr(key, d.key, line)))
            item = (
                key if method == "keys" else value if method == "values" else TupleV((key, value))
            )
            elements.append((present, item))
        return path, ex.from_stream(Stream(elements, stream.more, stream.size), line)
    if method == "copy" and not args:
        return path, d
    if method == "clear" and not args and rebind is not None:
        empty = DictV(z3.K(d.has.domain(), z3.BoolVal(False)), d.val, d.key, d.value, z3.IntVal(0))
        return rebind(path, empty), NoneV()
    return None


def _entries_method(
    ex: Core,
    d: AssocV,
    method: str,
    args: list[Value],
    rebind: Rebind | None,
    path: Path,
    line: int,
) -> tuple[Path, Value | None] | None:
    if method == "get" and args:
        default = args[1] if len(args) > 1 else NoneV()
        result = default
        for present, key, value in d.entries:
            result = merge(z3.And(present, equal(key, args[0], line)), value, result, line)
        return path, result
    if method in ("keys", "values", "items") and not args:
        from verify.loops import _unique

        elements = []
        for first, key, _ in _unique(d):
            value = _last_value(d, key, line)
            item = (
                key if method == "keys" else value if method == "values" else TupleV((key, value))
            )
            elements.append((first, item))
        return path, ex.from_stream(Stream(elements, z3.BoolVal(False), None), line)
    if method == "copy" and not args:
        return path, d
    if rebind is None:
        return None
    if method == "setdefault" and args:
        default = args[1] if len(args) > 1 else NoneV()
        inside = ex.contains(d, args[0], line)
        current = _last_value(d, args[0], line) if d.entries else default
        updated = AssocV((*d.entries, (z3.Not(inside), args[0], default)))
        return rebind(path, updated), merge(inside, current, default, line)
    if method == "update" and len(args) == 1 and isinstance(args[0], AssocV):
        return rebind(path, AssocV(d.entries + args[0].entries)), NoneV()
    if method == "clear" and not args:
        return rebind(path, AssocV(())), NoneV()
    return None


def _last_value(d: AssocV, key: Value, line: int) -> Value:
    result: Value | None = None
    for present, k, v in d.entries:
        result = (
            v if result is None else merge(z3.And(present, equal(k, key, line)), v, result, line)
        )
    return result if result is not None else NoneV()
