"""min, max, sum, all and any: over arguments or over the elements of one iterable."""

from __future__ import annotations

import ast

import z3

from verify.builtins.common import Builtin, call_args
from verify.core import Core
from verify.state import LOOP_BOUND, Path, Results, is_false
from verify.values import (
    BoolV,
    IntV,
    Unsupported,
    Value,
    atomic,
    merge,
    truth,
)


def _fold(ex: Core, node: ast.Call, path: Path, line: int, kind: str) -> Results:
    """min, max, sum, all, any over arguments, or over one iterable: the unrolled elements
    exactly, and beyond them an open value of the right type (an over-approximation)."""
    out: Results = []
    if kind in ("min", "max") and len(node.args) >= 2:
        for p, vs in call_args(ex, node, path):
            best = vs[0]
            for v in vs[1:]:
                better = ex.compare(ast.Lt() if kind == "min" else ast.Gt(), v, best, line)
                best = merge(better, v, best, line)
            out.append((p, best))
        return out
    if len(node.args) != 1:
        raise Unsupported(f"{kind}() with these arguments", line)
    for p, stream in ex.items_of(node.args[0], path, line):
        items, more = stream.elements, stream.more
        result: Value
        if kind == "all":
            result = BoolV(
                z3.And(*[z3.Implies(c, truth(v, line)) for c, v in items])
                if items
                else z3.BoolVal(True)
            )
        elif kind == "any":
            result = BoolV(
                z3.Or(*[z3.And(c, truth(v, line)) for c, v in items])
                if items
                else z3.BoolVal(False)
            )
        elif kind == "sum":
            result = IntV(z3.IntVal(0))
            for c, v in items:
                result = merge(c, ex.binary(ast.Add(), result, v, p, line), result, line)
        else:
            if not items:
                raise Unsupported(f"{kind}() of an empty literal", line)
            nonempty = z3.Or(*[c for c, _ in items])
            ex.oblige(
                p,
                "raise",
                f"{kind}() of a non-empty sequence",
                line,
                z3.Or(nonempty, more),
                "ValueError",
            )
            result = items[0][1]
            for c, v in items[1:]:
                better = ex.compare(ast.Lt() if kind == "min" else ast.Gt(), v, result, line)
                result = merge(z3.And(c, better), v, result, line)
            p = p.add(z3.Or(nonempty, more))
        if not is_false(more):
            sort = {
                "int": z3.IntSort(),
                "float": z3.RealSort(),
                "bool": z3.BoolSort(),
                "str": z3.StringSort(),
            }.get(result.kind)
            if sort is None:
                raise Unsupported(f"{kind}() of more than {LOOP_BOUND} composite items", line)
            opened = atomic(result.kind, ex.ctx.fresh(kind, sort))
            result = merge(more, opened, result, line)
            ex.abstract(more, f"{kind}() past the first {LOOP_BOUND} items left open")
        out.append((p, result))
    return out


FOLDS: dict[str, Builtin] = {
    "min": lambda ex, n, p, ln: _fold(ex, n, p, ln, "min"),
    "max": lambda ex, n, p, ln: _fold(ex, n, p, ln, "max"),
    "sum": lambda ex, n, p, ln: _fold(ex, n, p, ln, "sum"),
    "all": lambda ex, n, p, ln: _fold(ex, n, p, ln, "all"),
    "any": lambda ex, n, p, ln: _fold(ex, n, p, ln, "any"),
}
