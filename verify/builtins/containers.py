"""len, list, tuple, dict, zip and enumerate."""

from __future__ import annotations

import ast

from verify.builtins.common import Builtin, call_args
from verify.core import Core
from verify.state import LOOP_BOUND, Path, Results, is_false
from verify.values import (
    AssocV,
    IntV,
    SeqV,
    TupleV,
    Unsupported,
    length,
)


def _len(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
    return [(p, IntV(length(vs[0], line))) for p, vs in call_args(ex, node, path)]


def _identity(kind: str) -> Builtin:
    def run(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
        if len(node.args) != 1:
            raise Unsupported(f"{kind}() form", line)
        arg = node.args[0]
        if isinstance(arg, ast.ListComp | ast.GeneratorExp) or (
            isinstance(arg, ast.Call)
            and isinstance(arg.func, ast.Name)
            and arg.func.id in ("zip", "enumerate", "range")
        ):
            out: Results = []
            for p, stream in ex.items_of(arg, path, line):
                value = ex.from_stream(stream, line)
                if kind == "tuple" and isinstance(value, SeqV):
                    value = SeqV(value.e, value.elem, True)
                out.append((p, value))
            return out
        results = ex.expr(arg, path)
        if kind == "tuple":
            return [(p, SeqV(v.e, v.elem, True) if isinstance(v, SeqV) else v) for p, v in results]
        return [(p, SeqV(v.e, v.elem) if isinstance(v, SeqV) else v) for p, v in results]

    return run


def _dict(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
    if len(node.args) != 1 or node.keywords:
        raise Unsupported("dict() form", line)
    out: Results = []
    for p, stream in ex.items_of(node.args[0], path, line):
        items, more = stream.elements, stream.more
        if not is_false(more):
            ex.ctx.cuts.append(((*p.cond, more), f"dict() of more than {LOOP_BOUND} items"))
        entries = []
        for present, pair in items:
            if not isinstance(pair, TupleV) or len(pair.items) != 2:
                raise Unsupported("dict() of items that are not pairs", line)
            entries.append((present, pair.items[0], pair.items[1]))
        out.append((p, AssocV(tuple(entries))))
    return out


def _zip(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
    return _identity("list")(ex, ast.Call(ast.Name("list", ast.Load()), [node], []), path, line)


CONTAINERS: dict[str, Builtin] = {
    "len": _len,
    "list": _identity("list"),
    "tuple": _identity("tuple"),
    "dict": _dict,
    "zip": _zip,
    "enumerate": _zip,
}
