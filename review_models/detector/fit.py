"""Training the detector's two linear models (hunk and line) on the examples of
`review_models.detector.build`, with the test and calibration projects held out.

One thread, full-batch Adam on hashed features, a checkpoint after every epoch (a rerun
resumes), the best epoch by ROC-AUC on the calibration projects kept."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from review_models.detector.build import Example, split_of
from review_models.detector.changes import line_features
from review_models.detector.linear import BUCKETS, buckets

# Each source's share of the training loss within its class: injected bugs are many and
# easy, real reversed fixes are the target; real commits and fixes as made are the negatives.
SOURCE_WEIGHTS = {
    "fix-reversed": 1.0,
    "injected": 0.5,
    "commit": 1.0,
    "fix-original": 0.7,
    "fix-other": 0.3,
}


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """ROC-AUC with ties at their mean rank (a constant score is 0.5)."""
    pos = scores[labels == 1]
    neg = scores[labels == 0]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    values = np.concatenate([pos, neg])
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    ranks = (np.cumsum(counts) - (counts - 1) / 2)[inverse]
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


@dataclass
class Bags:
    """Hashed feature sets, flattened for torch.nn.functional.embedding_bag."""

    index: torch.Tensor
    offsets: torch.Tensor

    @classmethod
    def of(cls, sets: Sequence[Sequence[str]]) -> Bags:
        parts = [buckets(keys) if keys else np.zeros(0, np.int64) for keys in sets]
        lengths = np.array([len(p) for p in parts], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if len(parts) else np.zeros(0)
        flat = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        return cls(
            torch.from_numpy(flat.astype(np.int64)), torch.from_numpy(offsets.astype(np.int64))
        )

    def logits_np(self, weights: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return self.logits(torch.from_numpy(weights)).numpy().astype(np.float64)

    def logits(self, weights: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.embedding_bag(
            self.index, weights.unsqueeze(-1), self.offsets, mode="sum"
        ).squeeze(-1)


def line_sets(example: Example) -> list[list[str]]:
    return line_features(example.keys, example.lines, example.changed)


class Trainer:
    def __init__(self, work: Path, log: Path | None = None) -> None:
        self.work = work
        self.log_path = log or work / "train.log"
        torch.set_num_threads(1)
        torch.manual_seed(11)

    def log(self, message: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {message}"
        with self.log_path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
        print(line, flush=True)

    def hunk_model(
        self, train: list[Example], calib: list[Example], epochs: int = 60, l2: float = 3e-5
    ) -> np.ndarray:
        """Logistic regression, classes balanced, sources weighted within their class."""
        bags = Bags.of([e.keys for e in train])
        labels = torch.tensor([e.label for e in train], dtype=torch.float32)
        raw = torch.tensor([SOURCE_WEIGHTS.get(e.source, 1.0) for e in train])
        weight = torch.empty_like(raw)
        for value in (0.0, 1.0):
            chosen = labels == value
            weight[chosen] = raw[chosen] / raw[chosen].sum() / 2
        calib_bags = Bags.of([e.keys for e in calib])
        calib_labels = np.array([e.label for e in calib])
        return self._fit(
            "hunk",
            lambda w: bags.logits(w),
            lambda logits: (
                weight
                * torch.nn.functional.binary_cross_entropy_with_logits(
                    logits, labels, reduction="none"
                )
            ).sum(),
            lambda w: auc(calib_bags.logits(w).detach().numpy(), calib_labels),
            epochs,
            l2,
        )

    def line_model(
        self, train: list[Example], calib: list[Example], epochs: int = 60, l2: float = 3e-5
    ) -> np.ndarray:
        """Which changed line of a buggy hunk holds the bug: a softmax over its lines."""

        def flatten(examples: list[Example]) -> tuple[Bags, torch.Tensor, torch.Tensor, int]:
            sets, group, hit = [], [], []
            chosen = [e for e in examples if e.label and e.bug_lines and len(e.changed) > 1]
            for index, example in enumerate(chosen):
                bad = set(example.bug_lines)
                for line, keys in zip(example.changed, line_sets(example), strict=True):
                    sets.append(keys)
                    group.append(index)
                    hit.append(line in bad)
            return Bags.of(sets), torch.tensor(group), torch.tensor(hit), len(chosen)

        bags, group, hit, count = flatten(train)
        calib_bags, calib_group, calib_hit, calib_count = flatten(calib)

        def loss(logits: torch.Tensor) -> torch.Tensor:
            total = _group_logsumexp(logits, group, count)
            good = _group_logsumexp(logits.masked_fill(~hit, -1e9), group, count)
            return (total - good).mean()

        def score(weights: torch.Tensor) -> float:
            """Expected top-1 line hit, ties counted fairly (all-equal scores are chance)."""
            logits = calib_bags.logits(weights).detach()
            top = torch.full((calib_count,), -1e9).scatter_reduce(
                0, calib_group, logits, reduce="amax"
            )
            at_top = (logits >= top[calib_group] - 1e-6).float()
            tied = torch.zeros(calib_count).index_add(0, calib_group, at_top)
            hits = torch.zeros(calib_count).index_add(0, calib_group, at_top * calib_hit.float())
            return float((hits / tied.clamp(min=1)).mean())

        return self._fit("line", bags.logits, loss, score, epochs, l2)

    def _fit(
        self,
        name: str,
        forward: Callable[[torch.Tensor], torch.Tensor],
        loss_of: Callable[[torch.Tensor], torch.Tensor],
        score_of: Callable[[torch.Tensor], float],
        epochs: int,
        l2: float,
    ) -> np.ndarray:
        checkpoint = self.work / f"{name}.ckpt"
        weights = torch.zeros(BUCKETS, requires_grad=True)
        optimizer = torch.optim.Adam([weights], lr=0.05)
        start, best, best_score = 0, weights.detach().clone(), -1.0
        if checkpoint.exists():
            state = torch.load(checkpoint, weights_only=False)
            with torch.no_grad():
                weights.copy_(state["weights"])
            optimizer.load_state_dict(state["optimizer"])
            start, best, best_score = state["epoch"], state["best"], state["best_score"]
            self.log(f"{name}: resumed at epoch {start}")
        for epoch in range(start, epochs):
            for _ in range(10):  # full-batch steps per epoch
                optimizer.zero_grad()
                loss = loss_of(forward(weights)) + l2 * (weights * weights).sum()
                loss.backward()  # type: ignore[no-untyped-call]
                optimizer.step()
            score = score_of(weights)
            if score >= best_score:  # on ties the later (more trained) epoch
                best, best_score = weights.detach().clone(), score
            torch.save(
                {
                    "weights": weights.detach(),
                    "optimizer": optimizer.state_dict(),
                    "epoch": epoch + 1,
                    "best": best,
                    "best_score": best_score,
                },
                checkpoint,
            )
            self.log(
                f"{name} epoch {epoch + 1}: loss {float(loss.detach()):.4f}, calib {score:.4f}"
            )
        self.log(f"{name}: best calib score {best_score:.4f}")
        return best.numpy().astype(np.float32)


def _group_logsumexp(values: torch.Tensor, group: torch.Tensor, count: int) -> torch.Tensor:
    top = torch.full((count,), -1e9).scatter_reduce(0, group, values, reduce="amax")
    exp = torch.exp(values - top[group])
    return torch.log(torch.zeros(count).index_add(0, group, exp)) + top


def by_split(examples: list[Example]) -> dict[str, list[Example]]:
    out: dict[str, list[Example]] = {"train": [], "calib": [], "test": []}
    for example in examples:
        split = split_of(example.project)
        # Injected bugs are training data only; the held-out figures are on real edits.
        if example.source == "injected" and split != "train":
            continue
        out[split].append(example)
    return out


def record_time(work: Path, phase: str, seconds: float) -> float:
    """Wall time per phase summed over resumed runs; returns the total hours."""
    path = work / "time.json"
    spent = json.loads(path.read_text()) if path.exists() else {}
    spent[phase] = round(spent.get(phase, 0.0) + seconds, 1)
    path.write_text(json.dumps(spent, indent=2) + "\n")
    return round(float(sum(spent.values())) / 3600, 3)
