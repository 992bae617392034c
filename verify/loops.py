"""Loops and comprehensions, unrolled: for over ranges, sequences, enumerate and zip (and
over a parameter's list of lists, item by item), while, and the streams of elements that
comprehensions and folds read."""

from __future__ import annotations

import ast
import dataclasses
from typing import cast

import z3

from verify.core import Core
from verify.state import LOOP_BOUND, Path, Stream, is_false
from verify.values import (
    AssocV,
    BListV,
    IntV,
    SeqV,
    StrV,
    TupleV,
    Unsupported,
    Value,
    atomic,
    merge,
    to_int,
    truth,
)


class Loops(Core):
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
        return [p for p in out if not is_false(z3.And(*p.cond))]

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
        return [p for p in out if not is_false(z3.And(*p.cond))]

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
                    if is_false(condition):
                        continue
                    leaving, going_on = self._iteration(node.body, q.add(condition))
                    out += leaving
                    next_live += going_on
            live = next_live
            if not live:
                break
        for p in live:
            self.ctx.cuts.append((p.cond, f"loop unrolled {LOOP_BOUND} times"))
        return [p for p in out if not is_false(z3.And(*p.cond))]

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
            value = merge(z3.And(*p.cond[prefix:]), v, value, line)
        return value

    def items_of(self, node: ast.expr, path: Path, line: int) -> list[tuple[Path, Stream]]:
        """The elements of an iterable argument (a comprehension or any iterable)."""
        if isinstance(node, ast.ListComp | ast.GeneratorExp):
            return self.comprehension(node, path)
        return self.iterate(node, path, line)


def _names(target: ast.expr) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


def _assigns(body: list[ast.stmt], name: str) -> bool:
    """Whether the statements rebind `name` anywhere."""
    return any(
        isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store | ast.Del)
        for statement in body
        for node in ast.walk(statement)
    )
