"""Binary operators: int and float arithmetic (floats as reals), Python's floor division and
modulo (flooring, with ZeroDivisionError as a raised path), powers with a small constant
exponent, shifts, string and sequence concatenation and repetition, `%` formatting, set
algebra, and operators on values the translator does not model."""

from __future__ import annotations

import ast

import z3

from verify.core import Core
from verify.operations import as_any, fresh_int, same_elem
from verify.state import Path
from verify.values import (
    SORTS,
    AnyV,
    BListV,
    BoolV,
    ElemV,
    IntV,
    RealV,
    SeqV,
    SetV,
    StrV,
    TupleV,
    Unsupported,
    Value,
    to_int,
    to_real,
)

_NUMBER = IntV | RealV | BoolV


def arithmetic(
    ex: Core, op: ast.operator, left: Value, right: Value, path: Path, line: int
) -> tuple[Path, Value]:
    if isinstance(left, ElemV):
        left = as_any(left)
    if isinstance(right, ElemV):
        right = as_any(right)
    if isinstance(left, AnyV) or isinstance(right, AnyV):
        return path, _unmodelled(ex, op, left, right, path, line)
    if isinstance(op, ast.Add):
        joined = _concatenate(left, right, line)
        if joined is not None:
            return path, joined
    if isinstance(op, ast.Mult):
        repeated = _repeat(ex, left, right, line) or _repeat(ex, right, left, line)
        if repeated is not None:
            return path, repeated
    if isinstance(op, ast.Mod) and isinstance(left, StrV):
        ex.ctx.note_unmodelled("`%` formatting")
        return path, StrV(ex.ctx.fresh("formatted", z3.StringSort()))
    if (
        isinstance(op, ast.Add | ast.Sub | ast.Mult)
        and isinstance(left, _NUMBER)
        and isinstance(right, _NUMBER)
    ):
        return path, _ring(ex, op, left, right, line)
    if isinstance(op, ast.Div) and isinstance(left, _NUMBER) and isinstance(right, _NUMBER):
        ex.ctx.reals = True
        divisor = to_real(right, line)
        path = ex.unless(path, divisor != 0, "ZeroDivisionError", "division by zero", line)
        return path, RealV(to_real(left, line) / divisor)
    if (
        isinstance(op, ast.FloorDiv | ast.Mod)
        and isinstance(left, _NUMBER)
        and isinstance(right, _NUMBER)
    ):
        return _floor_division(ex, op, left, right, path, line)
    if isinstance(op, ast.Pow) and isinstance(left, _NUMBER) and isinstance(right, _NUMBER):
        return _power(ex, left, right, path, line)
    if isinstance(op, ast.BitAnd | ast.BitOr | ast.BitXor | ast.Sub):
        combined = _sets_or_bools(ex, op, left, right, line)
        if combined is not None:
            return path, combined
    bits = ast.LShift | ast.RShift | ast.BitAnd | ast.BitOr | ast.BitXor
    if isinstance(op, bits) and isinstance(left, IntV | BoolV) and isinstance(right, IntV | BoolV):
        return _bits(ex, op, left, right, path, line)
    raise Unsupported(
        f"`{type(op).__name__}` on {left.kind} and {right.kind}",
        line,
        f"op:{type(op).__name__}({left.kind},{right.kind})",
    )


def _unmodelled(
    ex: Core, op: ast.operator, left: Value, right: Value, path: Path, line: int
) -> Value:
    unmodelled = left if isinstance(left, AnyV) else right
    name = unmodelled.name if isinstance(unmodelled, AnyV) else "a value"
    ex.unmodelled(path, f"`{type(op).__name__}` on {name}", line)
    if isinstance(op, ast.Mod) and isinstance(left, StrV):
        return StrV(ex.ctx.fresh("formatted", z3.StringSort()))
    return ex.any_value(f"the result of an operator on {name}")


def _concatenate(left: Value, right: Value, line: int) -> Value | None:
    if isinstance(left, StrV) and isinstance(right, StrV):
        return StrV(z3.Concat(left.e, right.e))
    if isinstance(left, SeqV) and isinstance(right, SeqV):
        if left.tuple_like != right.tuple_like:
            raise Unsupported("a list and a tuple added (TypeError)", line, "op:Add(list,tuple)")
        left, right = same_elem(left, right, line)
        return SeqV(z3.Concat(left.e, right.e), left.elem, left.tuple_like)
    if isinstance(left, TupleV) and isinstance(right, TupleV):
        return TupleV(left.items + right.items)
    if (
        isinstance(left, BListV)
        and isinstance(right, BListV)
        and not left.ids
        and not right.ids
        and z3.is_int_value(z3.simplify(left.length))
        and z3.simplify(left.length).as_long() == len(left.items)
    ):
        return BListV(left.length + right.length, left.items + right.items)
    return None


def _repeat(ex: Core, seq: Value, count: Value, line: int) -> Value | None:
    """`s * n`: exact for a small constant `n`, else a value of the right length."""
    if not isinstance(seq, StrV | SeqV) or not isinstance(count, IntV | BoolV):
        return None
    n = to_int(count, line)
    constant = z3.simplify(n)
    if z3.is_int_value(constant) and constant.as_long() <= 16:
        times = max(0, constant.as_long())
        sort = z3.StringSort() if isinstance(seq, StrV) else z3.SeqSort(SORTS[seq.elem])
        parts = [seq.e] * times
        e = z3.Concat(*parts) if len(parts) > 1 else parts[0] if parts else z3.Empty(sort)
        if isinstance(seq, StrV):
            return StrV(e if times else z3.StringVal(""))
        return SeqV(e, seq.elem, seq.tuple_like)
    sort = z3.StringSort() if isinstance(seq, StrV) else z3.SeqSort(SORTS[seq.elem])
    fresh = ex.ctx.fresh("repeated", sort)
    ex.ctx.facts.append(z3.Length(fresh) == z3.If(n > 0, n * z3.Length(seq.e), 0))
    ex.ctx.note_unmodelled("a repetition of a symbolic count")
    return StrV(fresh) if isinstance(seq, StrV) else SeqV(fresh, seq.elem, seq.tuple_like)


def _ring(ex: Core, op: ast.operator, left: Value, right: Value, line: int) -> Value:
    if isinstance(left, IntV | BoolV) and isinstance(right, IntV | BoolV):
        a, b = to_int(left, line), to_int(right, line)
        return IntV(
            a + b if isinstance(op, ast.Add) else a - b if isinstance(op, ast.Sub) else a * b
        )
    ex.ctx.reals = True
    x, y = to_real(left, line), to_real(right, line)
    return RealV(x + y if isinstance(op, ast.Add) else x - y if isinstance(op, ast.Sub) else x * y)


def _floor_division(
    ex: Core, op: ast.operator, left: Value, right: Value, path: Path, line: int
) -> tuple[Path, Value]:
    if isinstance(left, IntV | BoolV) and isinstance(right, IntV | BoolV):
        a, b = to_int(left, line), to_int(right, line)
        path = ex.unless(path, b != 0, "ZeroDivisionError", "division by zero", line)
        # Python floors; SMT-LIB's div is Euclidean. Same for b > 0 only.
        quotient = z3.If(b > 0, a / b, (-a) / (-b))
        return path, IntV(quotient) if isinstance(op, ast.FloorDiv) else IntV(a - b * quotient)
    ex.ctx.reals = True
    x, y = to_real(left, line), to_real(right, line)
    path = ex.unless(path, y != 0, "ZeroDivisionError", "division by zero", line)
    floor = z3.ToReal(z3.ToInt(x / y))
    return path, RealV(floor) if isinstance(op, ast.FloorDiv) else RealV(x - y * floor)


def _power(ex: Core, left: Value, right: Value, path: Path, line: int) -> tuple[Path, Value]:
    if isinstance(right, IntV | BoolV):
        exponent = z3.simplify(to_int(right, line))
        if z3.is_int_value(exponent) and 0 <= exponent.as_long() <= 16:
            result: Value = (
                IntV(z3.IntVal(1)) if isinstance(left, IntV | BoolV) else RealV(z3.RealVal(1))
            )
            for _ in range(exponent.as_long()):
                result = _ring(ex, ast.Mult(), result, left, line)
            return path, result
    raise Unsupported("** with a non-constant or large exponent", line, "op:Pow(symbolic)")


def _sets_or_bools(
    ex: Core, op: ast.operator, left: Value, right: Value, line: int
) -> Value | None:
    if isinstance(left, BoolV) and isinstance(right, BoolV) and not isinstance(op, ast.Sub):
        function = {ast.BitAnd: z3.And, ast.BitOr: z3.Or, ast.BitXor: z3.Xor}[type(op)]
        return BoolV(function(left.e, right.e))
    if isinstance(left, SetV) and isinstance(right, SetV) and left.elem == right.elem:
        key = z3.Const("k", SORTS[left.elem])
        a, b = z3.Select(left.has, key), z3.Select(right.has, key)
        member = {
            ast.BitOr: z3.Or(a, b),
            ast.BitAnd: z3.And(a, b),
            ast.Sub: z3.And(a, z3.Not(b)),
            ast.BitXor: z3.Xor(a, b),
        }[type(op)]
        size = ex.ctx.fresh("len(set)", z3.IntSort())
        ex.ctx.facts.append(size >= 0)
        if isinstance(op, ast.BitOr):
            ex.ctx.facts.append(
                z3.And(size >= left.size, size >= right.size, size <= left.size + right.size)
            )
        elif isinstance(op, ast.BitAnd):
            ex.ctx.facts.append(z3.And(size <= left.size, size <= right.size))
        elif isinstance(op, ast.Sub):
            ex.ctx.facts.append(z3.And(size <= left.size, size >= left.size - right.size))
        return SetV(z3.Lambda([key], member), left.elem, size)
    return None


def _bits(
    ex: Core, op: ast.operator, left: Value, right: Value, path: Path, line: int
) -> tuple[Path, Value]:
    a, b = to_int(left, line), to_int(right, line)
    shift = z3.simplify(b)
    if (
        isinstance(op, ast.LShift | ast.RShift)
        and z3.is_int_value(shift)
        and 0 <= shift.as_long() <= 64
    ):
        factor = 2 ** shift.as_long()
        if isinstance(op, ast.LShift):
            return path, IntV(a * factor)
        return path, IntV(z3.If(a >= 0, a / factor, -((-a + factor - 1) / factor)))
    if isinstance(op, ast.LShift | ast.RShift):
        path = ex.unless(path, b >= 0, "ValueError", "negative shift count", line)
    result = fresh_int("bits")
    ex.ctx.note_unmodelled(f"`{type(op).__name__}` on ints")
    if isinstance(op, ast.BitAnd):
        ex.ctx.facts.append(
            z3.Implies(z3.And(a >= 0, b >= 0), z3.And(result >= 0, result <= a, result <= b))
        )
    return path, IntV(result)
