"""Python's semantics on symbolic values, where no executor state is needed: truth, len, ==,
`is`, and the merge of two values into one under a condition (If)."""

from __future__ import annotations

import itertools

import z3

from verify.values import (
    OBJ_ID,
    OBJ_LEN,
    OBJ_NONE,
    OBJ_TRUE,
    SORTS,
    AnyV,
    AssocV,
    BListV,
    BoolV,
    DictV,
    ElemV,
    FuncV,
    IntV,
    MethodChoice,
    NoneV,
    ObjV,
    OptV,
    RandomV,
    RealV,
    SeqV,
    SetV,
    StrV,
    TupleV,
    Unsupported,
    Value,
    atomic,
    to_int,
    to_real,
)

_COUNTER = itertools.count()


def reset_names() -> None:
    """Fresh names start again with each run, so a run's formulas (and the solver's work on
    them) do not depend on what ran before in the process."""
    global _COUNTER
    _COUNTER = itertools.count()


def fresh_name(prefix: str) -> str:
    return f"{prefix}~{next(_COUNTER)}"


def fresh_bool(prefix: str) -> z3.BoolRef:
    """A value nothing constrains (an over-approximation): never part of a counterexample's
    inputs, so a refutation cannot depend on it (see check.confirm)."""
    return z3.Bool(f"{prefix}~{next(_COUNTER)}")


def fresh_int(prefix: str) -> z3.ArithRef:
    return z3.Int(f"{prefix}~{next(_COUNTER)}")


# `==` on objects the translator does not model: a relation it knows nothing about, the same
# for the same pair (asking twice gives one answer).
_ANY_EQ = {
    kind: z3.Function(f"any=={kind}", z3.IntSort(), SORTS[kind], z3.BoolSort()) for kind in SORTS
}
_ANY_EQ_ANY = z3.Function("any==any", z3.IntSort(), z3.IntSort(), z3.BoolSort())
_ANY_EQ_NONE = z3.Function("any==None", z3.IntSort(), z3.BoolSort())


def truth(v: Value, line: int = 0) -> z3.BoolRef:
    """Python truthiness."""
    if isinstance(v, BoolV):
        return v.e
    if isinstance(v, IntV | RealV):
        return v.e != 0
    if isinstance(v, StrV | SeqV):
        return z3.Length(v.e) > 0
    if isinstance(v, BListV):
        return v.length > 0
    if isinstance(v, DictV | SetV):
        return v.size > 0
    if isinstance(v, AssocV):
        return length(v, line) > 0
    if isinstance(v, NoneV):
        return z3.BoolVal(False)
    if isinstance(v, OptV):
        return z3.And(z3.Not(v.none), truth(v.value, line))
    if isinstance(v, AnyV):
        return v.truthy
    if isinstance(v, ElemV):
        return OBJ_TRUE(v.e)
    if isinstance(v, TupleV):
        return z3.BoolVal(bool(v.items))
    if isinstance(v, FuncV | RandomV | MethodChoice):
        return z3.BoolVal(True)
    if isinstance(v, ObjV):
        return z3.BoolVal(True)  # module classes with __bool__/__len__ are read as calls
    raise Unsupported(f"truth value of {v.kind}", line, f"type:{v.kind}")


def length(v: Value, line: int = 0) -> z3.ArithRef:
    if isinstance(v, StrV | SeqV):
        return z3.Length(v.e)
    if isinstance(v, BListV):
        return v.length
    if isinstance(v, TupleV):
        return z3.IntVal(len(v.items))
    if isinstance(v, DictV | SetV | AnyV):
        return v.size
    if isinstance(v, ElemV):
        return OBJ_LEN(v.e)
    if isinstance(v, AssocV):
        total: z3.ArithRef = z3.IntVal(0)
        for index, (present, key, _) in enumerate(v.entries):
            later = [z3.And(p, equal(k, key, line)) for p, k, _ in v.entries[index + 1 :]]
            unique = z3.And(present, z3.Not(z3.Or(*later))) if later else present
            total = total + z3.If(unique, 1, 0)
        return total
    raise Unsupported(f"len() of {v.kind}", line, f"builtin:len({v.kind})")


def is_none(v: Value) -> z3.BoolRef:
    if isinstance(v, NoneV):
        return z3.BoolVal(True)
    if isinstance(v, OptV | AnyV):
        return v.none
    if isinstance(v, ElemV):
        return OBJ_NONE(v.e)
    return z3.BoolVal(False)


def equal(a: Value, b: Value, line: int = 0) -> z3.BoolRef:
    """Python ==."""
    if isinstance(a, OptV) or isinstance(b, OptV):
        return _equal_optional(a, b, line)
    if isinstance(a, AnyV) or isinstance(b, AnyV):
        return _equal_any(a, b)
    if isinstance(a, ElemV) or isinstance(b, ElemV):
        return _equal_elem(a, b)
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
        return z3.And(*[equal(x, y, line) for x, y in zip(a.items, b.items, strict=True)])
    if isinstance(a, SeqV) and isinstance(b, SeqV):
        return _equal_sequences(a, b, line)
    if isinstance(a, TupleV) and isinstance(b, SeqV) and b.tuple_like:
        items = [equal(x, atomic(b.elem, b.e[i]), line) for i, x in enumerate(a.items)]
        return z3.And(z3.Length(b.e) == len(a.items), *items)
    if isinstance(b, TupleV) and isinstance(a, SeqV):
        return equal(b, a, line)
    if isinstance(a, BListV) and isinstance(b, BListV):
        size = min(len(a.items), len(b.items))
        parts = [z3.Implies(i < a.length, equal(a.items[i], b.items[i], line)) for i in range(size)]
        return z3.And(a.length == b.length, *parts)
    if isinstance(a, SetV) and isinstance(b, SetV) and a.elem == b.elem:
        return z3.And(a.has == b.has, a.size == b.size)
    if isinstance(a, DictV) and isinstance(b, DictV) and (a.key, a.value) == (b.key, b.value):
        keys = z3.Const("k", SORTS[a.key])
        same = z3.ForAll([keys], z3.Implies(a.has[keys], a.val[keys] == b.val[keys]))
        return z3.And(a.has == b.has, a.size == b.size, same)
    if a.kind != b.kind:
        if {a.kind, b.kind} <= {"list", "tuple"}:
            return z3.BoolVal(False)  # a list never equals a tuple
        if "object" not in (a.kind, b.kind):
            return z3.BoolVal(False)
    raise Unsupported(f"== between {a.kind} values", line, f"op:==({a.kind})")


def _equal_sequences(a: SeqV, b: SeqV, line: int) -> z3.BoolRef:
    if a.elem != b.elem:
        if {a.elem, b.elem} <= {"int", "float"}:
            raise Unsupported("comparing int and float sequences", line, "op:==(list)")
        return z3.And(z3.Length(a.e) == 0, z3.Length(b.e) == 0)
    if a.tuple_like != b.tuple_like:
        return z3.BoolVal(False)
    return a.e == b.e


def _equal_optional(a: Value, b: Value, line: int) -> z3.BoolRef:
    if isinstance(a, OptV) and isinstance(b, OptV):
        both = z3.And(a.none, b.none)
        neither = z3.And(z3.Not(a.none), z3.Not(b.none), equal(a.value, b.value, line))
        return z3.Or(both, neither)
    opt, other = (a, b) if isinstance(a, OptV) else (b, a)
    assert isinstance(opt, OptV)
    if isinstance(other, NoneV):
        return opt.none
    return z3.And(z3.Not(opt.none), equal(opt.value, other, line))


def _equal_any(a: Value, b: Value) -> z3.BoolRef:
    if isinstance(a, AnyV) and isinstance(b, AnyV):
        return z3.If(z3.And(a.none, b.none), True, _ANY_EQ_ANY(a.ident, b.ident))
    some, other = (a, b) if isinstance(a, AnyV) else (b, a)
    assert isinstance(some, AnyV)
    if isinstance(other, NoneV):
        return z3.If(some.none, True, _ANY_EQ_NONE(some.ident))
    if isinstance(other, IntV | RealV | BoolV | StrV) and other.kind in _ANY_EQ:
        return z3.If(some.none, False, _ANY_EQ[other.kind](some.ident, other.e))
    return fresh_bool("any==")


_ELEM_EQ = {
    kind: z3.Function(f"obj=={kind}", SORTS["obj"], SORTS[kind], z3.BoolSort())
    for kind in SORTS
    if kind != "obj"
}


def _equal_elem(a: Value, b: Value) -> z3.BoolRef:
    if isinstance(a, ElemV) and isinstance(b, ElemV):
        return a.e == b.e
    elem, other = (a, b) if isinstance(a, ElemV) else (b, a)
    assert isinstance(elem, ElemV)
    if isinstance(other, NoneV):
        return OBJ_NONE(elem.e)
    if isinstance(other, IntV | RealV | BoolV | StrV):
        return _ELEM_EQ[other.kind](elem.e, other.e)
    return fresh_bool("obj==")


def as_any(value: ElemV, name: str = "a value of a type variable") -> AnyV:
    """A type variable's value, for what only an unmodelled object supports."""
    e = value.e
    return AnyV(name, OBJ_ID(e), OBJ_NONE(e), OBJ_TRUE(e), OBJ_LEN(e), None)


def identical(a: Value, b: Value, line: int = 0) -> z3.BoolRef:
    """Python `is`: None is None; objects by identity; other values may be one object only
    where they are equal (which object a literal is depends on the interpreter)."""
    if isinstance(a, NoneV) or isinstance(b, NoneV):
        other = b if isinstance(a, NoneV) else a
        return is_none(other)
    if isinstance(a, OptV) or isinstance(b, OptV):
        if isinstance(a, OptV) and isinstance(b, OptV):
            return z3.Or(
                z3.And(a.none, b.none),
                z3.And(z3.Not(a.none), z3.Not(b.none), identical(a.value, b.value, line)),
            )
        opt, other = (a, b) if isinstance(a, OptV) else (b, a)
        assert isinstance(opt, OptV)
        return z3.And(z3.Not(opt.none), identical(opt.value, other, line))
    ident_a, ident_b = _ident(a), _ident(b)
    if ident_a is not None and ident_b is not None:
        return z3.And(ident_a == ident_b, z3.Not(is_none(a)), z3.Not(is_none(b)))
    if isinstance(a, AnyV | ObjV) or isinstance(b, AnyV | ObjV):
        return z3.And(fresh_bool("is"), z3.Not(is_none(a)), z3.Not(is_none(b)))
    try:
        same = equal(a, b, line)
    except Unsupported:
        return fresh_bool("is")
    return z3.And(fresh_bool("is"), same)


def _ident(v: Value) -> z3.ArithRef | None:
    if isinstance(v, AnyV):
        return v.ident
    if isinstance(v, ElemV):
        return OBJ_ID(v.e)
    if isinstance(v, ObjV):
        return v.ident
    return None


def merge(cond: z3.BoolRef, a: Value, b: Value, line: int = 0) -> Value:
    """If(cond, a, b) as one value. Values of different types become an `AnyV` (any value:
    an over-approximation) unless the condition is decided."""
    simplified = z3.simplify(cond)
    if z3.is_true(simplified):
        return a
    if z3.is_false(simplified):
        return b
    if a is b:
        return a
    if type(a) is type(b) and isinstance(a, IntV | RealV | BoolV | StrV | ElemV):
        return type(a)(z3.If(cond, a.e, b.e))  # type: ignore[attr-defined]
    if isinstance(a, IntV | RealV) and isinstance(b, IntV | RealV):
        return RealV(z3.If(cond, to_real(a), to_real(b)))
    if isinstance(a, NoneV) and isinstance(b, NoneV):
        return a
    if isinstance(a, NoneV | OptV) or isinstance(b, NoneV | OptV):
        return _merge_optional(cond, a, b, line)
    same = _merge_same_shape(cond, a, b, line)
    if same is not None:
        return same
    return merge_any(cond, a, b, line)


def _merge_same_shape(cond: z3.BoolRef, a: Value, b: Value, line: int) -> Value | None:
    if isinstance(a, SeqV) and isinstance(b, SeqV):
        if a.elem == b.elem and a.tuple_like == b.tuple_like:
            return SeqV(z3.If(cond, a.e, b.e), a.elem, a.tuple_like)
        return None
    if isinstance(a, TupleV) and isinstance(b, TupleV) and len(a.items) == len(b.items):
        return TupleV(tuple(merge(cond, x, y, line) for x, y in zip(a.items, b.items, strict=True)))
    if isinstance(a, BListV) and isinstance(b, BListV) and len(a.items) == len(b.items):
        if not a.ids and not b.ids and a.tuple_like == b.tuple_like:
            items = tuple(merge(cond, x, y, line) for x, y in zip(a.items, b.items, strict=True))
            return BListV(z3.If(cond, a.length, b.length), items, (), a.tuple_like)
        return None
    if isinstance(a, DictV) and isinstance(b, DictV) and (a.key, a.value) == (b.key, b.value):
        return DictV(
            z3.If(cond, a.has, b.has),
            z3.If(cond, a.val, b.val),
            a.key,
            a.value,
            z3.If(cond, a.size, b.size),
        )
    if isinstance(a, SetV) and isinstance(b, SetV) and a.elem == b.elem:
        return SetV(z3.If(cond, a.has, b.has), a.elem, z3.If(cond, a.size, b.size))
    if isinstance(a, ObjV) and isinstance(b, ObjV) and a.cls == b.cls:
        if set(a.fields) != set(b.fields):
            return None
        fields = {k: merge(cond, a.fields[k], b.fields[k], line) for k in a.fields}
        ident = None
        if a.ident is not None and b.ident is not None:
            ident = z3.If(cond, a.ident, b.ident)
        return ObjV(a.cls, fields, ident)
    return None


def _merge_optional(cond: z3.BoolRef, a: Value, b: Value, line: int) -> Value:
    if isinstance(a, NoneV) and isinstance(b, OptV):
        return OptV(z3.If(cond, True, b.none), b.value)
    if isinstance(b, NoneV) and isinstance(a, OptV):
        return OptV(z3.If(cond, a.none, True), a.value)
    if isinstance(a, NoneV):
        return OptV(cond, b)
    if isinstance(b, NoneV):
        return OptV(z3.Not(cond), a)
    if isinstance(a, OptV) and isinstance(b, OptV):
        return OptV(z3.If(cond, a.none, b.none), merge(cond, a.value, b.value, line))
    if isinstance(a, OptV):
        return OptV(z3.And(cond, a.none), merge(cond, a.value, b, line))
    assert isinstance(b, OptV)
    return OptV(z3.And(z3.Not(cond), b.none), merge(cond, a, b.value, line))


def merge_any(cond: z3.BoolRef, a: Value, b: Value, line: int = 0) -> AnyV:
    """Two values of different types as one `AnyV` that keeps what both agree on: whether
    it is None, its truth and size where each side knows them."""

    def parts(v: Value) -> tuple[z3.ArithRef, z3.BoolRef, z3.BoolRef, z3.ArithRef]:
        if isinstance(v, AnyV):
            return v.ident, v.none, v.truthy, v.size
        try:
            truthy = truth(v, line)
        except Unsupported:
            truthy = fresh_bool("truth")
        try:
            size = length(v, line)
        except Unsupported:
            size = fresh_int("len")
        ident = _ident(v)
        return (ident if ident is not None else fresh_int("id")), is_none(v), truthy, size

    ia, na, ta, sa = parts(a)
    ib, nb, tb, sb = parts(b)
    name = a.name if isinstance(a, AnyV) else b.name if isinstance(b, AnyV) else "a value"
    cls = a.cls if isinstance(a, AnyV) and isinstance(b, AnyV) and a.cls == b.cls else None
    return AnyV(
        name,
        z3.If(cond, ia, ib),
        z3.If(cond, na, nb),
        z3.If(cond, ta, tb),
        z3.If(cond, sa, sb),
        cls,
    )


def same_elem(a: SeqV, b: SeqV, line: int) -> tuple[SeqV, SeqV]:
    """Two sequences with one element type: an empty literal takes the other's."""
    if a.elem == b.elem:
        return a, b
    empty_a = z3.is_true(z3.simplify(z3.Length(a.e) == 0))
    empty_b = z3.is_true(z3.simplify(z3.Length(b.e) == 0))
    if empty_a:
        return SeqV(z3.Empty(z3.SeqSort(SORTS[b.elem])), b.elem, a.tuple_like), b
    if empty_b:
        return a, SeqV(z3.Empty(z3.SeqSort(SORTS[a.elem])), a.elem, b.tuple_like)
    raise Unsupported("joining sequences of different element types", line, "op:+(list)")


def store_item(lst: BListV, index: int, value: Value) -> BListV:
    """Item `index` mutated in place to `value`: every item that is the same object changes
    with it."""
    items = list(lst.items)
    items[index] = value
    if lst.ids:
        for other, item in enumerate(lst.items):
            if other != index:
                items[other] = merge(lst.ids[other] == lst.ids[index], value, item)
    return BListV(lst.length, tuple(items), lst.ids, lst.tuple_like)
