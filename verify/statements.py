"""Statements: assignments (with unpacking and stores into fields, sequences and dicts), if
(narrowing Optional names), return, raise, assert, try/except/else/finally, with, del, and
blocks of them with a cap on the paths. Every raise is a path that ends, as in Python."""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Callable

import z3

from bot.core import pysyntax
from verify.core import Core
from verify.exceptions import catches, exception_name
from verify.operations import truth
from verify.specs import segment
from verify.state import MAX_PATHS, Path, is_false
from verify.values import (
    AnyV,
    AssocV,
    BListV,
    DictV,
    NoneV,
    ObjV,
    OptV,
    SeqV,
    StrV,
    TupleV,
    Unsupported,
    Value,
    atomic,
    atomic_expr,
    mutable,
    to_int,
)

Handler = Callable[["Statements", ast.stmt, Path], list[Path]]


class Statements(Core):
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
            if sum(p.status == "live" for p in paths) > MAX_PATHS:
                raise Unsupported(f"more than {MAX_PATHS} paths", statement.lineno, "budget:paths")
        return paths

    def statement(self, node: ast.stmt, path: Path) -> list[Path]:
        """One statement from one path; the paths its expressions ended (raises) with it."""
        self.ctx.tick()
        handler = _HANDLERS.get(type(node))
        if handler is None:
            raise Unsupported(
                f"statement `{type(node).__name__}`", node.lineno, f"node:{type(node).__name__}"
            )
        outer = self.ctx.sink
        self.ctx.sink = []
        try:
            out = handler(self, node, path)
            return out + self.ctx.sink
        finally:
            self.ctx.sink = outer

    # --- simple statements --------------------------------------------------------------------
    def expression_statement(self, node: ast.stmt, path: Path) -> list[Path]:
        assert isinstance(node, ast.Expr)
        if isinstance(node.value, ast.Constant):
            return [path]
        return [p for p, _ in self.expr(node.value, path)]

    def assignment(self, node: ast.stmt, path: Path) -> list[Path]:
        assert isinstance(node, ast.Assign)
        out = []
        for p, value in self.expr(node.value, path):
            if value is None:
                out.append(p)
                continue
            for target in node.targets:
                p = self.assign(target, value, p, node.lineno)
                if isinstance(target, ast.Name):
                    p = self.share(target.id, node.value, value, p)
            out.append(p)
        return out

    def share(self, name: str, source: ast.expr, value: Value, path: Path) -> Path:
        """`name = other` makes one object two names: a change through either is seen
        through both. An item of a container is borrowed: not changed through the name."""
        if not mutable(value):
            return path.bind(name, value, borrowed=False)
        if isinstance(source, ast.Name) and source.id in path.env and source.id != name:
            return path.bind(name, value, borrowed=source.id in path.borrowed).alias(
                name, source.id
            )
        if (
            isinstance(source, ast.Attribute)
            and isinstance(source.value, ast.Name)
            and isinstance(path.env.get(source.value.id), ObjV)
            and source.value.id not in path.borrowed
        ):
            return path.bind(name, value, borrowed=False).alias(name, ast.unparse(source))
        shared = isinstance(source, ast.Subscript | ast.Attribute)
        return path.bind(name, value, borrowed=shared)

    def annotated(self, node: ast.stmt, path: Path) -> list[Path]:
        assert isinstance(node, ast.AnnAssign)
        if node.value is None:
            return [path]
        return [
            p if v is None else self.assign(node.target, v, p, node.lineno)
            for p, v in self.expr(node.value, path)
        ]

    def augmented(self, node: ast.stmt, path: Path) -> list[Path]:
        assert isinstance(node, ast.AugAssign)
        load = _as_load(node.target)
        binop = ast.copy_location(ast.BinOp(load, node.op, node.value), node)
        return [
            p if v is None else self.assign(node.target, v, p, node.lineno)
            for p, v in self.expr(binop, path)
        ]

    def return_statement(self, node: ast.stmt, path: Path) -> list[Path]:
        assert isinstance(node, ast.Return)
        if node.value is None:
            return [path.end("return", NoneV(), line=node.lineno)]
        return [
            p if v is None else p.end("return", v, line=node.lineno)
            for p, v in self.expr(node.value, path)
        ]

    def raise_statement(self, node: ast.stmt, path: Path) -> list[Path]:
        assert isinstance(node, ast.Raise)
        name = exception_name(node.exc)
        return [path.end("raise", raised=name, line=node.lineno, what=f"raises {name}")]

    def assertion(self, node: ast.stmt, path: Path) -> list[Path]:
        assert isinstance(node, ast.Assert)
        out = []
        text = segment(self.ctx.source, node.test) or ast.unparse(node.test)
        kind = "post" if node.lineno in self.ctx.post_asserts else "assert"
        for p, value in self.expr(node.test, path):
            if value is None:
                out.append(p)
                continue
            condition = truth(value, node.lineno)
            if not z3.is_true(z3.simplify(condition)):
                failed = p.add(z3.Not(condition))
                self.raise_path(failed, "AssertionError", text, node.lineno, kind)
            out.append(p.add(condition))
        return out

    def nothing(self, node: ast.stmt, path: Path) -> list[Path]:
        return [path]

    def imports(self, node: ast.stmt, path: Path) -> list[Path]:
        assert isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names:
            if alias.name == "*":
                raise Unsupported("`import *` in a function", node.lineno, "node:ImportStar")
            name = (alias.asname or alias.name).split(".")[0]
            path = path.bind(name, self.any_value(f"module {alias.name}"))
        return [path]

    def break_statement(self, node: ast.stmt, path: Path) -> list[Path]:
        return [path.end("break")]

    def continue_statement(self, node: ast.stmt, path: Path) -> list[Path]:
        return [path.end("continue")]

    def nested_definition(self, node: ast.stmt, path: Path) -> list[Path]:
        """A nested def or class: a callable the translator does not follow. What it closes
        over may change whenever code the translator does not follow runs (it may call it)."""
        assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        self.capture(node)
        return [path.bind(node.name, self.any_value(f"local `{node.name}`"))]

    def delete(self, node: ast.stmt, path: Path) -> list[Path]:
        assert isinstance(node, ast.Delete)
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id in path.env:
                env = dict(path.env)
                del env[target.id]
                path = dataclasses.replace(path, env=env, rebound=path.rebound | {target.id})
            elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                path = self.delete_key(target, path, node.lineno)
            else:
                raise Unsupported(f"`del {ast.unparse(target)}`", node.lineno, "node:Delete")
        return [path]

    def delete_key(self, target: ast.Subscript, path: Path, line: int) -> Path:
        assert isinstance(target.value, ast.Name)
        name = target.value.id
        container = path.env.get(name)
        results = self.expr(target.slice, path)
        if len(results) != 1 or results[0][1] is None or not isinstance(container, DictV):
            raise Unsupported(f"`del {ast.unparse(target)}`", line, "node:Delete")
        path, key = results[0][0], results[0][1]
        k = atomic_expr(key, container.key, line)
        path = self.unless(
            path,
            z3.Select(container.has, k),
            "KeyError",
            f"{ast.unparse(target)}: key present",
            line,
        )
        updated = DictV(
            z3.Store(container.has, k, False),
            container.val,
            container.key,
            container.value,
            container.size - 1,
        )
        return path.bind(name, updated, rebinding=False)

    # --- compound statements -------------------------------------------------------------------
    def if_statement(self, node: ast.stmt, path: Path) -> list[Path]:
        assert isinstance(node, ast.If)
        out = []
        for p, value in self.expr(node.test, path):
            if value is None:
                out.append(p)
                continue
            condition = truth(value, node.lineno)
            if not is_false(condition):
                taken = self.narrow(node.test, p.add(condition), True)
                out.extend(self.block(node.body, [taken]))
            if not is_false(z3.Not(condition)):
                other = self.narrow(node.test, p.add(z3.Not(condition)), False)
                out.extend(self.block(node.orelse, [other]) if node.orelse else [other])
        return out

    def narrow(self, test: ast.expr, path: Path, holds: bool) -> Path:
        """`if x is None` / `if x is not None` / `if x`: the Optional `x` is known inside."""
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return self.narrow(test.operand, path, not holds)
        if isinstance(test, ast.BoolOp):
            if isinstance(test.op, ast.And) == holds:  # every operand holds (or fails)
                for operand in test.values:
                    path = self.narrow(operand, path, holds)
            return path
        name, none = None, None
        if isinstance(test, ast.Name):
            name, none = test.id, False if holds else None
        elif (
            isinstance(test, ast.Compare)
            and len(test.ops) == 1
            and isinstance(test.left, ast.Name)
            and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value is None
            and isinstance(test.ops[0], ast.Is | ast.IsNot)
        ):
            name = test.left.id
            none = holds == isinstance(test.ops[0], ast.Is)
        value = path.env.get(name) if name is not None else None
        if name is None or not isinstance(value, OptV) or none is None:
            return path
        return path.bind(name, NoneV() if none else value.value, rebinding=False)

    def with_statement(self, node: ast.stmt, path: Path) -> list[Path]:
        """The context manager is code the translator does not follow: its `__exit__` may
        swallow what the body raises, so a raise inside is never reported from here, and the
        path may go on after the block."""
        assert isinstance(node, ast.With)
        paths = [path]
        for item in node.items:
            entered = []
            for p in paths:
                for q, _ in self.expr(item.context_expr, p):
                    if q.status != "live":
                        entered.append(q)
                        continue
                    self.unmodelled(
                        q, f"the context manager `{ast.unparse(item.context_expr)}`", node.lineno
                    )
                    if item.optional_vars is not None:
                        q = self.assign(
                            item.optional_vars, self.any_value("a context"), q, node.lineno
                        )
                    entered.append(q)
            paths = entered
        live = [p for p in paths if p.status == "live"]
        out = [p for p in paths if p.status != "live"]
        self.ctx.try_depth += 1
        try:
            ends = self.block(node.body, live)
        finally:
            self.ctx.try_depth -= 1
        for end in ends:
            if end.status == "raise":
                out.append(end.end("raise", None, None, end.line))  # not known to escape
                out.append(
                    dataclasses.replace(end, status="live", raised=None, what=None, uncertain=True)
                )
            else:
                out.append(end)
        return out

    def try_statement(self, node: ast.stmt, path: Path) -> list[Path]:
        assert isinstance(node, ast.Try)
        self.ctx.try_depth += 1
        before = self.ctx.unmodelled_calls
        try:
            ends = self.block(node.body, [path])
        finally:
            self.ctx.try_depth -= 1
        if self.ctx.unmodelled_calls > before and node.handlers:
            # The body runs code the translator does not follow and expects it may raise:
            # which way it went is unknown, so no path out of here is a counterexample.
            ends = [dataclasses.replace(e, uncertain=True) for e in ends]

        out: list[Path] = []
        for end in ends:
            if end.status == "raise":
                out.extend(self.handle(node, end))
            elif end.status == "live" and node.orelse:
                out.extend(self.block(node.orelse, [end]))
            else:
                out.append(end)
        if node.finalbody:
            out = [q for p in out for q in self.finally_block(node.finalbody, p)]
        return out

    def handle(self, node: ast.Try, end: Path) -> list[Path]:
        """A raised path through the handlers: caught by the first that surely catches it;
        those that may catch it (a name the translator cannot see) fork."""
        out = []
        for handler in node.handlers:
            verdict = catches(handler, end.raised, self.ctx.classes)
            if verdict == "no":
                continue
            resumed = dataclasses.replace(
                end,
                status="live",
                raised=None,
                what=None,
                uncertain=end.uncertain or verdict == "maybe" or end.raised is None,
            )
            if handler.name:
                caught = self.any_value(f"the exception `{handler.name}`", end.raised)
                resumed = resumed.bind(handler.name, caught)
            out.extend(self.block(handler.body, [resumed]))
            if verdict == "yes":
                return out
        out.append(dataclasses.replace(end, uncertain=True) if out else end)
        return out

    def finally_block(self, body: list[ast.stmt], end: Path) -> list[Path]:
        """`finally` runs on every way out; where it ends normally, the way out resumes."""
        resumed = dataclasses.replace(end, status="live")
        out = []
        for after in self.block(body, [resumed]):
            if after.status == "live":
                out.append(
                    dataclasses.replace(
                        after,
                        status=end.status,
                        value=end.value,
                        raised=end.raised,
                        line=end.line,
                        what=end.what,
                        what_kind=end.what_kind,
                    )
                )
            else:
                out.append(after)
        return out

    def loop(self, node: ast.stmt, path: Path) -> list[Path]:
        if isinstance(node, ast.For):
            return self.for_loop(node, path)
        assert isinstance(node, ast.While)
        return self.while_loop(node, path)

    # --- assignment targets ------------------------------------------------------------------
    def assign(self, target: ast.expr, value: Value, path: Path, line: int) -> Path:
        if isinstance(target, ast.Name):
            return path.bind(target.id, value)
        if isinstance(target, ast.Tuple | ast.List):
            if any(isinstance(e, ast.Starred) for e in target.elts):
                raise Unsupported("starred assignment", line, "node:Starred")
            path, items = self.unpack(value, len(target.elts), path, line)
            for sub, item in zip(target.elts, items, strict=True):
                path = self.assign(sub, item, path, line)
            return path
        if isinstance(target, ast.Attribute):
            return self.assign_attribute(target, value, path, line)
        if isinstance(target, ast.Subscript) and not isinstance(target.slice, ast.Slice):
            return self.assign_item(target, value, path, line)
        raise Unsupported(
            f"assignment to `{ast.unparse(target)}`", line, f"node:{type(target).__name__}-store"
        )

    def assign_attribute(self, target: ast.Attribute, value: Value, path: Path, line: int) -> Path:
        rebind = self.rebinder(target.value, path, line)
        results = self.expr(target.value, path)
        if len(results) != 1 or results[0][1] is None:
            raise Unsupported(
                f"assignment to `{ast.unparse(target)}`", line, "node:Attribute-store"
            )
        path, obj = results[0][0], results[0][1]
        path, obj = self.unwrap(
            path, obj, line, "AttributeError", f"{ast.unparse(target.value)} is not None"
        )
        if isinstance(obj, ObjV) and rebind is not None:
            path = path.unalias(ast.unparse(target))
            return rebind(path, ObjV(obj.cls, {**obj.fields, target.attr: value}, obj.ident))
        if isinstance(obj, AnyV):
            self.unmodelled(path, f"setting `{ast.unparse(target)}`", line)
            return path
        raise Unsupported(f"assignment to `{ast.unparse(target)}`", line, "node:Attribute-store")

    def assign_item(self, target: ast.Subscript, value: Value, path: Path, line: int) -> Path:
        rebind = self.rebinder(target.value, path, line)
        states = self.exprs([target.value, target.slice], path)
        if len(states) != 1:
            raise Unsupported(
                f"assignment to `{ast.unparse(target)}`", line, "node:Subscript-store"
            )
        path, (container, key) = states[0]
        path, container = self.unwrap(
            path, container, line, "TypeError", f"{ast.unparse(target.value)} is not None"
        )
        if isinstance(container, AnyV):
            self.unmodelled(path, f"setting `{ast.unparse(target)}`", line)
            return path
        if rebind is None:
            raise Unsupported(
                f"`{ast.unparse(target)} = ...` on an object that may be shared",
                line,
                "alias:store",
            )
        path, updated = self.stored(container, key, value, path, line, ast.unparse(target))
        return rebind(path, updated)

    def stored(
        self, container: Value, key: Value, value: Value, path: Path, line: int, text: str
    ) -> tuple[Path, Value]:
        """The container after `container[key] = value`."""
        if isinstance(container, SeqV) and not container.tuple_like:
            index = to_int(key, line)
            size = z3.Length(container.e)
            path = self.unless(
                path, z3.And(index >= -size, index < size), "IndexError", f"{text} in range", line
            )
            at = z3.If(index < 0, size + index, index)
            element = atomic_expr(value, container.elem, line)
            updated = z3.Concat(
                z3.Extract(container.e, 0, at),
                z3.Unit(element),
                z3.Extract(container.e, at + 1, size - at - 1),
            )
            return path, SeqV(updated, container.elem)
        if isinstance(container, DictV):
            k = atomic_expr(key, container.key, line)
            v = atomic_expr(value, container.value, line)
            size = container.size + z3.If(z3.Select(container.has, k), 0, 1)
            return path, DictV(
                z3.Store(container.has, k, True),
                z3.Store(container.val, k, v),
                container.key,
                container.value,
                size,
            )
        if isinstance(container, AssocV):
            return path, AssocV((*container.entries, (z3.BoolVal(True), key, value)))
        raise Unsupported(
            f"item assignment on {container.kind}", line, f"node:Subscript-store({container.kind})"
        )

    def unpack(self, value: Value, count: int, path: Path, line: int) -> tuple[Path, list[Value]]:
        path, value = self.unwrap(
            path, value, line, "TypeError", "unpacking a value that is not None"
        )
        what = f"unpacking {count} values"
        if isinstance(value, TupleV):
            if len(value.items) != count:
                self.raise_path(path, "ValueError", what, line)
                return path.add(z3.BoolVal(False)), [NoneV()] * count
            return path, list(value.items)
        if isinstance(value, SeqV | StrV):
            path = self.unless(path, z3.Length(value.e) == count, "ValueError", what, line)
            if isinstance(value, StrV):
                return path, [StrV(z3.SubString(value.e, i, 1)) for i in range(count)]
            return path, [atomic(value.elem, value.e[i]) for i in range(count)]
        if isinstance(value, BListV) and count <= len(value.items):
            path = self.unless(path, value.length == count, "ValueError", what, line)
            return path, list(value.items[:count])
        if isinstance(value, AnyV):
            self.unmodelled(path, f"unpacking {value.name}", line)
            return path, [self.any_value(f"{value.name}[{i}]") for i in range(count)]
        raise Unsupported(f"unpacking {value.kind}", line, f"node:unpack({value.kind})")


def _as_load(target: ast.expr) -> ast.expr:
    copy = pysyntax.parse(ast.unparse(target), mode="eval").body
    return ast.copy_location(copy, target)


_HANDLERS: dict[type, Handler] = {
    ast.Expr: Statements.expression_statement,
    ast.Assign: Statements.assignment,
    ast.AnnAssign: Statements.annotated,
    ast.AugAssign: Statements.augmented,
    ast.Return: Statements.return_statement,
    ast.Raise: Statements.raise_statement,
    ast.Assert: Statements.assertion,
    ast.Pass: Statements.nothing,
    ast.Import: Statements.imports,
    ast.ImportFrom: Statements.imports,
    ast.Break: Statements.break_statement,
    ast.Continue: Statements.continue_statement,
    ast.If: Statements.if_statement,
    ast.For: Statements.loop,
    ast.While: Statements.loop,
    ast.Try: Statements.try_statement,
    ast.With: Statements.with_statement,
    ast.Delete: Statements.delete,
    # `global x`: x is the module's; the function's own reads and writes of it are modelled
    # as a local's, and the module-level name is never a constant (see Context).
    ast.Global: Statements.nothing,
    ast.Nonlocal: Statements.nothing,
    ast.FunctionDef: Statements.nested_definition,
    ast.AsyncFunctionDef: Statements.nested_definition,
    ast.ClassDef: Statements.nested_definition,
}
