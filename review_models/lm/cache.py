"""An n-gram cache over the tokens already seen (the file so far, the diff so far), mixed with a
base model by Witten-Bell interpolation: the base (neural or static n-gram) is the lowest
order, and every cache order with matching counts pulls probability toward what was seen.

Cache language models capture the localness of code: a name used once is likely again, and an
edit made once is likely to be made again. Here that makes the second and later occurrences of
a repeated edit cheap, which is what greys them out."""

from __future__ import annotations

from collections import defaultdict

ORDER = 4  # context lengths 0..3


class NGramCache:
    """Counts of (context, next token) for contexts of length 0..ORDER-1."""

    def __init__(self) -> None:
        self.counts: list[dict[tuple[str, ...], dict[str, int]]] = [
            defaultdict(dict) for _ in range(ORDER)
        ]
        self.totals: list[dict[tuple[str, ...], int]] = [defaultdict(int) for _ in range(ORDER)]

    def add(self, history: list[str], token: str) -> None:
        """Record `token` after `history` (only its last ORDER-1 tokens matter)."""
        for k in range(ORDER):
            if k > len(history):
                break
            context = tuple(history[len(history) - k :]) if k else ()
            bucket = self.counts[k][context]
            bucket[token] = bucket.get(token, 0) + 1
            self.totals[k][context] += 1

    def add_sequence(self, tokens: list[str]) -> None:
        for index, token in enumerate(tokens):
            self.add(tokens[max(0, index - ORDER + 1) : index], token)

    def stats(self, history: list[str], token: str, k: int) -> tuple[int, int, int]:
        """(count of token after the context, context total, distinct continuations)."""
        context = tuple(history[len(history) - k :]) if k else ()
        bucket = self.counts[k].get(context)
        if not bucket:
            return 0, 0, 0
        return bucket.get(token, 0), self.totals[k][context], len(bucket)


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
    for k in range(min_order, min(ORDER, len(history) + 1)):
        count = total = distinct = 0
        for cache in caches:
            c, t, d = cache.stats(history, token, k)
            count += c
            total += t
            distinct += d
        if total == 0:
            continue
        weight = (beta0 if k == 0 and beta0 is not None else beta) * distinct
        probability = (count + weight * probability) / (total + weight)
    return probability
