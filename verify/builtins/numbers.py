"""abs, int, float and bool."""

from __future__ import annotations

import ast

import z3

from verify.builtins.common import Builtin, call_args
from verify.core import Core
from verify.state import Path, Results
from verify.values import (
    BoolV,
    IntV,
    RealV,
    to_int,
    to_real,
    truth,
)


def _abs(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
    out: Results = []
    for p, vs in call_args(ex, node, path):
        v = vs[0]
        if isinstance(v, RealV):
            out.append((p, RealV(z3.If(v.e < 0, -v.e, v.e))))
        else:
            n = to_int(v, line)
            out.append((p, IntV(z3.If(n < 0, -n, n))))
    return out


def _convert(ex: Core, node: ast.Call, path: Path, line: int, kind: str) -> Results:
    out: Results = []
    for p, vs in call_args(ex, node, path):
        v = vs[0] if vs else IntV(z3.IntVal(0))
        if kind == "bool":
            out.append((p, BoolV(truth(v, line))))
        elif kind == "float":
            ex.ctx.reals = True
            out.append((p, RealV(to_real(v, line))))
        elif isinstance(v, RealV):
            # int() truncates toward zero; ToInt floors.
            out.append((p, IntV(z3.If(v.e >= 0, z3.ToInt(v.e), -z3.ToInt(-v.e)))))
        else:
            out.append((p, IntV(to_int(v, line))))
    return out


NUMBERS: dict[str, Builtin] = {
    "abs": _abs,
    "int": lambda ex, n, p, ln: _convert(ex, n, p, ln, "int"),
    "float": lambda ex, n, p, ln: _convert(ex, n, p, ln, "float"),
    "bool": lambda ex, n, p, ln: _convert(ex, n, p, ln, "bool"),
}
