"""Counterexamples: a Z3 model read back as JSON values for the report, and as constants of
the same shapes for re-running the translation on them."""

from __future__ import annotations

from typing import Any

import z3

from verify.state import Context
from verify.values import (
    SORTS,
    AssocV,
    BListV,
    BoolV,
    DictV,
    FuncV,
    IntV,
    NoneV,
    ObjV,
    RandomV,
    RealV,
    SeqV,
    StrV,
    TupleV,
    Value,
)


def _array_entries(
    value: z3.ExprRef,
) -> tuple[list[tuple[z3.ExprRef, z3.ExprRef]], z3.ExprRef | None]:
    entries = []
    while z3.is_store(value):
        entries.append((value.arg(1), value.arg(2)))
        value = value.arg(0)
    default = value.arg(0) if z3.is_const_array(value) else None
    return entries, default


def _atom_json(e: z3.ExprRef) -> Any:
    if z3.is_int_value(e):
        return e.as_long()
    if z3.is_rational_value(e):
        return float(e.numerator_as_long()) / float(e.denominator_as_long())
    if z3.is_algebraic_value(e):
        return float(e.approx(10).as_decimal(10).rstrip("?"))
    if z3.is_true(e) or z3.is_false(e):
        return z3.is_true(e)
    if z3.is_string_value(e):
        return e.as_string()
    return str(e)


def to_json(value: Value, model: z3.ModelRef, ctx: Context) -> Any:
    def ev(e: z3.ExprRef) -> z3.ExprRef:
        return model.eval(e, model_completion=True)

    if isinstance(value, IntV | RealV | BoolV | StrV):
        return _atom_json(ev(value.e))
    if isinstance(value, NoneV):
        return None
    if isinstance(value, TupleV):
        return [to_json(v, model, ctx) for v in value.items]
    if isinstance(value, SeqV):
        size = ev(z3.Length(value.e)).as_long()
        return [_atom_json(ev(value.e[i])) for i in range(min(size, 10_000))]
    if isinstance(value, BListV):
        size = ev(value.length).as_long()
        shown: list[Any] = []
        for i, v in enumerate(value.items[:size]):
            first = ev(value.ids[i]).as_long() if value.ids else i
            shown.append(
                f"<the same list as item {first}>" if first != i else to_json(v, model, ctx)
            )
        return shown
    if isinstance(value, DictV):
        keys, _ = _array_entries(ev(value.has))
        values = dict((str(k), v) for k, v in _array_entries(ev(value.val))[0])
        default = _array_entries(ev(value.val))[1]
        out = {}
        for key, present in keys:
            if z3.is_true(present):
                out[str(_atom_json(key))] = (
                    _atom_json(values.get(str(key), default))
                    if (str(key) in values or default is not None)
                    else None
                )
        return out
    if isinstance(value, AssocV):
        return {
            str(to_json(k, model, ctx)): to_json(v, model, ctx)
            for present, k, v in value.entries
            if z3.is_true(ev(present))
        }
    if isinstance(value, FuncV):
        interpretation = model[value.f]
        if interpretation is None:
            return {"calls": [], "else": None}
        table = interpretation.as_list()
        calls = [
            [[_atom_json(a) for a in entry[:-1]], _atom_json(entry[-1])] for entry in table[:-1]
        ]
        return {"calls": calls, "else": _atom_json(table[-1])}
    if isinstance(value, ObjV):
        return {k: to_json(v, model, ctx) for k, v in value.fields.items()}
    if isinstance(value, RandomV):
        picks = {
            name.split("!")[0]: _atom_json(ev(c))
            for name, c in ctx.choices.items()
            if name.startswith(value.name + ".")
        }
        return {"random": picks}
    return repr(value)


def concrete(value: Value, model: z3.ModelRef) -> Value:
    """The model's value as a constant of the same shape (uninterpreted parts stay)."""

    def ev(e: z3.ExprRef) -> z3.ExprRef:
        return model.eval(e, model_completion=True)

    if isinstance(value, IntV | RealV | BoolV | StrV):
        return type(value)(ev(value.e))
    if isinstance(value, TupleV):
        return TupleV(tuple(concrete(v, model) for v in value.items))
    if isinstance(value, SeqV):
        size = ev(z3.Length(value.e)).as_long()
        items = [ev(value.e[i]) for i in range(size)]
        if not items:
            return SeqV(z3.Empty(z3.SeqSort(SORTS[value.elem])), value.elem, value.tuple_like)
        seq = z3.Concat(*[z3.Unit(i) for i in items]) if len(items) > 1 else z3.Unit(items[0])
        return SeqV(seq, value.elem, value.tuple_like)
    if isinstance(value, BListV):
        return BListV(
            ev(value.length),
            tuple(concrete(v, model) for v in value.items),
            tuple(ev(i) for i in value.ids),
        )
    if isinstance(value, DictV):
        return DictV(ev(value.has), ev(value.val), value.key, value.value)
    if isinstance(value, ObjV):
        return ObjV(value.cls, {k: concrete(v, model) for k, v in value.fields.items()})
    return value
