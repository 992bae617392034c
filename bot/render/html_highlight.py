"""Syntax highlighting for the review page: Pygments token types turned into a few short CSS
classes, one HTML string per line. Python, the language redline reviews most, goes through a
one-regex Pygments lexer (Pygments' own PythonLexer tries some thirty rules at every position
and alone takes longer than the page's whole render budget on a 2,000-line change); every
other language goes through the Pygments lexer for its file name, and an unknown one is
shown plain."""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Sequence
from functools import cache

from pygments.lexer import Lexer
from pygments.lexers import get_lexer_for_filename
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    String,
    _TokenType,
)
from pygments.util import ClassNotFound

# Bidirectional controls reorder what a reader sees ("Trojan Source"): the page shows each
# one as a visible mark instead of obeying it.
BIDI = {
    "\u061c": "ALM",
    "\u200e": "LRM",
    "\u200f": "RLM",
    "\u202a": "LRE",
    "\u202b": "RLE",
    "\u202c": "PDF",
    "\u202d": "LRO",
    "\u202e": "RLO",
    "\u2066": "LRI",
    "\u2067": "RLI",
    "\u2068": "FSI",
    "\u2069": "PDI",
}
_BIDI_RE = re.compile("[" + "".join(BIDI) + "]")
LINE_CUT = 5_000  # characters of one line shown; the rest is cut, and the page says so


def reveal_bidi(escaped: str) -> str:
    """Escaped HTML with every bidirectional control replaced by a visible, labelled mark."""
    if not _BIDI_RE.search(escaped):
        return escaped
    return _BIDI_RE.sub(
        lambda m: (
            f'<span class="bidi" title="U+{ord(m.group()):04X} {BIDI[m.group()]}">'
            f"[U+{ord(m.group()):04X}]</span>"
        ),
        escaped,
    )


def plain(text: str) -> str:
    return reveal_bidi(text_escape(text))


# Token type -> CSS class; types not listed (names, punctuation, whitespace) carry no span.
_CLASSES: tuple[tuple[_TokenType, str], ...] = (
    (Comment, "c"),
    (String, "s"),
    (Number, "m"),
    (Operator.Word, "k"),
    (Keyword, "k"),
    (Name.Builtin, "nb"),
    (Name.Function, "nf"),
    (Name.Class, "nf"),
    (Name.Decorator, "nd"),
)


@cache
def css_class(token: _TokenType) -> str | None:
    for kind, name in _CLASSES:
        if token in kind:
            return name
    return None


# Builtin functions and types (not the exception classes), and the two conventional names.
_BUILTINS = [n for n in dir(builtins) if n[0].islower()] + ["self", "cls"]
_WORDS = {w: "nb" for w in _BUILTINS} | {w: "k" for w in (*keyword.kwlist, "match", "case")}
# Words are matched whole and classified by a lookup (an alternation of keywords, or a
# lookbehind before the first character, makes the regex engine try every position). It
# runs over text already escaped for a text node (`&`, `<`, `>`): an entity is a word and `;`.
_PYTHON = re.compile(
    r"""
    (?P<c>\#[^\n]*)
  | (?P<s>[rRbBuUfF]{0,2}(?:'''(?:[^\\']|\\.|'(?!''))*(?:'''|\Z)
                         |\"\"\"(?:[^\\"]|\\.|"(?!""))*(?:\"\"\"|\Z)
                         |'(?:[^\\'\n]|\\.)*'?
                         |"(?:[^\\"\n]|\\.)*"?))
  | (?P<w>[^\W\d]\w*)
  | (?P<m>0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+
         |(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?[jJ]?)
  | (?P<nd>@[^\W\d][\w.]*)
    """,
    re.VERBOSE | re.DOTALL,
)


def _python_sub(text: str) -> str:
    defines = False  # the previous word was `def` or `class`: this one is the name defined

    def span(match: re.Match[str]) -> str:
        nonlocal defines
        name = match.lastgroup or "w"
        value = match.group()
        if name == "w":
            named, defines = defines, value in ("def", "class")
            name = "nf" if named else _WORDS.get(value, "")
            return f"<span class={name}>{value}</span>" if name else value
        defines = False
        if "\n" in value:  # a multi-line string: one span per line, so lines split cleanly
            value = value.replace("\n", f"</span>\n<span class={name}>")
        return f"<span class={name}>{value}</span>"

    return _PYTHON.sub(span, text)


def text_escape(text: str) -> str:
    """Escaped for an HTML text node (never an attribute): `&`, `<`, `>`."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _python(shown: Sequence[str]) -> list[str]:
    text = text_escape("\n".join(shown))
    return reveal_bidi(_python_sub(text)).split("\n")


@cache
def lexer_for(path: str) -> Lexer | None:
    lower = path.lower()
    if lower.endswith((".py", ".pyi", ".pyw")):
        return None
    try:
        return get_lexer_for_filename(path, stripnl=False, stripall=False, ensurenl=False)
    except (ClassNotFound, ValueError):
        return None


def _cut(line: str) -> str:
    return line if len(line) <= LINE_CUT else line[:LINE_CUT]


def highlight_lines(lines: Sequence[str], path: str, lexer: Lexer | None = None) -> list[str]:
    """One escaped, highlighted HTML string per input line (lines hold no newlines). Lines
    over `LINE_CUT` characters are cut here; the caller says so on the page."""
    shown = [_cut(line) for line in lines]
    if lexer is None and path.lower().endswith((".py", ".pyi", ".pyw")):
        return _python(shown)
    lexer = lexer if lexer is not None else lexer_for(path)
    if lexer is None or not shown:
        return [plain(line) for line in shown]
    out: list[str] = []
    current: list[str] = []
    text = "\n".join(shown) + "\n"
    for _, token, value in lexer.get_tokens_unprocessed(text):
        name = css_class(token)
        pieces = value.split("\n")
        for index, piece in enumerate(pieces):
            if index:
                out.append("".join(current))
                current = []
            if piece:
                escaped = reveal_bidi(text_escape(piece))
                current.append(f"<span class={name}>{escaped}</span>" if name else escaped)
    if current:
        out.append("".join(current))
    # A lexer may drop or add a trailing newline; the page needs exactly one entry per line.
    if len(out) < len(shown):
        out += [""] * (len(shown) - len(out))
    return out[: len(shown)]
