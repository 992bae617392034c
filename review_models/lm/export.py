"""After training: tune the cache mixing on validation files, choose the attention thresholds
from simulated hunks of validation code, and write the shipped weights (fp16)."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from review_models import corpus
from review_models.lexer import lex
from review_models.lm.evaluate import cross_entropy, neural_base, prepare
from review_models.lm.model import CodeLM
from review_models.lm.score import WEIGHTS, EntropyModel, FileInput, HunkInput
from review_models.lm.vocab import Vocab, token_text


def _files(work: Path, split: str, count: int, seed: int) -> list[str]:
    items = [f for f in corpus.read_manifest(work / "corpus.jsonl") if f.split == split]
    random.Random(seed).shuffle(items)
    out = []
    for item in items:
        text = corpus.read_source(item)
        if text and 20 < text.count("\n") < 1500:
            out.append(text)
        if len(out) >= count:
            break
    return out


def _lexed(texts: list[str]) -> list[list[tuple[str, bool]]]:
    return [[(token_text(t), t.is_content) for t in lex(text)] for text in texts]


def simulated_hunks(model: EntropyModel, texts: list[str], seed: int) -> list[float]:
    """Entropy of random spans of fresh code (added lines, file prefix as context)."""
    rng = random.Random(seed)
    files = []
    for index, text in enumerate(texts):
        lines = text.split("\n")
        start = rng.randrange(1, max(2, len(lines) - 10))
        size = rng.choice((1, 2, 3, 5, 8))
        added = frozenset(range(start, start + size))
        files.append(
            FileInput(
                f"f{index}.py",
                text,
                (HunkInput((f"f{index}.py", 0), start, start + size - 1, added, ()),),
            )
        )
    scores = model.score_files(files)
    return [s.entropy for s in scores.values() if s.tokens >= 3]


def export(
    model: CodeLM, vocab: Vocab, work: Path, log: Callable[[str], None]
) -> dict[str, object]:
    scorer = EntropyModel.from_torch(model, vocab, {})
    val = prepare(_lexed(_files(work, "val", 60, 7)), vocab)
    base = neural_base(scorer)
    cached_bits = [base(ids) for ids, _, _ in val]

    def frozen(ids: list[int]) -> np.ndarray:
        return cached_bits[next(i for i, v in enumerate(val) if v[0] is ids)]

    best = (float("inf"), 1.0, 4.0)
    for beta in (0.5, 1.0, 2.0, 4.0):
        for beta0 in (2.0, 8.0, 32.0, 128.0):
            bits = cross_entropy(val, frozen, vocab, cache=True, beta=beta, beta0=beta0)
            if bits < best[0]:
                best = (bits, beta, beta0)
    no_cache = cross_entropy(val, frozen, vocab, cache=False)
    log(
        f"val: {no_cache:.3f} bits/token without cache, {best[0]:.3f} with "
        f"(beta {best[1]}, beta0 {best[2]})"
    )
    scorer.beta, scorer.beta0 = best[1], best[2]
    entropies = simulated_hunks(scorer, _files(work, "val", 400, 11), 13)
    thresholds = {
        "dense": round(float(np.percentile(entropies, 75)), 3),
        "predictable": round(float(np.percentile(entropies, 10)), 3),
    }
    log(f"thresholds from {len(entropies)} simulated hunks: {thresholds}")
    meta: dict[str, object] = {
        "version": time.strftime("%Y.%m.%d"),
        "config": model.config.to_dict(),
        "beta": best[1],
        "beta0": best[2],
        "thresholds": thresholds,
        "val_bits": {"no_cache": round(no_cache, 3), "cache": round(best[0], 3)},
        "path": str(WEIGHTS),
    }
    WEIGHTS.mkdir(parents=True, exist_ok=True)
    state = {k: v.half() if v.is_floating_point() else v for k, v in model.state_dict().items()}
    torch.save(state, WEIGHTS / "lm.pt")
    vocab.save(WEIGHTS / "lm-vocab.json")
    (WEIGHTS / "lm.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    log(f"exported: {WEIGHTS / 'lm.pt'}")
    return meta
