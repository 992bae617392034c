"""Statements: assignments (with unpacking and stores into fields and sequences), if, return,
raise, assert, try/except, and blocks of them with a cap on the paths."""

from __future__ import annotations

import ast
import dataclasses

import z3

from verify.core import Core
from verify.state import MAX_PATHS, Path, is_false
from verify.values import (
    NoneV,
    ObjV,
    SeqV,
    TupleV,
    Unsupported,
    Value,
    atomic,
    atomic_expr,
    to_int,
    truth,
)


class Statements(Core):
    # --- statements ----------------------------------------------------------------------
    def block(self, statements: list[ast.stmt], paths: list[Path]) -> list[Path]:
        for statement in statements:
            next_paths: list[Path] = []
            for path in paths:
                if path.status != "live":
                    next_paths.append(path)
                else:
                    next_paths.extend(self.statement(statement, path))
            paths = (
                [p for p in next_paths if not is_false(z3.And(*p.cond))]
                if len(next_paths) > 16
                else next_paths
            )
            if len(paths) > MAX_PATHS:
                raise Unsupported(f"more than {MAX_PATHS} paths", statement.lineno)
        return paths

    def statement(self, node: ast.stmt, path: Path) -> list[Path]:
        line = node.lineno
        if isinstance(node, ast.Expr):
            if isinstance(node.value, ast.Constant):
                return [path]
            return [p for p, _ in self.expr(node.value, path)]
        if isinstance(node, ast.Assign):
            out = []
            for p, value in self.expr(node.value, path):
                if value is None:
                    out.append(p)
                    continue
                shared = isinstance(node.value, ast.Name | ast.Subscript | ast.Attribute)
                for target in node.targets:
                    p = self.assign(target, value, p, line)
                    if isinstance(target, ast.Name):
                        p = p.bind(target.id, p.env[target.id], rebinding=True, borrowed=shared)
                out.append(p)
            return out
        if isinstance(node, ast.AnnAssign):
            if node.value is None:
                return [path]
            return [
                p if v is None else self.assign(node.target, v, p, line)
                for p, v in self.expr(node.value, path)
            ]
        if isinstance(node, ast.AugAssign):
            load = _as_load(node.target)
            binop = ast.copy_location(ast.BinOp(load, node.op, node.value), node)
            return [
                p if v is None else self.assign(node.target, v, p, line)
                for p, v in self.expr(binop, path)
            ]
        if isinstance(node, ast.Return):
            if node.value is None:
                return [path.end("return", NoneV(), line=line)]
            return [
                p if v is None else p.end("return", v, line=line)
                for p, v in self.expr(node.value, path)
            ]
        if isinstance(node, ast.If):
            out = []
            for p, value in self.expr(node.test, path):
                if value is None:
                    out.append(p)
                    continue
                condition = truth(value, line)
                taken = p.add(condition)
                other = p.add(z3.Not(condition))
                if not is_false(condition):
                    out.extend(self.block(node.body, [taken]))
                if not is_false(z3.Not(condition)):
                    out.extend(self.block(node.orelse, [other]) if node.orelse else [other])
            return out
        if isinstance(node, ast.For):
            return self.for_loop(node, path)
        if isinstance(node, ast.While):
            return self.while_loop(node, path)
        if isinstance(node, ast.Raise):
            return [path.end("raise", raised=_exception_name(node.exc), line=line)]
        if isinstance(node, ast.Assert):
            out = []
            for p, value in self.expr(node.test, path):
                if value is None:
                    out.append(p)
                    continue
                condition = truth(value, line)
                text = ast.get_source_segment(self.ctx.source, node.test) or ast.unparse(node.test)
                kind = "post" if line in self.ctx.post_asserts else "assert"
                self.oblige(p, kind, text, line, condition, "AssertionError")
                out.append(p.add(condition))
            return out
        if isinstance(node, ast.Pass | ast.Import | ast.ImportFrom):
            return [path]
        if isinstance(node, ast.Break):
            return [path.end("break")]
        if isinstance(node, ast.Continue):
            return [path.end("continue")]
        if isinstance(node, ast.Try):
            return self.try_block(node, path)
        raise Unsupported(f"statement `{type(node).__name__}`", line)

    def try_block(self, node: ast.Try, path: Path) -> list[Path]:
        if node.finalbody:
            raise Unsupported("try/finally", node.lineno)
        out = []
        for end in self.block(node.body, [path]):
            if end.status == "raise":
                handler = next((h for h in node.handlers if _catches(h, end.raised)), None)
                if handler is not None:
                    if handler.name:
                        raise Unsupported("`except ... as name`", handler.lineno)
                    resumed = dataclasses.replace(end, status="live", raised=None)
                    out.extend(self.block(handler.body, [resumed]))
                    continue
            if end.status == "live" and node.orelse:
                out.extend(self.block(node.orelse, [end]))
            else:
                out.append(end)
        return out

    def assign(self, target: ast.expr, value: Value, path: Path, line: int) -> Path:
        if isinstance(target, ast.Name):
            return path.bind(target.id, value)
        if isinstance(target, ast.Tuple | ast.List):
            items = self.unpack(value, len(target.elts), path, line)
            for sub, item in zip(target.elts, items, strict=True):
                path = self.assign(sub, item, path, line)
            return path
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
            obj = path.env.get(target.value.id)
            if isinstance(obj, ObjV):
                fields = dict(obj.fields)
                fields[target.attr] = value
                return path.bind(target.value.id, ObjV(obj.cls, fields), rebinding=False)
        if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            seq = path.env.get(target.value.id)
            if isinstance(seq, SeqV) and not isinstance(target.slice, ast.Slice):
                results = self.expr(target.slice, path)
                if len(results) == 1 and results[0][1] is not None:
                    index = to_int(results[0][1], line)
                    size = z3.Length(seq.e)
                    self.oblige(
                        path,
                        "raise",
                        f"{ast.unparse(target)} in range",
                        line,
                        z3.And(index >= -size, index < size),
                        "IndexError",
                    )
                    at = z3.If(index < 0, size + index, index)
                    element = atomic_expr(value, seq.elem, line)
                    updated = z3.Concat(
                        z3.Extract(seq.e, 0, at),
                        z3.Unit(element),
                        z3.Extract(seq.e, at + 1, size - at - 1),
                    )
                    return path.bind(
                        target.value.id, SeqV(updated, seq.elem, seq.tuple_like), rebinding=False
                    )
        raise Unsupported(f"assignment to `{ast.unparse(target)}`", line)

    def unpack(self, value: Value, count: int, path: Path, line: int) -> list[Value]:
        if isinstance(value, TupleV):
            if len(value.items) != count:
                raise Unsupported("unpacking a tuple of another size", line)
            return list(value.items)
        if isinstance(value, SeqV):
            self.oblige(
                path,
                "raise",
                f"unpacking {count} values",
                line,
                z3.Length(value.e) == count,
                "ValueError",
            )
            return [atomic(value.elem, value.e[i]) for i in range(count)]
        raise Unsupported(f"unpacking {value.kind}", line)


def _as_load(target: ast.expr) -> ast.expr:
    copy = ast.parse(ast.unparse(target), mode="eval").body
    return ast.copy_location(copy, target)


def _exception_name(node: ast.expr | None) -> str:
    if node is None:
        return "Exception"
    if isinstance(node, ast.Call):
        node = node.func
    return ast.unparse(node).rsplit(".", 1)[-1]


_HIERARCHY = {
    "ZeroDivisionError": "ArithmeticError",
    "ArithmeticError": "Exception",
    "IndexError": "LookupError",
    "KeyError": "LookupError",
    "LookupError": "Exception",
    "Exception": "BaseException",
}


def _catches(handler: ast.ExceptHandler, raised: str | None) -> bool:
    if handler.type is None:
        return True
    names = [
        ast.unparse(e).rsplit(".", 1)[-1]
        for e in (handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type])
    ]
    current = raised or "Exception"
    while current:
        if current in names:
            return True
        current = _HIERARCHY.get(
            current,
            "Exception"
            if current not in ("Exception", "BaseException")
            else ("BaseException" if current == "Exception" else ""),
        )
    return False
