"""`redline train fixer`: build the fix model's training pairs and train it.

The pairs are built here, at the command layer, because they come from two packages the engine
may not import: the bug injector (review_models.inject) on the training packages of the
corpus, and the real fixes in `--data` (fixes*.jsonl.gz, fixed and buggy turned around; whole
projects held out). Nothing built here is committed: it lives in `--work`.
"""

from __future__ import annotations

import itertools
import json
import random
import time
from pathlib import Path

from bot.bench.fix_pairs import HELD_OUT_PROJECTS, injected_pairs, real_pairs

VERSION = "2026.12.01"
# Pairs per source: sized for about an hour of one (shared) core; more is better.
INJECTED = 500
REAL = 250


def build_tokenizer(work: Path, log: object) -> object:
    from engine.model.tokenizer import Tokenizer, train
    from review_models.corpus import collect, read_source

    path = work / "tokenizer.json"
    if path.exists():
        return Tokenizer.load(path)
    files = [f for f in collect() if f.split == "train"]
    random.Random(1).shuffle(files)
    texts = []
    size = 0
    for item in files:
        text = read_source(item)
        if text:
            texts.append(text)
            size += len(text)
        if size > 4_000_000:
            break
    tokenizer = train(texts, 4096)
    tokenizer.save(path)
    return tokenizer


def run(
    work: Path, data: Path | None, hours: float, threads: int, steps: int | None, export: bool
) -> int:
    import torch

    from engine.model.net import Config
    from engine.model.weights import save, shipped_dir
    from engine.training.data import examples, shuffled
    from engine.training.train import Plan, answer_loss, train

    torch.set_num_threads(threads)
    work.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    log_file = (work / "train.log").open("a", encoding="utf-8")

    def log(message: str) -> None:
        print(message, flush=True)
        log_file.write(message + "\n")
        log_file.flush()

    tokenizer = build_tokenizer(work, log)
    log(f"tokenizer: {tokenizer.vocab_size} tokens ({time.monotonic() - started:.0f} s)")  # type: ignore[attr-defined]
    config = Config(vocab_size=tokenizer.vocab_size)  # type: ignore[attr-defined]
    cached = work / "examples.pt"
    if cached.exists():
        sets = torch.load(cached, weights_only=False)
    else:
        pairs: list[object] = list(injected_pairs("train", INJECTED, seed=0))
        if data is not None:
            pairs += list(itertools.islice(real_pairs(data, held_out=False), REAL))
        made = list(examples(pairs, tokenizer, config.context, 256))  # type: ignore[arg-type]
        val = list(examples(injected_pairs("val", 40, seed=1), tokenizer, config.context, 256))  # type: ignore[arg-type]
        sets = {"train": shuffled(made, 0), "val": val, "data_s": time.monotonic() - started}
        torch.save(sets, cached)
    counts: dict[str, int] = {}
    for example in sets["train"]:
        key = example.origin.split(":")[0]
        counts[key] = counts.get(key, 0) + 1
    log(f"examples: {counts}, val {len(sets['val'])} ({time.monotonic() - started:.0f} s)")
    data_minutes = float(sets.get("data_s", time.monotonic() - started)) / 60
    model, figures = train(
        config, sets["train"], sets["val"], work, Plan(hours=hours, max_steps=steps), log
    )
    figures["data_minutes"] = data_minutes
    figures["train_examples"] = float(len(sets["train"]))
    figures["val_answer_loss"] = answer_loss(model, sets["val"])
    log(json.dumps(figures))
    if export:
        meta = {
            "figures": figures,
            "examples": counts,
            "held_out_projects": sorted(HELD_OUT_PROJECTS),
        }
        save(model, tokenizer, shipped_dir(), VERSION, meta)  # type: ignore[arg-type]
        log(f"exported to {shipped_dir()}")
    return 0
