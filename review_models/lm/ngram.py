"""The baseline: an interpolated (Witten-Bell) 4-gram model over the same vocabulary, with the
same out-of-vocabulary spelling model, optionally with the same cache on top. Counts are kept
as sorted int64 keys in numpy arrays: millions of n-grams without Python dicts."""

from __future__ import annotations

import numpy as np

from review_models.lm.vocab import UNK

BITS = 14  # vocabulary ids fit in 14 bits: four of them fit an int64 key


def _keys(ids: np.ndarray, n: int) -> np.ndarray:
    key = np.zeros(len(ids) - n + 1, dtype=np.int64)
    for offset in range(n):
        key = (key << BITS) | ids[offset : len(ids) - n + 1 + offset].astype(np.int64)
    return key


class Table:
    def __init__(self, keys: np.ndarray) -> None:
        self.keys, self.counts = np.unique(keys, return_counts=True)

    def get(self, key: int) -> int:
        index = np.searchsorted(self.keys, key)
        if index < len(self.keys) and self.keys[index] == key:
            return int(self.counts[index])
        return 0


class NGramModel:
    def __init__(self, ids: np.ndarray, vocab_size: int, order: int = 4) -> None:
        self.order = order
        self.vocab_size = vocab_size
        ids = ids.astype(np.int64)
        self.unigram = np.bincount(ids, minlength=vocab_size).astype(np.float64) + 0.5
        self.unigram /= self.unigram.sum()
        self.grams = {n: Table(_keys(ids, n)) for n in range(2, order + 1)}
        # Context totals and distinct continuations, for Witten-Bell.
        self.context_total = {n: Table(_keys(ids[:-1], n - 1)) for n in range(2, order + 1)}
        self.context_distinct = {}
        for n in range(2, order + 1):
            unique = self.grams[n].keys >> BITS
            self.context_distinct[n] = Table(unique)

    def prob(self, context: list[int], token: int) -> float:
        p = float(self.unigram[token])
        for n in range(2, self.order + 1):
            if len(context) < n - 1:
                break
            ctx = 0
            for value in context[len(context) - (n - 1) :]:
                ctx = (ctx << BITS) | value
            total = self.context_total[n].get(ctx)
            if total == 0:
                continue
            distinct = self.context_distinct[n].get(ctx)
            count = self.grams[n].get((ctx << BITS) | token)
            p = (count + distinct * p) / (total + distinct)
        return p

    def unk_prob(self, context: list[int]) -> float:
        return self.prob(context, UNK)
