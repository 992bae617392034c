"""`re.match`, `re.fullmatch` and `re.search` on constant patterns, through Z3's regular
languages. Python's `\\d` and `\\w` are Unicode classes: each pattern is read twice, as a
language that surely matches less (ASCII classes) and one that surely matches more (ASCII
classes and any non-ASCII character), so the answer is exact on ASCII strings and bounded on
the others. Backreferences, lookarounds, word boundaries and flags other than ASCII and
DOTALL are not modelled (unknown, with the reason)."""

from __future__ import annotations

import ast
import dataclasses
import re

import z3

from verify.builtins.common import Rebind
from verify.core import Core
from verify.state import Path, Results
from verify.values import OptV, PatternV, StrV, Unsupported, Value

_RE = z3.ReSort(z3.StringSort())
_MAX = 0x2FFFF  # Z3's largest character
_DIGITS = [("0", "9")]
_WORD = [("a", "z"), ("A", "Z"), ("0", "9"), ("_", "_")]
_SPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)

Pair = tuple[z3.ReRef, z3.ReRef]  # (surely matches less, surely matches more)


class Untranslatable(Exception):
    pass


def _chars(ranges: list[tuple[str, str]]) -> z3.ReRef:
    parts = [z3.Range(z3.StringVal(a), z3.StringVal(b)) for a, b in ranges]
    return z3.Union(*parts) if len(parts) > 1 else parts[0]


def _nonascii() -> z3.ReRef:
    return z3.Range(z3.StringVal("\x80"), z3.StringVal(chr(_MAX)))


def _any() -> z3.ReRef:
    return z3.AllChar(_RE)


def _minus(chars: z3.ReRef) -> z3.ReRef:
    return z3.Intersect(_any(), z3.Complement(chars))


class Translator:
    def __init__(self, pattern: str, flags: int) -> None:
        unsupported = flags & ~(re.ASCII | re.DOTALL)
        if unsupported:
            raise Untranslatable(f"the flags {re.RegexFlag(unsupported)!r}")
        self.text = pattern
        self.at = 0
        self.ascii = bool(flags & re.ASCII)
        self.dotall = bool(flags & re.DOTALL)

    def peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def take(self) -> str:
        c = self.peek()
        self.at += 1
        return c

    def parse(self) -> tuple[Pair, bool, bool]:
        """The language, and whether it is anchored at the start (^) and the end ($)."""
        start = self.text.startswith("^") or self.text.startswith("\\A")
        if start:
            self.at = 1 if self.text.startswith("^") else 2
        body = self.alternation()
        end = False
        if self.peek() == "$":
            self.take()
            end = True
        elif self.text[self.at : self.at + 2] == "\\Z":
            self.at += 2
            end = True
        if self.at != len(self.text):
            raise Untranslatable(f"`{self.text[self.at : self.at + 6]}` in the pattern")
        return body, start, end

    def alternation(self) -> Pair:
        options = [self.sequence()]
        while self.peek() == "|":
            self.take()
            options.append(self.sequence())
        if len(options) == 1:
            return options[0]
        return z3.Union(*[o[0] for o in options]), z3.Union(*[o[1] for o in options])

    def sequence(self) -> Pair:
        items: list[Pair] = []
        while self.peek() not in ("", "|", ")") and not self.at_end():
            items.append(self.quantified(self.atom()))
        if not items:
            empty = z3.Re(z3.StringVal(""))
            return empty, empty
        if len(items) == 1:
            return items[0]
        return z3.Concat(*[i[0] for i in items]), z3.Concat(*[i[1] for i in items])

    def at_end(self) -> bool:
        rest = self.text[self.at :]
        return rest in ("$", "\\Z")

    def quantified(self, atom: Pair) -> Pair:
        c = self.peek()
        if c in ("*", "+", "?"):
            self.take()
            if self.peek() in ("?", "+") and self.take() == "+":
                raise Untranslatable("a possessive quantifier")
            op = {"*": z3.Star, "+": z3.Plus, "?": z3.Option}[c]
            return op(atom[0]), op(atom[1])
        if c == "{":
            close = self.text.find("}", self.at)
            body = self.text[self.at + 1 : close] if close > 0 else ""
            match = re.fullmatch(r"(\d*)(,?)(\d*)", body)
            if match is None or not (match.group(1) or match.group(3)):
                return atom  # a literal brace, as Python reads it
            self.at = close + 1
            if self.peek() == "?":
                self.take()
            low = int(match.group(1) or 0)
            if match.group(2):
                if match.group(3):
                    high = int(match.group(3))
                    return z3.Loop(atom[0], low, high), z3.Loop(atom[1], low, high)
                return (
                    z3.Concat(z3.Loop(atom[0], low, low), z3.Star(atom[0])),
                    z3.Concat(z3.Loop(atom[1], low, low), z3.Star(atom[1])),
                )
            return z3.Loop(atom[0], low, low), z3.Loop(atom[1], low, low)
        return atom

    def atom(self) -> Pair:
        c = self.take()
        if c == "(":
            return self.group()
        if c == "[":
            return self.char_class()
        if c == ".":
            dot = _any() if self.dotall else _minus(z3.Re(z3.StringVal("\n")))
            return dot, dot
        if c == "\\":
            return self.escape(in_class=False)
        if c in ("^", "$"):
            raise Untranslatable(f"`{c}` inside the pattern")
        literal = z3.Re(z3.StringVal(c))
        return literal, literal

    def group(self) -> Pair:
        if self.peek() == "?":
            self.take()
            kind = self.take()
            if kind == "P" and self.peek() == "<":
                self.at = self.text.index(">", self.at) + 1
            elif kind != ":":
                raise Untranslatable(f"the group `(?{kind}`")
        inner = self.alternation()
        if self.take() != ")":
            raise Untranslatable("an unbalanced group")
        return inner

    def escape(self, in_class: bool) -> Pair:
        c = self.take()
        classes = {
            "d": self.digit(),
            "w": self.word(),
            "s": (_chars_of(_SPACE if not self.ascii else " \t\n\r\x0b\x0c"),) * 2,
        }
        if c.lower() in classes:
            under, over = classes[c.lower()]
            if c.isupper():
                return _minus(over), _minus(under)
            return under, over
        simple = {"n": "\n", "t": "\t", "r": "\r", "f": "\x0c", "v": "\x0b", "a": "\x07"}
        if c in ("x", "u", "U"):
            width = {"x": 2, "u": 4, "U": 8}[c]
            digits = self.text[self.at : self.at + width]
            if len(digits) != width or not all(d in "0123456789abcdefABCDEF" for d in digits):
                raise Untranslatable(f"`\\{c}{digits}`")
            self.at += width
            literal = z3.Re(z3.StringVal(chr(int(digits, 16))))
            return literal, literal
        if c in simple:
            literal = z3.Re(z3.StringVal(simple[c]))
            return literal, literal
        if (c.isascii() and c.isalnum()) or not c:
            raise Untranslatable(f"`\\{c}`")
        literal = z3.Re(z3.StringVal(c))
        return literal, literal

    def digit(self) -> Pair:
        under = _chars(_DIGITS)
        return under, under if self.ascii else z3.Union(under, _nonascii())

    def word(self) -> Pair:
        under = _chars(_WORD)
        return under, under if self.ascii else z3.Union(under, _nonascii())

    def char_class(self) -> Pair:
        negated = self.peek() == "^"
        if negated:
            self.take()
        unders: list[z3.ReRef] = []
        overs: list[z3.ReRef] = []
        first = True
        while first or self.peek() != "]":
            first = False
            c = self.take()
            if not c:
                raise Untranslatable("an unterminated class")
            if c == "\\":
                under, over = self.escape(in_class=True)
                unders.append(under)
                overs.append(over)
                continue
            if c == "[" and self.peek() == ":":
                raise Untranslatable("a POSIX class")
            if self.peek() == "-" and self.text[self.at + 1 : self.at + 2] not in ("]", ""):
                self.take()
                end = self.take()
                if end == "\\":
                    end = self.take()
                piece = z3.Range(z3.StringVal(c), z3.StringVal(end))
            else:
                piece = z3.Re(z3.StringVal(c))
            unders.append(piece)
            overs.append(piece)
        self.take()
        under = z3.Union(*unders) if len(unders) > 1 else unders[0]
        over = z3.Union(*overs) if len(overs) > 1 else overs[0]
        if negated:
            return _minus(over), _minus(under)
        return under, over


def _chars_of(text: str) -> z3.ReRef:
    parts = [z3.Re(z3.StringVal(c)) for c in text]
    return z3.Union(*parts) if len(parts) > 1 else parts[0]


def matches(
    ex: Core, pattern: str, flags: int, how: str, subject: z3.SeqRef, line: int
) -> z3.BoolRef:
    """Whether `re.<how>(pattern, subject)` finds a match."""
    try:
        (under, over), start, end = Translator(pattern, flags).parse()
    except (Untranslatable, ValueError, IndexError) as exc:
        raise Unsupported(
            f"the regular expression {pattern!r} ({exc})", line, "re:pattern"
        ) from exc
    anything = z3.Star(_any())
    newline = z3.Option(z3.Re(z3.StringVal("\n")))

    def language(body: z3.ReRef) -> z3.ReRef:
        tail = anything if not end else newline if how != "fullmatch" else z3.Re(z3.StringVal(""))
        if how == "fullmatch":
            return body
        head = [] if how == "match" or start else [anything]
        return z3.Concat(*head, body, tail)

    low, high = z3.InRe(subject, language(under)), z3.InRe(subject, language(over))
    if z3.eq(under, over):
        return low
    found = ex.ctx.fresh(f"re.{how}", z3.BoolSort())
    ex.ctx.facts.append(z3.And(z3.Implies(low, found), z3.Implies(found, high)))
    ex.ctx.note_unmodelled(f"{pattern!r} on non-ASCII text")
    return found


def match_object(ex: Core, found: z3.BoolRef) -> Value:
    """A Match object where the pattern matched, else None. A Match is always true."""
    obj = dataclasses.replace(ex.any_value("a match"), truthy=z3.BoolVal(True))
    return OptV(z3.Not(found), obj)


def module_function(how: str):  # type: ignore[no-untyped-def]
    def run(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
        if len(node.args) < 2 or (node.keywords and any(k.arg != "flags" for k in node.keywords)):
            raise Unsupported(f"re.{how} with these arguments", line, f"re:{how}(args)")
        pattern = node.args[0]
        flags = _flags(node, line)
        if not (isinstance(pattern, ast.Constant) and isinstance(pattern.value, str)):
            if isinstance(pattern, ast.Name) and pattern.id in ex.ctx.patterns:
                pattern_text, extra = ex.ctx.patterns[pattern.id]
                flags |= extra
            elif (
                isinstance(pattern, ast.Name)
                and pattern.id in ex.ctx.constants
                and isinstance(ex.ctx.constants[pattern.id], ast.Constant)
            ):
                pattern_text = ex.ctx.constants[pattern.id].value  # type: ignore[attr-defined]
            else:
                raise Unsupported(
                    f"re.{how} on a pattern that is not a constant", line, "re:symbolic-pattern"
                )
        else:
            pattern_text = pattern.value
        out: Results = []
        for p, value in ex.expr(node.args[1], path):
            if value is None:
                out.append((p, None))
                continue
            if not isinstance(value, StrV):
                raise Unsupported(f"re.{how} on a {value.kind}", line, f"re:{how}({value.kind})")
            out.append((p, match_object(ex, matches(ex, pattern_text, flags, how, value.e, line))))
        return out

    return run


def _flags(node: ast.Call, line: int) -> int:
    extra = node.args[2:] + [k.value for k in node.keywords]
    flags = 0
    for item in extra:
        for part in ast.unparse(item).split("|"):
            name = part.strip().rsplit(".", 1)[-1]
            value = getattr(re, name, None)
            if not isinstance(value, re.RegexFlag):
                raise Unsupported(
                    f"the regular-expression flags `{ast.unparse(item)}`", line, "re:flags"
                )
            flags |= int(value)
    return flags


def pattern_method(
    ex: Core,
    receiver: Value,
    method: str,
    args: list[Value],
    rebind: Rebind | None,
    node: ast.Call,
    path: Path,
    line: int,
) -> tuple[Path, Value | None] | None:
    if not isinstance(receiver, PatternV) or method not in ("match", "fullmatch", "search"):
        return None
    if len(args) != 1 or not isinstance(args[0], StrV):
        raise Unsupported(f"Pattern.{method} with these arguments", line, f"re:{method}(args)")
    found = matches(ex, receiver.pattern, receiver.flags, method, args[0].e, line)
    return path, match_object(ex, found)


REGEX = {f"re.{how}": module_function(how) for how in ("match", "fullmatch", "search")}
