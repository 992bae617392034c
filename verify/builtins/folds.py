"""min, max, sum, all and any: over arguments or over the elements of one iterable, the
unrolled elements exactly and an open value beyond them (an over-approximation)."""

from __future__ import annotations

import ast

import z3

from verify.builtins.common import Builtin, call_args, keyword
from verify.builtins.quantified import quantified, sequence_extremum, sequence_sum
from verify.core import Core
from verify.operations import merge, truth
from verify.state import LOOP_BOUND, Path, Results, Stream, is_false
from verify.values import SORTS, BoolV, IntV, SeqV, Unsupported, Value, atomic


def _extremum(ex: Core, kind: str, best: Value, candidate: Value, path: Path, line: int) -> Value:
    better = ex.compare(ast.Lt() if kind == "min" else ast.Gt(), candidate, best, line)
    return merge(better, candidate, best, line)


def _fold(ex: Core, node: ast.Call, path: Path, line: int, kind: str) -> Results:
    if keyword(node, "key") is not None:
        raise Unsupported(f"{kind}() with a key", line, f"builtin:{kind}(key)")
    if kind in ("min", "max") and len(node.args) >= 2:
        out: Results = []
        for p, vs in call_args(ex, node, path):
            best = vs[0]
            for v in vs[1:]:
                best = _extremum(ex, kind, best, v, p, line)
            out.append((p, best))
        return out
    if not node.args or len(node.args) > (2 if kind == "sum" else 1):
        raise Unsupported(f"{kind}() with these arguments", line, f"builtin:{kind}(args)")
    start: list[Value] = [IntV(z3.IntVal(0))]
    if kind == "sum" and (len(node.args) == 2 or keyword(node, "start") is not None):
        start_node = node.args[1] if len(node.args) == 2 else keyword(node, "start")
        assert start_node is not None
        results = ex.expr(start_node, path)
        if len(results) != 1 or results[0][1] is None:
            raise Unsupported("sum() with a start that branches", line, "builtin:sum(start)")
        start = [results[0][1]]
    if kind in ("all", "any") and len(node.args) == 1:
        exact = quantified(ex, node, path, line, kind)
        if exact is not None:
            return exact
    if kind == "sum" and not isinstance(node.args[0], ast.GeneratorExp | ast.ListComp):
        exact_sum = _sum(ex, node.args[0], path, start[0])
        if exact_sum is not None:
            return exact_sum
    plain = not isinstance(node.args[0], ast.GeneratorExp | ast.ListComp)
    if kind in ("min", "max") and not node.keywords and plain:
        exact = _extremum_of(ex, node.args[0], path, line, kind)
        if exact is not None:
            return exact
    default = keyword(node, "default")
    out = []
    for p, stream in ex.items_of(node.args[0], path, line):
        out.append(_over(ex, kind, stream, p, line, start[0], default))
    return out


def _sum(ex: Core, node: ast.expr, path: Path, start: Value) -> Results | None:
    results = ex.expr(node, path)
    out: Results = []
    for p, value in results:
        total = sequence_sum(ex, value, start) if value is not None else None
        if total is None:
            return None
        out.append((p, total))
    return out


def _extremum_of(ex: Core, node: ast.expr, path: Path, line: int, kind: str) -> Results | None:
    out: Results = []
    for p, value in ex.expr(node, path):
        best = sequence_extremum(ex, value, kind) if value is not None else None
        if best is None or not isinstance(value, SeqV):
            return None
        p = ex.unless(
            p, z3.Length(value.e) > 0, "ValueError", f"{kind}() of a non-empty sequence", line
        )
        out.append((p, best))
    return out


def _over(
    ex: Core, kind: str, stream: Stream, p: Path, line: int, start: Value, default: ast.expr | None
) -> tuple[Path, Value | None]:
    items, more = stream.elements, stream.more
    result: Value
    if kind == "all":
        result = BoolV(z3.And(*[z3.Implies(c, truth(v, line)) for c, v in items], z3.BoolVal(True)))
    elif kind == "any":
        result = BoolV(z3.Or(*[z3.And(c, truth(v, line)) for c, v in items], z3.BoolVal(False)))
    elif kind == "sum":
        result = start
        for c, v in items:
            p, added = ex.binary(ast.Add(), result, v, p, line)
            result = merge(c, added, result, line)
    else:
        if not items:
            raise Unsupported(f"{kind}() of an empty literal", line, f"builtin:{kind}(empty)")
        nonempty = z3.Or(*[c for c, _ in items], more)
        fallback: Value | None = None
        if default is not None:
            results = ex.expr(default, p)
            if len(results) != 1 or results[0][1] is None:
                raise Unsupported(
                    f"{kind}() with a default that branches", line, f"builtin:{kind}(default)"
                )
            fallback = results[0][1]
        else:
            p = ex.unless(p, nonempty, "ValueError", f"{kind}() of a non-empty sequence", line)
        result = items[0][1]
        for c, v in items[1:]:
            result = merge(c, _extremum(ex, kind, result, v, p, line), result, line)
        if fallback is not None:
            result = merge(nonempty, result, fallback, line)
    if not is_false(more):
        sort = SORTS.get(result.kind)
        if sort is None:
            raise Unsupported(
                f"{kind}() of more than {LOOP_BOUND} composite items",
                line,
                f"builtin:{kind}(composite)",
            )
        opened = atomic(result.kind, ex.ctx.fresh(kind, sort))
        result = merge(more, opened, result, line)
        ex.abstract(more, f"{kind}() past the first {LOOP_BOUND} items left open")
    return p, result


def _pep316(ex: Core, node: ast.Call, path: Path, line: int, kind: str) -> Results:
    """PEP 316's `forall(seq, fn)` and `exists(seq, fn)`: all/any of fn over seq."""
    if len(node.args) == 1:
        call = ast.Call(ast.Name(kind, ast.Load()), [node.args[0]], [])
        return _fold(ex, ast.copy_location(call, node), path, line, kind)
    if len(node.args) != 2 or node.keywords:
        raise Unsupported(
            f"{'forall' if kind == 'all' else 'exists'}() with these arguments",
            line,
            "builtin:forall(args)",
        )
    sequence, fn = node.args
    if isinstance(fn, ast.Lambda) and len(fn.args.args) == 1 and not fn.args.defaults:
        target: ast.expr = ast.Name(fn.args.args[0].arg, ast.Store())
        element = fn.body
    else:
        target = ast.Name("__item", ast.Store())
        element = ast.Call(fn, [ast.Name("__item", ast.Load())], [])
    generator = ast.GeneratorExp(element, [ast.comprehension(target, sequence, [], 0)])
    call = ast.Call(ast.Name(kind, ast.Load()), [generator], [])
    for child in ast.walk(call):
        if not hasattr(child, "lineno") or child.lineno is None:
            ast.copy_location(child, node)
    return _fold(ex, call, path, line, kind)


FOLDS: dict[str, Builtin] = {
    name: (lambda kind: lambda ex, n, p, ln: _fold(ex, n, p, ln, kind))(name)
    for name in ("min", "max", "sum", "all", "any")
}
FOLDS["forall"] = lambda ex, n, p, ln: _pep316(ex, n, p, ln, "all")
FOLDS["exists"] = lambda ex, n, p, ln: _pep316(ex, n, p, ln, "any")
