"""Expressions: constants, names (locals, the module's constants, imported names), displays,
operators (Python's floor division and modulo, ZeroDivisionError as a raised path), short-
circuit boolean operators, chained comparisons, membership, f-strings, and contracts folded
into one formula."""

from __future__ import annotations

import ast
import builtins
import dataclasses

import z3

from verify.builtins.strings import joined_str
from verify.core import Core
from verify.operations import as_any, equal, fresh_int, identical, truth
from verify.state import LOOP_BOUND, MAX_LITERAL_DIGITS, Path, Results, Stream, is_false
from verify.values import (
    SORTS,
    AnyV,
    AssocV,
    BListV,
    BoolV,
    DictV,
    ElemV,
    IntV,
    LambdaV,
    ModuleV,
    NoneV,
    ObjV,
    OptV,
    PatternV,
    RealV,
    SeqV,
    SetV,
    StrV,
    TupleV,
    Unsupported,
    Value,
    atomic_expr,
    to_int,
    to_real,
)

_BUILTIN_NAMES = set(dir(builtins))


class Expressions(Core):
    def exprs(self, nodes: list[ast.expr], path: Path) -> list[tuple[Path, list[Value]]]:
        """Evaluated left to right; a path an operand ended goes out through the sink."""
        states: list[tuple[Path, list[Value]]] = [(path, [])]
        for node in nodes:
            next_states = []
            for p, values in states:
                for q, value in self.expr(node, p):
                    if value is None:
                        self.ctx.sink.append(q)
                    else:
                        next_states.append((q, [*values, value]))
            states = next_states
        return states

    def expr(self, node: ast.expr, path: Path) -> Results:
        handler = _HANDLERS.get(type(node))
        if handler is None:
            name = type(node).__name__
            raise Unsupported(f"expression `{name}`", getattr(node, "lineno", 0), f"node:{name}")
        results: Results = handler(self, node, path)
        return results

    def formula(
        self,
        node: ast.expr,
        env: dict[str, Value],
        line: int,
        lambda_args: tuple[str, ...] | None = None,
        path: Path | None = None,
    ) -> z3.BoolRef:
        """A contract as one formula (its forks folded). Where evaluating it raises, it does
        not hold; those raises are not the function's."""
        base = Path((), env) if path is None else dataclasses.replace(path, cond=(), env=env)
        collect, sink, names = self.ctx.collect, self.ctx.sink, self.ctx.local_names
        self.ctx.collect, self.ctx.sink, self.ctx.local_names = False, [], frozenset()
        try:
            results = self.expr(node, base)
        finally:
            self.ctx.collect, self.ctx.sink, self.ctx.local_names = collect, sink, names

        parts = [z3.And(*p.cond, truth(value, line)) for p, value in results if value is not None]
        if not parts:
            return z3.BoolVal(False)
        return z3.Or(*parts) if len(parts) > 1 else parts[0]

    # --- leaves and displays -------------------------------------------------------------
    def constant_expr(self, node: ast.expr, path: Path) -> Results:
        assert isinstance(node, ast.Constant)
        return [(path, self.constant(node.value, node.lineno))]

    def constant(self, value: object, line: int) -> Value:
        if isinstance(value, bool):
            return BoolV(z3.BoolVal(value))
        if isinstance(value, int):
            if len(str(abs(value))) > MAX_LITERAL_DIGITS:
                raise Unsupported(
                    f"an integer literal of {len(str(abs(value)))} digits", line, "literal:big-int"
                )
            return IntV(z3.IntVal(value))
        if isinstance(value, float):
            self.ctx.reals = True
            if value != value or value in (float("inf"), float("-inf")):
                raise Unsupported("inf and nan", line, "literal:inf-nan")
            return RealV(z3.RealVal(repr(value)))
        if isinstance(value, str):
            if len(value) > 10_000:
                raise Unsupported(
                    "a string literal over 10,000 characters", line, "literal:long-str"
                )
            return StrV(z3.StringVal(value))
        if value is None:
            return NoneV()
        if value is Ellipsis:
            return self.any_value("...")
        raise Unsupported(
            f"literal {type(value).__name__}", line, f"literal:{type(value).__name__}"
        )

    def name(self, node: ast.expr, path: Path) -> Results:
        """A local; else a module constant; else an imported or module-level name (a value
        the translator does not model); else Python's NameError is a bad contract."""
        assert isinstance(node, ast.Name)
        if node.id in path.env:
            return [(path, path.env[node.id])]
        ctx = self.ctx
        if node.id in ctx.local_names:
            # A local of the function not bound on this path: Python's UnboundLocalError.
            self.raise_path(path, "UnboundLocalError", f"`{node.id}` is bound", node.lineno)
            return []
        if node.id in ctx.patterns:
            return [(path, PatternV(*ctx.patterns[node.id]))]
        if node.id in ctx.constants:
            return self.expr(ctx.constants[node.id], path)
        if node.id in ctx.imports:
            return [(path, ModuleV(ctx.imports[node.id]))]
        if node.id in ctx.functions or node.id in ctx.classes:
            return [(path, ModuleV(f"{ctx.module_name}.{node.id}"))]
        if node.id in ctx.module_names or ctx.star_import:
            ctx.note_unmodelled(f"the module-level `{node.id}`")
            return [(path, self.any_value(f"`{node.id}`"))]
        if node.id in _BUILTIN_NAMES:
            return [(path, ModuleV(f"builtins.{node.id}"))]
        raise Unsupported(f"undefined name `{node.id}`", node.lineno, "name:undefined")

    def tuple_display(self, node: ast.expr, path: Path) -> Results:
        assert isinstance(node, ast.Tuple)
        _no_star(node.elts, node.lineno)
        return [(p, TupleV(tuple(vs))) for p, vs in self.exprs(node.elts, path)]

    def list_display(self, node: ast.expr, path: Path) -> Results:
        assert isinstance(node, ast.List)
        _no_star(node.elts, node.lineno)
        return [(p, self.make_list(vs, node.lineno)) for p, vs in self.exprs(node.elts, path)]

    def set_display(self, node: ast.expr, path: Path) -> Results:
        assert isinstance(node, ast.Set)
        _no_star(node.elts, node.lineno)
        out: Results = []
        for p, values in self.exprs(node.elts, path):
            out.append(
                (
                    p,
                    self.make_set(
                        [(z3.BoolVal(True), v) for v in values], z3.BoolVal(False), node.lineno
                    ),
                )
            )
        return out

    def dict_display(self, node: ast.expr, path: Path) -> Results:
        assert isinstance(node, ast.Dict)
        if any(k is None for k in node.keys):
            raise Unsupported("`**` in a dict display", node.lineno, "node:Dict(**)")
        keys = [k for k in node.keys if k is not None]
        out: Results = []
        for p, values in self.exprs([*keys, *node.values], path):
            pairs = zip(values[: len(keys)], values[len(keys) :], strict=True)
            out.append((p, AssocV(tuple((z3.BoolVal(True), k, v) for k, v in pairs))))
        return out

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

    def make_set(self, items: list[tuple[z3.BoolRef, Value]], more: z3.BoolRef, line: int) -> Value:
        """A set of atomic elements from (present, element) pairs, and an open rest."""
        kinds = {v.kind for _, v in items}
        if len(kinds) > 1 or not kinds <= set(SORTS):
            raise Unsupported("a set of composite or mixed values", line, "type:set(composite)")
        kind = next(iter(kinds)) if kinds else "int"
        has: z3.ArrayRef = z3.K(SORTS[kind], z3.BoolVal(False))
        size: z3.ArithRef = z3.IntVal(0)
        for present, v in items:
            e = atomic_expr(v, kind, line)
            size = size + z3.If(z3.And(present, z3.Not(z3.Select(has, e))), 1, 0)
            has = z3.If(present, z3.Store(has, e, True), has)
        if not is_false(more):
            rest = self.ctx.fresh("set", z3.ArraySort(SORTS[kind], z3.BoolSort()))
            extra = self.ctx.fresh("len(set)", z3.IntSort())
            key = z3.Const("k", SORTS[kind])
            self.ctx.facts.append(extra >= 0)
            merged = z3.Lambda([key], z3.Or(z3.Select(has, key), z3.Select(rest, key)))
            has = z3.If(more, merged, has)
            size = z3.If(more, size + extra, size)
            self.abstract(more, f"set elements past the first {LOOP_BOUND} left open")
        return SetV(has, kind, size)

    def abstract(self, more: z3.BoolRef, reason: str) -> None:
        """Beyond the unrolled elements the value is left open (an over-approximation):
        still sound for proofs, but counterexamples are searched within the bound only."""
        if not is_false(more):
            self.ctx.abstractions.append(((more,), reason))

    def from_stream(self, stream: Stream, line: int) -> Value:
        """A list built by a comprehension (or list()/zip()): the unrolled elements, then an
        open tail of the exact remaining length where the length is known."""
        items, more = stream.elements, stream.more
        open_tail = not is_false(more)
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
        size = count if stream.size is None else z3.If(more, stream.size, count)
        if open_tail:
            if stream.size is None:
                extra = fresh_int("len(tail)")
                self.ctx.facts.append(extra >= 0)
                size = z3.If(more, count + extra, count)
            self.abstract(more, f"elements past the first {LOOP_BOUND} left open")
        return BListV(size, tuple(v for _, v in items))

    def comprehension_expr(self, node: ast.expr, path: Path) -> Results:
        assert isinstance(node, ast.ListComp | ast.GeneratorExp | ast.SetComp | ast.DictComp)
        out: Results = []
        for p, stream in self.comprehension(node, path):
            if isinstance(node, ast.SetComp):
                out.append((p, self.make_set(list(stream.elements), stream.more, node.lineno)))
            elif isinstance(node, ast.DictComp):
                if not is_false(stream.more):
                    self.ctx.cuts.append(
                        (
                            (*p.cond, stream.more),
                            f"a dict comprehension of more than {LOOP_BOUND} items",
                        )
                    )
                entries = []
                for present, pair in stream.elements:
                    assert isinstance(pair, TupleV)
                    entries.append((present, pair.items[0], pair.items[1]))
                out.append((p, AssocV(tuple(entries))))
            else:
                out.append((p, self.from_stream(stream, node.lineno)))
        return out

    def fstring(self, node: ast.expr, path: Path) -> Results:
        assert isinstance(node, ast.JoinedStr)
        return joined_str(self, node, path)

    def lambda_expr(self, node: ast.expr, path: Path) -> Results:
        assert isinstance(node, ast.Lambda)
        self.capture(node)
        return [(path, LambdaV(node, dict(path.env)))]

    def named_expr(self, node: ast.expr, path: Path) -> Results:
        assert isinstance(node, ast.NamedExpr)
        return [
            (p if v is None else self.assign(node.target, v, p, node.lineno), v)
            for p, v in self.expr(node.value, path)
        ]

    # --- operators ----------------------------------------------------------------------
    def unary_expr(self, node: ast.expr, path: Path) -> Results:
        assert isinstance(node, ast.UnaryOp)
        out: Results = []
        for p, v in self.expr(node.operand, path):
            if v is None:
                out.append((p, None))
            elif isinstance(node.op, ast.Not):
                out.append((p, BoolV(z3.Not(truth(v, node.lineno)))))
            else:
                p, v = self.unwrap(p, v, node.lineno, "TypeError", "an operand that is not None")
                out.append((p, self.unary(node.op, v, p, node.lineno)))
        return out

    def unary(self, op: ast.unaryop, value: Value, path: Path, line: int) -> Value:
        if isinstance(value, ElemV):
            value = as_any(value)
        if isinstance(value, AnyV):
            self.unmodelled(path, f"an operator on {value.name}", line)
            return self.any_value(f"an operation on {value.name}")
        if isinstance(op, ast.USub):
            if isinstance(value, RealV):
                return RealV(-value.e)
            return IntV(-to_int(value, line))
        if isinstance(op, ast.UAdd):
            return value if isinstance(value, IntV | RealV) else IntV(to_int(value, line))
        if isinstance(op, ast.Invert) and isinstance(value, IntV | BoolV):
            return IntV(-to_int(value, line) - 1)
        raise Unsupported(
            f"`{type(op).__name__}` on {value.kind}", line, f"op:{type(op).__name__}({value.kind})"
        )

    def binary_expr(self, node: ast.expr, path: Path) -> Results:
        assert isinstance(node, ast.BinOp)
        out: Results = []
        for p, (left, right) in self.exprs([node.left, node.right], path):
            p, left = self.unwrap(p, left, node.lineno, "TypeError", "an operand that is not None")
            p, right = self.unwrap(
                p, right, node.lineno, "TypeError", "an operand that is not None"
            )
            out.append(self.binary(node.op, left, right, p, node.lineno))
        return out

    def binary(
        self, op: ast.operator, left: Value, right: Value, path: Path, line: int
    ) -> tuple[Path, Value]:
        from verify.arithmetic import arithmetic

        return arithmetic(self, op, left, right, path, line)

    def boolop(self, node: ast.expr, path: Path) -> Results:
        """`and`/`or` return an operand, and short-circuit: later operands are evaluated
        only where the earlier ones decide nothing (their raises too)."""
        assert isinstance(node, ast.BoolOp)
        is_and = isinstance(node.op, ast.And)
        states: Results = []
        pending: Results = self.expr(node.values[0], path)
        for previous, operand in zip(node.values, node.values[1:], strict=False):
            next_pending: Results = []
            for p, value in pending:
                if value is None:
                    states.append((p, None))
                    continue
                condition = truth(value, node.lineno)
                stop = z3.Not(condition) if is_and else condition
                if not is_false(stop):
                    states.append((p.add(stop), value))
                go = p.add(z3.Not(stop))
                if not is_false(z3.Not(stop)):
                    go = self.narrow(previous, go, is_and)
                    next_pending.extend(self.expr(operand, go))
            pending = next_pending
        states.extend(pending)
        # Merge the outcomes into one boolean value when they all are booleans.
        if all(v is not None and isinstance(v, BoolV) for _, v in states) and len(states) > 1:
            prefix = len(path.cond)
            parts = [z3.And(*p.cond[prefix:], v.e) for p, v in states]  # type: ignore
            if all(p.cond[:prefix] == path.cond for p, _ in states):
                return [(path, BoolV(z3.Or(*parts)))]
        return states

    def compare_expr(self, node: ast.expr, path: Path) -> Results:
        """`a < b < c`: each operand once, and the chain stops at the first that fails."""
        assert isinstance(node, ast.Compare)
        done: Results = []
        states: list[tuple[Path, Value, z3.BoolRef]] = []
        for p, v in self.expr(node.left, path):
            if v is None:
                done.append((p, None))
            else:
                states.append((p, v, z3.BoolVal(True)))
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            next_states = []
            for p, left, held in states:
                if not is_false(z3.Not(held)) and not z3.is_true(z3.simplify(held)):
                    done.append((p.add(z3.Not(held)), BoolV(z3.BoolVal(False))))
                    p = p.add(held)
                for q, right in self.expr(comparator, p):
                    if right is None:
                        done.append((q, None))
                        continue
                    q, result = self.compare_values(op, left, right, q, node.lineno)
                    next_states.append((q, right, result))
            states = next_states
        return done + [(p, BoolV(held)) for p, _, held in states]

    def compare_values(
        self, op: ast.cmpop, left: Value, right: Value, path: Path, line: int
    ) -> tuple[Path, z3.BoolRef]:
        if isinstance(op, ast.In | ast.NotIn):
            path, right = self.unwrap(
                path, right, line, "TypeError", "`in` on a value that is not None"
            )
        elif not isinstance(op, ast.Eq | ast.NotEq | ast.Is | ast.IsNot):
            path, left = self.unwrap(
                path, left, line, "TypeError", "ordering a value that is not None"
            )
            path, right = self.unwrap(
                path, right, line, "TypeError", "ordering a value that is not None"
            )
        if isinstance(op, ast.Eq | ast.NotEq) and (
            isinstance(left, ObjV) or isinstance(right, ObjV)
        ):
            same = self.objects_equal(left, right, path, line)
            return path, same if isinstance(op, ast.Eq) else z3.Not(same)
        return path, self.compare(op, left, right, line)

    def objects_equal(self, left: Value, right: Value, path: Path, line: int) -> z3.BoolRef:
        """`==` on objects of the module's classes: a dataclass compares its fields, a class
        with its own `__eq__` is not modelled, any other compares identity."""
        from verify.classes import is_dataclass

        if isinstance(left, ObjV) and isinstance(right, ObjV) and left.cls == right.cls:
            cls = self.ctx.classes.get(left.cls)
            if cls is not None and any(
                isinstance(n, ast.FunctionDef) and n.name == "__eq__" for n in cls.body
            ):
                raise Unsupported(f"`==` through `{left.cls}.__eq__`", line, "method:__eq__")
            if cls is not None and is_dataclass(cls):
                names = sorted(set(left.fields) | set(right.fields))
                parts = [
                    equal(left.fields[n], right.fields[n], line)
                    for n in names
                    if n in left.fields and n in right.fields
                ]
                return z3.And(*parts) if parts else z3.BoolVal(True)
            return identical(left, right, line)
        if isinstance(left, AnyV) or isinstance(right, AnyV):
            return equal(left, right, line)
        return identical(left, right, line)

    def compare(self, op: ast.cmpop, left: Value, right: Value, line: int) -> z3.BoolRef:
        if isinstance(op, ast.Eq):
            return equal(left, right, line)
        if isinstance(op, ast.NotEq):
            return z3.Not(equal(left, right, line))
        if isinstance(op, ast.Is):
            return identical(left, right, line)
        if isinstance(op, ast.IsNot):
            return z3.Not(identical(left, right, line))
        if isinstance(op, ast.In | ast.NotIn):
            inside = self.contains(right, left, line)
            return inside if isinstance(op, ast.In) else z3.Not(inside)
        if isinstance(left, AnyV | ElemV) or isinstance(right, AnyV | ElemV):
            self.ctx.note_unmodelled("ordering values the translator does not model")
            return self.ctx.fresh("compare", z3.BoolSort())
        if isinstance(left, IntV | BoolV) and isinstance(right, IntV | BoolV):
            a, b = to_int(left, line), to_int(right, line)
        elif isinstance(left, IntV | RealV | BoolV) and isinstance(right, IntV | RealV | BoolV):
            a, b = to_real(left, line), to_real(right, line)
        elif isinstance(left, StrV) and isinstance(right, StrV):
            a, b = left.e, right.e
        else:
            raise Unsupported(
                f"ordering {left.kind} and {right.kind}", line, f"op:<({left.kind},{right.kind})"
            )
        return {ast.Lt: a < b, ast.LtE: a <= b, ast.Gt: a > b, ast.GtE: a >= b}[type(op)]

    def contains(self, container: Value, item: Value, line: int) -> z3.BoolRef:
        if isinstance(container, AnyV) or isinstance(item, AnyV | OptV):
            if isinstance(container, TupleV | BListV | AssocV) and not isinstance(item, OptV):
                pass  # element by element, with == on the unmodelled item
            else:
                return self.ctx.fresh("in", z3.BoolSort())
        if isinstance(container, StrV) and isinstance(item, StrV):
            return z3.Contains(container.e, item.e)
        if isinstance(container, SeqV):
            if (
                container.elem != item.kind
                and not (container.elem == "float" and item.kind == "int")
                and z3.is_true(z3.simplify(z3.Length(container.e) == 0))
            ):
                return z3.BoolVal(False)
            return z3.Contains(container.e, z3.Unit(atomic_expr(item, container.elem, line)))
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
                ],
                z3.BoolVal(False),
            )
        if isinstance(container, DictV):
            return z3.Select(container.has, atomic_expr(item, container.key, line))
        if isinstance(container, SetV):
            return z3.Select(container.has, atomic_expr(item, container.elem, line))
        if isinstance(container, AssocV):
            return z3.Or(
                *[z3.And(p, equal(k, item, line)) for p, k, _ in container.entries],
                z3.BoolVal(False),
            )
        raise Unsupported(f"`in` on {container.kind}", line, f"op:in({container.kind})")

    def if_expr(self, node: ast.expr, path: Path) -> Results:
        assert isinstance(node, ast.IfExp)
        out: Results = []
        for p, test in self.expr(node.test, path):
            if test is None:
                out.append((p, None))
                continue
            condition = truth(test, node.lineno)
            if not is_false(condition):
                out.extend(self.expr(node.body, self.narrow(node.test, p.add(condition), True)))
            if not is_false(z3.Not(condition)):
                out.extend(
                    self.expr(node.orelse, self.narrow(node.test, p.add(z3.Not(condition)), False))
                )
        return out


def _no_star(elements: list[ast.expr], line: int) -> None:
    if any(isinstance(e, ast.Starred) for e in elements):
        raise Unsupported("`*` in a display", line, "node:Starred")


_HANDLERS = {
    ast.Constant: Expressions.constant_expr,
    ast.Name: Expressions.name,
    ast.Tuple: Expressions.tuple_display,
    ast.List: Expressions.list_display,
    ast.Set: Expressions.set_display,
    ast.Dict: Expressions.dict_display,
    ast.UnaryOp: Expressions.unary_expr,
    ast.BinOp: Expressions.binary_expr,
    ast.BoolOp: Expressions.boolop,
    ast.Compare: Expressions.compare_expr,
    ast.IfExp: Expressions.if_expr,
    ast.Subscript: lambda ex, node, path: ex.subscript(node, path),
    ast.Attribute: lambda ex, node, path: ex.attribute_expr(node, path),
    ast.Call: lambda ex, node, path: ex.call_expr(node, path),
    ast.ListComp: Expressions.comprehension_expr,
    ast.GeneratorExp: Expressions.comprehension_expr,
    ast.SetComp: Expressions.comprehension_expr,
    ast.DictComp: Expressions.comprehension_expr,
    ast.JoinedStr: Expressions.fstring,
    ast.Lambda: Expressions.lambda_expr,
    ast.NamedExpr: Expressions.named_expr,
}
