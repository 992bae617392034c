"""Token features for the bug detector: hashed token and sub-word ids (no vocabulary to build or
ship), token kind, and whether the token is on a changed line. Pure Python, no torch."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from review_models.lexer import Token, subwords

MAX_LEN = 256
TOKEN_BUCKETS = 16384
SUB_BUCKETS = 4096
KINDS = ("pad", "name", "keyword", "number", "string", "op", "nl", "indent")
KIND_ID = {k: i for i, k in enumerate(KINDS)}

# Repairs that are one token from a closed set; identifiers are repaired by pointing at a
# token of the window instead.
REPAIR_VOCAB = (
    "<",
    "<=",
    ">",
    ">=",
    "==",
    "!=",
    "is",
    "is not",
    "in",
    "not in",
    "+",
    "-",
    "*",
    "/",
    "//",
    "%",
    "**",
    "&",
    "|",
    "^",
    "<<",
    ">>",
    "+=",
    "-=",
    "*=",
    "/=",
    "//=",
    "%=",
    "&=",
    "|=",
    "^=",
    "<<=",
    ">>=",
    "**=",
    "True",
    "False",
    "None",
    "0",
    "1",
    "2",
    "3",
    "-1",
    "and",
    "or",
)
REPAIR_ID = {r: i for i, r in enumerate(REPAIR_VOCAB)}


def _hash(text: str, buckets: int) -> int:
    return 2 + zlib.crc32(text.encode("utf-8", "surrogateescape")) % (buckets - 2)


def token_key(token: Token) -> str:
    if token.kind == "string":
        body = token.text
        return "<str:" + body if len(body) <= 14 else "<str>"
    if token.kind == "number":
        return token.text if len(token.text) <= 4 else "<num>"
    return token.text


@dataclass(frozen=True)
class Window:
    """One model input: tokens of a code window and which of them are on changed lines."""

    tokens: tuple[Token, ...]
    changed: tuple[bool, ...]
    first_line: int  # line number of the window's first line (for mapping back)

    def encode(self) -> tuple[list[int], list[int], list[int], list[int], list[int]]:
        """(token ids, first sub-word ids, last sub-word ids, kinds, changed flags)."""
        toks, sub_a, sub_b, kinds, changed = [], [], [], [], []
        for token, flag in zip(self.tokens, self.changed, strict=True):
            toks.append(_hash(token_key(token), TOKEN_BUCKETS))
            if token.kind == "name":
                parts = subwords(token.text)
                sub_a.append(_hash(parts[0], SUB_BUCKETS))
                sub_b.append(_hash(parts[-1], SUB_BUCKETS) if len(parts) > 1 else 1)
            else:
                sub_a.append(1)
                sub_b.append(1)
            kinds.append(KIND_ID[token.kind])
            changed.append(1 if flag else 0)
        return toks, sub_a, sub_b, kinds, changed


def crop(tokens: list[Token], changed: list[bool], limit: int = MAX_LEN) -> tuple[int, int]:
    """A [start, end) token range of at most `limit` tokens around the changed tokens."""
    if len(tokens) <= limit:
        return 0, len(tokens)
    marked = [i for i, flag in enumerate(changed) if flag]
    if not marked:
        return 0, limit
    first, last = marked[0], marked[-1]
    if last - first + 1 >= limit:
        return first, first + limit
    spare = limit - (last - first + 1)
    start = max(0, first - spare // 2)
    end = min(len(tokens), start + limit)
    start = max(0, end - limit)
    return start, end
