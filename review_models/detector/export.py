"""Calibrate, choose the paranoia thresholds from measured precision, evaluate, and write the
shipped weights (fp16, small) with their metadata."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch

from review_models.detector import calibration as dcal
from review_models.detector import train as dtrain
from review_models.detector.calibration import BUG_PRIOR
from review_models.detector.data import Packed
from review_models.detector.model import Detector

WEIGHTS = Path(__file__).resolve().parents[1] / "weights"
PRECISION_TARGETS = {"low": 0.9, "default": 0.7, "high": 0.35}
# Where a precision target is out of reach: the share of clean hunks a level may flag. Real
# commits draw about 3.5x the false alarms of validation hunks (a 1% budget gave 7.1 findings
# per 1,000 clean changed lines on ../shared/data/commits), so default allows 0.2%.
FALSE_ALARM_BUDGETS = {"low": 0.0005, "default": 0.002, "high": 0.01}
MIN_SUPPORT = 30  # flagged bugs needed before a measured precision counts


def thresholds_from(
    probs: np.ndarray, labels: np.ndarray
) -> tuple[dict[str, float], dict[str, dict[str, object]]]:
    """Lowest threshold per paranoia level whose precision at BUG_PRIOR meets the target
    (or, out of reach, whose false alarms fit the level's budget); low >= default >= high."""
    pos = probs[labels == 1]
    neg = probs[labels == 0]
    candidates = np.unique(np.round(probs, 4))
    table: dict[str, dict[str, object]] = {}
    chosen: dict[str, float] = {"max": 0.0}
    stats = []
    for t in candidates:
        tpr = float((pos >= t).mean()) if len(pos) else 0.0
        fpr = float((neg >= t).mean()) if len(neg) else 0.0
        denominator = BUG_PRIOR * tpr + (1 - BUG_PRIOR) * fpr
        precision = BUG_PRIOR * tpr / denominator if denominator > 0 else 1.0
        stats.append((float(t), precision, tpr, fpr))
    for level, target in PRECISION_TARGETS.items():
        # A precision measured on a handful of flagged bugs is noise: ask for some support.
        ok = [s for s in stats if s[1] >= target and s[2] * len(pos) >= MIN_SUPPORT]
        basis = "precision"
        if not ok:
            # The model cannot reach the precision: bound the false alarms instead, so the
            # levels stay ordered and default stays quiet on clean code.
            ok = [s for s in stats if s[3] <= FALSE_ALARM_BUDGETS[level]] or [max(stats)]
            basis = "false-alarm budget"
        t, precision, recall, fpr = min(ok, key=lambda s: s[0])
        chosen[level] = round(t, 4)
        table[level] = {
            "threshold": round(t, 4),
            "chosen_by": basis,
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


def export(model: Detector, work: Path, log: dtrain.Trainer, started: float) -> dict[str, object]:
    val = Packed.load(work / "val.npz")
    calib = Packed.load(work / "real-calib.npz")
    logits_v, _, _, labels_v = dtrain.predict(model, val)
    logits_c, _, _, labels_c = dtrain.predict(model, calib)
    logits = np.concatenate([logits_v, logits_c])
    labels = np.concatenate([labels_v, labels_c])
    calibration = dcal.fit(logits, labels)
    # The thresholds are on the scale a review shows: the risk at the real-world prior.
    thresholds, table = thresholds_from(calibration.probabilities(logits), labels)
    metrics: dict[str, object] = {}
    for name in ("test", "val", "real-eval"):
        result = dtrain.evaluate(model, Packed.load(work / f"{name}.npz"), calibration)
        metrics[name] = {
            k: round(v, 4) if isinstance(v, float) else v for k, v in result.__dict__.items()
        }
        log.log(f"{name}: {metrics[name]}")
    meta = {
        "version": time.strftime("%Y.%m.%d"),
        "config": model.config.to_dict(),
        "calibration": {k: round(v, 5) for k, v in calibration.to_dict().items()},
        "thresholds": thresholds,
        "paranoia": table,
        "bug_prior": BUG_PRIOR,
        "metrics": metrics,
        "training_hours": log.hours_spent() or round((time.monotonic() - started) / 3600, 2),
    }
    WEIGHTS.mkdir(parents=True, exist_ok=True)
    state = {k: v.half() if v.is_floating_point() else v for k, v in model.state_dict().items()}
    torch.save(state, WEIGHTS / "detector.pt")
    (WEIGHTS / "detector.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    log.log(f"exported: {WEIGHTS / 'detector.pt'}")
    return meta


def train_and_export(
    work: Path,
    hours: float,
    threads: int,
    steps: int | None,
    export_weights: bool = True,
    **_: object,
) -> None:
    started = time.monotonic()
    pretrain = steps or 16000
    model, trainer = dtrain.run(work, hours, pretrain, max(200, pretrain // 6), threads)
    if (work / "finetune.done.pt").exists() and export_weights:
        export(model, work, trainer, started)
