"""`redline train lm`: vocabulary and token streams from the machine's Python (split by
package, as for the detector), then the causal transformer, resumable, within a time budget."""

from __future__ import annotations

import json
import math
import random
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from review_models import corpus
from review_models.lexer import lex
from review_models.lm.model import CodeLM, LMConfig
from review_models.lm.vocab import BOS, Vocab, token_text

TOKEN_CAPS = {"train": 60_000_000, "val": 1_500_000, "test": 3_000_000}


def file_texts(item: corpus.SourceFile) -> list[str] | None:
    source = corpus.read_source(item)
    if source is None:
        return None
    return [token_text(t) for t in lex(source)]


def _lr_scale(step: int, steps: int, warmup: int) -> float:
    """Linear warm-up over `warmup` steps, then a cosine decay to zero at `steps`."""
    if step < warmup:
        return (step + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))


def _save_checkpoint(
    path: Path, model: CodeLM, optimizer: torch.optim.Optimizer, step: int
) -> None:
    torch.save(
        {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step},
        path,
    )


def _step(model: CodeLM, optimizer: torch.optim.Optimizer, chunk: torch.Tensor, lr: float) -> float:
    """One optimizer step on `chunk` (each row: the inputs, then the next token); the loss in
    bits per token."""
    for group in optimizer.param_groups:
        group["lr"] = lr
    logits = model(chunk[:, :-1])
    loss = nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), chunk[:, 1:].reshape(-1)
    )
    optimizer.zero_grad(set_to_none=True)
    loss.backward()  # type: ignore[no-untyped-call]
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    return float(loss.detach()) / math.log(2)


class LMTrainer:
    def __init__(self, work: Path, hours: float, seed: int = 4321, threads: int = 2) -> None:
        self.work = work
        self.deadline = time.monotonic() + hours * 3600
        self.seed = seed
        torch.set_num_threads(threads)
        # Softmax gradients underflow into denormals, which are ~10x slower on x86.
        torch.set_flush_denormal(True)
        torch.manual_seed(seed)
        random.seed(seed)
        work.mkdir(parents=True, exist_ok=True)

    def log(self, message: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {message}"
        with (self.work / "train.log").open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
        tqdm.write(line)

    def build_data(self, vocab_size: int = 8192) -> Vocab:
        manifest = self.work / "corpus.jsonl"
        if not manifest.exists():
            counts = corpus.write_manifest(corpus.collect(), manifest)
            self.log(f"corpus: {counts}")
        files = corpus.read_manifest(manifest)
        rng = random.Random(self.seed)
        by_split = {s: [f for f in files if f.split == s] for s in corpus.SPLITS}
        for split in by_split.values():
            rng.shuffle(split)
        vocab_path = self.work / "vocab.json"
        if vocab_path.exists():
            vocab = Vocab.load(vocab_path)
        else:
            sample = (file_texts(f) for f in by_split["train"][:3000])
            vocab = Vocab.build((s for s in sample if s), vocab_size)
            vocab.save(vocab_path)
            self.log(f"vocabulary: {len(vocab)} tokens")
        for split_name, items in by_split.items():
            target = self.work / f"{split_name}.npz"
            if target.exists():
                continue
            ids: list[np.ndarray] = []
            offsets = [0]
            total = 0
            for item in tqdm(items, desc=f"tokens {split}", unit="file"):
                texts = file_texts(item)
                if not texts:
                    continue
                array = np.array([BOS, *(vocab.id(t) for t in texts)], dtype=np.uint16)
                ids.append(array)
                total += len(array)
                offsets.append(total)
                if total >= TOKEN_CAPS[split_name]:
                    break
            np.savez(
                target,
                ids=np.concatenate(ids),
                offsets=np.array(offsets, np.int64),
                paths=np.array([i.path for i in items[: len(offsets) - 1]]),
            )
            self.log(f"{split_name}: {total} tokens from {len(offsets) - 1} files")
        return vocab

    def _resume(self, model: CodeLM, optimizer: torch.optim.Optimizer, checkpoint: Path) -> int:
        """The step to go on from: the checkpoint's (model and optimizer loaded), or 0."""
        if not checkpoint.exists():
            return 0
        state = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        step = int(state["step"])
        self.log(f"resumed at step {step}")
        return step

    def train(
        self, steps: int, batch: int = 12, lr: float = 1e-3, warmup: int = 500
    ) -> CodeLM | None:
        config = LMConfig()
        model = CodeLM(config)
        done = self.work / "lm.done.pt"
        if done.exists():
            model.load_state_dict(torch.load(done, weights_only=True))
            return model
        stream = np.load(self.work / "train.npz")["ids"].astype(np.int64)
        optimizer = torch.optim.AdamW(
            model.parameters(), lr=lr, weight_decay=0.01, betas=(0.9, 0.98)
        )
        checkpoint = self.work / "lm.ckpt"
        step = self._resume(model, optimizer, checkpoint)
        # Seeded by the step, so a resumed run does not replay the windows it already saw.
        rng = np.random.default_rng(self.seed + step)
        length = config.context + 1
        model.train()
        bar = tqdm(total=steps, initial=step, desc="train lm", unit="step")
        running = None
        last_save = time.monotonic()
        while step < steps and time.monotonic() < self.deadline:
            starts = rng.integers(0, len(stream) - length, size=batch)
            chunk = torch.from_numpy(np.stack([stream[s : s + length] for s in starts]))
            value = _step(model, optimizer, chunk, lr * _lr_scale(step, steps, warmup))
            step += 1
            running = value if running is None else 0.98 * running + 0.02 * value
            bar.update(1)
            if step % 50 == 0:
                bar.set_postfix(bits=f"{running:.3f}")
            if step % 2000 == 0:
                self.log(f"step {step}: {running:.3f} bits/token (train, no cache)")
            if time.monotonic() - last_save > 300:
                _save_checkpoint(checkpoint, model, optimizer, step)
                last_save = time.monotonic()
        bar.close()
        _save_checkpoint(checkpoint, model, optimizer, step)
        if step < steps:
            self.log(f"stopped at step {step} (time budget); rerun to resume")
            return None
        torch.save(model.state_dict(), done)
        self.log(f"finished {steps} steps")
        model.eval()
        return model


def train_and_export(
    work: Path, hours: float, threads: int, steps: int | None, export: bool = True
) -> None:
    started = time.monotonic()
    trainer = LMTrainer(work, hours, threads=threads)
    vocab = trainer.build_data()
    model = trainer.train(steps or 8000)
    if model is not None and export:
        from review_models.lm.export import export as export_lm

        meta = export_lm(model, vocab, work, trainer.log)
        meta["training_hours"] = round((time.monotonic() - started) / 3600, 2)
        (Path(str(meta["path"])) / "lm.json").write_text(json.dumps(meta, indent=2) + "\n")
