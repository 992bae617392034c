"""Held-out cross-entropy for the neural LM and the 4-gram baseline, each with and without the
per-file cache, on exactly the same events (closed vocabulary + spelled-out unknowns)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from review_models.lm.cache import NGramCache, mix
from review_models.lm.ngram import NGramModel
from review_models.lm.score import EntropyModel
from review_models.lm.vocab import BOS, UNK, Vocab

BaseFn = Callable[[list[int]], np.ndarray]


def neural_base(model: EntropyModel) -> BaseFn:
    """Base surprisal of ids[1:] given the earlier ids, in windows of the model's context."""
    context = model.config.context

    def run(ids: list[int]) -> np.ndarray:
        stride = context // 2
        windows: list[tuple[list[int], int]] = []
        spans = []
        start = 1
        while start < len(ids):
            end = min(len(ids), start + stride)
            window_start = max(0, end - context)
            windows.append((ids[window_start:end], start - window_start))
            spans.append((start, end))
            start = end
        bits = model.neural_bits(windows)
        return np.concatenate(bits) if bits else np.zeros(0)

    return run


def ngram_base(model: NGramModel) -> BaseFn:
    def run(ids: list[int]) -> np.ndarray:
        out = np.empty(len(ids) - 1)
        for i in range(1, len(ids)):
            out[i - 1] = -math.log2(model.prob(ids[max(0, i - 3) : i], ids[i]))
        return out

    return run


def cross_entropy(
    files: Sequence[tuple[list[int], list[str], list[bool]]],
    base: BaseFn,
    vocab: Vocab,
    cache: bool,
    beta: float = 1.0,
    beta0: float = 4.0,
    content_only: bool = False,
) -> float:
    """Mean bits per token over `files` (ids with BOS first, token texts, content flags)."""
    total = 0.0
    count = 0
    for ids, texts, content in files:
        bits = base(ids)
        store = NGramCache()
        for i in range(1, len(ids)):
            text = texts[i - 1]
            p = 2.0 ** -float(bits[i - 1])
            if ids[i] == UNK:
                p *= 2.0 ** -vocab.spelling_bits(text)
            history = texts[max(0, i - 4) : i - 1]
            if cache:
                p = mix([store], history, text, p, beta, beta0)
                store.add(history, text)
            if not content_only or content[i - 1]:
                total += -math.log2(max(p, 1e-30))
                count += 1
    return total / max(count, 1)


def prepare(
    texts_per_file: Sequence[list[tuple[str, bool]]], vocab: Vocab
) -> list[tuple[list[int], list[str], list[bool]]]:
    out = []
    for tokens in texts_per_file:
        texts = [t for t, _ in tokens]
        out.append(([BOS, *(vocab.id(t) for t in texts)], texts, [c for _, c in tokens]))
    return out
