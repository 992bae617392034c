"""A closed vocabulary of lexer tokens, plus a character model that spells out the rest, so
every model (neural, n-gram, cache) assigns probabilities to exactly the same events."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from review_models.lexer import Token

PAD, UNK, BOS = 0, 1, 2
SPECIALS = ("<pad>", "<unk>", "<bos>")


def token_text(token: Token) -> str:
    """The event the LM predicts: long strings and numbers collapse to their shape."""
    if token.kind == "string":
        return token.text if len(token.text) <= 24 else token.text[:2] + "…str"
    return token.text


@dataclass
class Vocab:
    tokens: list[str]
    char_logp: dict[str, float]  # log2 probabilities of characters in out-of-vocabulary tokens
    end_logp: float

    def __post_init__(self) -> None:
        self.index = {t: i for i, t in enumerate(self.tokens)}
        self.default_char = min(self.char_logp.values(), default=-8.0) - 1.0

    def __len__(self) -> int:
        return len(self.tokens)

    def id(self, text: str) -> int:
        return self.index.get(text, UNK)

    def spelling_bits(self, text: str) -> float:
        """-log2 P(spelling) of an out-of-vocabulary token."""
        return -(sum(self.char_logp.get(c, self.default_char) for c in text) + self.end_logp)

    @classmethod
    def build(cls, streams: Iterable[list[str]], size: int) -> Vocab:
        counts: Counter[str] = Counter()
        for stream in streams:
            counts.update(stream)
        kept = [t for t, _ in counts.most_common(size - len(SPECIALS))]
        kept_set = set(kept)
        chars: Counter[str] = Counter()
        ends = 0
        for token, count in counts.items():
            if token not in kept_set:
                chars.update({c: count * n for c, n in Counter(token).items()})
                ends += count
        total = sum(chars.values()) + ends + len(chars) + 1
        char_logp = {c: math.log2((n + 1) / total) for c, n in chars.items()}
        return cls([*SPECIALS, *kept], char_logp, math.log2((ends + 1) / total))

    def save(self, path: Path) -> None:
        path.write_text(
            json.dumps(
                {"tokens": self.tokens, "char_logp": self.char_logp, "end_logp": self.end_logp}
            ),
            encoding="utf-8",
        )

    @classmethod
    def load(cls, path: Path) -> Vocab:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["tokens"], data["char_logp"], data["end_logp"])
