"""Symbolic execution over the AST of a Python subset: every path through a function as a
path condition, an environment and an outcome (return value or raised exception), with the
obligations met on the way (asserts, division by zero, indexes, keys, callee preconditions).
Nothing is executed: the semantics are the translator's own."""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import cast

import z3

from verify.specs import function_spec
from verify.values import (
    SORTS,
    AssocV,
    BListV,
    BoolV,
    DictV,
    FuncV,
    IntV,
    MethodChoice,
    NoneV,
    ObjV,
    RandomV,
    RealV,
    SeqV,
    StrV,
    TupleV,
    Unsupported,
    Value,
    atomic,
    equal,
    length,
    to_int,
    to_real,
    truth,
)

LOOP_BOUND = 8  # loop iterations and sequence elements unrolled
CALL_DEPTH = 4  # same-module calls inlined
MAX_PATHS = 256
MAX_LITERAL_DIGITS = 400


@dataclass(frozen=True)
class Path:
    cond: tuple[z3.BoolRef, ...]
    env: dict[str, Value]
    status: str = "live"  # live | return | raise | break | continue | cut
    value: Value | None = None
    raised: str | None = None
    line: int = 0
    rebound: frozenset[str] = frozenset()
    # Names bound to objects that may be shared with something else (a loop variable over a
    # list of lists, an alias of another name): mutating them needs a heap model we lack.
    borrowed: frozenset[str] = frozenset()
    # Loop variables that are items of a parameter's list of lists: (name, container, index),
    # so a mutation through the name reaches the container and the items it aliases.
    origins: tuple[tuple[str, str, int], ...] = ()

    def add(self, condition: z3.BoolRef) -> Path:
        return dataclasses.replace(self, cond=(*self.cond, condition))

    def bind(
        self, name: str, value: Value, rebinding: bool = True, borrowed: bool | None = None
    ) -> Path:
        env = dict(self.env)
        env[name] = value
        rebound = self.rebound | {name} if rebinding else self.rebound
        shared = self.borrowed
        if borrowed is True:
            shared = shared | {name}
        elif borrowed is False:
            shared = shared - {name}
        origins = self.origins
        if rebinding and any(o[0] == name for o in origins):
            origins = tuple(o for o in origins if o[0] != name)
        return dataclasses.replace(self, env=env, rebound=rebound, borrowed=shared, origins=origins)

    def end(
        self, status: str, value: Value | None = None, raised: str | None = None, line: int = 0
    ) -> Path:
        return dataclasses.replace(self, status=status, value=value, raised=raised, line=line)


@dataclass
class Obligation:
    kind: str  # assert | raise | pre
    text: str
    line: int
    cond: tuple[z3.BoolRef, ...]
    check: z3.BoolRef  # must hold on the path
    raises: str | None = None  # the exception Python raises where it does not


Results = list[tuple[Path, Value | None]]  # value None: the path ended (raised, cut)


@dataclass(frozen=True)
class Stream:
    """The elements of an iterable, unrolled: (present, element) for the first LOOP_BOUND,
    whether there are more, and the exact count where it is known."""

    elements: Sequence[tuple[z3.BoolRef, Value]]
    more: z3.BoolRef
    size: z3.ArithRef | None = None
    filtered: bool = False


@dataclass
class Context:
    module: ast.Module
    source: str
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    obligations: list[Obligation] = field(default_factory=list)
    cuts: list[tuple[tuple[z3.BoolRef, ...], str]] = field(default_factory=list)
    collect: bool = True
    reals: bool = False
    fresh_count: int = 0
    oracle: dict[str, z3.ExprRef] = field(default_factory=dict)  # concrete choices
    choices: dict[str, z3.ExprRef] = field(default_factory=dict)  # nondeterministic picks
    post_asserts: set[int] = field(default_factory=set)
    domain: list[z3.BoolRef] = field(default_factory=list)  # facts about the inputs
    facts: list[z3.BoolRef] = field(default_factory=list)  # about fresh values made on the way
    abstractions: list[tuple[tuple[z3.BoolRef, ...], str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for node in self.module.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions[node.name] = node
            elif isinstance(node, ast.ClassDef):
                self.classes[node.name] = node

    def fresh(self, prefix: str, sort: z3.SortRef) -> z3.ExprRef:
        self.fresh_count += 1
        name = f"{prefix}!{self.fresh_count}"
        if name in self.oracle:
            return self.oracle[name]
        const = z3.Const(name, sort)
        self.choices[name] = const
        return const


def _is_false(condition: z3.BoolRef) -> bool:
    return bool(z3.is_false(z3.simplify(condition)))


class Executor:
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

    # --- functions -----------------------------------------------------------------------
    def call(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        args: dict[str, Value],
        path: Path,
        line: int,
        cls: ast.ClassDef | None = None,
    ) -> list[Path]:
        """Inline a same-module function: terminal paths (return, raise, cut)."""
        if self.depth >= CALL_DEPTH:
            self.ctx.cuts.append((path.cond, f"recursion deeper than {CALL_DEPTH} calls"))
            return [path.end("cut", line=line)]
        spec = function_spec(node, cls, "", self.ctx.source)
        inner = dataclasses.replace(path, env=dict(args), rebound=frozenset())
        # The callee's preconditions must hold at the call site; then they are assumed.
        for condition in spec.pre:
            formula = self.formula(
                condition.expr, inner.env, condition.line, condition.lambda_args, inner
            )
            self.oblige(
                inner, "pre", f"{node.name}: {condition.text}", line, formula, "precondition"
            )
            inner = inner.add(formula)
        self.depth += 1
        try:
            ends = self.block(node.body[spec.body_start :], [inner])
        finally:
            self.depth -= 1
        out = []
        for end in ends:
            if end.status in ("live", "return"):
                value = end.value if end.status == "return" else NoneV()
                out.append(
                    dataclasses.replace(end, env=end.env, status="return", value=value or NoneV())
                )
            else:
                out.append(end)
        return out

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
                [p for p in next_paths if not _is_false(z3.And(*p.cond))]
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
                if not _is_false(condition):
                    out.extend(self.block(node.body, [taken]))
                if not _is_false(z3.Not(condition)):
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
                    element = _atomic_expr(value, seq.elem, line)
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

    # --- loops ---------------------------------------------------------------------------
    def iterate(self, iterable: ast.expr, path: Path, line: int) -> list[tuple[Path, Stream]]:
        """For each way to evaluate the iterable: the path and the unrolled stream."""
        if (
            isinstance(iterable, ast.Call)
            and isinstance(iterable.func, ast.Name)
            and iterable.func.id in ("range", "enumerate", "zip", "reversed")
        ):
            name = iterable.func.id
            if name == "range":
                out = []
                for p, bounds in self.exprs(iterable.args, path):
                    numbers = [to_int(b, line) for b in bounds]
                    start, stop, step = (
                        [*numbers, None, None][:3]
                        if len(numbers) > 1
                        else (z3.IntVal(0), numbers[0], None)
                    )
                    step_value = 1
                    if step is not None:
                        simplified = z3.simplify(step)
                        if not z3.is_int_value(simplified) or simplified.as_long() == 0:
                            raise Unsupported("range() with a non-constant step", line)
                        step_value = simplified.as_long()
                    steps_list: list[tuple[z3.BoolRef, Value]] = []
                    for i in range(LOOP_BOUND):
                        current = start + i * step_value
                        present = current < stop if step_value > 0 else current > stop
                        steps_list.append((present, IntV(current)))
                    last = start + LOOP_BOUND * step_value
                    more = last < stop if step_value > 0 else last > stop
                    span = stop - start if step_value > 0 else start - stop
                    magnitude = abs(step_value)
                    steps = z3.If(span > 0, (span + magnitude - 1) / magnitude, 0)
                    out.append((p, Stream(steps_list, more, steps)))
                return out
            results = []
            for p, sources in self.exprs(iterable.args, path):
                streams = [self.stream(s, line) for s in sources]
                if name == "reversed":
                    raise Unsupported("reversed()", line)
                if name == "enumerate":
                    first = streams[0]
                    numbered = [
                        (present, TupleV((IntV(z3.IntVal(i)), v)))
                        for i, (present, v) in enumerate(first.elements)
                    ]
                    results.append((p, Stream(numbered, first.more, first.size)))
                else:
                    size = min(len(s.elements) for s in streams)
                    elements: list[tuple[z3.BoolRef, Value]] = []
                    for i in range(size):
                        present = z3.And(*[s.elements[i][0] for s in streams])
                        elements.append((present, TupleV(tuple(s.elements[i][1] for s in streams))))
                    more = z3.And(*[s.more for s in streams])
                    sizes = [s.size for s in streams]
                    count: z3.ArithRef | None = None
                    if all(x is not None for x in sizes):
                        count = sizes[0]
                        for other in sizes[1:]:
                            count = z3.If(other < count, other, count)  # type: ignore
                    results.append((p, Stream(elements, more, count)))
            return results
        out = []
        for p, value in self.expr(iterable, path):
            if value is None:
                continue
            out.append((p, self.stream(value, line)))
        return out

    def stream(self, value: Value, line: int) -> Stream:
        if isinstance(value, SeqV):
            size = z3.Length(value.e)
            return Stream(
                [(z3.IntVal(i) < size, atomic(value.elem, value.e[i])) for i in range(LOOP_BOUND)],
                size > LOOP_BOUND,
                size,
            )
        if isinstance(value, StrV):
            size = z3.Length(value.e)
            return Stream(
                [
                    (z3.IntVal(i) < size, StrV(z3.SubString(value.e, i, 1)))
                    for i in range(LOOP_BOUND)
                ],
                size > LOOP_BOUND,
                size,
            )
        if isinstance(value, TupleV):
            return Stream(
                [(z3.BoolVal(True), v) for v in value.items],
                z3.BoolVal(False),
                z3.IntVal(len(value.items)),
            )
        if isinstance(value, BListV):
            return Stream(
                [(z3.IntVal(i) < value.length, v) for i, v in enumerate(value.items)],
                value.length > len(value.items),
                value.length,
            )
        if isinstance(value, AssocV):
            return Stream(
                [(present, key) for present, key, _ in value.entries], z3.BoolVal(False), None
            )
        raise Unsupported(f"iterating over {value.kind}", line)

    def for_loop(self, node: ast.For, path: Path) -> list[Path]:
        if node.orelse:
            raise Unsupported("for/else", node.lineno)
        if (
            isinstance(node.iter, ast.Name)
            and isinstance(node.target, ast.Name)
            and node.iter.id not in path.borrowed
            and isinstance(path.env.get(node.iter.id), BListV)
            and cast(BListV, path.env[node.iter.id]).ids
            and not _assigns(node.body, node.iter.id)
        ):
            return self._loop_over_items(node, node.iter.id, node.target.id, path)
        out = []
        for start, stream in self.iterate(node.iter, path, node.lineno):
            more = stream.more
            live = [start]
            for present, element in stream.elements:
                next_live = []
                for p in live:
                    out.append(p.add(z3.Not(present)))  # the loop ended before this element
                    entered = self.assign(node.target, element, p.add(present), node.lineno)
                    for name in _names(node.target):
                        entered = entered.bind(name, entered.env[name], borrowed=True)
                    leaving, going_on = self._iteration(node.body, entered)
                    out += leaving
                    next_live += going_on
                live = next_live
            for p in live:
                out.append(p.add(z3.Not(more)))
                self.ctx.cuts.append(((*p.cond, more), f"loop unrolled {LOOP_BOUND} times"))
        return [p for p in out if not _is_false(z3.And(*p.cond))]

    def _loop_over_items(self, node: ast.For, container: str, name: str, path: Path) -> list[Path]:
        """`for item in lists:` over a parameter's list of lists, reading each item as it is
        now (an earlier iteration may have mutated it through an alias)."""
        out = []
        live = [path]
        count = len(cast(BListV, path.env[container]).items)
        for index in range(count):
            next_live = []
            for p in live:
                current = cast(BListV, p.env[container])
                present = z3.IntVal(index) < current.length
                out.append(p.add(z3.Not(present)))
                entered = self.assign(
                    node.target, current.items[index], p.add(present), node.lineno
                )
                entered = entered.bind(name, entered.env[name], borrowed=True)
                entered = dataclasses.replace(
                    entered, origins=(*entered.origins, (name, container, index))
                )
                leaving, going_on = self._iteration(node.body, entered)
                out += leaving
                next_live += going_on
            live = next_live
        for p in live:
            more = cast(BListV, p.env[container]).length > count
            out.append(p.add(z3.Not(more)))
            self.ctx.cuts.append(((*p.cond, more), f"loop unrolled {LOOP_BOUND} times"))
        return [p for p in out if not _is_false(z3.And(*p.cond))]

    def _iteration(self, body: list[ast.stmt], entered: Path) -> tuple[list[Path], list[Path]]:
        """One pass through a loop body: (paths leaving the loop, paths going on to the next
        iteration). `break` leaves live; `return` and raises leave as they are."""
        leaving: list[Path] = []
        going_on: list[Path] = []
        for end in self.block(body, [entered]):
            if end.status == "break":
                leaving.append(dataclasses.replace(end, status="live"))
            elif end.status in ("live", "continue"):
                going_on.append(dataclasses.replace(end, status="live"))
            else:
                leaving.append(end)
        return leaving, going_on

    def while_loop(self, node: ast.While, path: Path) -> list[Path]:
        if node.orelse:
            raise Unsupported("while/else", node.lineno)
        out = []
        live = [path]
        for _ in range(LOOP_BOUND + 1):
            next_live = []
            for p in live:
                for q, value in self.expr(node.test, p):
                    if value is None:
                        out.append(q)
                        continue
                    condition = truth(value, node.lineno)
                    out.append(q.add(z3.Not(condition)))
                    if _is_false(condition):
                        continue
                    leaving, going_on = self._iteration(node.body, q.add(condition))
                    out += leaving
                    next_live += going_on
            live = next_live
            if not live:
                break
        for p in live:
            self.ctx.cuts.append((p.cond, f"loop unrolled {LOOP_BOUND} times"))
        return [p for p in out if not _is_false(z3.And(*p.cond))]

    # --- expressions ---------------------------------------------------------------------
    def exprs(self, nodes: list[ast.expr], path: Path) -> list[tuple[Path, list[Value]]]:
        states: list[tuple[Path, list[Value]]] = [(path, [])]
        for node in nodes:
            next_states = []
            for p, values in states:
                for q, value in self.expr(node, p):
                    if value is None:
                        raise _Ended(q)
                    next_states.append((q, [*values, value]))
            states = next_states
        return states

    def expr(self, node: ast.expr, path: Path) -> Results:
        try:
            return self._expr(node, path)
        except _Ended as ended:
            return [(ended.path, None)]

    def formula(
        self,
        node: ast.expr,
        env: dict[str, Value],
        line: int,
        lambda_args: tuple[str, ...] | None = None,
        path: Path | None = None,
    ) -> z3.BoolRef:
        """A contract as one formula (its forks folded); its own errors are not obligations."""
        base = Path((), env) if path is None else dataclasses.replace(path, cond=(), env=env)
        collect = self.ctx.collect
        self.ctx.collect = False
        try:
            results = self.expr(node, base)
        finally:
            self.ctx.collect = collect
        parts = []
        for p, value in results:
            if value is None:
                parts.append(z3.BoolVal(False))  # a contract that raises does not hold
            else:
                parts.append(z3.And(*p.cond, truth(value, line)))
        return z3.Or(*parts) if len(parts) > 1 else parts[0]

    def _expr(self, node: ast.expr, path: Path) -> Results:
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Constant):
            return [(path, self.constant(node.value, line))]
        if isinstance(node, ast.Name):
            if node.id in path.env:
                return [(path, path.env[node.id])]
            raise Unsupported(f"undefined name `{node.id}`", line)
        if isinstance(node, ast.Tuple):
            return [(p, TupleV(tuple(vs))) for p, vs in self.exprs(node.elts, path)]
        if isinstance(node, ast.List):
            return [(p, self.make_list(vs, line)) for p, vs in self.exprs(node.elts, path)]
        if isinstance(node, ast.UnaryOp):
            return [
                (p, v if v is None else self.unary(node.op, v, line))
                for p, v in self.expr(node.operand, path)
            ]
        if isinstance(node, ast.BinOp):
            out: Results = []
            for p, (left, right) in self.exprs([node.left, node.right], path):
                out.append((p, self.binary(node.op, left, right, p, line)))
            return out
        if isinstance(node, ast.BoolOp):
            return self.boolop(node, path)
        if isinstance(node, ast.Compare):
            out = []
            for p, values in self.exprs([node.left, *node.comparators], path):
                parts = [
                    self.compare(op, values[i], values[i + 1], line)
                    for i, op in enumerate(node.ops)
                ]
                out.append((p, BoolV(z3.And(*parts) if len(parts) > 1 else parts[0])))
            return out
        if isinstance(node, ast.IfExp):
            out = []
            for p, test in self.expr(node.test, path):
                if test is None:
                    out.append((p, None))
                    continue
                condition = truth(test, line)
                if not _is_false(condition):
                    out.extend(self.expr(node.body, p.add(condition)))
                if not _is_false(z3.Not(condition)):
                    out.extend(self.expr(node.orelse, p.add(z3.Not(condition))))
            return out
        if isinstance(node, ast.Subscript):
            return self.subscript(node, path)
        if isinstance(node, ast.Attribute):
            out = []
            for p, value in self.expr(node.value, path):
                out.append((p, None if value is None else self.attribute(value, node.attr, line)))
            return out
        if isinstance(node, ast.Call):
            return self.call_expr(node, path)
        if isinstance(node, ast.ListComp | ast.GeneratorExp):
            return [
                (p, self.from_stream(stream, line)) for p, stream in self.comprehension(node, path)
            ]
        raise Unsupported(f"expression `{type(node).__name__}`", line)

    def constant(self, value: object, line: int) -> Value:
        if isinstance(value, bool):
            return BoolV(z3.BoolVal(value))
        if isinstance(value, int):
            if len(str(abs(value))) > MAX_LITERAL_DIGITS:
                raise Unsupported(f"an integer literal of {len(str(abs(value)))} digits", line)
            return IntV(z3.IntVal(value))
        if isinstance(value, float):
            self.ctx.reals = True
            if value != value or value in (float("inf"), float("-inf")):
                raise Unsupported("inf and nan", line)
            return RealV(z3.RealVal(repr(value)))
        if isinstance(value, str):
            if len(value) > 10_000:
                raise Unsupported("a string literal over 10,000 characters", line)
            return StrV(z3.StringVal(value))
        if value is None:
            return NoneV()
        raise Unsupported(f"literal {type(value).__name__}", line)

    def make_list(self, values: list[Value], line: int) -> Value:
        """A list display."""
        kinds = {v.kind for v in values}
        if not values:
            return SeqV(z3.Empty(z3.SeqSort(z3.IntSort())), "int")
        if len(kinds) == 1 and next(iter(kinds)) in SORTS:
            kind = next(iter(kinds))
            units = [z3.Unit(v.e) for v in values]  # type: ignore[attr-defined]
            return SeqV(z3.Concat(*units) if len(units) > 1 else units[0], kind)
        return BListV(z3.IntVal(len(values)), tuple(values))

    def abstract(self, more: z3.BoolRef, reason: str) -> None:
        """Beyond the unrolled elements the value is left open (an over-approximation):
        still sound for proofs, but counterexamples are searched within the bound only."""
        if not _is_false(more):
            self.ctx.abstractions.append(((more,), reason))

    def from_stream(self, stream: Stream, line: int) -> Value:
        """A list built by a comprehension (or list()/zip()): the unrolled elements, then an
        open tail of the exact remaining length where the length is known."""
        items, more = stream.elements, stream.more
        open_tail = not _is_false(more)
        kinds = {v.kind for _, v in items}
        if not items:
            return SeqV(z3.Empty(z3.SeqSort(z3.IntSort())), "int")
        count: z3.ArithRef = z3.IntVal(0)
        for present, _ in items:
            count = count + z3.If(present, 1, 0)
        if len(kinds) == 1 and next(iter(kinds)) in SORTS:
            kind = next(iter(kinds))
            seq: z3.SeqRef = z3.Empty(z3.SeqSort(SORTS[kind]))
            for present, v in items:
                seq = z3.If(present, z3.Concat(seq, z3.Unit(v.e)), seq)  # type: ignore
            if open_tail:
                tail = self.ctx.fresh("tail", z3.SeqSort(SORTS[kind]))
                if stream.size is not None:
                    self.ctx.facts.append(z3.Implies(more, z3.Length(tail) == stream.size - count))
                seq = z3.If(more, z3.Concat(seq, tail), seq)
                self.abstract(more, f"elements past the first {LOOP_BOUND} left open")
            return SeqV(seq, kind)
        if stream.filtered and open_tail:
            raise Unsupported("a filtered comprehension of composite values", line)
        size = count if stream.size is None else z3.If(more, stream.size, count)
        if open_tail:
            self.abstract(more, f"elements past the first {LOOP_BOUND} left open")
        return BListV(size, tuple(v for _, v in items))

    def unary(self, op: ast.unaryop, value: Value, line: int) -> Value:
        if isinstance(op, ast.Not):
            return BoolV(z3.Not(truth(value, line)))
        if isinstance(op, ast.USub):
            if isinstance(value, RealV):
                return RealV(-value.e)
            return IntV(-to_int(value, line))
        if isinstance(op, ast.UAdd):
            return value
        raise Unsupported("bitwise not", line)

    def binary(self, op: ast.operator, left: Value, right: Value, path: Path, line: int) -> Value:
        if isinstance(op, ast.Add):
            if isinstance(left, StrV) and isinstance(right, StrV):
                return StrV(z3.Concat(left.e, right.e))
            if isinstance(left, SeqV) and isinstance(right, SeqV):
                left, right = _same_elem(left, right, line)
                return SeqV(z3.Concat(left.e, right.e), left.elem, left.tuple_like)
            if isinstance(left, TupleV) and isinstance(right, TupleV):
                return TupleV(left.items + right.items)
        if isinstance(op, ast.Add | ast.Sub | ast.Mult):
            if isinstance(left, IntV | BoolV) and isinstance(right, IntV | BoolV):
                a, b = to_int(left, line), to_int(right, line)
                return IntV(
                    a + b
                    if isinstance(op, ast.Add)
                    else a - b
                    if isinstance(op, ast.Sub)
                    else a * b
                )
            if isinstance(left, IntV | RealV | BoolV) and isinstance(right, IntV | RealV | BoolV):
                self.ctx.reals = True
                a, b = to_real(left, line), to_real(right, line)
                return RealV(
                    a + b
                    if isinstance(op, ast.Add)
                    else a - b
                    if isinstance(op, ast.Sub)
                    else a * b
                )
        if isinstance(op, ast.Div):
            self.ctx.reals = True
            divisor = to_real(right, line)
            self.oblige(path, "raise", "division by zero", line, divisor != 0, "ZeroDivisionError")
            return RealV(to_real(left, line) / divisor)
        if isinstance(op, ast.FloorDiv | ast.Mod):
            if isinstance(left, IntV | BoolV) and isinstance(right, IntV | BoolV):
                a, b = to_int(left, line), to_int(right, line)
                self.oblige(path, "raise", "division by zero", line, b != 0, "ZeroDivisionError")
                # Python floors; SMT-LIB's div is Euclidean. Same for b > 0 only.
                quotient = z3.If(b > 0, a / b, (-a) / (-b))
                if isinstance(op, ast.FloorDiv):
                    return IntV(quotient)
                return IntV(a - b * quotient)
            raise Unsupported("// or % on floats", line)
        if isinstance(op, ast.Pow):
            exponent = z3.simplify(to_int(right, line))
            if z3.is_int_value(exponent) and 0 <= exponent.as_long() <= 16:
                result: Value = (
                    IntV(z3.IntVal(1)) if isinstance(left, IntV) else RealV(z3.RealVal(1))
                )
                for _ in range(exponent.as_long()):
                    result = self.binary(ast.Mult(), result, left, path, line)
                return result
            raise Unsupported("** with a non-constant or large exponent", line)
        if (
            isinstance(op, ast.BitAnd | ast.BitOr | ast.BitXor)
            and isinstance(left, BoolV)
            and isinstance(right, BoolV)
        ):
            function = {ast.BitAnd: z3.And, ast.BitOr: z3.Or, ast.BitXor: z3.Xor}[type(op)]
            return BoolV(function(left.e, right.e))
        raise Unsupported(f"`{type(op).__name__}` on {left.kind} and {right.kind}", line)

    def boolop(self, node: ast.BoolOp, path: Path) -> Results:
        """`and`/`or` return an operand, and short-circuit: later operands are evaluated
        only where the earlier ones decide nothing (their obligations too)."""
        is_and = isinstance(node.op, ast.And)
        states: Results = []
        pending: Results = self.expr(node.values[0], path)
        for operand in node.values[1:]:
            next_pending: Results = []
            for p, value in pending:
                if value is None:
                    states.append((p, None))
                    continue
                condition = truth(value, node.lineno)
                stop = z3.Not(condition) if is_and else condition
                if not _is_false(stop):
                    states.append((p.add(stop), value))
                go = p.add(condition if is_and else z3.Not(condition))
                if not _is_false(z3.Not(stop)):
                    next_pending.extend(self.expr(operand, go))
            pending = next_pending
        states.extend(pending)
        # Merge the outcomes into one boolean value when they all are booleans.
        if all(v is not None and isinstance(v, BoolV) for _, v in states) and len(states) > 1:
            prefix = len(path.cond)
            parts = [z3.And(*p.cond[prefix:], v.e) for p, v in states]  # type: ignore
            if all(p.cond[:prefix] == path.cond for p, _ in states) and all(
                p.env is path.env or p.env == path.env for p, _ in states
            ):
                return [(path, BoolV(z3.Or(*parts)))]
        return states

    def compare(self, op: ast.cmpop, left: Value, right: Value, line: int) -> z3.BoolRef:
        if isinstance(op, ast.Eq):
            return equal(left, right, line)
        if isinstance(op, ast.NotEq):
            return z3.Not(equal(left, right, line))
        if isinstance(op, ast.Is):
            return equal(left, right, line)
        if isinstance(op, ast.IsNot):
            return z3.Not(equal(left, right, line))
        if isinstance(op, ast.In | ast.NotIn):
            inside = self.contains(right, left, line)
            return inside if isinstance(op, ast.In) else z3.Not(inside)
        if isinstance(left, IntV | BoolV) and isinstance(right, IntV | BoolV):
            a, b = to_int(left, line), to_int(right, line)
        elif isinstance(left, IntV | RealV | BoolV) and isinstance(right, IntV | RealV | BoolV):
            a, b = to_real(left, line), to_real(right, line)
        else:
            raise Unsupported(f"ordering {left.kind} and {right.kind}", line)
        return {ast.Lt: a < b, ast.LtE: a <= b, ast.Gt: a > b, ast.GtE: a >= b}[type(op)]

    def contains(self, container: Value, item: Value, line: int) -> z3.BoolRef:
        if isinstance(container, StrV) and isinstance(item, StrV):
            return z3.Contains(container.e, item.e)
        if isinstance(container, SeqV):
            return z3.Contains(container.e, z3.Unit(_atomic_expr(item, container.elem, line)))
        if isinstance(container, TupleV):
            return (
                z3.Or(*[equal(x, item, line) for x in container.items])
                if container.items
                else z3.BoolVal(False)
            )
        if isinstance(container, BListV):
            return z3.Or(
                *[
                    z3.And(z3.IntVal(i) < container.length, equal(x, item, line))
                    for i, x in enumerate(container.items)
                ]
            )
        if isinstance(container, DictV):
            return z3.Select(container.has, _atomic_expr(item, container.key, line))
        if isinstance(container, AssocV):
            return (
                z3.Or(*[z3.And(p, equal(k, item, line)) for p, k, _ in container.entries])
                if container.entries
                else z3.BoolVal(False)
            )
        raise Unsupported(f"`in` on {container.kind}", line)

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
            k = _atomic_expr(key, base.key, line)
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
                result = v if result is None else _merge(hit, v, result, line)
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
                    raise _Ended(path.end("raise", raised="IndexError", line=line))
                item: Value = base.items[position]
                return item
            self.oblige(
                path, "raise", f"{text} in range", line, z3.And(i >= -size, i < size), "IndexError"
            )
            result = base.items[-1] if base.items else NoneV()
            for position in range(size - 1):
                result = _merge(
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
                result = _merge(at == position, base.items[position], result, line)
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

    # --- comprehensions ------------------------------------------------------------------
    def comprehension(
        self, node: ast.ListComp | ast.GeneratorExp, path: Path
    ) -> list[tuple[Path, Stream]]:
        if len(node.generators) != 1:
            raise Unsupported("nested comprehension", node.lineno)
        generator = node.generators[0]
        if generator.is_async:
            raise Unsupported("async comprehension", node.lineno)
        out = []
        for p, source in self.iterate(generator.iter, path, node.lineno):
            items: list[tuple[z3.BoolRef, Value]] = []
            for present, element in source.elements:
                inner = self.assign(generator.target, element, p.add(present), node.lineno)
                keep = present
                for test in generator.ifs:
                    condition = truth(self.single(test, inner), node.lineno)
                    keep = z3.And(keep, condition)
                    inner = inner.add(condition)
                items.append((z3.simplify(keep), self.single(node.elt, inner)))
            filtered = bool(generator.ifs)
            out.append((p, Stream(items, source.more, None if filtered else source.size, filtered)))
        return out

    def single(self, node: ast.expr, path: Path) -> Value:
        """One value for an expression that may branch (a conditional expression inside a
        comprehension): the branches are folded with If, when nothing else differs."""
        results = self.expr(node, path)
        line = getattr(node, "lineno", 0)
        if len(results) == 1 and results[0][1] is not None:
            return results[0][1]
        prefix = len(path.cond)
        if any(v is None or p.env != path.env or p.cond[:prefix] != path.cond for p, v in results):
            raise Unsupported("branching inside a comprehension", line)
        value = results[-1][1]
        assert value is not None
        for p, v in reversed(results[:-1]):
            assert v is not None
            value = _merge(z3.And(*p.cond[prefix:]), v, value, line)
        return value

    def items_of(self, node: ast.expr, path: Path, line: int) -> list[tuple[Path, Stream]]:
        """The elements of an iterable argument (a comprehension or any iterable)."""
        if isinstance(node, ast.ListComp | ast.GeneratorExp):
            return self.comprehension(node, path)
        return self.iterate(node, path, line)

    # --- calls ---------------------------------------------------------------------------
    def call_expr(self, node: ast.Call, path: Path) -> Results:
        line = node.lineno
        if any(isinstance(a, ast.Starred) for a in node.args) or any(
            k.arg is None for k in node.keywords
        ):
            raise Unsupported("*args or **kwargs in a call", line)
        func = node.func
        if isinstance(func, ast.Name):
            name = func.id
            if name in path.env:
                target = path.env[name]
                return self.call_value(target, node, path, line)
            if name in BUILTINS:
                return BUILTINS[name](self, node, path, line)
            if name in self.ctx.functions:
                return self.call_function(self.ctx.functions[name], node, path, line)
            if name in self.ctx.classes:
                return self.construct(self.ctx.classes[name], node, path, line)
            raise Unsupported(f"call to `{name}`", line)
        if isinstance(func, ast.Attribute):
            return self.call_method(func, node, path, line)
        out: Results = []
        for p, callee in self.expr(func, path):  # e.g. getattr(obj, name)()
            if callee is None:
                out.append((p, None))
            else:
                out.extend(self.call_value(callee, node, p, line))
        return out

    def bind_args(
        self,
        fn: ast.FunctionDef | ast.AsyncFunctionDef,
        node: ast.Call,
        path: Path,
        line: int,
        prefix: list[Value] | None = None,
    ) -> list[tuple[Path, dict[str, Value]]]:
        params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
        kwonly = [a.arg for a in fn.args.kwonlyargs]
        if fn.args.vararg or fn.args.kwarg:
            raise Unsupported(f"calling `{fn.name}` with *args/**kwargs parameters", line)
        defaults = dict(
            zip(params[len(params) - len(fn.args.defaults) :], fn.args.defaults, strict=True)
        )
        defaults.update(
            {
                a.arg: d
                for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults, strict=True)
                if d is not None
            }
        )
        out = []
        nodes = list(node.args) + [k.value for k in node.keywords]
        for p, values in self.exprs(nodes, path):
            given = list(prefix or []) + values[: len(node.args)]
            bound: dict[str, Value] = dict(zip(params, given, strict=False))
            if len(given) > len(params):
                raise Unsupported(f"too many arguments to `{fn.name}`", line)
            for keyword, value in zip(node.keywords, values[len(node.args) :], strict=True):
                assert keyword.arg is not None
                bound[keyword.arg] = value
            for name in params + kwonly:
                if name not in bound:
                    if name not in defaults:
                        raise Unsupported(f"missing argument `{name}` to `{fn.name}`", line)
                    results = self.expr(defaults[name], Path((), {}))
                    if len(results) != 1 or results[0][1] is None:
                        raise Unsupported("a default that branches", line)
                    bound[name] = results[0][1]
            out.append((p, bound))
        return out

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
        out: Results = []
        for p, args in self.bind_args(fn, node, path, line, prefix):
            for end in self.call(fn, args, p, line, cls):
                caller = dataclasses.replace(
                    end, env=p.env, rebound=p.rebound, status="live", value=None
                )
                if self_name is not None and isinstance(end.env.get("self"), ObjV):
                    caller = caller.bind(self_name, end.env["self"], rebinding=False)
                if end.status == "return":
                    out.append((caller, end.value))
                elif end.status == "raise":
                    out.append(
                        (
                            dataclasses.replace(
                                caller, status="raise", raised=end.raised, line=end.line
                            ),
                            None,
                        )
                    )
                else:
                    out.append((dataclasses.replace(caller, status="cut"), None))
        return out

    def construct(self, cls: ast.ClassDef, node: ast.Call, path: Path, line: int) -> Results:
        init = next(
            (n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None
        )
        obj = ObjV(cls.name, {})
        if init is None:
            return [(path, obj)]
        out: Results = []
        for p, args in self.bind_args(init, node, path, line, [obj]):
            for end in self.call(init, args, p, line, cls):
                caller = dataclasses.replace(end, env=p.env, rebound=p.rebound, status="live")
                if end.status == "return":
                    out.append((caller, end.env.get("self", obj)))
                else:
                    out.append(
                        (dataclasses.replace(caller, status=end.status, raised=end.raised), None)
                    )
        return out

    def call_value(self, target: Value, node: ast.Call, path: Path, line: int) -> Results:
        if isinstance(target, FuncV):
            out: Results = []
            for p, values in self.exprs(list(node.args), path):
                if len(values) != len(target.args):
                    raise Unsupported("calling a callable with the wrong arity", line)
                args = [
                    _atomic_expr(v, kind, line) for v, kind in zip(values, target.args, strict=True)
                ]
                out.append((p, atomic(target.result, target.f(*args))))
            return out
        if isinstance(target, MethodChoice):
            return self.call_choice(target, node, path, line)
        raise Unsupported(f"calling a {target.kind}", line)

    def call_choice(self, choice: MethodChoice, node: ast.Call, path: Path, line: int) -> Results:
        cls = self.ctx.classes[choice.obj.cls]
        methods = [n for n in cls.body if isinstance(n, ast.FunctionDef)]
        out: Results = []
        names = []
        for method in methods:
            hit = choice.name == z3.StringVal(method.name)
            names.append(hit)
            out.extend(self.call_function(method, node, path.add(hit), line, [choice.obj], cls))
        missing = path.add(z3.Not(z3.Or(*names))) if names else path
        out.append((missing.end("raise", raised="AttributeError", line=line), None))
        return out

    def call_method(self, func: ast.Attribute, node: ast.Call, path: Path, line: int) -> Results:
        method = func.attr
        out: Results = []
        for p, receiver in self.expr(func.value, path):
            if receiver is None:
                out.append((p, None))
                continue
            name = func.value.id if isinstance(func.value, ast.Name) else None
            if isinstance(receiver, ObjV) and receiver.cls in self.ctx.classes:
                cls = self.ctx.classes[receiver.cls]
                fn = next(
                    (n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == method),
                    None,
                )
                if fn is None:
                    raise Unsupported(f"method `{method}` of {receiver.cls}", line)
                out.extend(self.call_function(fn, node, p, line, [receiver], cls, name))
                continue
            rebind = self.rebinder(func.value, p, line)
            for q, args in self.exprs(list(node.args), p):
                out.append(self.builtin_method(receiver, method, args, rebind, q, line))
        return out

    def rebinder(
        self, receiver: ast.expr, path: Path, line: int
    ) -> Callable[[Path, Value], Path] | None:
        """How to store a mutated receiver back: a local name, or a field of an object held
        by a local name. None where the object may be shared (no heap model)."""
        if isinstance(receiver, ast.Name):
            name = receiver.id
            origin = next((o for o in path.origins if o[0] == name), None)
            if origin is not None:
                _, container, index = origin

                def store_item(p: Path, v: Value) -> Path:
                    holder = p.env[container]
                    assert isinstance(holder, BListV)
                    p = p.bind(container, holder.store(index, v), rebinding=False)
                    return p.bind(name, v, rebinding=False)

                return store_item
            if name in path.borrowed:
                return None
            return lambda p, v: p.bind(name, v, rebinding=False)
        if isinstance(receiver, ast.Attribute) and isinstance(receiver.value, ast.Name):
            owner, attr = receiver.value.id, receiver.attr
            if owner in path.borrowed or not isinstance(path.env.get(owner), ObjV):
                return None

            def store(p: Path, v: Value) -> Path:
                obj = p.env[owner]
                assert isinstance(obj, ObjV)
                return p.bind(owner, ObjV(obj.cls, {**obj.fields, attr: v}), rebinding=False)

            return store
        return None

    def builtin_method(
        self,
        receiver: Value,
        method: str,
        args: list[Value],
        rebind: Callable[[Path, Value], Path] | None,
        path: Path,
        line: int,
    ) -> tuple[Path, Value | None]:
        if isinstance(receiver, SeqV | BListV) and method in ("append", "pop", "extend"):
            if rebind is None:
                raise Unsupported(f"`{method}` on an object that may be shared (aliasing)", line)
            if isinstance(receiver, BListV):
                raise Unsupported(f"`{method}` on a list of composite values", line)
            if method == "append":
                element = _atomic_expr(args[0], receiver.elem, line)
                updated = SeqV(z3.Concat(receiver.e, z3.Unit(element)), receiver.elem)
                return rebind(path, updated), NoneV()
            if method == "extend":
                other = args[0]
                if not isinstance(other, SeqV):
                    raise Unsupported("extend() with a non-sequence", line)
                _, other = _same_elem(receiver, other, line)
                return rebind(path, SeqV(z3.Concat(receiver.e, other.e), receiver.elem)), NoneV()
            size = z3.Length(receiver.e)
            if args:
                raise Unsupported("pop() with an index", line)
            self.oblige(path, "raise", "pop from a non-empty list", line, size > 0, "IndexError")
            last = atomic(receiver.elem, receiver.e[size - 1])
            rest = SeqV(z3.Extract(receiver.e, 0, size - 1), receiver.elem)
            return rebind(path.add(size > 0), rest), last
        if isinstance(receiver, StrV):
            if method in ("startswith", "endswith") and args and isinstance(args[0], StrV):
                function = z3.PrefixOf if method == "startswith" else z3.SuffixOf
                return path, BoolV(function(args[0].e, receiver.e))
            if method in ("find", "index") and args and isinstance(args[0], StrV):
                position = z3.IndexOf(receiver.e, args[0].e, 0)
                if method == "index":
                    self.oblige(path, "raise", "substring found", line, position >= 0, "ValueError")
                return path, IntV(position)
        if isinstance(receiver, DictV) and method == "get" and args:
            key = _atomic_expr(args[0], receiver.key, line)
            found = atomic(receiver.value, z3.Select(receiver.val, key))
            default = args[1] if len(args) > 1 else NoneV()
            return path, _merge(z3.Select(receiver.has, key), found, default, line)
        if isinstance(receiver, RandomV):
            if method == "choice" and args:
                size = length(args[0], line)
                self.oblige(
                    path, "raise", "choice from a non-empty sequence", line, size > 0, "IndexError"
                )
                pick = self.ctx.fresh(f"{receiver.name}.choice", z3.IntSort())
                chosen = path.add(z3.And(pick >= 0, pick < size))
                return chosen, self.index(args[0], IntV(pick), chosen, line, "choice")
            if method == "randint" and len(args) == 2:
                pick = self.ctx.fresh(f"{receiver.name}.randint", z3.IntSort())
                low, high = to_int(args[0], line), to_int(args[1], line)
                return path.add(z3.And(pick >= low, pick <= high)), IntV(pick)
        raise Unsupported(f"method `{method}` of {receiver.kind}", line)


class _Ended(Exception):
    """An expression ended its path (raised): carried out to the statement level."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path


def _names(target: ast.expr) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


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


def _atomic_expr(value: Value, kind: str, line: int) -> z3.ExprRef:
    if kind == "float":
        return to_real(value, line)
    if kind == "int":
        return to_int(value, line)
    if kind == "bool" and isinstance(value, BoolV):
        return value.e
    if kind == "str" and isinstance(value, StrV):
        return value.e
    raise Unsupported(f"a {value.kind} where a {kind} was expected", line)


def _same_elem(a: SeqV, b: SeqV, line: int) -> tuple[SeqV, SeqV]:
    if a.elem == b.elem:
        return a, b
    empty_a = z3.is_true(z3.simplify(z3.Length(a.e) == 0))
    empty_b = z3.is_true(z3.simplify(z3.Length(b.e) == 0))
    if empty_a:
        return SeqV(z3.Empty(z3.SeqSort(SORTS[b.elem])), b.elem), b
    if empty_b:
        return a, SeqV(z3.Empty(z3.SeqSort(SORTS[a.elem])), a.elem)
    raise Unsupported("joining sequences of different element types", line)


def _merge(condition: z3.BoolRef, a: Value, b: Value, line: int) -> Value:
    from verify.values import merge

    return merge(condition, a, b, line)


# --- builtins --------------------------------------------------------------------------------

Builtin = Callable[[Executor, ast.Call, Path, int], Results]


def _args(ex: Executor, node: ast.Call, path: Path) -> list[tuple[Path, list[Value]]]:
    return ex.exprs(list(node.args), path)


def _len(ex: Executor, node: ast.Call, path: Path, line: int) -> Results:
    return [(p, IntV(length(vs[0], line))) for p, vs in _args(ex, node, path)]


def _abs(ex: Executor, node: ast.Call, path: Path, line: int) -> Results:
    out: Results = []
    for p, vs in _args(ex, node, path):
        v = vs[0]
        if isinstance(v, RealV):
            out.append((p, RealV(z3.If(v.e < 0, -v.e, v.e))))
        else:
            n = to_int(v, line)
            out.append((p, IntV(z3.If(n < 0, -n, n))))
    return out


def _fold(ex: Executor, node: ast.Call, path: Path, line: int, kind: str) -> Results:
    """min, max, sum, all, any over arguments, or over one iterable: the unrolled elements
    exactly, and beyond them an open value of the right type (an over-approximation)."""
    out: Results = []
    if kind in ("min", "max") and len(node.args) >= 2:
        for p, vs in _args(ex, node, path):
            best = vs[0]
            for v in vs[1:]:
                better = ex.compare(ast.Lt() if kind == "min" else ast.Gt(), v, best, line)
                best = _merge(better, v, best, line)
            out.append((p, best))
        return out
    if len(node.args) != 1:
        raise Unsupported(f"{kind}() with these arguments", line)
    for p, stream in ex.items_of(node.args[0], path, line):
        items, more = stream.elements, stream.more
        result: Value
        if kind == "all":
            result = BoolV(
                z3.And(*[z3.Implies(c, truth(v, line)) for c, v in items])
                if items
                else z3.BoolVal(True)
            )
        elif kind == "any":
            result = BoolV(
                z3.Or(*[z3.And(c, truth(v, line)) for c, v in items])
                if items
                else z3.BoolVal(False)
            )
        elif kind == "sum":
            result = IntV(z3.IntVal(0))
            for c, v in items:
                result = _merge(c, ex.binary(ast.Add(), result, v, p, line), result, line)
        else:
            if not items:
                raise Unsupported(f"{kind}() of an empty literal", line)
            nonempty = z3.Or(*[c for c, _ in items])
            ex.oblige(
                p,
                "raise",
                f"{kind}() of a non-empty sequence",
                line,
                z3.Or(nonempty, more),
                "ValueError",
            )
            result = items[0][1]
            for c, v in items[1:]:
                better = ex.compare(ast.Lt() if kind == "min" else ast.Gt(), v, result, line)
                result = _merge(z3.And(c, better), v, result, line)
            p = p.add(z3.Or(nonempty, more))
        if not _is_false(more):
            sort = {
                "int": z3.IntSort(),
                "float": z3.RealSort(),
                "bool": z3.BoolSort(),
                "str": z3.StringSort(),
            }.get(result.kind)
            if sort is None:
                raise Unsupported(f"{kind}() of more than {LOOP_BOUND} composite items", line)
            opened = atomic(result.kind, ex.ctx.fresh(kind, sort))
            result = _merge(more, opened, result, line)
            ex.abstract(more, f"{kind}() past the first {LOOP_BOUND} items left open")
        out.append((p, result))
    return out


def _convert(ex: Executor, node: ast.Call, path: Path, line: int, kind: str) -> Results:
    out: Results = []
    for p, vs in _args(ex, node, path):
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


def _isinstance(ex: Executor, node: ast.Call, path: Path, line: int) -> Results:
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


def _implies(ex: Executor, node: ast.Call, path: Path, line: int) -> Results:
    return [
        (p, BoolV(z3.Implies(truth(vs[0], line), truth(vs[1], line))))
        for p, vs in _args(ex, node, path)
    ]


def _identity(kind: str) -> Builtin:
    def run(ex: Executor, node: ast.Call, path: Path, line: int) -> Results:
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


def _dict(ex: Executor, node: ast.Call, path: Path, line: int) -> Results:
    if len(node.args) != 1 or node.keywords:
        raise Unsupported("dict() form", line)
    out: Results = []
    for p, stream in ex.items_of(node.args[0], path, line):
        items, more = stream.elements, stream.more
        if not _is_false(more):
            ex.ctx.cuts.append(((*p.cond, more), f"dict() of more than {LOOP_BOUND} items"))
        entries = []
        for present, pair in items:
            if not isinstance(pair, TupleV) or len(pair.items) != 2:
                raise Unsupported("dict() of items that are not pairs", line)
            entries.append((present, pair.items[0], pair.items[1]))
        out.append((p, AssocV(tuple(entries))))
    return out


def _zip(ex: Executor, node: ast.Call, path: Path, line: int) -> Results:
    return _identity("list")(ex, ast.Call(ast.Name("list", ast.Load()), [node], []), path, line)


def _getattr(ex: Executor, node: ast.Call, path: Path, line: int) -> Results:
    out: Results = []
    for p, vs in _args(ex, node, path):
        obj, name = vs[0], vs[1]
        if isinstance(obj, ObjV) and isinstance(name, StrV) and obj.cls in ex.ctx.classes:
            out.append((p, MethodChoice(obj, name.e)))
        else:
            raise Unsupported("getattr() outside known classes", line)
    return out


def _print(ex: Executor, node: ast.Call, path: Path, line: int) -> Results:
    return [(p, NoneV()) for p, _ in _args(ex, node, path)]


BUILTINS: dict[str, Builtin] = {
    "len": _len,
    "abs": _abs,
    "min": lambda ex, n, p, ln: _fold(ex, n, p, ln, "min"),
    "max": lambda ex, n, p, ln: _fold(ex, n, p, ln, "max"),
    "sum": lambda ex, n, p, ln: _fold(ex, n, p, ln, "sum"),
    "all": lambda ex, n, p, ln: _fold(ex, n, p, ln, "all"),
    "any": lambda ex, n, p, ln: _fold(ex, n, p, ln, "any"),
    "int": lambda ex, n, p, ln: _convert(ex, n, p, ln, "int"),
    "float": lambda ex, n, p, ln: _convert(ex, n, p, ln, "float"),
    "bool": lambda ex, n, p, ln: _convert(ex, n, p, ln, "bool"),
    "isinstance": _isinstance,
    "implies": _implies,
    "list": _identity("list"),
    "tuple": _identity("tuple"),
    "sorted": None,  # type: ignore
    "dict": _dict,
    "zip": _zip,
    "enumerate": _zip,
    "getattr": _getattr,
    "print": _print,
}
BUILTINS = {k: v for k, v in BUILTINS.items() if v is not None}


def _assigns(body: list[ast.stmt], name: str) -> bool:
    """Whether the statements rebind `name` anywhere."""
    return any(
        isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store | ast.Del)
        for statement in body
        for node in ast.walk(statement)
    )
