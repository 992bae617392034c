"""all(), any() and sum() without a bound: `all(P(x) for x in xs)` over a sequence, a
string, a range, enumerate, zip or the keys of a dict or set becomes one quantified
formula, exact for every length, when P is pure (it cannot raise and does not branch).
sum() of a sequence is an uninterpreted function with the axioms of a sum (of the empty
sequence, of one item, of a concatenation). Where these do not apply, the folds unroll."""

from __future__ import annotations

import ast
from collections.abc import Callable

import z3

from verify.core import Core
from verify.operations import fresh_name, truth
from verify.state import LOOP_BOUND, Path
from verify.values import (
    SORTS,
    BoolV,
    DictV,
    IntV,
    RealV,
    SeqV,
    SetV,
    StrV,
    TupleV,
    Value,
    atomic,
    to_int,
)

# (the condition on the bound variable, the element it gives)
Domain = tuple[list[z3.ExprRef], z3.BoolRef, Value]


def _domain(ex: Core, node: ast.expr, path: Path) -> list[tuple[Path, Domain]] | None:
    """The iterable as a quantifier's range: the bound variables, which of their values
    are elements, and the element."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id not in path.env
        and not node.keywords
    ):
        name = node.func.id
        if name == "range" and 1 <= len(node.args) <= 2:
            out: list[tuple[Path, Domain]] = []
            for p, bounds in ex.exprs(list(node.args), path):
                if not all(isinstance(b, IntV | BoolV) for b in bounds):
                    return None
                low, high = (
                    (z3.IntVal(0), to_int(bounds[0]))
                    if len(bounds) == 1
                    else (to_int(bounds[0]), to_int(bounds[1]))
                )
                i = z3.Int(fresh_name("i"))
                out.append((p, ([i], z3.And(low <= i, i < high), IntV(i))))
            return out
        if name in ("enumerate", "zip") and node.args and (name == "zip" or len(node.args) == 1):
            out = []
            for p, sources in ex.exprs(list(node.args), path):
                sequences = [s for s in sources if isinstance(s, SeqV | StrV)]
                if len(sequences) != len(sources):
                    return None
                i = z3.Int(fresh_name("i"))
                ranges = z3.And(i >= 0, *[i < z3.Length(s.e) for s in sequences])
                items = [_item(s, i) for s in sequences]
                element: Value = (
                    TupleV((IntV(i), items[0])) if name == "enumerate" else TupleV(tuple(items))
                )
                out.append((p, ([i], ranges, element)))
            return out
    found: list[tuple[Path, Domain]] = []
    for p, value in ex.expr(node, path):
        if isinstance(value, SeqV | StrV):
            i = z3.Int(fresh_name("i"))
            found.append((p, ([i], z3.And(i >= 0, i < z3.Length(value.e)), _item(value, i))))
        elif isinstance(value, DictV | SetV):
            kind = value.key if isinstance(value, DictV) else value.elem
            k = z3.Const(fresh_name("k"), SORTS[kind])
            found.append((p, ([k], z3.Select(value.has, k), atomic(kind, k))))
        else:
            return None
    return found


def _item(value: SeqV | StrV, i: z3.ArithRef) -> Value:
    if isinstance(value, SeqV):
        return atomic(value.elem, value.e[i])
    return StrV(z3.SubString(value.e, i, 1))


def _pure(ex: Core, node: ast.expr, path: Path) -> Value | None:
    """The value of `node` where evaluating it neither raises nor branches."""
    sink, ex.ctx.sink = ex.ctx.sink, []
    try:
        results = ex.expr(node, path)
    finally:
        raised, ex.ctx.sink = ex.ctx.sink, sink
    if raised or len(results) != 1:
        return None
    p, value = results[0]
    if value is None or len(p.cond) != len(path.cond):
        return None
    return value


def quantified(
    ex: Core, node: ast.Call, path: Path, line: int, kind: str
) -> list[tuple[Path, Value | None]] | None:
    """all/any over a comprehension or an iterable as one formula, or None."""
    arg = node.args[0]
    if isinstance(arg, ast.GeneratorExp | ast.ListComp | ast.SetComp):
        if len(arg.generators) != 1 or arg.generators[0].is_async:
            return None
        generator = arg.generators[0]
        iterable, target, ifs, element = (
            generator.iter,
            generator.target,
            list(generator.ifs),
            arg.elt,
        )
    else:
        iterable, target, ifs, element = arg, None, [], None
    try:
        domains = _domain(ex, iterable, path)
    except Exception:  # an iterable the unrolled fold reads better (or reports)
        return None
    if domains is None:
        return None
    out: list[tuple[Path, Value | None]] = []
    for p, (variables, inside, item) in domains:
        inner = p.add(inside)
        if target is not None:
            inner = ex.assign(target, item, inner, line)
        guard: list[z3.BoolRef] = [inside]
        for test in ifs:
            value = _pure(ex, test, inner)
            if value is None:
                return None
            guard.append(truth(value, line))
            inner = inner.add(guard[-1])
        value = item if element is None else _pure(ex, element, inner)
        if value is None:
            return None
        holds = truth(value, line)
        formula = (
            z3.ForAll(variables, z3.Implies(z3.And(*guard), holds))
            if kind == "all"
            else z3.Exists(variables, z3.And(*guard, holds))
        )
        out.append((p, BoolV(formula)))
    return out


_SUMS: dict[str, z3.FuncDeclRef] = {}


def _sum_function(ex: Core, elem: str) -> z3.FuncDeclRef:
    sort = SORTS[elem]
    if elem not in _SUMS:
        _SUMS[elem] = z3.Function(f"sum[{elem}]", z3.SeqSort(sort), sort)
    total = _SUMS[elem]
    if ("sum", elem) not in ex.ctx.axioms:
        ex.ctx.axioms.add(("sum", elem))
        a, b = z3.Consts(f"a~{elem} b~{elem}", z3.SeqSort(sort))
        x = z3.Const(f"x~{elem}", sort)
        zero = z3.IntVal(0) if elem == "int" else z3.RealVal(0)
        ex.ctx.facts.append(total(z3.Empty(z3.SeqSort(sort))) == zero)
        ex.ctx.facts.append(z3.ForAll([x], total(z3.Unit(x)) == x, patterns=[total(z3.Unit(x))]))
        ex.ctx.facts.append(
            z3.ForAll(
                [a, b],
                total(z3.Concat(a, b)) == total(a) + total(b),
                patterns=[total(z3.Concat(a, b))],
            )
        )
    return total


def _plain(e: z3.ExprRef) -> bool:
    """A sequence held as a name (an input) or such a sequence changed by appends, slices
    and concatenations: what the sum axioms reason about well. A sequence a comprehension
    built is summed item by item instead."""
    if z3.is_const(e):
        return True
    kinds = (z3.Z3_OP_SEQ_CONCAT, z3.Z3_OP_SEQ_EXTRACT, z3.Z3_OP_SEQ_UNIT)
    if z3.is_app(e) and e.decl().kind() in kinds:
        return all(_plain(c) for c in e.children() if isinstance(c, z3.SeqRef))
    return False


def sequence_sum(ex: Core, value: Value, start: Value) -> Value | None:
    """sum() of a sequence of numbers, exact for every length."""
    if (
        not isinstance(value, SeqV)
        or value.elem not in ("int", "float")
        or not isinstance(start, IntV)
        or not _plain(value.e)
    ):
        return None

    if z3.is_int_value(z3.simplify(start.e)) and z3.simplify(start.e).as_long() == 0:
        total = _sum_function(ex, value.elem)(value.e)
        # Exactly the items' sum where there are few of them: the axioms are for the rest.
        size = z3.Length(value.e)
        zero = z3.IntVal(0) if value.elem == "int" else z3.RealVal(0)
        unrolled: z3.ArithRef = zero
        for i in range(LOOP_BOUND):
            unrolled = unrolled + z3.If(i < size, value.e[i], zero)
        ex.ctx.facts.append(z3.Implies(size <= LOOP_BOUND, total == unrolled))
        return IntV(total) if value.elem == "int" else RealV(total)
    return None


def sequence_extremum(ex: Core, value: Value, kind: str) -> Value | None:
    """max() or min() of a non-empty sequence of numbers or strings, exact for every length:
    an item that no item exceeds (or undercuts)."""
    if not isinstance(value, SeqV) or value.elem not in ("int", "float", "str"):
        return None
    s = value.e
    best = ex.ctx.fresh(kind, SORTS[value.elem])
    i = z3.Int(fresh_name("i"))
    j = z3.Int(fresh_name("j"))
    inside = z3.And(i >= 0, i < z3.Length(s))
    bounded = s[i] <= best if kind == "max" else best <= s[i]
    attained = z3.Exists([j], z3.And(j >= 0, j < z3.Length(s), s[j] == best))
    ex.ctx.facts.append(
        z3.Implies(z3.Length(s) > 0, z3.And(z3.ForAll([i], z3.Implies(inside, bounded)), attained))
    )
    return atomic(value.elem, best)


Quantify = Callable[[Core, ast.Call, Path, int, str], list[tuple[Path, Value | None]] | None]
