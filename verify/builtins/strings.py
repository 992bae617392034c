"""str through Z3's sequence theory: conversion (`str(x)`, f-strings), and the methods.
Exact where Z3 has the operation (startswith, endswith, find, index, rfind, removeprefix,
removesuffix, strip and friends through regular languages, join and split up to the bound);
the others give a string (or bool, or int) with what is surely true of it, and nothing more."""

from __future__ import annotations

import ast
from collections.abc import Callable

import z3

from verify.builtins.common import Rebind, fresh_str
from verify.core import Core
from verify.operations import truth
from verify.state import LOOP_BOUND, Path, Results
from verify.values import (
    AnyV,
    BListV,
    BoolV,
    IntV,
    NoneV,
    OptV,
    RealV,
    SeqV,
    StrV,
    TupleV,
    Unsupported,
    Value,
    to_int,
)

# Exactly the characters for which str.isspace() holds: what strip() and split() remove.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)


def char_class(chars: str) -> z3.ReRef:
    return (
        z3.Union(*[z3.Re(z3.StringVal(c)) for c in chars])
        if len(chars) > 1
        else z3.Re(z3.StringVal(chars))
    )


def to_str(ex: Core, value: Value, path: Path, line: int) -> StrV:
    """`str(value)`: exact for str, int, bool and None; any string for the rest."""
    if isinstance(value, StrV):
        return value
    if isinstance(value, BoolV):
        return StrV(z3.If(value.e, z3.StringVal("True"), z3.StringVal("False")))
    if isinstance(value, IntV):
        n = value.e
        return StrV(z3.If(n >= 0, z3.IntToStr(n), z3.Concat(z3.StringVal("-"), z3.IntToStr(-n))))
    if isinstance(value, NoneV):
        return StrV(z3.StringVal("None"))
    if isinstance(value, OptV):
        inner = to_str(ex, value.value, path, line)
        return StrV(z3.If(value.none, z3.StringVal("None"), inner.e))
    text = fresh_str(ex, "str()")
    if isinstance(value, RealV):
        ex.ctx.facts.append(z3.Length(text.e) > 0)
    if isinstance(value, AnyV):
        ex.unmodelled(path, f"str() of {value.name}", line)
    else:
        ex.ctx.note_unmodelled(f"str() of a {value.kind}")
    return text


def joined_str(ex: Core, node: ast.JoinedStr, path: Path) -> Results:
    """An f-string: its literal parts and its values, converted."""
    states: list[tuple[Path, list[z3.SeqRef]]] = [(path, [])]
    for part in node.values:
        if isinstance(part, ast.Constant):
            states = [(p, [*parts, z3.StringVal(str(part.value))]) for p, parts in states]
            continue
        assert isinstance(part, ast.FormattedValue)
        next_states = []
        for p, parts in states:
            for q, value in ex.expr(part.value, p):
                if value is None:
                    ex.ctx.sink.append(q)
                    continue
                next_states.append((q, [*parts, formatted(ex, value, part, q).e]))
        states = next_states
    out: Results = []
    for p, parts in states:
        text = z3.Concat(*parts) if len(parts) > 1 else parts[0] if parts else z3.StringVal("")
        out.append((p, StrV(text)))
    return out


def formatted(ex: Core, value: Value, part: ast.FormattedValue, path: Path) -> StrV:
    plain = part.format_spec is None and part.conversion in (-1, ord("s"))
    if plain:
        return to_str(ex, value, path, part.lineno)
    if (
        part.conversion == ord("r")
        and isinstance(value, IntV | BoolV | NoneV)
        and part.format_spec is None
    ):
        return to_str(ex, value, path, part.lineno)
    ex.ctx.note_unmodelled("a format specification")
    return fresh_str(ex, "formatted")


_Outcome = tuple[Path, Value | None] | None
# One method family: (executor, receiver, method, args, call, path, line); None where the
# arguments do not fit, so the call stays unsupported.
_Handler = Callable[[Core, StrV, str, list[Value], ast.Call, Path, int], _Outcome]


def _affix_test(
    ex: Core, receiver: StrV, method: str, args: list[Value], node: ast.Call, path: Path, line: int
) -> _Outcome:
    """startswith and endswith, of one string or a tuple of them (any of which may match)."""
    if len(args) != 1:
        return None
    function = z3.PrefixOf if method == "startswith" else z3.SuffixOf
    options = _strings(args[0], line, method)
    return path, BoolV(z3.Or(*[function(o, receiver.e) for o in options]))


def _find(
    ex: Core, receiver: StrV, method: str, args: list[Value], node: ast.Call, path: Path, line: int
) -> _Outcome:
    """find and rfind give -1 when absent; index and rindex raise ValueError instead."""
    if len(args) != 1 or not isinstance(args[0], StrV):
        return None
    s, sub = receiver.e, args[0].e
    position = z3.IndexOf(s, sub, 0) if method in ("find", "index") else z3.LastIndexOf(s, sub)
    if method in ("index", "rindex"):
        path = ex.unless(path, z3.Contains(s, sub), "ValueError", "substring found", line)
    return path, IntV(position)


def _remove_affix(
    ex: Core, receiver: StrV, method: str, args: list[Value], node: ast.Call, path: Path, line: int
) -> _Outcome:
    if len(args) != 1 or not isinstance(args[0], StrV):
        return None
    s, affix = receiver.e, args[0].e
    size = z3.Length(affix)
    if method == "removeprefix":
        cut = z3.SubString(s, size, z3.Length(s) - size)
        return path, StrV(z3.If(z3.PrefixOf(affix, s), cut, s))
    # An empty suffix leaves the string as it is.
    cut = z3.SubString(s, 0, z3.Length(s) - size)
    return path, StrV(z3.If(z3.And(size > 0, z3.SuffixOf(affix, s)), cut, s))


def _strip_method(
    ex: Core, receiver: StrV, method: str, args: list[Value], node: ast.Call, path: Path, line: int
) -> _Outcome:
    return path, _strip(ex, receiver, method, args, line)


def _join_method(
    ex: Core, receiver: StrV, method: str, args: list[Value], node: ast.Call, path: Path, line: int
) -> _Outcome:
    return (path, join(ex, receiver, args[0], path, line)) if len(args) == 1 else None


def _split_method(
    ex: Core, receiver: StrV, method: str, args: list[Value], node: ast.Call, path: Path, line: int
) -> _Outcome:
    return _split(ex, receiver, args, node, path, line)


def _replace_method(
    ex: Core, receiver: StrV, method: str, args: list[Value], node: ast.Call, path: Path, line: int
) -> _Outcome:
    return (path, _replace(ex, receiver, args, line)) if len(args) in (2, 3) else None


def _count(
    ex: Core, receiver: StrV, method: str, args: list[Value], node: ast.Call, path: Path, line: int
) -> _Outcome:
    """Not exact: at most one more than the length, and zero exactly when absent."""
    if len(args) != 1 or not isinstance(args[0], StrV):
        return None
    s, sub = receiver.e, args[0].e
    count = ex.ctx.fresh("count", z3.IntSort())
    ex.ctx.facts.append(z3.And(count >= 0, count <= z3.Length(s) + 1))
    ex.ctx.facts.append(z3.Implies(z3.Length(sub) > 0, (count == 0) == z3.Not(z3.Contains(s, sub))))
    ex.ctx.note_unmodelled("str.count")
    return path, IntV(count)


def _predicate_method(
    ex: Core, receiver: StrV, method: str, args: list[Value], node: ast.Call, path: Path, line: int
) -> _Outcome:
    return None if args else (path, _predicate(ex, receiver, method))


def _cased_method(
    ex: Core, receiver: StrV, method: str, args: list[Value], node: ast.Call, path: Path, line: int
) -> _Outcome:
    return None if args else (path, _cased(ex, receiver, method))


def _padded(
    ex: Core, receiver: StrV, method: str, args: list[Value], node: ast.Call, path: Path, line: int
) -> _Outcome:
    """zfill and the justifications: only the length is known (the width, or the input's)."""
    if not args:
        return None
    width = to_int(args[0], line)
    padded = fresh_str(ex, method)
    size = z3.Length(receiver.e)
    ex.ctx.facts.append(z3.Length(padded.e) == z3.If(width > size, width, size))
    ex.ctx.note_unmodelled(f"str.{method}")
    return path, padded


def _splitlines(
    ex: Core, receiver: StrV, method: str, args: list[Value], node: ast.Call, path: Path, line: int
) -> _Outcome:
    lines = ex.ctx.fresh("lines", z3.SeqSort(z3.StringSort()))
    ex.ctx.note_unmodelled("str.splitlines")
    return path, SeqV(lines, "str")


def _partition_method(
    ex: Core, receiver: StrV, method: str, args: list[Value], node: ast.Call, path: Path, line: int
) -> _Outcome:
    if len(args) != 1 or not isinstance(args[0], StrV):
        return None
    return path, _partition(ex, receiver, args[0], method)


def _any_str(
    ex: Core, receiver: StrV, method: str, args: list[Value], node: ast.Call, path: Path, line: int
) -> _Outcome:
    """format, translate and the like: some string, nothing more is known."""
    ex.ctx.note_unmodelled(f"str.{method}")
    return path, fresh_str(ex, method)


def _encode(
    ex: Core, receiver: StrV, method: str, args: list[Value], node: ast.Call, path: Path, line: int
) -> _Outcome:
    ex.ctx.note_unmodelled("str.encode")
    return path, ex.any_value("bytes", "bytes")


def _family(handler: _Handler, *methods: str) -> dict[str, _Handler]:
    return dict.fromkeys(methods, handler)


def str_method(
    ex: Core,
    receiver: Value,
    method: str,
    args: list[Value],
    rebind: Rebind | None,
    node: ast.Call,
    path: Path,
    line: int,
) -> tuple[Path, Value | None] | None:
    if not isinstance(receiver, StrV):
        return None
    handler = _METHODS.get(method)
    return handler(ex, receiver, method, args, node, path, line) if handler is not None else None


def _strings(value: Value, line: int, method: str) -> list[z3.SeqRef]:
    if isinstance(value, StrV):
        return [value.e]
    if isinstance(value, TupleV) and all(isinstance(v, StrV) for v in value.items):
        return [v.e for v in value.items]  # type: ignore[attr-defined]
    if isinstance(value, SeqV) and value.tuple_like and value.elem == "str":
        size = z3.simplify(z3.Length(value.e))
        if z3.is_int_value(size):
            return [value.e[i] for i in range(size.as_long())]
    raise Unsupported(f"str.{method} of a {value.kind}", line, f"method:str.{method}({value.kind})")


def _strip(ex: Core, receiver: StrV, method: str, args: list[Value], line: int) -> StrV:
    """`s.strip(chars)`: s is a prefix of stripped characters, the result, and a suffix of
    them; the result neither starts nor ends with one (where the side is stripped)."""
    if args and not isinstance(args[0], StrV | NoneV):
        raise Unsupported(f"str.{method} of a {args[0].kind}", line, f"method:str.{method}")
    chars: z3.ReRef
    if args and isinstance(args[0], StrV):
        literal = z3.simplify(args[0].e)
        if not z3.is_string_value(literal):
            raise Unsupported(
                f"str.{method} of symbolic characters", line, f"method:str.{method}(symbolic)"
            )
        text = literal.as_string()
        if not text:
            return receiver
        chars = char_class(text)
    else:
        chars = char_class(WHITESPACE)
    s = receiver.e
    head, body, tail = (
        ex.ctx.fresh(f"{method}.{part}", z3.StringSort()) for part in ("head", "body", "tail")
    )
    facts = [
        s == z3.Concat(head, body, tail),
        z3.InRe(head, z3.Star(chars)),
        z3.InRe(tail, z3.Star(chars)),
    ]
    starts = z3.InRe(body, z3.Concat(chars, z3.Star(z3.AllChar(z3.ReSort(z3.StringSort())))))
    ends = z3.InRe(body, z3.Concat(z3.Star(z3.AllChar(z3.ReSort(z3.StringSort()))), chars))
    if method in ("strip", "lstrip"):
        facts.append(z3.Not(starts))
    else:
        facts.append(z3.Length(head) == 0)
    if method in ("strip", "rstrip"):
        facts.append(z3.Not(ends))
    else:
        facts.append(z3.Length(tail) == 0)
    ex.ctx.facts.append(z3.And(*facts))
    return StrV(body)


def join(ex: Core, separator: StrV, parts: Value, path: Path, line: int) -> StrV:
    """`sep.join(parts)`: exact for up to the bound's parts, any string beyond."""
    if isinstance(parts, SeqV) and parts.elem == "str":
        size = z3.Length(parts.e)
        items = [(z3.IntVal(i) < size, parts.e[i]) for i in range(LOOP_BOUND)]
        more = size > LOOP_BOUND
    elif isinstance(parts, TupleV | BListV):
        if not all(isinstance(v, StrV) for v in parts.items):
            raise Unsupported(
                "str.join of values that are not all str", line, "method:str.join(non-str)"
            )
        count = parts.length if isinstance(parts, BListV) else z3.IntVal(len(parts.items))
        items = [(z3.IntVal(i) < count, v.e) for i, v in enumerate(parts.items)]  # type: ignore[attr-defined]
        more = count > len(parts.items)
    elif isinstance(parts, AnyV):
        ex.unmodelled(path, f"str.join of {parts.name}", line)
        return fresh_str(ex, "joined")
    else:
        raise Unsupported(f"str.join of a {parts.kind}", line, f"method:str.join({parts.kind})")
    text: z3.SeqRef = z3.StringVal("")
    for index, (present, item) in enumerate(items):
        piece = item if index == 0 else z3.Concat(separator.e, item)
        text = z3.If(present, z3.Concat(text, piece), text)
    if not z3.is_false(z3.simplify(more)):
        rest = fresh_str(ex, "joined")
        ex.ctx.facts.append(z3.Implies(more, z3.PrefixOf(text, rest.e)))
        ex.abstract(more, f"str.join past the first {LOOP_BOUND} parts left open")
        text = z3.If(more, rest.e, text)
    return StrV(text)


def _split(
    ex: Core, receiver: StrV, args: list[Value], node: ast.Call, path: Path, line: int
) -> tuple[Path, Value]:
    """`s.split(sep)`: the parts, none containing `sep`, joined back by it to `s` (exactly
    where there are at most the bound's parts)."""
    if node.keywords or len(args) > 1 or (args and not isinstance(args[0], StrV | NoneV)):
        raise Unsupported("str.split with these arguments", line, "method:str.split(args)")
    parts = ex.ctx.fresh("split", z3.SeqSort(z3.StringSort()))
    size = z3.Length(parts)
    s = receiver.e
    ex.ctx.note_unmodelled("str.split past the bound's parts")
    if not args or isinstance(args[0], NoneV):
        space = char_class(WHITESPACE)
        word = z3.Plus(z3.Complement(space))
        for i in range(LOOP_BOUND):
            ex.ctx.facts.append(z3.Implies(i < size, z3.InRe(parts[i], word)))
        ex.ctx.facts.append((size == 0) == z3.InRe(s, z3.Star(space)))
        return path, SeqV(parts, "str")
    separator = args[0]
    assert isinstance(separator, StrV)
    sep = separator.e
    path = ex.unless(path, z3.Length(sep) > 0, "ValueError", "an empty separator", line)
    facts = [size >= 1, (size == 1) == z3.Not(z3.Contains(s, sep))]
    joined: z3.SeqRef = parts[0]
    for i in range(LOOP_BOUND):
        facts.append(z3.Implies(i < size, z3.Not(z3.Contains(parts[i], sep))))
        if i > 0:
            joined = z3.Concat(joined, sep, parts[i])
        facts.append(z3.Implies(size == i + 1, s == joined))
    ex.ctx.facts.append(z3.And(*facts))
    return path, SeqV(parts, "str")


def _replace(ex: Core, receiver: StrV, args: list[Value], line: int) -> StrV:
    old, new = args[0], args[1]
    if not isinstance(old, StrV) or not isinstance(new, StrV):
        raise Unsupported("str.replace of values that are not str", line, "method:str.replace")
    s = receiver.e
    count = z3.simplify(to_int(args[2], line)) if len(args) == 3 else None
    if count is not None and z3.is_int_value(count) and count.as_long() == 1:
        return StrV(z3.Replace(s, old.e, new.e))
    result = fresh_str(ex, "replaced")
    ex.ctx.facts.append(z3.Implies(z3.Not(z3.Contains(s, old.e)), result.e == s))
    ex.ctx.facts.append(
        z3.Implies(
            z3.And(
                z3.Length(old.e) > 0,
                z3.Not(z3.Contains(new.e, old.e)),
                z3.Not(z3.Contains(s, old.e)),
            ),
            z3.Not(z3.Contains(result.e, old.e)),
        )
    )
    ex.ctx.note_unmodelled("str.replace of every occurrence")
    return result


def _partition(ex: Core, receiver: StrV, sep: StrV, method: str) -> TupleV:
    s = receiver.e
    at = z3.IndexOf(s, sep.e, 0) if method == "partition" else z3.LastIndexOf(s, sep.e)
    found = z3.And(z3.Contains(s, sep.e), z3.Length(sep.e) > 0)
    before = z3.If(found, z3.SubString(s, 0, at), s if method == "partition" else z3.StringVal(""))
    middle = z3.If(found, sep.e, z3.StringVal(""))
    after_start = at + z3.Length(sep.e)
    after = z3.If(
        found,
        z3.SubString(s, after_start, z3.Length(s) - after_start),
        z3.StringVal("") if method == "partition" else s,
    )
    return TupleV((StrV(before), StrV(middle), StrV(after)))


_ASCII_CLASSES = {
    "isdigit": "0123456789",
    "isdecimal": "0123456789",
    "isnumeric": "0123456789",
    "isalpha": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "isalnum": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
}
_PREDICATES = {
    *_ASCII_CLASSES,
    "isspace",
    "isupper",
    "islower",
    "isascii",
    "isidentifier",
    "istitle",
    "isprintable",
}
_SAME_SHAPE = {"lower", "upper", "casefold", "title", "capitalize", "swapcase"}


# Method name -> its family's model (strings are immutable: no method rebinds).
_METHODS: dict[str, _Handler] = {
    **_family(_affix_test, "startswith", "endswith"),
    **_family(_find, "find", "index", "rfind", "rindex"),
    **_family(_remove_affix, "removeprefix", "removesuffix"),
    **_family(_strip_method, "strip", "lstrip", "rstrip"),
    **_family(_join_method, "join"),
    **_family(_split_method, "split"),
    **_family(_replace_method, "replace"),
    **_family(_count, "count"),
    **_family(_predicate_method, *sorted(_PREDICATES)),
    **_family(_cased_method, *sorted(_SAME_SHAPE)),
    **_family(_padded, "zfill", "ljust", "rjust", "center"),
    **_family(_splitlines, "splitlines"),
    **_family(_partition_method, "partition", "rpartition"),
    **_family(_any_str, "format", "format_map", "expandtabs", "translate"),
    **_family(_encode, "encode"),
}


def _ascii(s: z3.SeqRef) -> z3.BoolRef:
    return z3.InRe(s, z3.Star(z3.Range(z3.StringVal("\x00"), z3.StringVal("\x7f"))))


def _predicate(ex: Core, receiver: StrV, method: str) -> BoolV:
    """Exact on ASCII strings; on others, what is surely true (empty strings fail)."""
    s = receiver.e
    if method == "isascii":
        return BoolV(_ascii(s))
    if method == "isspace":
        return BoolV(z3.InRe(s, z3.Plus(char_class(WHITESPACE))))
    answer = ex.ctx.fresh(method, z3.BoolSort())
    if method in _ASCII_CLASSES:
        exact = z3.InRe(s, z3.Plus(char_class(_ASCII_CLASSES[method])))
        ex.ctx.facts.append(z3.Implies(_ascii(s), answer == exact))
    if method != "isprintable":
        ex.ctx.facts.append(z3.Implies(z3.Length(s) == 0, z3.Not(answer)))
    ex.ctx.note_unmodelled(f"str.{method} beyond ASCII")
    return BoolV(answer)


def _cased(ex: Core, receiver: StrV, method: str) -> StrV:
    """lower, upper and the like: a string of the same length where the input is ASCII."""
    result = fresh_str(ex, method)
    s = receiver.e
    ex.ctx.facts.append(
        z3.Implies(_ascii(s), z3.And(z3.Length(result.e) == z3.Length(s), _ascii(result.e)))
    )
    ex.ctx.facts.append(z3.Implies(z3.Length(s) == 0, z3.Length(result.e) == 0))
    ex.ctx.note_unmodelled(f"str.{method}")
    return result


def truthy_str(value: StrV) -> z3.BoolRef:
    return truth(value)
