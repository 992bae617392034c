"""`redline train detector`: build the corpus and examples, pre-train on synthetic bugs,
fine-tune on real bug-introducing diffs, calibrate, and write the shipped weights.

Resumable: every phase writes its outputs under the work directory and a checkpoint every few
minutes; running the command again continues where it stopped. Seeds are fixed."""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from review_models import corpus
from review_models.detector import data as ddata
from review_models.detector.calibration import Calibration
from review_models.detector.data import Packed
from review_models.detector.model import Detector, DetectorConfig

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@dataclass
class Batch:
    tok: torch.Tensor
    sub_a: torch.Tensor
    sub_b: torch.Tensor
    kind: torch.Tensor
    chg: torch.Tensor
    mask: torch.Tensor
    loc: torch.Tensor
    ptr: torch.Tensor
    line: torch.Tensor
    label: torch.Tensor
    family: torch.Tensor
    repair: torch.Tensor
    has_ptr: torch.Tensor


def collate(packed: Packed, indices: list[int] | np.ndarray) -> Batch:
    rows = [packed.example(int(i)) for i in indices]
    length = max(len(r) for r in rows)
    grid = np.zeros((len(rows), length, len(ddata.COLS)), dtype=np.int64)
    mask = np.zeros((len(rows), length), dtype=bool)
    for b, r in enumerate(rows):
        grid[b, : len(r)] = r
        mask[b, : len(r)] = True
    t = torch.from_numpy(grid)
    idx = np.asarray(indices)
    return Batch(
        t[..., 0],
        t[..., 1],
        t[..., 2],
        t[..., 3],
        t[..., 4],
        torch.from_numpy(mask),
        t[..., 5].bool(),
        t[..., 6].bool(),
        t[..., 7],
        torch.from_numpy(packed.label[idx].astype(np.float32)),
        torch.from_numpy(packed.family[idx].astype(np.int64)),
        torch.from_numpy(packed.repair[idx].astype(np.int64)),
        torch.from_numpy(packed.has_ptr[idx].astype(bool)),
    )


def _masked_lse(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    neg = torch.finfo(logits.dtype).min
    return torch.logsumexp(logits.masked_fill(~target, neg), dim=-1)


def losses(model: Detector, batch: Batch) -> dict[str, torch.Tensor]:
    out = model(batch.tok, batch.sub_a, batch.sub_b, batch.kind, batch.chg, batch.mask)
    joint = torch.cat([out["nobug"].unsqueeze(-1), out["loc"]], dim=-1)
    total = torch.logsumexp(joint, dim=-1)
    target = batch.loc & (batch.chg > 0) & batch.mask
    positive = (batch.label > 0) & target.any(-1)
    negative = batch.label == 0
    zero = out["bug"].sum() * 0
    result = {"detect": zero, "repair": zero, "family": zero}
    parts = []
    if negative.any():
        parts.append(total[negative] - joint[negative, 0])
    if positive.any():
        parts.append(total[positive] - _masked_lse(out["loc"][positive], target[positive]))
    if parts:
        result["detect"] = torch.cat(parts).mean()
    if positive.any():
        # Repair and family, at the (first) true bug token: teacher forcing.
        hidden = out["hidden"][positive]
        at = target[positive].float().argmax(-1)
        vocab, pointer, family = model.repair_logits(
            hidden, at, batch.kind[positive], batch.mask[positive]
        )
        fam = batch.family[positive]
        has_family = fam >= 0
        if has_family.any():
            result["family"] = nn.functional.cross_entropy(family[has_family], fam[has_family])
        joint_repair = torch.cat([vocab, pointer], dim=-1)
        vocab_target = nn.functional.one_hot(
            batch.repair[positive].clamp(min=0), vocab.shape[-1]
        ).bool()
        vocab_target &= (batch.repair[positive] >= 0).unsqueeze(-1)
        ptr_target = batch.ptr[positive] & batch.has_ptr[positive].unsqueeze(-1)
        repair_target = torch.cat([vocab_target, ptr_target], dim=-1)
        has_repair = repair_target.any(-1)
        if has_repair.any():
            result["repair"] = (
                torch.logsumexp(joint_repair[has_repair], -1)
                - _masked_lse(joint_repair[has_repair], repair_target[has_repair])
            ).mean()
    return result


def _batches(packed: Packed, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Length-bucketed batches in random order (less padding, same distribution)."""
    order = rng.permutation(len(packed))
    lengths = np.diff(packed.offsets)[order]
    chunks: list[np.ndarray] = []
    span = batch_size * 50
    for start in range(0, len(order), span):
        part = order[start : start + span]
        part = part[np.argsort(lengths[start : start + span], kind="stable")]
        chunks.extend(part[i : i + batch_size] for i in range(0, len(part), batch_size))
    rng.shuffle(chunks)  # type: ignore[arg-type,unused-ignore]
    return chunks


@dataclass
class Evaluation:
    auc: float
    localization: float  # line of the top token is a buggy line, over positives
    repair: float  # over positives with a token repair
    ece: float
    nll: float
    count: int


def predict(
    model: Detector, packed: Packed, batch_size: int = 64
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(bug logits, localization hit, repair hit (-1: n/a), labels) per example."""
    model.eval()
    logits, loc_hit, rep_hit = [], [], []
    order = np.argsort(np.diff(packed.offsets), kind="stable")
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            batch = collate(packed, idx)
            out = model(batch.tok, batch.sub_a, batch.sub_b, batch.kind, batch.chg, batch.mask)
            logits.append(out["bug"].numpy())
            top = out["loc"].argmax(-1)
            rows = torch.arange(len(idx))
            top_line = batch.line[rows, top]
            bug_lines = batch.line.masked_fill(~batch.loc, -1)
            hit = (bug_lines == top_line.unsqueeze(-1)).any(-1)
            loc_hit.append(hit.numpy())
            vocab, pointer, _ = model.repair_logits(out["hidden"], top, batch.kind, batch.mask)
            joint = torch.cat([vocab, pointer], -1).argmax(-1)
            width = vocab.shape[-1]
            repair_ok = np.full(len(idx), -1, dtype=np.int8)
            for b in range(len(idx)):
                if batch.repair[b] >= 0:
                    repair_ok[b] = int(joint[b].item() == batch.repair[b].item() and hit[b])
                elif batch.has_ptr[b]:
                    j = int(joint[b].item()) - width
                    repair_ok[b] = int(j >= 0 and bool(batch.ptr[b, j]) and bool(hit[b]))
            rep_hit.append(repair_ok)
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    cat = [np.concatenate(x)[inverse] for x in (logits, loc_hit, rep_hit)]
    return cat[0], cat[1], cat[2], packed.label.astype(np.int64)


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    pos = scores[labels == 1]
    neg = scores[labels == 0]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    ranks = np.argsort(np.argsort(np.concatenate([pos, neg]))) + 1
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def ece(probs: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in itertools.pairwise(edges):
        sel = (probs > lo) & (probs <= hi) if lo > 0 else (probs >= lo) & (probs <= hi)
        if sel.any():
            total += sel.mean() * abs(probs[sel].mean() - labels[sel].mean())
    return float(total)


def evaluate(model: Detector, packed: Packed, calibration: Calibration) -> Evaluation:
    """Figures on a packed set; probabilities at the set's own mix of bugs (not the prior)."""
    logits, loc_hit, rep_hit, labels = predict(model, packed)
    probs = calibration.probabilities(logits, at_prior=False)
    pos = labels == 1
    eps = 1e-7
    nll = float(-np.mean(labels * np.log(probs + eps) + (1 - labels) * np.log(1 - probs + eps)))
    rep = rep_hit[pos]
    return Evaluation(
        auc=auc(logits, labels),
        localization=float(loc_hit[pos].mean()) if pos.any() else float("nan"),
        repair=float((rep[rep >= 0] == 1).mean()) if (rep >= 0).any() else float("nan"),
        ece=ece(probs, labels),
        nll=nll,
        count=len(labels),
    )


class Trainer:
    """Runs the phases; each finished phase leaves a marker so a rerun skips it."""

    def __init__(self, work: Path, hours: float, seed: int = 1234, threads: int = 2) -> None:
        self.work = work
        self.deadline = time.monotonic() + hours * 3600
        self.hours = hours
        self.seed = seed
        torch.set_num_threads(threads)
        # Softmax gradients underflow into denormals, which are ~10x slower on x86.
        torch.set_flush_denormal(True)
        torch.manual_seed(seed)
        random.seed(seed)
        np.random.seed(seed)
        work.mkdir(parents=True, exist_ok=True)
        self.log_path = work / "train.log"

    def log(self, message: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {message}"
        with self.log_path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
        tqdm.write(line)

    # --- data --------------------------------------------------------------------------
    def build_data(self, per_file: int = 10, rounds: int = 2) -> None:
        manifest = self.work / "corpus.jsonl"
        if not manifest.exists():
            counts = corpus.write_manifest(corpus.collect(), manifest)
            self.log(f"corpus: {counts}")
        files = corpus.read_manifest(manifest)
        by_split = {s: [f for f in files if f.split == s] for s in corpus.SPLITS}
        for round_ in range(rounds):
            target = self.work / f"train-{round_}.npz"
            if not target.exists():
                n = ddata.build_synthetic(by_split["train"], target, self.seed + round_, per_file)
                self.log(f"synthetic train round {round_}: {n} examples")
        for split in ("val", "test"):
            target = self.work / f"{split}.npz"
            if not target.exists():
                n = ddata.build_synthetic(by_split[split], target, self.seed + 100, 16)
                self.log(f"synthetic {split}: {n} examples")
        fixes = SHARED / "fixes.jsonl.gz"
        if fixes.exists() and not (self.work / "real-train.npz").exists():
            records = ddata.real_fix_records(fixes)
            parts: dict[str, list[dict[str, object]]] = {"train": [], "calib": [], "eval": []}
            for record in records:
                bucket = int(hashlib.sha1(str(record["sha"]).encode()).hexdigest(), 16) % 10
                parts["eval" if bucket < 3 else "calib" if bucket == 3 else "train"].append(record)
            for name, recs in parts.items():
                n = ddata.build_real(recs, self.work / f"real-{name}.npz")
                self.log(f"real fixes {name}: {len(recs)} records, {n} hunk examples")

    def account(self, phase: str, seconds: float) -> None:
        """Wall time spent per phase, summed over resumed runs (for the model card)."""
        path = self.work / "time.json"
        spent = json.loads(path.read_text()) if path.exists() else {}
        spent[phase] = round(spent.get(phase, 0.0) + seconds, 1)
        path.write_text(json.dumps(spent, indent=2) + "\n")

    def hours_spent(self) -> float:
        path = self.work / "time.json"
        spent: dict[str, float] = json.loads(path.read_text()) if path.exists() else {}
        return round(sum(spent.values()) / 3600, 2)

    # --- training ----------------------------------------------------------------------
    def train(
        self,
        phase: str,
        sources: list[tuple[Packed, float]],
        steps: int,
        lr: float,
        batch_size: int = 32,
        warmup: int = 500,
        init: Path | None = None,
    ) -> Detector:
        checkpoint = self.work / f"{phase}.ckpt"
        done = self.work / f"{phase}.done.pt"
        config = DetectorConfig()
        model = Detector(config)
        if done.exists():
            model.load_state_dict(torch.load(done, weights_only=True))
            self.log(f"{phase}: already done")
            return model
        if init is not None:
            model.load_state_dict(torch.load(init, weights_only=True))
        optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
        step = 0
        rng = np.random.default_rng(self.seed)
        if checkpoint.exists():
            state = torch.load(checkpoint, weights_only=False)
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            step = state["step"]
            rng = np.random.default_rng(self.seed + step)
            self.log(f"{phase}: resumed at step {step}")

        def schedule(s: int) -> float:
            if s < warmup:
                return (s + 1) / warmup
            return 0.5 * (1 + math.cos(math.pi * min(1.0, (s - warmup) / max(1, steps - warmup))))

        queues: list[list[np.ndarray]] = [[] for _ in sources]
        weights = np.array([w for _, w in sources], dtype=float)
        weights /= weights.sum()
        model.train()
        last_save = time.monotonic()
        running: dict[str, float] = {}
        bar = tqdm(total=steps, initial=step, desc=f"train {phase}", unit="step")
        while step < steps and time.monotonic() < self.deadline:
            which = int(rng.choice(len(sources), p=weights))
            if not queues[which]:
                queues[which] = _batches(sources[which][0], batch_size, rng)
            batch = collate(sources[which][0], queues[which].pop())
            for group in optimizer.param_groups:
                group["lr"] = lr * schedule(step)
            parts = losses(model, batch)
            loss = parts["detect"] + 0.5 * parts["repair"] + 0.2 * parts["family"]
            optimizer.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            step += 1
            for key, value in parts.items():
                number = float(value.detach())
                running[key] = 0.98 * running.get(key, number) + 0.02 * number
            bar.update(1)
            if step % 50 == 0:
                bar.set_postfix({k: f"{v:.3f}" for k, v in running.items()})
            if time.monotonic() - last_save > 300 or step == steps:
                self.account(phase, time.monotonic() - last_save)
                torch.save(
                    {
                        "model": model.state_dict(),
                        "optimizer": optimizer.state_dict(),
                        "step": step,
                    },
                    checkpoint,
                )
                last_save = time.monotonic()
            if step % 2000 == 0:
                self.log(
                    f"{phase} step {step}: " + ", ".join(f"{k} {v:.3f}" for k, v in running.items())
                )
        bar.close()
        self.account(phase, time.monotonic() - last_save)
        torch.save(
            {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step},
            checkpoint,
        )
        if step >= steps:
            torch.save(model.state_dict(), done)
            self.log(f"{phase}: finished {steps} steps")
        else:
            self.log(f"{phase}: stopped at step {step} (time budget); rerun to resume")
        model.eval()
        return model


def run(
    work: Path, hours: float, pretrain_steps: int, finetune_steps: int, threads: int = 2
) -> tuple[Detector, Trainer]:
    """All phases; returns the fine-tuned (not yet calibrated) model."""
    trainer = Trainer(work, hours, threads=threads)
    trainer.build_data()
    train0 = Packed.load(work / "train-0.npz")
    train1 = Packed.load(work / "train-1.npz")
    model = trainer.train("pretrain", [(train0, 1.0), (train1, 1.0)], pretrain_steps, lr=7e-4)
    if not (work / "pretrain.done.pt").exists():
        return model, trainer
    real = Packed.load(work / "real-train.npz")
    model = trainer.train(
        "finetune",
        [(real, 1.0), (train0, 2.0)],
        finetune_steps,
        lr=1e-4,
        warmup=100,
        init=work / "pretrain.done.pt",
    )
    return model, trainer
