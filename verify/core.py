"""What every part of the executor shares: the context, obligations, raised paths, values the
translator does not model (and what passing a value to such code does to it), and the
signatures of the parts the others call (statements, loops, expressions, subscripts, calls)."""

from __future__ import annotations

import ast
from collections.abc import Callable

import z3

from verify.operations import is_none
from verify.state import Context, Obligation, Path, Results, Stream, is_false
from verify.values import (
    SORTS,
    AnyV,
    AssocV,
    BListV,
    DictV,
    ObjV,
    OptV,
    SeqV,
    SetV,
    TupleV,
    Value,
    atomic,
)

Rebind = Callable[[Path, Value], Path]


class Core:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.depth = 0

    # --- obligations and raised paths -----------------------------------------------------
    def oblige(
        self,
        path: Path,
        kind: str,
        text: str,
        line: int,
        check: z3.BoolRef,
        raises: str | None = None,
    ) -> None:
        if self.ctx.collect and not z3.is_true(z3.simplify(check)):
            self.ctx.obligations.append(Obligation(kind, text, line, path.cond, check, raises))

    def raise_path(
        self, path: Path, raised: str | None, what: str | None, line: int, kind: str = "raise"
    ) -> None:
        """The path ends here with `raised` (Python's exception); the statement carries it."""
        if what is not None and self.ctx.collect:
            point = (kind, what, line)
            if point not in self.ctx.points:
                self.ctx.points.append(point)
        if not is_false(z3.And(*path.cond)):
            self.ctx.sink.append(path.end("raise", None, raised, line, what, kind))
            if what is not None and self.ctx.collect:
                self.ctx.feasible.add((kind, what, line))

    def unless(self, path: Path, ok: z3.BoolRef, raised: str, what: str, line: int) -> Path:
        """Python raises `raised` where `ok` fails: that path ends, the returned one goes on."""
        if z3.is_true(z3.simplify(ok)):
            return path
        self.raise_path(path.add(z3.Not(ok)), raised, what, line)
        return path.add(ok)

    def unwrap(
        self, path: Path, value: Value, line: int, raised: str, what: str
    ) -> tuple[Path, Value]:
        """An Optional value used where None raises: the None case ends its path."""
        if isinstance(value, OptV):
            return self.unless(path, z3.Not(value.none), raised, what, line), value.value
        return path, value

    # --- code the translator does not model ------------------------------------------------
    def any_value(self, name: str, cls: str | None = None, nullable: bool = False) -> AnyV:
        """A fresh object nothing is known about (its identity is not a new object's)."""
        ident = self.ctx.fresh(f"id({name})", z3.IntSort())
        none = self.ctx.fresh(f"{name} is None", z3.BoolSort()) if nullable else z3.BoolVal(False)
        truthy = self.ctx.fresh(f"bool({name})", z3.BoolSort())
        size = self.ctx.fresh(f"len({name})", z3.IntSort())
        self.ctx.facts.extend([ident >= 0, size >= 0, z3.Implies(none, z3.Not(truthy))])
        return AnyV(name, ident, none, truthy, size, cls)

    def new_ident(self) -> z3.ArithRef:
        """The identity of an object created here: unlike every input's and every other."""
        self.ctx.fresh_count += 1
        return z3.IntVal(-self.ctx.fresh_count)

    def unmodelled(self, path: Path, what: str, line: int) -> None:
        """Code the translator does not follow ran here: inside a try body, its exceptions
        may be caught, so a path where it raised goes on to the handlers."""
        self.ctx.note_unmodelled(what)
        self.ctx.unmodelled_calls += 1
        if self.ctx.try_depth > 0:
            self.raise_path(path, None, None, line)

    def capture(self, node: ast.AST) -> None:
        """The running function's locals a nested function or lambda uses (may change in
        place) or rebinds (`nonlocal`)."""
        for child in ast.walk(node):
            if isinstance(child, ast.Nonlocal):
                self.ctx.captured.update({n: True for n in child.names})
            elif isinstance(child, ast.Name) and child.id in self.ctx.local_names:
                self.ctx.captured.setdefault(child.id, False)

    def havoc_captured(self, path: Path) -> Path:
        """After code the translator does not follow: what closures hold may have changed."""
        for name, rebound in self.ctx.captured.items():
            if name in path.env:
                old = path.env[name]
                new = self.fresh_field(old, name) if rebound else self.fresh_like(old, name)
                if new is not old:
                    path = path.bind(name, new, rebinding=False)
        return path

    def fresh_like(self, value: Value, name: str) -> Value:
        """What `value` may be after code the translator does not follow had it."""
        if isinstance(value, SeqV) and not value.tuple_like:
            return SeqV(self.ctx.fresh(name, z3.SeqSort(SORTS[value.elem])), value.elem)
        if isinstance(value, BListV) and not value.tuple_like:
            size = self.ctx.fresh(f"len({name})", z3.IntSort())
            self.ctx.facts.append(size >= 0)
            items = tuple(self.fresh_like(v, f"{name}[{i}]") for i, v in enumerate(value.items))
            return BListV(size, items)
        if isinstance(value, DictV):
            size = self.ctx.fresh(f"len({name})", z3.IntSort())
            self.ctx.facts.append(size >= 0)
            has = self.ctx.fresh(f"{name}.keys", z3.ArraySort(SORTS[value.key], z3.BoolSort()))
            val = self.ctx.fresh(
                f"{name}.values", z3.ArraySort(SORTS[value.key], SORTS[value.value])
            )
            return DictV(has, val, value.key, value.value, size)
        if isinstance(value, SetV):
            size = self.ctx.fresh(f"len({name})", z3.IntSort())
            self.ctx.facts.append(size >= 0)
            has = self.ctx.fresh(name, z3.ArraySort(SORTS[value.elem], z3.BoolSort()))
            return SetV(has, value.elem, size)
        if isinstance(value, AssocV):
            return self.any_value(name)
        if isinstance(value, ObjV) and value.ident is not None:
            fields = {k: self.fresh_field(v, f"{name}.{k}") for k, v in value.fields.items()}
            return ObjV(value.cls, fields, value.ident)
        if isinstance(value, TupleV):
            return TupleV(
                tuple(self.fresh_like(v, f"{name}[{i}]") for i, v in enumerate(value.items))
            )
        if isinstance(value, OptV):
            return OptV(value.none, self.fresh_like(value.value, name))
        return value

    def fresh_field(self, value: Value, name: str) -> Value:
        """A field may be rebound, not only changed in place."""
        if value.kind in SORTS:
            return atomic(value.kind, self.ctx.fresh(name, SORTS[value.kind]))
        if isinstance(value, AnyV):
            return self.any_value(name, value.cls, nullable=not z3.is_false(is_none(value)))
        return self.fresh_like(value, name)

    def havoc(self, path: Path, nodes: list[ast.expr]) -> Path:
        """Values passed to code the translator does not follow may come back changed: the
        names (or fields) they are held by are rebound in place, so aliases see it, to fresh
        values. Code is assumed not to reach objects it was not given."""
        for node in nodes:
            if isinstance(node, ast.Name) and node.id in path.env:
                old = path.env[node.id]
                new = self.fresh_like(old, node.id)
                if new is not old:
                    path = path.bind(node.id, new, rebinding=False)
                continue
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                owner = path.env.get(node.value.id)
                if isinstance(owner, ObjV) and node.attr in owner.fields:
                    old = owner.fields[node.attr]
                    new = self.fresh_like(old, ast.unparse(node))
                    if new is not old:
                        fields = {**owner.fields, node.attr: new}
                        path = path.bind(
                            node.value.id, ObjV(owner.cls, fields, owner.ident), rebinding=False
                        )
                    continue
            base = node
            while isinstance(base, ast.Attribute | ast.Subscript | ast.Starred):
                base = base.value
            if isinstance(base, ast.Name) and base.id in path.env and base is not node:
                old = path.env[base.id]
                new = self.fresh_like(old, base.id)
                if new is not old:
                    path = path.bind(base.id, new, rebinding=False)
        return path

    # --- the parts, for their mutual calls (defined in the modules named) -------------------
    def block(self, statements: list[ast.stmt], paths: list[Path]) -> list[Path]:
        raise NotImplementedError  # statements.py

    def for_loop(self, node: ast.For, path: Path) -> list[Path]:
        raise NotImplementedError  # loops.py

    def while_loop(self, node: ast.While, path: Path) -> list[Path]:
        raise NotImplementedError  # loops.py

    def rebinder(self, receiver: ast.expr, path: Path, line: int) -> Rebind | None:
        raise NotImplementedError  # calls.py

    def narrow(self, test: ast.expr, path: Path, holds: bool) -> Path:
        raise NotImplementedError  # statements.py

    def comprehension(self, node: ast.expr, path: Path) -> list[tuple[Path, Stream]]:
        raise NotImplementedError  # loops.py

    def subscript(self, node: ast.expr, path: Path) -> Results:
        raise NotImplementedError  # subscripts.py

    def attribute_expr(self, node: ast.expr, path: Path) -> Results:
        raise NotImplementedError  # subscripts.py

    def call_expr(self, node: ast.expr, path: Path) -> Results:
        raise NotImplementedError  # calls.py

    def call_method_of(
        self, obj: ObjV, method: ast.FunctionDef, cls: ast.ClassDef | None, path: Path, line: int
    ) -> Results:
        raise NotImplementedError  # calls.py

    def opaque_call(
        self, node: ast.Call, path: Path, line: int, what: str, cls: str | None = None
    ) -> Results:
        raise NotImplementedError  # calls.py

    def bind_args(
        self,
        fn: ast.FunctionDef | ast.AsyncFunctionDef,
        node: ast.Call,
        path: Path,
        line: int,
        prefix: list[Value] | None = None,
        receiver: ast.expr | None = None,
    ) -> list[tuple[Path, dict[str, Value], dict[str, ast.expr]]]:
        raise NotImplementedError  # calls.py

    def assign(self, target: ast.expr, value: Value, path: Path, line: int) -> Path:
        raise NotImplementedError  # statements.py

    def iterate(self, iterable: ast.expr, path: Path, line: int) -> list[tuple[Path, Stream]]:
        raise NotImplementedError  # loops.py

    def stream(self, value: Value, path: Path, line: int) -> tuple[Path, Stream]:
        raise NotImplementedError  # loops.py

    def items_of(self, node: ast.expr, path: Path, line: int) -> list[tuple[Path, Stream]]:
        raise NotImplementedError  # loops.py

    def exprs(self, nodes: list[ast.expr], path: Path) -> list[tuple[Path, list[Value]]]:
        raise NotImplementedError  # expressions.py

    def expr(self, node: ast.expr, path: Path) -> Results:
        raise NotImplementedError  # expressions.py

    def formula(
        self,
        node: ast.expr,
        env: dict[str, Value],
        line: int,
        lambda_args: tuple[str, ...] | None = None,
        path: Path | None = None,
    ) -> z3.BoolRef:
        raise NotImplementedError  # expressions.py

    def abstract(self, more: z3.BoolRef, reason: str) -> None:
        raise NotImplementedError  # expressions.py

    def from_stream(self, stream: Stream, line: int) -> Value:
        raise NotImplementedError  # expressions.py

    def binary(
        self, op: ast.operator, left: Value, right: Value, path: Path, line: int
    ) -> tuple[Path, Value]:
        raise NotImplementedError  # expressions.py

    def compare(self, op: ast.cmpop, left: Value, right: Value, line: int) -> z3.BoolRef:
        raise NotImplementedError  # expressions.py

    def contains(self, container: Value, item: Value, line: int) -> z3.BoolRef:
        raise NotImplementedError  # expressions.py

    def index(
        self, base: Value, key: Value, path: Path, line: int, text: str
    ) -> tuple[Path, Value]:
        raise NotImplementedError  # subscripts.py

    def attribute(self, value: Value, name: str, path: Path, line: int) -> Results:
        raise NotImplementedError  # subscripts.py

    def call(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        args: dict[str, Value],
        path: Path,
        line: int,
        cls: ast.ClassDef | None = None,
    ) -> list[Path]:
        raise NotImplementedError  # calls.py

    def call_value(self, target: Value, node: ast.Call, path: Path, line: int) -> Results:
        raise NotImplementedError  # calls.py
