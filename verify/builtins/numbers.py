"""abs, int, float, bool, round, divmod, pow, chr and ord, and the math module's functions
the translator models (floor, ceil, sqrt, isclose, isnan, isinf, fabs)."""

from __future__ import annotations

import ast

import z3

from verify.builtins.common import Builtin, call_args, fresh_of
from verify.core import Core
from verify.operations import truth
from verify.state import Path, Results
from verify.values import AnyV, BoolV, IntV, OptV, RealV, StrV, Unsupported, Value, to_int, to_real

_MAX_CHAR = 0x2FFFF  # Z3's largest character; Python's is 0x10FFFF


def _abs(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
    out: Results = []
    for p, vs in call_args(ex, node, path):
        v = vs[0]
        if isinstance(v, AnyV):
            ex.unmodelled(p, f"abs() of {v.name}", line)
            out.append((p, ex.any_value("abs()")))
        elif isinstance(v, RealV):
            out.append((p, RealV(z3.If(v.e < 0, -v.e, v.e))))
        else:
            n = to_int(v, line)
            out.append((p, IntV(z3.If(n < 0, -n, n))))
    return out


def _convert(ex: Core, node: ast.Call, path: Path, line: int, kind: str) -> Results:
    out: Results = []
    for p, vs in call_args(ex, node, path):
        if len(vs) > 1 or node.keywords:
            raise Unsupported(f"{kind}() with a base or keywords", line, f"builtin:{kind}(args)")
        v = vs[0] if vs else IntV(z3.IntVal(0))
        out.append(converted(ex, kind, v, p, line))
    return out


def converted(ex: Core, kind: str, v: Value, p: Path, line: int) -> tuple[Path, Value]:
    if kind == "bool":
        return p, BoolV(truth(v, line))
    if isinstance(v, OptV):
        p, v = ex.unwrap(p, v, line, "TypeError", f"{kind}() of a value that is not None")
    if isinstance(v, AnyV | StrV):
        if isinstance(v, StrV) and kind == "int":
            return _parse_int(ex, v, p, line)
        ex.unmodelled(p, f"{kind}() of a {v.kind}", line)
        if kind == "float":
            ex.ctx.reals = True
        return p, fresh_of(ex, kind, f"{kind}()")
    if kind == "float":
        ex.ctx.reals = True
        return p, RealV(to_real(v, line))
    if isinstance(v, RealV):
        # int() truncates toward zero; ToInt floors.
        return p, IntV(z3.If(v.e >= 0, z3.ToInt(v.e), -z3.ToInt(-v.e)))
    return p, IntV(to_int(v, line))


def _parse_int(ex: Core, text: StrV, path: Path, line: int) -> tuple[Path, Value]:
    """int(s): exact for optional sign and ASCII digits; any int (or a ValueError from the
    translator's point of view unknown) for the other forms Python accepts."""
    digits = z3.Plus(z3.Range(z3.StringVal("0"), z3.StringVal("9")))
    s = text.e
    plain = z3.InRe(s, digits)
    negative = z3.InRe(s, z3.Concat(z3.Re(z3.StringVal("-")), digits))
    positive = z3.InRe(s, z3.Concat(z3.Re(z3.StringVal("+")), digits))
    tail = z3.SubString(s, 1, z3.Length(s) - 1)
    other = ex.ctx.fresh("int()", z3.IntSort())
    value = z3.If(
        plain,
        z3.StrToInt(s),
        z3.If(negative, -z3.StrToInt(tail), z3.If(positive, z3.StrToInt(tail), other)),
    )
    ex.ctx.note_unmodelled("int() of a string with spaces, underscores or non-ASCII digits")
    ex.unmodelled(path, "int() of a string", line)
    return path, IntV(value)


def _round(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
    out: Results = []
    for p, vs in call_args(ex, node, path):
        if len(vs) != 1 or not isinstance(vs[0], IntV | RealV | BoolV):
            out.extend(ex.opaque_call(node, p, line, "round()"))
            continue
        if isinstance(vs[0], IntV | BoolV):
            out.append((p, IntV(to_int(vs[0], line))))
            continue
        x = vs[0].e
        r = ex.ctx.fresh("round()", z3.IntSort())
        ex.ctx.facts.append(
            z3.And(z3.ToReal(r) - x <= z3.RealVal("1/2"), x - z3.ToReal(r) <= z3.RealVal("1/2"))
        )
        ex.ctx.note_unmodelled("round() to even on ties")
        out.append((p, IntV(r)))
    return out


def _divmod(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
    from verify.values import TupleV

    out: Results = []
    for p, vs in call_args(ex, node, path):
        if len(vs) != 2:
            raise Unsupported("divmod() with these arguments", line, "builtin:divmod(args)")
        p, quotient = ex.binary(ast.FloorDiv(), vs[0], vs[1], p, line)
        p, remainder = ex.binary(ast.Mod(), vs[0], vs[1], p, line)
        out.append((p, TupleV((quotient, remainder))))
    return out


def _chr(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
    out: Results = []
    for p, vs in call_args(ex, node, path):
        code = to_int(vs[0], line)
        p = ex.unless(p, z3.And(code >= 0, code <= 0x10FFFF), "ValueError", "chr() in range", line)
        other = ex.ctx.fresh("chr()", z3.StringSort())
        ex.ctx.facts.append(z3.Length(other) == 1)
        out.append((p, StrV(z3.If(code <= _MAX_CHAR, z3.StrFromCode(code), other))))
    return out


def _ord(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
    out: Results = []
    for p, vs in call_args(ex, node, path):
        if not isinstance(vs[0], StrV):
            raise Unsupported(f"ord() of a {vs[0].kind}", line, f"builtin:ord({vs[0].kind})")
        p = ex.unless(p, z3.Length(vs[0].e) == 1, "TypeError", "ord() of one character", line)
        out.append((p, IntV(z3.StrToCode(vs[0].e))))
    return out


def _math(name: str) -> Builtin:
    def run(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
        out: Results = []
        for p, vs in call_args(ex, node, path):
            if any(isinstance(v, AnyV) for v in vs) or not vs:
                out.extend(ex.opaque_call(node, p, line, f"`math.{name}`"))
                continue
            out.append(_math_value(ex, name, vs, p, line))
        return out

    return run


def _math_value(ex: Core, name: str, vs: list[Value], p: Path, line: int) -> tuple[Path, Value]:
    x = to_real(vs[0], line)
    if name in ("floor", "ceil"):
        floor = z3.ToInt(x)
        return p, IntV(floor if name == "floor" else z3.If(z3.ToReal(floor) == x, floor, floor + 1))
    if name == "fabs":
        ex.ctx.reals = True
        return p, RealV(z3.If(x < 0, -x, x))
    if name in ("isnan", "isinf"):
        return p, BoolV(z3.BoolVal(False))  # reals have neither
    if name == "sqrt":
        ex.ctx.reals = True
        p = ex.unless(p, x >= 0, "ValueError", "math.sqrt of a non-negative number", line)
        root = ex.ctx.fresh("sqrt", z3.RealSort())
        ex.ctx.facts.append(z3.Implies(x >= 0, z3.And(root >= 0, root * root == x)))
        return p, RealV(root)
    ex.ctx.reals = True
    ex.ctx.note_unmodelled(f"math.{name}")
    return p, fresh_of(ex, "bool" if name == "isclose" else "float", f"math.{name}")


NUMBERS: dict[str, Builtin] = {
    "abs": _abs,
    "int": lambda ex, n, p, ln: _convert(ex, n, p, ln, "int"),
    "float": lambda ex, n, p, ln: _convert(ex, n, p, ln, "float"),
    "bool": lambda ex, n, p, ln: _convert(ex, n, p, ln, "bool"),
    "round": _round,
    "divmod": _divmod,
    "chr": _chr,
    "ord": _ord,
}
MATH: dict[str, Builtin] = {
    f"math.{name}": _math(name)
    for name in (
        "floor",
        "ceil",
        "sqrt",
        "fabs",
        "isnan",
        "isinf",
        "isclose",
        "log",
        "exp",
        "sin",
        "cos",
    )
}
