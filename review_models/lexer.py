"""A fast Python lexer for the models: one compiled regex, tokens with line and column.

`tokenize` is exact but ~10x slower and fails on fragments (a hunk cut out of a file); the
models need speed and robustness on partial code, not exactness on every corner of the grammar.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""
     (?P<ws>[ \t\f]+)
    |(?P<nl>\r?\n)
    |(?P<comment>\#[^\r\n]*)
    |(?P<string>[rRbBuUfF]{0,2}(?:'''[\s\S]*?(?:'''|\Z)|\"\"\"[\s\S]*?(?:\"\"\"|\Z)
        |'(?:\\.|[^'\\\n])*'?|"(?:\\.|[^"\\\n])*"?))
    |(?P<number>0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+
        |(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?[jJ]?)
    |(?P<name>[^\W\d]\w*)
    |(?P<op>\*\*=|//=|>>=|<<=|->|:=|\.\.\.|!=|==|<=|>=|\*\*|//|<<|>>|[-+*/%@&|^~]=
        |[-+*/%@&|^~<>=.,:;()\[\]{}!])
    |(?P<cont>\\\r?\n)
    |(?P<other>.)
    """,
    re.X,
)
KEYWORDS = frozenset(keyword.kwlist)
SOFT_KEYWORDS = frozenset({"self", "cls"})
PUNCT_KINDS = frozenset({"op", "nl", "indent"})


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # name | keyword | number | string | op | nl | indent
    text: str
    line: int  # 1-based line of the first character
    col: int  # 0-based column
    end_col: int  # column after the last character, on `line` (for one-line tokens)

    @property
    def is_content(self) -> bool:
        """Tokens that carry information (not punctuation, keywords or layout)."""
        return self.kind in ("name", "number", "string")


def lex(source: str, first_line: int = 1, layout: bool = True) -> list[Token]:
    """Tokens of `source`. With `layout`, each logical line starts with an `indent` token
    (`<i0>`, `<i1>`, ... by depth of 4 columns) and ends with `nl`. Comments are dropped."""
    tokens: list[Token] = []
    line = first_line
    line_start = 0
    depth = 0  # bracket depth: newlines inside brackets do not end a logical line
    at_line_start = True
    append = tokens.append
    for match in _TOKEN.finditer(source):
        kind = match.lastgroup
        text = match.group()
        start = match.start()
        if kind == "ws":
            continue
        if kind == "nl" or kind == "cont":
            if kind == "nl" and depth == 0 and not at_line_start:
                if layout:
                    append(Token("nl", "<nl>", line, start - line_start, start - line_start + 1))
                at_line_start = True
            line += 1
            line_start = match.end()
            continue
        if kind == "comment":
            continue
        col = start - line_start
        if at_line_start and depth == 0:
            if layout:
                level = min(col // 4, 12)
                append(Token("indent", f"<i{level}>", line, col, col))
            at_line_start = False
        if kind == "name" and text in KEYWORDS:
            kind = "keyword"
        elif kind == "op":
            if text in "([{":
                depth += 1
            elif text in ")]}":
                depth = max(0, depth - 1)
        elif kind == "other":
            kind = "op"
        assert kind is not None
        append(Token(kind, text, line, col, col + len(text)))
        if kind == "string":
            newlines = text.count("\n")
            if newlines:
                line += newlines
                line_start = start + text.rfind("\n") + 1
    if layout and tokens and tokens[-1].kind != "nl":
        last = tokens[-1]
        append(Token("nl", "<nl>", last.line, last.end_col, last.end_col + 1))
    return tokens


_SPLIT = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def subwords(name: str) -> list[str]:
    """`parseHTTPResponse_code` -> ['parse', 'http', 'response', 'code']."""
    return [part.lower() for part in _SPLIT.findall(name)] or [name.lower()]
