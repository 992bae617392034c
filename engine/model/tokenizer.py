"""An exact, lossless byte-level BPE tokenizer, trained here on Python source.

Text is split into pre-tokens by one regular expression (identifiers with their leading space,
numbers, punctuation runs, a newline with the indentation after it, other whitespace), each
pre-token's UTF-8 bytes are merged by rank, and decoding concatenates the bytes back: any text
(any bytes, in fact) round-trips exactly. The same vocabulary, merges and pre-tokenizer export
as a Hugging Face `tokenizer.json` (engine.model.export), so vLLM and any OpenAI-compatible
server serving the exported model tokenize identically.

Training is the classic incremental algorithm: count pre-tokens once, keep pair counts and an
index from each pair to the words holding it, and update only the words a merge touches.
"""

from __future__ import annotations

import heapq
import itertools
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

# Valid in Python's `re` and in Oniguruma (the Hugging Face tokenizers' regex engine) alike.
PATTERN = r" ?[A-Za-z_][A-Za-z0-9_]*| ?[0-9]{1,3}| ?[^\sA-Za-z0-9_]+|\n[ \t]*|[ \t]+|\s"
_SPLIT = re.compile(PATTERN)
END_OF_TEXT = "<|endoftext|>"


def pre_tokens(text: str) -> list[str]:
    """The pre-tokens of `text`; their concatenation is `text` (every character matches)."""
    return _SPLIT.findall(text)


def _byte_to_unicode() -> dict[int, str]:
    """GPT-2's printable stand-in for each byte (the Hugging Face ByteLevel alphabet)."""
    keep = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAC + 1), *range(0xAE, 0xFF + 1)]
    chars = list(keep)
    n = 0
    for b in range(256):
        if b not in keep:
            keep.append(b)
            chars.append(256 + n)
            n += 1
    return dict(zip(keep, (chr(c) for c in chars), strict=True))


BYTE_CHARS = _byte_to_unicode()


@dataclass
class Tokenizer:
    """Ids 0..255 are the bytes, then one id per merge in rank order, then `<|endoftext|>`."""

    merges: list[tuple[int, int]]
    _ranks: dict[tuple[int, int], int] = field(init=False, repr=False)
    _pieces: list[bytes] = field(init=False, repr=False)
    _cache: dict[str, tuple[int, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._ranks = {pair: i for i, pair in enumerate(self.merges)}
        self._pieces = [bytes([b]) for b in range(256)]
        for a, b in self.merges:
            self._pieces.append(self._pieces[a] + self._pieces[b])
        self._cache = {}

    @property
    def eot(self) -> int:
        return 256 + len(self.merges)

    @property
    def vocab_size(self) -> int:
        return self.eot + 1

    def piece(self, token: int) -> bytes:
        return b"" if token == self.eot else self._pieces[token]

    def _word(self, word: str) -> tuple[int, ...]:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        ids = list(word.encode("utf-8", "surrogatepass"))
        ranks = self._ranks
        while len(ids) > 1:
            best, at = None, -1
            for i in range(len(ids) - 1):
                rank = ranks.get((ids[i], ids[i + 1]))
                if rank is not None and (best is None or rank < best):
                    best, at = rank, i
            if best is None:
                break
            # Merge every occurrence of the best pair, left to right (as BPE does).
            pair = (ids[at], ids[at + 1])
            merged, i = [], 0
            while i < len(ids):
                if i < len(ids) - 1 and (ids[i], ids[i + 1]) == pair:
                    merged.append(256 + best)
                    i += 2
                else:
                    merged.append(ids[i])
                    i += 1
            ids = merged
        out = tuple(ids)
        if len(self._cache) < 200_000:
            self._cache[word] = out
        return out

    def encode(self, text: str) -> list[int]:
        out: list[int] = []
        for word in pre_tokens(text):
            out.extend(self._word(word))
        return out

    def decode_bytes(self, tokens: Iterable[int]) -> bytes:
        return b"".join(self.piece(t) for t in tokens)

    def decode(self, tokens: Iterable[int]) -> str:
        return self.decode_bytes(tokens).decode("utf-8", "replace")

    def to_json(self) -> dict[str, object]:
        return {"format": "redline-bpe-1", "pattern": PATTERN, "merges": self.merges}

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json()), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Tokenizer:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != "redline-bpe-1" or data.get("pattern") != PATTERN:
            raise ValueError(f"{path} is not a tokenizer of this version")
        return cls([(int(a), int(b)) for a, b in data["merges"]])


def train(texts: Iterable[str], vocab_size: int, min_count: int = 2) -> Tokenizer:
    """Learn `vocab_size - 257` merges from `texts` (the bytes and `<|endoftext|>` are fixed)."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(pre_tokens(text))
    words = [list(w.encode("utf-8", "surrogatepass")) for w in counts]
    freq = list(counts.values())
    pairs: Counter[tuple[int, int]] = Counter()
    where: defaultdict[tuple[int, int], set[int]] = defaultdict(set)
    for index, word in enumerate(words):
        for pair in itertools.pairwise(word):
            pairs[pair] += freq[index]
            where[pair].add(index)
    heap = [(-c, p) for p, c in pairs.items()]
    heapq.heapify(heap)
    merges: list[tuple[int, int]] = []
    while len(merges) < vocab_size - 257 and heap:
        negative, pair = heapq.heappop(heap)
        if pairs.get(pair, 0) != -negative:
            continue  # a stale entry: the count changed since it was pushed
        if -negative < min_count:
            break
        new = 256 + len(merges)
        merges.append(pair)
        changed: set[tuple[int, int]] = set()
        for index in list(where.pop(pair, ())):
            word, f = words[index], freq[index]
            for old in itertools.pairwise(word):
                pairs[old] -= f
                changed.add(old)
            merged, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and (word[i], word[i + 1]) == pair:
                    merged.append(new)
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            words[index] = merged
            for fresh in itertools.pairwise(merged):
                pairs[fresh] += f
                where[fresh].add(index)
                changed.add(fresh)
        pairs.pop(pair, None)
        for p in changed:
            if pairs.get(p, 0) > 0 and p != pair:
                heapq.heappush(heap, (-pairs[p], p))
    return Tokenizer(merges)
