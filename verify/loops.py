"""Loops and comprehensions, unrolled: for over ranges, sequences, strings, dicts, sets,
enumerate, zip and reversed (and over a parameter's list of lists, item by item), while, with
their `else`, and the streams of elements that comprehensions and folds read. A loop that may
run longer than the bound is a cut: its condition is recorded, and no proof is claimed where
it can be reached."""

from __future__ import annotations

import ast
import dataclasses
from typing import cast

import z3

from verify.core import Core
from verify.operations import merge, truth
from verify.state import LOOP_BOUND, Path, Stream, is_false
from verify.values import (
    SORTS,
    AnyV,
    AssocV,
    BListV,
    DictV,
    IntV,
    SeqV,
    SetV,
    StrV,
    TupleV,
    Unsupported,
    Value,
    atomic,
    to_int,
)


class Loops(Core):
    # --- iterables ------------------------------------------------------------------------
    def iterate(self, iterable: ast.expr, path: Path, line: int) -> list[tuple[Path, Stream]]:
        """For each way to evaluate the iterable: the path and the unrolled stream."""
        if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name):
            name = iterable.func.id
            if name in ("range", "enumerate", "zip", "reversed") and name not in path.env:
                if iterable.keywords and name != "enumerate":
                    raise Unsupported(f"{name}() with keywords", line, f"builtin:{name}")
                if name == "range":
                    return [
                        (p, self.range_stream(b, line)) for p, b in self.exprs(iterable.args, path)
                    ]
                return self.combined(name, iterable, path, line)
        if isinstance(iterable, ast.ListComp | ast.GeneratorExp | ast.SetComp):
            return self.comprehension(iterable, path)
        out = []
        for p, value in self.expr(iterable, path):
            if value is not None:
                out.append(self.stream(value, p, line))
        return out

    def range_stream(self, bounds: list[Value], line: int) -> Stream:
        if not 1 <= len(bounds) <= 3:
            raise Unsupported("range() with these arguments", line, "builtin:range")
        numbers = [to_int(b, line) for b in bounds]
        start, stop = (numbers[0], numbers[1]) if len(numbers) > 1 else (z3.IntVal(0), numbers[0])
        step_value = 1
        if len(numbers) == 3:
            simplified = z3.simplify(numbers[2])
            if not z3.is_int_value(simplified) or simplified.as_long() == 0:
                raise Unsupported("range() with a non-constant step", line, "builtin:range(step)")
            step_value = simplified.as_long()
        elements: list[tuple[z3.BoolRef, Value]] = []
        for i in range(LOOP_BOUND):
            current = start + i * step_value
            present = current < stop if step_value > 0 else current > stop
            elements.append((present, IntV(current)))
        last = start + LOOP_BOUND * step_value
        more = last < stop if step_value > 0 else last > stop
        span = stop - start if step_value > 0 else start - stop
        magnitude = abs(step_value)
        steps = z3.If(span > 0, (span + magnitude - 1) / magnitude, 0)
        return Stream(elements, more, steps)

    def combined(
        self, name: str, node: ast.Call, path: Path, line: int
    ) -> list[tuple[Path, Stream]]:
        """enumerate, zip and reversed over the streams of their arguments."""
        results = []
        start = 0
        args = list(node.args)
        if name == "enumerate":
            start_node: ast.expr | None = None
            if len(args) == 2:
                start_node = args.pop()
            else:
                start_node = next((k.value for k in node.keywords if k.arg == "start"), None)
            if start_node is not None:
                if not isinstance(start_node, ast.Constant) or not isinstance(
                    start_node.value, int
                ):
                    raise Unsupported(
                        "enumerate() from a symbolic start", line, "builtin:enumerate"
                    )
                start = start_node.value
        for p, sources in self.exprs(args, path):
            streams = []
            for source in sources:
                p, stream = self.stream(source, p, line)
                streams.append(stream)
            if name == "reversed":
                results.append((p, self.reversed_stream(sources[0], streams[0], line)))
            elif name == "enumerate":
                first = streams[0]
                numbered = [
                    (present, TupleV((IntV(z3.IntVal(i + start)), v)))
                    for i, (present, v) in enumerate(first.elements)
                ]
                results.append((p, Stream(numbered, first.more, first.size, first.filtered)))
            else:
                results.append((p, _zipped(streams)))
        return results

    def reversed_stream(self, value: Value, stream: Stream, line: int) -> Stream:
        if isinstance(value, SeqV | StrV):
            size = z3.Length(value.e)
            items: list[tuple[z3.BoolRef, Value]] = []
            for i in range(LOOP_BOUND):
                at = size - 1 - i
                item = (
                    atomic(value.elem, value.e[at])
                    if isinstance(value, SeqV)
                    else StrV(z3.SubString(value.e, at, 1))
                )
                items.append((z3.IntVal(i) < size, item))
            return Stream(items, size > LOOP_BOUND, size)
        if isinstance(value, TupleV):
            return Stream(list(reversed(stream.elements)), stream.more, stream.size)
        raise Unsupported(f"reversed() of {value.kind}", line, f"builtin:reversed({value.kind})")

    def stream(self, value: Value, path: Path, line: int) -> tuple[Path, Stream]:
        path, value = self.unwrap(
            path, value, line, "TypeError", "iterating over a value that is not None"
        )
        if isinstance(value, SeqV | StrV):
            size = z3.Length(value.e)
            if isinstance(value, SeqV):
                items = [
                    (z3.IntVal(i) < size, atomic(value.elem, value.e[i])) for i in range(LOOP_BOUND)
                ]
            else:
                items = [
                    (z3.IntVal(i) < size, StrV(z3.SubString(value.e, i, 1)))
                    for i in range(LOOP_BOUND)
                ]
            return path, Stream(items, size > LOOP_BOUND, size)
        if isinstance(value, TupleV):
            return path, Stream(
                [(z3.BoolVal(True), v) for v in value.items],
                z3.BoolVal(False),
                z3.IntVal(len(value.items)),
            )
        if isinstance(value, BListV):
            items = [(z3.IntVal(i) < value.length, v) for i, v in enumerate(value.items)]
            return path, Stream(items, value.length > len(value.items), value.length)
        if isinstance(value, AssocV):
            return path, Stream(
                [(present, key) for present, key, _ in _unique(value)], z3.BoolVal(False), None
            )
        if isinstance(value, DictV | SetV):
            return path, self.key_stream(value)
        if isinstance(value, AnyV):
            self.unmodelled(path, f"iterating over {value.name}", line)
            items = [
                (z3.IntVal(i) < value.size, cast(Value, self.any_value(f"{value.name}[{i}]")))
                for i in range(LOOP_BOUND)
            ]
            return path, Stream(items, value.size > LOOP_BOUND, value.size)
        raise Unsupported(f"iterating over {value.kind}", line, f"iterate:{value.kind}")

    def key_stream(self, value: DictV | SetV) -> Stream:
        """The keys of a dict or set in some order: distinct members, as many as its size."""
        kind = value.key if isinstance(value, DictV) else value.elem
        keys = [self.ctx.fresh("key", SORTS[kind]) for _ in range(LOOP_BOUND)]
        for i, key in enumerate(keys):
            present = z3.IntVal(i) < value.size
            self.ctx.facts.append(z3.Implies(present, z3.Select(value.has, key)))
            for other in keys[:i]:
                self.ctx.facts.append(z3.Implies(present, key != other))
        items = [(z3.IntVal(i) < value.size, atomic(kind, key)) for i, key in enumerate(keys)]
        return Stream(items, value.size > LOOP_BOUND, value.size)

    # --- loops ----------------------------------------------------------------------------
    def for_loop(self, node: ast.For, path: Path) -> list[Path]:
        if (
            isinstance(node.iter, ast.Name)
            and isinstance(node.target, ast.Name)
            and node.iter.id not in path.borrowed
            and isinstance(path.env.get(node.iter.id), BListV)
            and cast(BListV, path.env[node.iter.id]).ids
            and not _assigns(node.body, node.iter.id)
            and not node.orelse
        ):
            return self.loop_over_items(node, node.iter.id, node.target.id, path)
        out: list[Path] = []
        finished: list[Path] = []
        for start, stream in self.iterate(node.iter, path, node.lineno):
            live = [start]
            for present, element in stream.elements:
                next_live = []
                for p in live:
                    finished.append(p.add(z3.Not(present)))  # the loop ended before it
                    entered = self.assign(node.target, element, p.add(present), node.lineno)
                    for name in _names(node.target):
                        entered = entered.bind(name, entered.env[name], borrowed=True)
                    leaving, going_on = self.iteration(node.body, entered)
                    out += leaving
                    next_live += going_on
                live = next_live
            for p in live:
                finished.append(p.add(z3.Not(stream.more)))
                self.cut((*p.cond, stream.more), node.lineno)
        finished = [p for p in finished if not is_false(z3.And(*p.cond))]
        out += self.block(node.orelse, finished) if node.orelse else finished
        return [p for p in out if not is_false(z3.And(*p.cond))]

    def cut(self, cond: tuple[z3.BoolRef, ...], line: int) -> None:
        self.ctx.cuts.append((cond, f"the loop at line {line} unrolled {LOOP_BOUND} times"))

    def loop_over_items(self, node: ast.For, container: str, name: str, path: Path) -> list[Path]:
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
                leaving, going_on = self.iteration(node.body, entered)
                out += leaving
                next_live += going_on
            live = next_live
        for p in live:
            more = cast(BListV, p.env[container]).length > count
            out.append(p.add(z3.Not(more)))
            self.cut((*p.cond, more), node.lineno)
        return [p for p in out if not is_false(z3.And(*p.cond))]

    def iteration(self, body: list[ast.stmt], entered: Path) -> tuple[list[Path], list[Path]]:
        """One pass through a loop body: (paths leaving the loop, paths going on to the next
        iteration). `break` leaves live; `return` and raises leave as they are."""
        self.ctx.tick()
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
        out: list[Path] = []
        finished: list[Path] = []
        live = [path]
        for iteration in range(LOOP_BOUND + 1):
            next_live = []
            for p in live:
                for q, value in self.expr(node.test, p):
                    if value is None:
                        out.append(q)
                        continue
                    condition = truth(value, node.lineno)
                    finished.append(q.add(z3.Not(condition)))
                    if is_false(condition):
                        continue
                    if iteration == LOOP_BOUND:  # one more pass would exceed the bound
                        self.cut((*q.cond, condition), node.lineno)
                        continue
                    leaving, going_on = self.iteration(node.body, q.add(condition))
                    out += leaving
                    next_live += going_on
            live = next_live
            if not live:
                break
        finished = [p for p in finished if not is_false(z3.And(*p.cond))]
        out += self.block(node.orelse, finished) if node.orelse else finished
        return [p for p in out if not is_false(z3.And(*p.cond))]

    # --- comprehensions -------------------------------------------------------------------
    def comprehension(self, node: ast.expr, path: Path) -> list[tuple[Path, Stream]]:
        """The elements a comprehension makes (for a dict comprehension, key-value pairs).
        Two `for` clauses unroll one inside the other."""
        assert isinstance(node, ast.ListComp | ast.GeneratorExp | ast.SetComp | ast.DictComp)
        if any(g.is_async for g in node.generators):
            raise Unsupported("async comprehension", node.lineno, "node:async-comprehension")
        if len(node.generators) > 2:
            raise Unsupported(
                "a comprehension of more than two `for`s", node.lineno, "node:comprehension(3 for)"
            )
        out = []
        for p, elements, more, size in self.generate(node, list(node.generators), path):
            filtered = size is None
            out.append((p, Stream(elements, more, size, filtered)))
        return out

    def generate(
        self, node: ast.expr, generators: list[ast.comprehension], path: Path
    ) -> list[tuple[Path, list[tuple[z3.BoolRef, Value]], z3.BoolRef, z3.ArithRef | None]]:
        generator, rest = generators[0], generators[1:]
        results = []
        for p, source in self.iterate(generator.iter, path, node.lineno):
            items: list[tuple[z3.BoolRef, Value]] = []
            more = source.more
            for present, element in source.elements:
                inner = self.assign(generator.target, element, p.add(present), node.lineno)
                keep = present
                for test in generator.ifs:
                    reach, value = self.fold(test, inner)
                    p = p.add(z3.Implies(keep, reach))
                    condition = truth(value, node.lineno)
                    keep = z3.And(keep, condition)
                    inner = inner.add(condition)
                if rest:
                    for q, nested, nested_more, _ in self.generate(node, rest, inner):
                        if len(q.cond) > len(inner.cond):
                            p = p.add(z3.Implies(keep, z3.And(*q.cond[len(inner.cond) :])))
                        items += [(z3.And(keep, c), v) for c, v in nested]
                        more = z3.Or(more, z3.And(keep, nested_more))
                    continue
                reach, value = self.fold(_element(node), inner)
                p = p.add(z3.Implies(keep, reach))
                items.append((z3.simplify(keep), value))
            size = None if generator.ifs or rest else source.size
            results.append((p, items, more, size))
        return results

    def fold(self, node: ast.expr, path: Path) -> tuple[z3.BoolRef, Value]:
        """One value for an expression that may branch (a conditional expression inside a
        comprehension): the branches are folded with If, and the condition under which it
        does not raise."""
        results = [(p, v) for p, v in self.expr(node, path) if v is not None]
        line = getattr(node, "lineno", 0)
        if not results:
            return z3.BoolVal(False), atomic("int", z3.IntVal(0))
        prefix = len(path.cond)
        if any(p.env is not path.env and p.env != path.env for p, _ in results) or any(
            p.cond[:prefix] != path.cond for p, _ in results
        ):
            raise Unsupported(
                "branching inside a comprehension", line, "node:comprehension(branch)"
            )
        conditions = [z3.And(*p.cond[prefix:]) for p, _ in results]
        value = results[-1][1]
        assert value is not None
        for (_p, v), condition in zip(
            reversed(results[:-1]), reversed(conditions[:-1]), strict=True
        ):
            assert v is not None
            value = merge(condition, v, value, line)
        return z3.Or(*conditions) if len(conditions) > 1 else conditions[0], value

    def items_of(self, node: ast.expr, path: Path, line: int) -> list[tuple[Path, Stream]]:
        """The elements of an iterable argument (a comprehension or any iterable)."""
        return self.iterate(node, path, line)


def _element(node: ast.expr) -> ast.expr:
    if isinstance(node, ast.DictComp):
        return ast.copy_location(ast.Tuple([node.key, node.value], ast.Load()), node)
    assert isinstance(node, ast.ListComp | ast.GeneratorExp | ast.SetComp)
    return node.elt


def _zipped(streams: list[Stream]) -> Stream:
    size = min(len(s.elements) for s in streams)
    elements: list[tuple[z3.BoolRef, Value]] = []
    for i in range(size):
        present = z3.And(*[s.elements[i][0] for s in streams])
        elements.append((present, TupleV(tuple(s.elements[i][1] for s in streams))))
    more = z3.And(*[s.more for s in streams])
    count: z3.ArithRef | None = None
    if all(s.size is not None for s in streams) and not any(s.filtered for s in streams):
        count = streams[0].size
        for other in streams[1:]:
            count = z3.If(other.size < count, other.size, count)  # type: ignore
    return Stream(elements, more, count)


def _unique(value: AssocV) -> list[tuple[z3.BoolRef, Value, Value]]:
    """A dict's entries as Python iterates them: one per key (where it was first set)."""
    from verify.operations import equal

    out = []
    for index, (present, key, val) in enumerate(value.entries):
        earlier = [z3.And(p, equal(k, key)) for p, k, _ in value.entries[:index]]
        first = z3.And(present, z3.Not(z3.Or(*earlier))) if earlier else present
        out.append((first, key, val))
    return out


def _names(target: ast.expr) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


def _assigns(body: list[ast.stmt], name: str) -> bool:
    """Whether the statements rebind `name` anywhere."""
    return any(
        isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store | ast.Del)
        for statement in body
        for node in ast.walk(statement)
    )
