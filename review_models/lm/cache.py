"""An n-gram cache over the tokens already seen (the file so far, the diff so far), mixed with a
base model by Witten-Bell interpolation: the base (neural or static n-gram) is the lowest
order, and every cache order with matching counts pulls probability toward what was seen.

Cache language models capture the localness of code: a name used once is likely again, and an
edit made once is likely to be made again. Here that makes the second and later occurrences of
a repeated edit cheap, which is what greys them out."""

from __future__ import annotations

from typing import Any

ORDER = 4  # context lengths 0..3


class NGramCache:
    """Counts of (context, next token) for contexts of length 0..ORDER-1."""

    def __init__(self) -> None:
        # Per order: context -> [counts of the next token, their total]. One lookup gives all
        # three figures Witten-Bell needs; this is the scorer's innermost loop.
        self.table: list[dict[tuple[str, ...], list[Any]]] = [{} for _ in range(ORDER)]

    def add(self, history: list[str], token: str) -> None:
        """Record `token` after `history` (only its last ORDER-1 tokens matter)."""
        n = len(history)
        for k in range(min(ORDER, n + 1)):
            context = tuple(history[n - k :]) if k else ()
            entry = self.table[k].get(context)
            if entry is None:
                self.table[k][context] = [{token: 1}, 1]
                continue
            bucket = entry[0]
            bucket[token] = bucket.get(token, 0) + 1
            entry[1] += 1

    def add_sequence(self, tokens: list[str]) -> None:
        for index, token in enumerate(tokens):
            self.add(tokens[max(0, index - ORDER + 1) : index], token)

    def stats(self, history: list[str], token: str, k: int) -> tuple[int, int, int]:
        """(count of token after the context, context total, distinct continuations)."""
        context = tuple(history[len(history) - k :]) if k else ()
        entry = self.table[k].get(context)
        if entry is None:
            return 0, 0, 0
        bucket = entry[0]
        return bucket.get(token, 0), entry[1], len(bucket)


def mix(
    caches: list[NGramCache],
    history: list[str],
    token: str,
    base: float,
    beta: float,
    beta0: float | None = None,
    min_order: int = 0,
) -> float:
    """P(token) with the caches' counts interpolated over `base` (Witten-Bell, scaled), from
    context length `min_order` up."""
    probability = base
    n = len(history)
    for k in range(min_order, min(ORDER, n + 1)):
        context = tuple(history[n - k :]) if k else ()
        count = total = distinct = 0
        for cache in caches:
            entry = cache.table[k].get(context)
            if entry is not None:
                bucket = entry[0]
                count += bucket.get(token, 0)
                total += entry[1]
                distinct += len(bucket)
        if total == 0:
            continue
        weight = (beta0 if k == 0 and beta0 is not None else beta) * distinct
        probability = (count + weight * probability) / (total + weight)
    return probability
