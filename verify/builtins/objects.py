"""isinstance, getattr, print and the `implies` of PEP 316 contracts."""

from __future__ import annotations

import ast

import z3

from verify.builtins.common import Builtin, call_args
from verify.core import Core
from verify.state import Path, Results
from verify.values import (
    BoolV,
    MethodChoice,
    NoneV,
    ObjV,
    SeqV,
    StrV,
    Unsupported,
    truth,
)


def _isinstance(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
    if len(node.args) != 2:
        raise Unsupported("isinstance() form", line)
    names = [
        ast.unparse(e)
        for e in (node.args[1].elts if isinstance(node.args[1], ast.Tuple) else [node.args[1]])
    ]
    out: Results = []
    for p, value in ex.expr(node.args[0], path):
        if value is None:
            out.append((p, None))
            continue
        kinds = {
            "int": ("int", "bool"),
            "float": ("float",),
            "bool": ("bool",),
            "str": ("str",),
            "list": ("list",),
            "tuple": ("tuple",),
            "dict": ("dict",),
        }
        matched = any(
            value.kind in kinds.get(n, ()) or (isinstance(value, ObjV) and value.cls == n)
            for n in names
        )
        if isinstance(value, SeqV) and value.tuple_like:
            matched = "tuple" in names
        out.append((p, BoolV(z3.BoolVal(matched))))
    return out


def _implies(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
    return [
        (p, BoolV(z3.Implies(truth(vs[0], line), truth(vs[1], line))))
        for p, vs in call_args(ex, node, path)
    ]


def _getattr(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
    out: Results = []
    for p, vs in call_args(ex, node, path):
        obj, name = vs[0], vs[1]
        if isinstance(obj, ObjV) and isinstance(name, StrV) and obj.cls in ex.ctx.classes:
            out.append((p, MethodChoice(obj, name.e)))
        else:
            raise Unsupported("getattr() outside known classes", line)
    return out


def _print(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
    return [(p, NoneV()) for p, _ in call_args(ex, node, path)]


OBJECTS: dict[str, Builtin] = {
    "isinstance": _isinstance,
    "implies": _implies,
    "getattr": _getattr,
    "print": _print,
}
