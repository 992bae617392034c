"""The scorer's n-gram caches as sorted arrays: every count the Witten-Bell mixing needs, for
every scored token of a diff at once, with the same values the incremental dict caches of
`review_models.lm.cache` give at the moment that token is scored.

A cache there is a stream of additions (context, token) made in order; a token scored at some
moment sees the additions made before it. Here each addition is an event with a time and each
lookup a query with a time, and a count is "events with the same key and an earlier time":
one sort of the events and two binary searches per query, so O(n log n) for the whole diff
instead of a Python dict update and three lookups per token per order.

Keys are dense integers: token texts are interned once, and a context of length k is the pair
(context of length k-1, next token) renumbered by `np.unique`, so any vocabulary size fits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ORDER = 4  # context lengths 0..3, as in cache.py


def pair(a: np.ndarray, b: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Dense ids for the pairs (a, b) where valid, -1 elsewhere."""
    out = np.full(len(a), -1, dtype=np.int64)
    if valid.any():
        width = int(b[valid].max()) + 1
        _, dense = np.unique(a[valid] * width + b[valid], return_inverse=True)
        out[valid] = dense.reshape(-1)
    return out


@dataclass(frozen=True)
class Keys:
    """For each position of the token universe and each order k: the id of the context of
    length k before it (-1 where fewer than k tokens precede it in its segment), and the id of
    (that context, the token)."""

    context: tuple[np.ndarray, ...]
    gram: tuple[np.ndarray, ...]


def keys(tokens: np.ndarray, offsets: np.ndarray) -> Keys:
    """`tokens`: interned ids of all segments laid end to end; `offsets[i]`: each position's
    index within its segment (a segment's history never reaches into the one before)."""
    n = len(tokens)
    context = [np.zeros(n, dtype=np.int64)]
    gram = [tokens.astype(np.int64)]
    for k in range(1, ORDER):
        valid = offsets >= k
        previous = np.full(n, -1, dtype=np.int64)
        previous[1:] = context[k - 1][:-1]
        before = np.full(n, -1, dtype=np.int64)
        before[1:] = tokens[:-1]
        context.append(pair(previous, before, valid))
        gram.append(pair(context[k], tokens.astype(np.int64), valid))
    gram[0] = tokens.astype(np.int64)
    return Keys(tuple(context), tuple(gram))


def earlier(
    event_keys: np.ndarray, event_times: np.ndarray, query_keys: np.ndarray, query_times: np.ndarray
) -> np.ndarray:
    """For each query: how many events have its key and a time strictly before its time.
    Keys are >= 0 (a query with key -1 counts 0); times are integers."""
    out = np.zeros(len(query_keys), dtype=np.int64)
    if not len(event_keys) or not len(query_keys):
        return out
    low = min(int(event_times.min()), int(query_times.min()))
    span = max(int(event_times.max()), int(query_times.max())) - low + 2
    composite = np.sort(event_keys * span + (event_times - low))
    ok = query_keys >= 0
    target = query_keys[ok] * span
    out[ok] = np.searchsorted(composite, target + (query_times[ok] - low), "left") - (
        np.searchsorted(composite, target, "left")
    )
    return out


def first_of_each(keys_: np.ndarray, times: np.ndarray) -> np.ndarray:
    """A mask of the earliest event of each key (one per key)."""
    if not len(keys_):
        return np.zeros(0, dtype=bool)
    order = np.lexsort((times, keys_))
    first = np.zeros(len(keys_), dtype=bool)
    head = np.ones(len(order), dtype=bool)
    head[1:] = keys_[order[1:]] != keys_[order[:-1]]
    first[order[head]] = True
    return first


@dataclass(frozen=True)
class Stats:
    """Witten-Bell's three figures per query: count of the token after the context, the
    context's total, and its distinct continuations."""

    count: np.ndarray
    total: np.ndarray
    distinct: np.ndarray

    def __add__(self, other: Stats) -> Stats:
        """Two caches mixed as one (cache.py sums their counts)."""
        return Stats(
            self.count + other.count, self.total + other.total, self.distinct + other.distinct
        )


def stats(
    event_context: np.ndarray,
    event_gram: np.ndarray,
    event_times: np.ndarray,
    query_context: np.ndarray,
    query_gram: np.ndarray,
    query_times: np.ndarray,
) -> Stats:
    """The counts a cache holds at each query's time (events with a -1 context are not in it)."""
    keep = event_context >= 0
    context, gram, times = event_context[keep], event_gram[keep], event_times[keep]
    first = first_of_each(gram, times)
    return Stats(
        earlier(gram, times, query_gram, query_times),
        earlier(context, times, query_context, query_times),
        earlier(context[first], times[first], query_context, query_times),
    )


def mix(probability: np.ndarray, stats_: Stats, weight_scale: float) -> np.ndarray:
    """One order of Witten-Bell interpolation over `probability`, where the context was seen."""
    weight = weight_scale * stats_.distinct
    mixed = (stats_.count + weight * probability) / np.maximum(stats_.total + weight, 1e-300)
    return np.where(stats_.total > 0, mixed, probability)
