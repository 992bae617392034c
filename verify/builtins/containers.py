"""len, list, tuple, set, frozenset, dict, zip, enumerate, reversed, range and sorted as
values (in a `for`, the loops read them directly)."""

from __future__ import annotations

import ast

import z3

from verify.builtins.common import Builtin, call_args, keyword
from verify.core import Core
from verify.operations import length
from verify.state import LOOP_BOUND, Path, Results
from verify.values import (
    SORTS,
    AnyV,
    AssocV,
    BListV,
    DictV,
    IntV,
    OptV,
    SeqV,
    SetV,
    StrV,
    TupleV,
    Unsupported,
    Value,
)


def _len(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
    out: Results = []
    for p, vs in call_args(ex, node, path):
        if len(vs) != 1 or node.keywords:
            raise Unsupported("len() with these arguments", line, "builtin:len(args)")
        value = vs[0]
        if isinstance(value, OptV):
            p, value = ex.unwrap(p, value, line, "TypeError", "len() of a value that is not None")
        if isinstance(value, AnyV):
            ex.unmodelled(p, f"len() of {value.name}", line)
        out.append((p, IntV(length(value, line))))
    return out


def _convert(kind: str) -> Builtin:
    """list(x), tuple(x), set(x), frozenset(x): the elements of x, as that container."""

    def run(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
        if node.keywords or len(node.args) > 1:
            raise Unsupported(f"{kind}() with these arguments", line, f"builtin:{kind}(args)")
        if not node.args:
            empty = {"list": SeqV(z3.Empty(z3.SeqSort(z3.IntSort())), "int"), "tuple": TupleV(())}
            if kind in empty:
                return [(path, empty[kind])]
            return [(path, SetV(z3.K(z3.IntSort(), z3.BoolVal(False)), "int", z3.IntVal(0)))]
        out: Results = []
        for p, value in ex.expr(node.args[0], path):
            if value is None:
                out.append((p, None))
                continue
            out.extend(_converted(ex, kind, value, p, line))
        return out

    return run


def _converted(ex: Core, kind: str, value: Value, path: Path, line: int) -> Results:
    if isinstance(value, AnyV):
        ex.unmodelled(path, f"{kind}() of {value.name}", line)
        return [(path, ex.any_value(f"{kind}({value.name})", kind))]
    if kind in ("set", "frozenset"):
        return [(path, to_set(ex, value, path, line))]
    if isinstance(value, SeqV):
        return [(path, SeqV(value.e, value.elem, kind == "tuple"))]
    if isinstance(value, TupleV) and kind == "tuple":
        return [(path, value)]
    if isinstance(value, BListV):
        return [
            (
                path,
                BListV(
                    value.length, value.items, value.ids if kind == "tuple" else (), kind == "tuple"
                ),
            )
        ]
    p, stream = ex.stream(value, path, line)
    listed = ex.from_stream(stream, line)
    if kind == "tuple" and isinstance(listed, SeqV):
        listed = SeqV(listed.e, listed.elem, True)
    elif kind == "tuple" and isinstance(listed, BListV):
        listed = BListV(listed.length, listed.items, (), True)
    return [(p, listed)]


def to_set(ex: Core, value: Value, path: Path, line: int) -> Value:
    """set(x): membership exactly; the size exactly within the bound, bounded beyond."""
    if isinstance(value, SetV):
        return value
    if isinstance(value, DictV):
        return SetV(value.has, value.key, value.size)
    if isinstance(value, SeqV | StrV):
        elem = value.elem if isinstance(value, SeqV) else "str"
        key = z3.Const("k", SORTS[elem])
        seq = value.e

        def element(i: int) -> z3.ExprRef:
            return seq[i] if isinstance(value, SeqV) else z3.SubString(seq, i, 1)

        unit = z3.Unit(key) if isinstance(value, SeqV) else key
        has = z3.Lambda(
            [key],
            z3.And(
                z3.Contains(value.e, unit),
                *([z3.Length(key) == 1] if isinstance(value, StrV) else []),
            ),
        )
        size = z3.Length(value.e)
        distinct: z3.ArithRef = z3.IntVal(0)
        for i in range(LOOP_BOUND):
            earlier = [element(i) == element(j) for j in range(i)]
            new = z3.And(i < size, z3.Not(z3.Or(*earlier))) if earlier else i < size
            distinct = distinct + z3.If(new, 1, 0)
        rest = ex.ctx.fresh("len(set)", z3.IntSort())
        ex.ctx.facts.append(z3.And(rest >= 0, rest <= size - LOOP_BOUND))
        count = z3.If(size > LOOP_BOUND, distinct + rest, distinct)
        ex.abstract(size > LOOP_BOUND, f"set() of more than {LOOP_BOUND} items: its size left open")
        return SetV(has, elem, count)
    p, stream = ex.stream(value, path, line)
    del p
    return ex.make_set(list(stream.elements), stream.more, line)  # type: ignore[attr-defined,no-any-return]


def _dict(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
    if not node.args and not node.keywords:
        return [(path, AssocV(()))]
    if len(node.args) != 1 or node.keywords:
        raise Unsupported("dict() with these arguments", line, "builtin:dict(args)")
    out: Results = []
    for p, stream in ex.items_of(node.args[0], path, line):
        items, more = stream.elements, stream.more
        if not z3.is_false(z3.simplify(more)):
            ex.ctx.cuts.append(((*p.cond, more), f"dict() of more than {LOOP_BOUND} items"))
        entries = []
        for present, pair in items:
            if isinstance(pair, AssocV | DictV):
                raise Unsupported("dict() of a dict", line, "builtin:dict(dict)")
            if not isinstance(pair, TupleV) or len(pair.items) != 2:
                raise Unsupported("dict() of items that are not pairs", line, "builtin:dict(pairs)")
            entries.append((present, pair.items[0], pair.items[1]))
        out.append((p, AssocV(tuple(entries))))
    return out


def _listed(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
    """zip(...), enumerate(...), reversed(...), range(...) used as values: their elements."""
    return [(p, ex.from_stream(stream, line)) for p, stream in ex.iterate(node, path, line)]


def sorted_seq(ex: Core, value: SeqV, reverse: bool) -> SeqV:
    """sorted(x): as long as x, in order, made of x's elements (within the bound)."""
    s = value.e
    size = z3.Length(s)
    result = ex.ctx.fresh("sorted", s.sort())
    facts = [z3.Length(result) == size]
    for i in range(LOOP_BOUND):
        facts.append(
            z3.Implies(
                i < size,
                z3.And(z3.Contains(s, z3.Unit(result[i])), z3.Contains(result, z3.Unit(s[i]))),
            )
        )
        if i + 1 < LOOP_BOUND:
            ordered = result[i] >= result[i + 1] if reverse else result[i] <= result[i + 1]
            facts.append(z3.Implies(i + 1 < size, ordered))
    ex.ctx.facts.append(z3.And(*facts))
    ex.abstract(size > LOOP_BOUND, f"sorted() past the first {LOOP_BOUND} items left open")
    ex.ctx.note_unmodelled("the order of equal items in sorted()")
    return SeqV(result, value.elem)


def _sorted(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
    reverse_node = keyword(node, "reverse")
    if len(node.args) != 1 or keyword(node, "key") is not None:
        raise Unsupported("sorted() with a key", line, "builtin:sorted(key)")
    reverse = isinstance(reverse_node, ast.Constant) and bool(reverse_node.value)
    if reverse_node is not None and not isinstance(reverse_node, ast.Constant):
        raise Unsupported("sorted() with a symbolic `reverse`", line, "builtin:sorted(reverse)")
    out: Results = []
    for p, value in ex.expr(node.args[0], path):
        if value is None:
            out.append((p, None))
            continue
        listed = _converted(ex, "list", value, p, line)
        for q, seq in listed:
            if isinstance(seq, SeqV) and seq.elem in ("int", "float", "str"):
                out.append((q, sorted_seq(ex, seq, reverse)))
            elif isinstance(seq, AnyV):
                out.append((q, seq))
            else:
                kind = seq.kind if seq is not None else "value"
                raise Unsupported(f"sorted() of a {kind}", line, f"builtin:sorted({kind})")
    return out


CONTAINERS: dict[str, Builtin] = {
    "len": _len,
    "list": _convert("list"),
    "tuple": _convert("tuple"),
    "set": _convert("set"),
    "frozenset": _convert("frozenset"),
    "dict": _dict,
    "zip": _listed,
    "enumerate": _listed,
    "reversed": _listed,
    "range": _listed,
    "sorted": _sorted,
}
