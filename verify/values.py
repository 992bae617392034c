"""Symbolic values for the translator: Python's int, bool, float (as real), str, None,
tuples, homogeneous sequences (Z3 sequences), bounded lists of composite values, dicts as
arrays, uninterpreted callables, objects of the module's classes, and random sources."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import z3


class Unsupported(Exception):
    """A construct the translator does not model: the verdict is unknown, never wrong."""

    def __init__(self, what: str, line: int = 0) -> None:
        super().__init__(f"{what} (line {line})" if line else what)
        self.what = what
        self.line = line


class Value:
    kind = "value"


@dataclass(frozen=True, eq=False)
class IntV(Value):
    e: z3.ArithRef
    kind = "int"


@dataclass(frozen=True, eq=False)
class RealV(Value):
    e: z3.ArithRef
    kind = "float"


@dataclass(frozen=True, eq=False)
class BoolV(Value):
    e: z3.BoolRef
    kind = "bool"


@dataclass(frozen=True, eq=False)
class StrV(Value):
    e: z3.SeqRef
    kind = "str"


@dataclass(frozen=True, eq=False)
class NoneV(Value):
    kind = "none"


@dataclass(frozen=True, eq=False)
class TupleV(Value):
    items: tuple[Value, ...]
    kind = "tuple"


@dataclass(frozen=True, eq=False)
class SeqV(Value):
    """A list/tuple of atomic elements of one type, of symbolic length."""

    e: z3.SeqRef
    elem: str  # int | float | bool | str
    tuple_like: bool = False
    kind = "list"


@dataclass(frozen=True, eq=False)
class BListV(Value):
    """A list of composite values: symbolic length, at most len(items) elements modelled."""

    length: z3.ArithRef
    items: tuple[Value, ...]
    # Object identity of the items (a parameter's inner lists may be one list twice): item i
    # is the same object as item ids[i] (ids[i] <= i, pointing at the first occurrence).
    # Empty: every item is its own object.
    ids: tuple[z3.ArithRef, ...] = ()
    kind = "list"

    def store(self, index: int, value: Value) -> BListV:
        """Item `index` mutated in place to `value`: every item that is the same object
        changes with it."""
        items = list(self.items)
        items[index] = value
        if self.ids:
            for other, item in enumerate(self.items):
                if other != index:
                    same = self.ids[other] == self.ids[index]
                    changed = merge(same, value, item)
                    items[other] = changed
        return BListV(self.length, tuple(items), self.ids)


@dataclass(frozen=True, eq=False)
class DictV(Value):
    """A dict of atomic keys and values, as arrays: membership and values."""

    has: z3.ArrayRef
    val: z3.ArrayRef
    key: str
    value: str
    kind = "dict"


@dataclass(frozen=True, eq=False)
class AssocV(Value):
    """A dict built in the function: entries (present, key, value), later ones win."""

    entries: tuple[tuple[z3.BoolRef, Value, Value], ...]
    kind = "dict"


@dataclass(frozen=True, eq=False)
class FuncV(Value):
    """An uninterpreted pure callable over atomic types."""

    f: z3.FuncDeclRef
    args: tuple[str, ...]
    result: str
    kind = "callable"


@dataclass(frozen=True, eq=False)
class ObjV(Value):
    cls: str
    fields: dict[str, Value] = field(default_factory=dict)
    kind = "object"


@dataclass(frozen=True, eq=False)
class RandomV(Value):
    name: str
    kind = "random"


@dataclass(frozen=True, eq=False)
class MethodChoice(Value):
    """`getattr(obj, name)`: one of the object's methods, chosen by a symbolic name."""

    obj: ObjV
    name: z3.SeqRef
    kind = "method"


SORTS = {"int": z3.IntSort(), "float": z3.RealSort(), "bool": z3.BoolSort(), "str": z3.StringSort()}


def atomic(kind: str, e: Any) -> Value:
    return {"int": IntV, "float": RealV, "bool": BoolV, "str": StrV}[kind](e)


def to_real(v: Value, line: int = 0) -> z3.ArithRef:
    if isinstance(v, RealV):
        return v.e
    if isinstance(v, IntV):
        return z3.ToReal(v.e)
    if isinstance(v, BoolV):
        return z3.If(v.e, z3.RealVal(1), z3.RealVal(0))
    raise Unsupported(f"a number was expected, got {v.kind}", line)


def to_int(v: Value, line: int = 0) -> z3.ArithRef:
    if isinstance(v, IntV):
        return v.e
    if isinstance(v, BoolV):
        return z3.If(v.e, z3.IntVal(1), z3.IntVal(0))
    raise Unsupported(f"an int was expected, got {v.kind}", line)


def truth(v: Value, line: int = 0) -> z3.BoolRef:
    """Python truthiness."""
    if isinstance(v, BoolV):
        return v.e
    if isinstance(v, IntV):
        return v.e != 0
    if isinstance(v, RealV):
        return v.e != 0
    if isinstance(v, StrV):
        return z3.Length(v.e) > 0
    if isinstance(v, SeqV):
        return z3.Length(v.e) > 0
    if isinstance(v, BListV):
        return v.length > 0
    if isinstance(v, NoneV):
        return z3.BoolVal(False)
    if isinstance(v, TupleV):
        return z3.BoolVal(bool(v.items))
    if isinstance(v, ObjV | FuncV | RandomV):
        return z3.BoolVal(True)
    raise Unsupported(f"truth value of {v.kind}", line)


def length(v: Value, line: int = 0) -> z3.ArithRef:
    if isinstance(v, StrV | SeqV):
        return z3.Length(v.e)
    if isinstance(v, BListV):
        return v.length
    if isinstance(v, TupleV):
        return z3.IntVal(len(v.items))
    if isinstance(v, AssocV):
        total: z3.ArithRef = z3.IntVal(0)
        for index, (present, key, _) in enumerate(v.entries):
            later = [z3.And(p, equal(k, key, line)) for p, k, _ in v.entries[index + 1 :]]
            unique = z3.And(present, z3.Not(z3.Or(*later))) if later else present
            total = total + z3.If(unique, 1, 0)
        return total
    raise Unsupported(f"len() of {v.kind}", line)


def equal(a: Value, b: Value, line: int = 0) -> z3.BoolRef:
    """Python ==."""
    if isinstance(a, IntV | BoolV) and isinstance(b, IntV | BoolV):
        return to_int(a) == to_int(b)
    if isinstance(a, IntV | RealV | BoolV) and isinstance(b, IntV | RealV | BoolV):
        return to_real(a) == to_real(b)
    if isinstance(a, StrV) and isinstance(b, StrV):
        return a.e == b.e
    if isinstance(a, NoneV) or isinstance(b, NoneV):
        return z3.BoolVal(isinstance(a, NoneV) and isinstance(b, NoneV))
    if isinstance(a, TupleV) and isinstance(b, TupleV):
        if len(a.items) != len(b.items):
            return z3.BoolVal(False)
        return (
            z3.And(*[equal(x, y, line) for x, y in zip(a.items, b.items, strict=True)])
            if a.items
            else z3.BoolVal(True)
        )
    if isinstance(a, SeqV) and isinstance(b, SeqV):
        if a.elem != b.elem:
            if {a.elem, b.elem} <= {"int", "float"}:
                raise Unsupported("comparing int and float sequences", line)
            return z3.And(z3.Length(a.e) == 0, z3.Length(b.e) == 0)
        if a.tuple_like != b.tuple_like:
            return z3.BoolVal(False)
        return a.e == b.e
    if isinstance(a, TupleV) and isinstance(b, SeqV) and b.tuple_like:
        items = [equal(x, atomic(b.elem, b.e[i]), line) for i, x in enumerate(a.items)]
        return z3.And(z3.Length(b.e) == len(a.items), *items)
    if isinstance(b, TupleV) and isinstance(a, SeqV):
        return equal(b, a, line)
    if isinstance(a, BListV) and isinstance(b, BListV):
        size = min(len(a.items), len(b.items))
        parts = [z3.Implies(i < a.length, equal(a.items[i], b.items[i], line)) for i in range(size)]
        return z3.And(a.length == b.length, *parts)
    if a.kind != b.kind:
        return z3.BoolVal(False)
    raise Unsupported(f"== between {a.kind} values", line)


def merge(cond: z3.BoolRef, a: Value, b: Value, line: int = 0) -> Value:
    """If(cond, a, b) for values of the same shape; None when shapes differ."""
    if type(a) is type(b) and isinstance(a, IntV | RealV | BoolV | StrV):
        return type(a)(z3.If(cond, a.e, b.e))  # type: ignore[attr-defined]
    if (isinstance(a, IntV) and isinstance(b, RealV)) or (
        isinstance(a, RealV) and isinstance(b, IntV)
    ):
        return RealV(z3.If(cond, to_real(a), to_real(b)))
    if isinstance(a, NoneV) and isinstance(b, NoneV):
        return a
    if isinstance(a, SeqV) and isinstance(b, SeqV) and a.elem == b.elem:
        return SeqV(z3.If(cond, a.e, b.e), a.elem, a.tuple_like)
    if isinstance(a, TupleV) and isinstance(b, TupleV) and len(a.items) == len(b.items):
        merged = [merge(cond, x, y, line) for x, y in zip(a.items, b.items, strict=True)]
        if all(m is not None for m in merged):
            return TupleV(tuple(merged))
    raise Unsupported("values of different types on different paths", line)


def uses_real(v: Value) -> bool:
    if isinstance(v, RealV):
        return True
    if isinstance(v, SeqV):
        return v.elem == "float"
    if isinstance(v, TupleV):
        return any(uses_real(x) for x in v.items)
    if isinstance(v, BListV):
        return any(uses_real(x) for x in v.items)
    return False


def atomic_expr(value: Value, kind: str, line: int) -> z3.ExprRef:
    """The Z3 term of `value` as an element of a sequence of `kind`."""
    if kind == "float":
        return to_real(value, line)
    if kind == "int":
        return to_int(value, line)
    if kind == "bool" and isinstance(value, BoolV):
        return value.e
    if kind == "str" and isinstance(value, StrV):
        return value.e
    raise Unsupported(f"a {value.kind} where a {kind} was expected", line)


def same_elem(a: SeqV, b: SeqV, line: int) -> tuple[SeqV, SeqV]:
    """Two sequences with one element type: an empty literal takes the other's."""
    if a.elem == b.elem:
        return a, b
    empty_a = z3.is_true(z3.simplify(z3.Length(a.e) == 0))
    empty_b = z3.is_true(z3.simplify(z3.Length(b.e) == 0))
    if empty_a:
        return SeqV(z3.Empty(z3.SeqSort(SORTS[b.elem])), b.elem), b
    if empty_b:
        return a, SeqV(z3.Empty(z3.SeqSort(SORTS[a.elem])), a.elem)
    raise Unsupported("joining sequences of different element types", line)
