"""What every part of the executor shares: the context, obligations, and the signatures of
the parts the others call (statements, loops, expressions, subscripts, calls)."""

from __future__ import annotations

import ast
from collections.abc import Callable

import z3

from verify.state import Context, Obligation, Path, Results, Stream
from verify.values import MethodChoice, Value


class Core:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.depth = 0

    # --- obligations ---------------------------------------------------------------------
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

    # --- the parts, for their mutual calls (defined in the modules named) -----------------
    def block(self, statements: list[ast.stmt], paths: list[Path]) -> list[Path]:
        raise NotImplementedError  # statements.py

    def statement(self, node: ast.stmt, path: Path) -> list[Path]:
        raise NotImplementedError  # statements.py

    def try_block(self, node: ast.Try, path: Path) -> list[Path]:
        raise NotImplementedError  # statements.py

    def assign(self, target: ast.expr, value: Value, path: Path, line: int) -> Path:
        raise NotImplementedError  # statements.py

    def unpack(self, value: Value, count: int, path: Path, line: int) -> list[Value]:
        raise NotImplementedError  # statements.py

    def iterate(self, iterable: ast.expr, path: Path, line: int) -> list[tuple[Path, Stream]]:
        raise NotImplementedError  # loops.py

    def stream(self, value: Value, line: int) -> Stream:
        raise NotImplementedError  # loops.py

    def for_loop(self, node: ast.For, path: Path) -> list[Path]:
        raise NotImplementedError  # loops.py

    def _loop_over_items(self, node: ast.For, container: str, name: str, path: Path) -> list[Path]:
        raise NotImplementedError  # loops.py

    def _iteration(self, body: list[ast.stmt], entered: Path) -> tuple[list[Path], list[Path]]:
        raise NotImplementedError  # loops.py

    def while_loop(self, node: ast.While, path: Path) -> list[Path]:
        raise NotImplementedError  # loops.py

    def comprehension(
        self, node: ast.ListComp | ast.GeneratorExp, path: Path
    ) -> list[tuple[Path, Stream]]:
        raise NotImplementedError  # loops.py

    def single(self, node: ast.expr, path: Path) -> Value:
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

    def _expr(self, node: ast.expr, path: Path) -> Results:
        raise NotImplementedError  # expressions.py

    def constant(self, value: object, line: int) -> Value:
        raise NotImplementedError  # expressions.py

    def make_list(self, values: list[Value], line: int) -> Value:
        raise NotImplementedError  # expressions.py

    def abstract(self, more: z3.BoolRef, reason: str) -> None:
        raise NotImplementedError  # expressions.py

    def from_stream(self, stream: Stream, line: int) -> Value:
        raise NotImplementedError  # expressions.py

    def unary(self, op: ast.unaryop, value: Value, line: int) -> Value:
        raise NotImplementedError  # expressions.py

    def binary(self, op: ast.operator, left: Value, right: Value, path: Path, line: int) -> Value:
        raise NotImplementedError  # expressions.py

    def boolop(self, node: ast.BoolOp, path: Path) -> Results:
        raise NotImplementedError  # expressions.py

    def compare(self, op: ast.cmpop, left: Value, right: Value, line: int) -> z3.BoolRef:
        raise NotImplementedError  # expressions.py

    def contains(self, container: Value, item: Value, line: int) -> z3.BoolRef:
        raise NotImplementedError  # expressions.py

    def subscript(self, node: ast.Subscript, path: Path) -> Results:
        raise NotImplementedError  # subscripts.py

    def index(self, base: Value, key: Value, path: Path, line: int, text: str) -> Value:
        raise NotImplementedError  # subscripts.py

    def slice(self, base: Value, lower: Value | None, upper: Value | None, line: int) -> Value:
        raise NotImplementedError  # subscripts.py

    def attribute(self, value: Value, name: str, line: int) -> Value:
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

    def call_expr(self, node: ast.Call, path: Path) -> Results:
        raise NotImplementedError  # calls.py

    def bind_args(
        self,
        fn: ast.FunctionDef | ast.AsyncFunctionDef,
        node: ast.Call,
        path: Path,
        line: int,
        prefix: list[Value] | None = None,
    ) -> list[tuple[Path, dict[str, Value]]]:
        raise NotImplementedError  # calls.py

    def call_function(
        self,
        fn: ast.FunctionDef | ast.AsyncFunctionDef,
        node: ast.Call,
        path: Path,
        line: int,
        prefix: list[Value] | None = None,
        cls: ast.ClassDef | None = None,
        self_name: str | None = None,
    ) -> Results:
        raise NotImplementedError  # calls.py

    def construct(self, cls: ast.ClassDef, node: ast.Call, path: Path, line: int) -> Results:
        raise NotImplementedError  # calls.py

    def call_value(self, target: Value, node: ast.Call, path: Path, line: int) -> Results:
        raise NotImplementedError  # calls.py

    def call_choice(self, choice: MethodChoice, node: ast.Call, path: Path, line: int) -> Results:
        raise NotImplementedError  # calls.py

    def call_method(self, func: ast.Attribute, node: ast.Call, path: Path, line: int) -> Results:
        raise NotImplementedError  # calls.py

    def rebinder(
        self, receiver: ast.expr, path: Path, line: int
    ) -> Callable[[Path, Value], Path] | None:
        raise NotImplementedError  # calls.py
