"""Subscripts, slices and attributes: indexes into sequences, strings, tuples and lists of
composite values (IndexError where out of range), keys of dicts (KeyError)."""

from __future__ import annotations

import ast

import z3

from verify.core import Core
from verify.state import Ended, Path, Results
from verify.values import (
    AssocV,
    BListV,
    DictV,
    NoneV,
    ObjV,
    SeqV,
    StrV,
    TupleV,
    Unsupported,
    Value,
    atomic,
    atomic_expr,
    equal,
    length,
    merge,
    to_int,
)


class Subscripts(Core):
    def subscript(self, node: ast.Subscript, path: Path) -> Results:
        line = node.lineno
        out: Results = []
        for p, base in self.expr(node.value, path):
            if base is None:
                out.append((p, None))
                continue
            if isinstance(node.slice, ast.Slice):
                if node.slice.step is not None:
                    raise Unsupported("slices with a step", line)
                bounds = [b for b in (node.slice.lower, node.slice.upper)]
                for q, values in self.exprs([b for b in bounds if b is not None], p):
                    it = iter(values)
                    lower = next(it) if node.slice.lower is not None else None
                    upper = next(it) if node.slice.upper is not None else None
                    out.append((q, self.slice(base, lower, upper, line)))
                continue
            for q, key in self.expr(node.slice, p):
                if key is None:
                    out.append((q, None))
                    continue
                out.append((q, self.index(base, key, q, line, ast.unparse(node))))
        return out

    def index(self, base: Value, key: Value, path: Path, line: int, text: str) -> Value:
        if isinstance(base, DictV):
            k = atomic_expr(key, base.key, line)
            self.oblige(
                path, "raise", f"{text}: key present", line, z3.Select(base.has, k), "KeyError"
            )
            return atomic(base.value, z3.Select(base.val, k))
        if isinstance(base, AssocV):
            self.oblige(
                path,
                "raise",
                f"{text}: key present",
                line,
                self.contains(base, key, line),
                "KeyError",
            )
            result: Value | None = None
            for present, k, v in base.entries:
                hit = z3.And(present, equal(k, key, line))
                result = v if result is None else merge(hit, v, result, line)
            if result is None:
                raise Unsupported("indexing an empty dict", line)
            return result
        if isinstance(base, ObjV) and base.cls == "__deal__" and isinstance(key, StrV):
            name = z3.simplify(key.e)
            if z3.is_string_value(name) and name.as_string() in base.fields:
                return base.fields[name.as_string()]
        i = to_int(key, line)
        if isinstance(base, TupleV):
            constant = z3.simplify(i)
            size = len(base.items)
            if z3.is_int_value(constant):
                position = constant.as_long()
                if not -size <= position < size:
                    self.oblige(
                        path, "raise", f"{text} in range", line, z3.BoolVal(False), "IndexError"
                    )
                    raise Ended(path.end("raise", raised="IndexError", line=line))
                item: Value = base.items[position]
                return item
            self.oblige(
                path, "raise", f"{text} in range", line, z3.And(i >= -size, i < size), "IndexError"
            )
            result = base.items[-1] if base.items else NoneV()
            for position in range(size - 1):
                result = merge(
                    z3.Or(i == position, i == position - size), base.items[position], result, line
                )
            return result
        size = length(base, line)
        self.oblige(
            path, "raise", f"{text} in range", line, z3.And(i >= -size, i < size), "IndexError"
        )
        at = z3.If(i < 0, size + i, i)
        if isinstance(base, SeqV):
            return atomic(base.elem, base.e[at])
        if isinstance(base, StrV):
            return StrV(z3.SubString(base.e, at, 1))
        if isinstance(base, BListV):
            result = base.items[-1]
            for position in range(len(base.items) - 1):
                result = merge(at == position, base.items[position], result, line)
            self.ctx.cuts.append(((at >= len(base.items),), "list elements beyond the bound"))
            return result
        raise Unsupported(f"indexing {base.kind}", line)

    def slice(self, base: Value, lower: Value | None, upper: Value | None, line: int) -> Value:
        if isinstance(base, TupleV):
            lo = z3.simplify(to_int(lower, line)) if lower is not None else None
            hi = z3.simplify(to_int(upper, line)) if upper is not None else None
            if (lo is None or z3.is_int_value(lo)) and (hi is None or z3.is_int_value(hi)):
                return TupleV(
                    base.items[
                        slice(
                            lo.as_long() if lo is not None else None,
                            hi.as_long() if hi is not None else None,
                        )
                    ]
                )
            raise Unsupported("a tuple slice with symbolic bounds", line)
        if not isinstance(base, SeqV | StrV):
            raise Unsupported(f"slicing {base.kind}", line)
        size = z3.Length(base.e)

        def norm(value: Value | None, default: z3.ArithRef) -> z3.ArithRef:
            if value is None:
                return default
            i = to_int(value, line)
            i = z3.If(i < 0, size + i, i)
            return z3.If(i < 0, 0, z3.If(i > size, size, i))

        lo = norm(lower, z3.IntVal(0))
        hi = norm(upper, size)
        part = z3.Extract(base.e, lo, z3.If(hi > lo, hi - lo, 0))
        if isinstance(base, StrV):
            return StrV(part)
        return SeqV(part, base.elem, base.tuple_like)

    def attribute(self, value: Value, name: str, line: int) -> Value:
        if isinstance(value, ObjV) and name in value.fields:
            return value.fields[name]
        raise Unsupported(f"attribute `{name}` of {value.kind}", line)
