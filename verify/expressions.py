"""Expressions: constants, names, displays, operators (Python's floor division and modulo),
short-circuit boolean operators, comparisons, membership, and contracts folded into one
formula."""

from __future__ import annotations

import ast
import dataclasses

import z3

from verify.core import Core
from verify.state import LOOP_BOUND, MAX_LITERAL_DIGITS, Ended, Path, Results, Stream, is_false
from verify.values import (
    SORTS,
    AssocV,
    BListV,
    BoolV,
    DictV,
    IntV,
    NoneV,
    RealV,
    SeqV,
    StrV,
    TupleV,
    Unsupported,
    Value,
    atomic_expr,
    equal,
    same_elem,
    to_int,
    to_real,
    truth,
)


class Expressions(Core):
    # --- expressions ---------------------------------------------------------------------
    def exprs(self, nodes: list[ast.expr], path: Path) -> list[tuple[Path, list[Value]]]:
        states: list[tuple[Path, list[Value]]] = [(path, [])]
        for node in nodes:
            next_states = []
            for p, values in states:
                for q, value in self.expr(node, p):
                    if value is None:
                        raise Ended(q)
                    next_states.append((q, [*values, value]))
            states = next_states
        return states

    def expr(self, node: ast.expr, path: Path) -> Results:
        try:
            return self._expr(node, path)
        except Ended as ended:
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
                if not is_false(condition):
                    out.extend(self.expr(node.body, p.add(condition)))
                if not is_false(z3.Not(condition)):
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
                left, right = same_elem(left, right, line)
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
                if not is_false(stop):
                    states.append((p.add(stop), value))
                go = p.add(condition if is_and else z3.Not(condition))
                if not is_false(z3.Not(stop)):
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
                ]
            )
        if isinstance(container, DictV):
            return z3.Select(container.has, atomic_expr(item, container.key, line))
        if isinstance(container, AssocV):
            return (
                z3.Or(*[z3.And(p, equal(k, item, line)) for p, k, _ in container.entries])
                if container.entries
                else z3.BoolVal(False)
            )
        raise Unsupported(f"`in` on {container.kind}", line)
