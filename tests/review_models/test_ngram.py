"""The n-gram side of the language model: the static 4-gram baseline, the incremental caches
and their sorted-array twin. Each is a probability distribution over the next token, and the
caches pull probability toward what was seen, in time order."""

from __future__ import annotations

import math

import numpy as np
import pytest

from review_models.lm import counts
from review_models.lm.cache import NGramCache, mix
from review_models.lm.ngram import NGramModel
from review_models.lm.vocab import UNK

VOCAB = 8
STREAM = np.array([3, 4, 5, 3, 4, 6, 3, 4, 5, 7, 3, 4, 5], dtype=np.int64)


@pytest.fixture(scope="module")
def model() -> NGramModel:
    return NGramModel(STREAM, VOCAB)


@pytest.mark.parametrize("context", [[], [3], [3, 4], [2, 3, 4], [7, 7, 7], [5, 3, 4]])
def test_the_ngram_model_is_a_distribution_in_any_context(
    model: NGramModel, context: list[int]
) -> None:
    total = sum(model.prob(context, token) for token in range(VOCAB))
    assert math.isclose(total, 1.0, rel_tol=1e-9)
    assert all(model.prob(context, token) > 0 for token in range(VOCAB))


def test_the_ngram_model_prefers_what_followed_the_context(model: NGramModel) -> None:
    # "3 4" was followed by 5 three times and by 6 once.
    after = {token: model.prob([3, 4], token) for token in range(VOCAB)}
    assert max(after, key=lambda t: after[t]) == 5
    assert after[5] > after[6] > after[7]
    # A longer matching context sharpens the prediction: "4 5" is followed by 3 or 7.
    assert model.prob([3, 4, 5], 3) > model.prob([], 3)
    # An unseen context falls back to the unigram.
    assert math.isclose(model.prob([1, 1, 1], 3), float(model.unigram[3]))
    assert model.unk_prob([3, 4]) == model.prob([3, 4], UNK)


def _uniform_mix(cache: NGramCache, history: list[str], token: str, beta: float = 1.0) -> float:
    return mix([cache], history, token, 1 / 4, beta)


def test_an_empty_cache_leaves_the_base_probability() -> None:
    assert mix([NGramCache()], ["a", "b"], "c", 0.25, 1.0) == 0.25


def test_the_cache_mixture_stays_a_distribution() -> None:
    cache = NGramCache()
    cache.add_sequence(["a", "b", "c", "a", "b", "d", "a", "b"])
    for history in ([], ["a"], ["a", "b"], ["x", "a", "b"], ["q"]):
        total = sum(_uniform_mix(cache, history, t) for t in "abcd")
        assert math.isclose(total, 1.0), history


def test_the_cache_pulls_probability_toward_what_was_seen() -> None:
    cache = NGramCache()
    cache.add_sequence(["a", "b", "c", "a", "b", "c"])
    seen = _uniform_mix(cache, ["a", "b"], "c")
    unseen = _uniform_mix(cache, ["a", "b"], "d")
    assert seen > 0.25 > unseen
    # A smaller concentration trusts the cache more.
    assert _uniform_mix(cache, ["a", "b"], "c", beta=0.1) > seen


def test_the_cache_counts_contexts_up_to_its_order() -> None:
    cache = NGramCache()
    cache.add(["w", "x", "y", "z"], "t")  # only the last three tokens are a context
    assert cache.stats(["x", "y", "z"], "t", 3) == (1, 1, 1)
    assert cache.stats(["y", "z"], "t", 2) == (1, 1, 1)
    assert cache.stats([], "t", 0) == (1, 1, 1)
    cache.add(["y", "z"], "u")
    assert cache.stats(["q", "y", "z"], "u", 2) == (1, 2, 2)
    assert cache.stats(["y", "z"], "t", 3) == (0, 0, 0)


def test_min_order_skips_the_unigram_level() -> None:
    cache = NGramCache()
    cache.add_sequence(["a", "b"])
    # "b" after the unknown context "z": only the order-0 counts know "b".
    assert mix([cache], ["z"], "b", 0.25, 1.0) > 0.25
    assert mix([cache], ["z"], "b", 0.25, 1.0, min_order=1) == 0.25


def test_two_caches_mix_as_one_distribution_fed_by_both() -> None:
    left, right = NGramCache(), NGramCache()
    left.add_sequence(["a", "b", "c"])
    right.add_sequence(["a", "b", "d"])
    mixed = {t: mix([left, right], ["a", "b"], t, 0.25, 2.0) for t in "abcd"}
    assert math.isclose(sum(mixed.values()), 1.0)
    # Each cache's continuation gains over the base; the tokens neither saw lose.
    assert mixed["c"] > 0.25 and mixed["d"] > 0.25 and mixed["a"] < 0.25
    assert math.isclose(mixed["c"], mixed["d"])
    assert mix([left], ["a", "b"], "d", 0.25, 2.0) < 0.25 < mixed["d"]


def test_earlier_counts_only_events_before_each_query() -> None:
    events = np.array([5, 5, 5, 7])
    times = np.array([0, 2, 4, 1])
    queries = np.array([5, 5, 7, 9, -1])
    at = np.array([3, 5, 1, 10, 10])
    assert counts.earlier(events, times, queries, at).tolist() == [2, 3, 0, 0, 0]
    assert counts.earlier(events[:0], times[:0], queries, at).tolist() == [0] * 5


def test_first_of_each_marks_the_earliest_event_of_every_key() -> None:
    keys = np.array([4, 2, 4, 2, 9])
    times = np.array([3, 5, 1, 2, 0])
    assert counts.first_of_each(keys, times).tolist() == [False, False, True, True, True]


def test_pair_numbers_equal_pairs_alike_and_invalid_ones_minus_one() -> None:
    a = np.array([1, 2, 1, 1, 3])
    b = np.array([0, 0, 0, 1, 0])
    dense = counts.pair(a, b, np.array([True, True, True, True, False]))
    assert dense[0] == dense[2] and len({dense[0], dense[1], dense[3]}) == 3
    assert dense[4] == -1


def test_the_array_stats_are_the_dict_caches_at_the_time_of_each_token() -> None:
    """One stream fed token by token to an NGramCache, and the same stream as events with
    times: the Witten-Bell figures agree at every position and order."""
    stream = ["a", "b", "a", "b", "c", "a", "b", "a", "c", "c"]
    intern = {t: i for i, t in enumerate(sorted(set(stream)))}
    tokens = np.array([intern[t] for t in stream], dtype=np.int64)
    offsets = np.arange(len(stream), dtype=np.int64)
    keys = counts.keys(tokens, offsets)
    cache = NGramCache()
    expected: dict[int, list[tuple[int, int, int]]] = {k: [] for k in range(counts.ORDER)}
    for index, token in enumerate(stream):
        history = stream[max(0, index - 3) : index]
        for k in range(counts.ORDER):
            expected[k].append(cache.stats(history, token, k) if k <= index else (0, 0, 0))
        cache.add(history, token)
    for k in range(counts.ORDER):
        got = counts.stats(
            keys.context[k], keys.gram[k], offsets, keys.context[k], keys.gram[k], offsets
        )
        rows = list(zip(got.count.tolist(), got.total.tolist(), got.distinct.tolist(), strict=True))
        assert rows == expected[k], k


def test_array_mixing_is_witten_bell_and_leaves_unseen_contexts_alone() -> None:
    stats = counts.Stats(np.array([2, 0, 0]), np.array([4, 4, 0]), np.array([2, 2, 0]))
    mixed = counts.mix(np.array([0.5, 0.5, 0.5]), stats, 1.0)
    assert np.allclose(mixed, [(2 + 2 * 0.5) / 6, (0 + 2 * 0.5) / 6, 0.5])
    both = stats + stats
    assert both.count.tolist() == [4, 0, 0] and both.total.tolist() == [8, 8, 0]
