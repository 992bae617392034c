"""Counterexamples: a Z3 model read back as JSON values for the report, as Python literals
for the message a reviewer reads, and as constants of the same shapes for re-running the
translation on them. A model that no Python value matches (a dict whose keys are infinitely
many, or more or fewer than its size) is not a counterexample."""

from __future__ import annotations

import json
from typing import Any

import z3

from verify.state import Context
from verify.values import (
    SORTS,
    AnyV,
    AssocV,
    BListV,
    BoolV,
    DictV,
    ElemV,
    FuncV,
    IntV,
    NoneV,
    ObjV,
    OptV,
    RandomV,
    RealV,
    SeqV,
    SetV,
    StrV,
    TupleV,
    Value,
)


class NotRealizable(Exception):
    """The model describes no Python value."""


def _array_entries(
    value: z3.ExprRef,
) -> tuple[list[tuple[z3.ExprRef, z3.ExprRef]], z3.ExprRef | None]:
    entries = []
    while z3.is_store(value):
        entries.append((value.arg(1), value.arg(2)))
        value = value.arg(0)
    default = value.arg(0) if z3.is_const_array(value) else None
    return entries, default


def members(has: z3.ExprRef, model: z3.ModelRef) -> list[z3.ExprRef]:
    """The keys a membership array holds, where it holds finitely many."""
    array = model.eval(has, model_completion=True)
    if z3.is_quantifier(array) and array.is_lambda():
        candidates: dict[str, z3.ExprRef] = {}
        pending = [array.body()]
        while pending:
            term = pending.pop()
            if _is_value(term):
                candidates.setdefault(term.sexpr(), term)
            pending.extend(term.children())
        found = [
            c
            for c in candidates.values()
            if z3.is_true(model.eval(z3.Select(has, c), model_completion=True))
        ]
        if any(
            z3.is_true(model.eval(z3.Select(has, c), model_completion=True))
            for c in _outside(array, candidates)
        ):
            raise NotRealizable("keys beyond those the model names")
        return found
    entries, default = _array_entries(array)
    if default is None or not z3.is_false(z3.simplify(default)):
        raise NotRealizable("infinitely many keys")
    seen: dict[str, z3.ExprRef] = {}
    decided: set[str] = set()
    for key, present in entries:  # the outermost store wins
        text = key.sexpr()
        if text in decided:
            continue
        decided.add(text)
        if z3.is_true(z3.simplify(present)):
            seen[text] = key
    return list(seen.values())


def _is_value(term: z3.ExprRef) -> bool:
    return bool(
        z3.is_int_value(term)
        or z3.is_rational_value(term)
        or z3.is_string_value(term)
        or (z3.is_const(term) and term.sort() == SORTS["obj"] and "!val!" in str(term))
    )


def _outside(array: z3.ExprRef, candidates: dict[str, z3.ExprRef]) -> list[z3.ExprRef]:
    """A key the lambda does not name: held, the array holds infinitely many."""
    sort = array.var_sort(0)
    if sort == z3.IntSort():
        taken = {c.as_long() for c in candidates.values() if z3.is_int_value(c)}
        return [z3.IntVal(next(i for i in range(10**6, 10**6 + len(taken) + 1) if i not in taken))]
    if sort == z3.StringSort():
        taken_s = {c.as_string() for c in candidates.values() if z3.is_string_value(c)}
        return [
            z3.StringVal(
                next(t for t in (f"~{i}" for i in range(len(taken_s) + 1)) if t not in taken_s)
            )
        ]
    return []


FINITE = 8  # the most keys a counterexample's dict or set is searched with


def finite(value: Value, name: str = "input") -> list[z3.BoolRef]:
    """Constraints that make the dicts and sets in an input finite (at most FINITE keys,
    as many as their size), so a model found under them is a Python value."""
    if isinstance(value, DictV | SetV):
        kind = value.key if isinstance(value, DictV) else value.elem
        keys = [z3.Const(f"{name}.key{i}", SORTS[kind]) for i in range(FINITE)]
        k = z3.Const(f"{name}.k", SORTS[kind])
        member = z3.Or(*[z3.And(i < value.size, k == key) for i, key in enumerate(keys)])
        facts = [value.size <= FINITE, z3.ForAll([k], value.has[k] == member)]
        facts += [
            z3.Implies(j < value.size, keys[i] != keys[j]) for j in range(FINITE) for i in range(j)
        ]
        return facts
    if isinstance(value, TupleV | BListV):
        return [f for i, v in enumerate(value.items) for f in finite(v, f"{name}[{i}]")]
    if isinstance(value, ObjV):
        return [f for k, v in value.fields.items() for f in finite(v, f"{name}.{k}")]
    if isinstance(value, OptV):
        return finite(value.value, name)
    return []


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
    text = str(e)
    if text.startswith("Obj!val!"):
        return {"object": f"#{text.rsplit('!', 1)[-1]}"}
    return text


def to_json(value: Value, model: z3.ModelRef, ctx: Context) -> Any:
    def ev(e: z3.ExprRef) -> z3.ExprRef:
        return model.eval(e, model_completion=True)

    if isinstance(value, IntV | RealV | BoolV | StrV | ElemV):
        return _atom_json(ev(value.e))
    if isinstance(value, NoneV):
        return None
    if isinstance(value, OptV):
        return None if z3.is_true(ev(value.none)) else to_json(value.value, model, ctx)
    if isinstance(value, AnyV):
        return {"object": value.cls or "any"}
    if isinstance(value, TupleV):
        return [to_json(v, model, ctx) for v in value.items]
    if isinstance(value, SeqV):
        size = ev(z3.Length(value.e)).as_long()
        return [_atom_json(ev(value.e[i])) for i in range(min(size, 10_000))]
    if isinstance(value, BListV):
        return _blist_json(value, model, ctx)
    if isinstance(value, DictV):
        return {
            str(_atom_json(k)): _atom_json(ev(z3.Select(value.val, k)))
            for k in members(value.has, model)
        }
    if isinstance(value, SetV):
        return sorted((_atom_json(k) for k in members(value.has, model)), key=repr)
    if isinstance(value, AssocV):
        return {
            str(to_json(k, model, ctx)): to_json(v, model, ctx)
            for present, k, v in value.entries
            if z3.is_true(ev(present))
        }
    if isinstance(value, FuncV):
        return _func_json(value, model)
    if isinstance(value, ObjV):
        if value.closed:
            return {"object": value.cls}
        return {k: to_json(v, model, ctx) for k, v in value.fields.items()}
    if isinstance(value, RandomV):
        return _random_json(value, model, ctx)

    return repr(value)


def _blist_json(value: BListV, model: z3.ModelRef, ctx: Context) -> list[Any]:
    """A list of composite values; an item the model makes the same object as an earlier
    one is shown as a reference to it (aliasing is what the counterexample may hinge on)."""
    size = model.eval(value.length, model_completion=True).as_long()
    shown: list[Any] = []
    for i, v in enumerate(value.items[:size]):
        first = model.eval(value.ids[i], model_completion=True).as_long() if value.ids else i
        shown.append(f"<the same list as item {first}>" if first != i else to_json(v, model, ctx))
    return shown


def _func_json(value: FuncV, model: z3.ModelRef) -> dict[str, Any]:
    """A function parameter as the model's table: [arguments, result] per call, and the
    result of every other call."""
    interpretation = model[value.f]
    if interpretation is None:
        return {"calls": [], "else": None}
    table = interpretation.as_list()
    calls = [[[_atom_json(a) for a in entry[:-1]], _atom_json(entry[-1])] for entry in table[:-1]]
    return {"calls": calls, "else": _atom_json(table[-1])}


def _random_json(value: RandomV, model: z3.ModelRef, ctx: Context) -> dict[str, Any]:
    """The source's picks in the order the function makes them: [method, value]."""
    made = [
        (
            int(name.rsplit("!", 1)[1]),
            name.split("!")[0].split(".", 1)[1],
            _atom_json(model.eval(c, model_completion=True)),
        )
        for name, c in ctx.choices.items()
        if name.startswith(value.name + ".")
    ]
    return {"random": [[method, pick] for _, method, pick in sorted(made)]}


def concrete(value: Value, model: z3.ModelRef) -> Value:
    """The model's value as a constant of the same shape (uninterpreted parts stay)."""

    def ev(e: z3.ExprRef) -> z3.ExprRef:
        return model.eval(e, model_completion=True)

    if isinstance(value, IntV | RealV | BoolV | StrV | ElemV):
        return type(value)(ev(value.e))
    if isinstance(value, TupleV):
        return TupleV(tuple(concrete(v, model) for v in value.items))
    if isinstance(value, OptV):
        return OptV(ev(value.none), concrete(value.value, model))
    if isinstance(value, AnyV):
        return value  # any value: a refutation must hold for all of them
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
            value.tuple_like,
        )
    if isinstance(value, DictV | SetV):
        keys = members(value.has, model)
        if ev(value.size).as_long() != len(keys):
            raise NotRealizable("a size that is not the number of keys")
        sort = SORTS[value.key if isinstance(value, DictV) else value.elem]
        has: z3.ArrayRef = z3.K(sort, z3.BoolVal(False))
        for key in keys:
            has = z3.Store(has, key, True)
        if isinstance(value, SetV):
            return SetV(has, value.elem, z3.IntVal(len(keys)))
        return DictV(has, ev(value.val), value.key, value.value, z3.IntVal(len(keys)))
    if isinstance(value, ObjV):
        ident = ev(value.ident) if value.ident is not None else None
        if value.closed:
            return ObjV(value.cls, value.fields, ident, True)
        return ObjV(value.cls, {k: concrete(v, model) for k, v in value.fields.items()}, ident)

    return value


def literal(value: Any) -> str:
    """A JSON counterexample value as a reviewer reads it: Python's notation."""
    if isinstance(value, dict) and set(value) == {"object"}:
        name = str(value["object"])
        if name.startswith("#"):
            return f"<object {name}>"
        return f"<{'an object' if name == 'any' else 'a ' + name}>"
    if isinstance(value, dict) and set(value) == {"random"}:
        return f"<a random source: {json.dumps(value['random'])}>"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {literal(v)}" for k, v in value.items()) + "}"
    return repr(value)
