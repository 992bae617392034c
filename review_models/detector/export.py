"""`redline train detector`: build the examples from the real data sets, fit the hunk and line
models on the training projects, calibrate on the calibration projects, choose the paranoia
thresholds from measured precision there, measure on the test projects, and write the shipped
weights with their metadata. Resumable: the examples and every epoch are kept in `work`."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from review_models.detector import build
from review_models.detector import calibration as dcal
from review_models.detector.build import Example
from review_models.detector.calibration import BUG_PRIOR
from review_models.detector.fit import Bags, Trainer, auc, by_split, record_time
from review_models.detector.linear import Weights

WEIGHTS = Path(__file__).resolve().parents[1] / "weights"
PRECISION_TARGETS = {"low": 0.9, "default": 0.7, "high": 0.35}
# Where a precision target is out of reach: the share of clean hunks a level may flag.
FALSE_ALARM_BUDGETS = {"low": 0.0005, "default": 0.002, "high": 0.01}
MIN_SUPPORT = 30  # flagged bugs needed before a measured precision counts


def _level(
    stats: list[tuple[float, float, float, float]], level: str, target: float, positives: int
) -> tuple[tuple[float, float, float, float], str]:
    # A precision measured on a handful of flagged bugs is noise: ask for some support.
    ok = [s for s in stats if s[1] >= target and s[2] * positives >= MIN_SUPPORT]
    if ok:
        return min(ok, key=lambda s: s[0]), "precision"
    # The model cannot reach the precision: bound the false alarms instead, so the levels
    # stay ordered and default stays quiet on clean code.
    ok = [s for s in stats if s[3] <= FALSE_ALARM_BUDGETS[level]] or [max(stats)]
    return min(ok, key=lambda s: s[0]), "false-alarm budget"


def thresholds_from(
    probs: np.ndarray, labels: np.ndarray
) -> tuple[dict[str, float], dict[str, dict[str, object]]]:
    """Lowest threshold per paranoia level whose precision at BUG_PRIOR meets the target
    (or, out of reach, whose false alarms fit the level's budget); low >= default >= high.
    Where the target is not met, the level's entry says so (`chosen_by`)."""
    pos = probs[labels == 1]
    neg = probs[labels == 0]
    stats = []
    for t in np.unique(np.round(probs, 4)):
        tpr = float((pos >= t).mean()) if len(pos) else 0.0
        fpr = float((neg >= t).mean()) if len(neg) else 0.0
        denominator = BUG_PRIOR * tpr + (1 - BUG_PRIOR) * fpr
        precision = BUG_PRIOR * tpr / denominator if denominator > 0 else 1.0
        stats.append((float(t), precision, tpr, fpr))
    table: dict[str, dict[str, object]] = {}
    chosen: dict[str, float] = {"max": 0.0}
    for level, target in PRECISION_TARGETS.items():
        (t, precision, recall, fpr), basis = _level(stats, level, target, len(pos))
        chosen[level] = round(t, 4)
        table[level] = {
            "threshold": round(t, 4),
            "chosen_by": basis,
            "target_precision": target,
            "target_met": basis == "precision",
            "precision_at_prior": round(precision, 3),
            "recall": round(recall, 3),
            "false_positive_rate": round(fpr, 5),
        }
    # A less paranoid level never flags what a more paranoid one would not.
    chosen["default"] = max(chosen["default"], chosen["high"])
    chosen["low"] = max(chosen["low"], chosen["default"])
    for level in PRECISION_TARGETS:
        table[level]["threshold"] = chosen[level]
    table["max"] = {
        "threshold": 0.0,
        "precision_at_prior": BUG_PRIOR,
        "recall": 1.0,
        "false_positive_rate": 1.0,
    }
    return chosen, table


def _metrics(examples: list[Example], logits: np.ndarray) -> dict[str, object]:
    labels = np.array([e.label for e in examples])
    sources = np.array([e.source for e in examples])
    out: dict[str, object] = {"hunks": len(examples), "positives": int(labels.sum())}
    out["auc"] = round(auc(logits, labels), 4)
    for negative in ("commit", "fix-original", "fix-other"):
        chosen = (labels == 1) | (sources == negative)
        out[f"auc_vs_{negative}"] = round(auc(logits[chosen], labels[chosen]), 4)
    return out


def train_and_export(
    work: Path,
    data: Path,
    hours: float = 1.0,
    epochs: int = 60,
    export_weights: bool = True,
    target: Path = WEIGHTS,
) -> dict[str, object]:
    """All phases; returns the metadata written beside the weights."""
    started = time.monotonic()
    work.mkdir(parents=True, exist_ok=True)
    trainer = Trainer(work)
    examples_path = work / "examples.jsonl.gz"
    if not examples_path.exists():
        counts = build.build(data, examples_path)
        trainer.log(f"examples: {counts}")
    split = by_split(build.load(examples_path))
    trainer.log(", ".join(f"{k}: {len(v)} hunks" for k, v in split.items()))
    record_time(work, "data", time.monotonic() - started)
    fit_start = time.monotonic()
    hunk = trainer.hunk_model(split["train"], split["calib"], epochs)
    line = trainer.line_model(split["train"], split["calib"], epochs)
    hours_total = record_time(work, "fit", time.monotonic() - fit_start)
    calib_logits = Bags.of([e.keys for e in split["calib"]]).logits_np(hunk)
    calib_labels = np.array([e.label for e in split["calib"]])
    calibration = dcal.fit(calib_logits, calib_labels)
    thresholds, table = thresholds_from(calibration.probabilities(calib_logits), calib_labels)
    test_logits = Bags.of([e.keys for e in split["test"]]).logits_np(hunk)
    meta: dict[str, object] = {
        "version": time.strftime("%Y.%m.%d"),
        "kind": "diff-aware linear (hunk + line), hashed change features",
        "held_out": {
            "test_projects": sorted(build.TEST_PROJECTS),
            "calibration_projects": sorted(build.CALIB_PROJECTS),
        },
        "thresholds": thresholds,
        "paranoia": table,
        "bug_prior": BUG_PRIOR,
        "metrics": {
            "calibration_projects": _metrics(split["calib"], calib_logits),
            "test_projects": _metrics(split["test"], test_logits),
            "train_hunks": len(split["train"]),
        },
        "training_hours": hours_total,
        "threads": 1,
    }
    trainer.log(f"metrics: {meta['metrics']}")
    if export_weights:
        Weights(hunk, line, calibration, meta).save(target)
        trainer.log(f"exported to {target}")
    return meta
