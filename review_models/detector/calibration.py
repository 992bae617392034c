"""Calibration of the detector's hunk logit: Platt scaling fitted on held-out data, then a
prior shift from the training mix (about half the hunks buggy) to the share of buggy hunks in
real pull requests, so the risk a review shows is a probability for the hunks it will see."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# The share of changed hunks that hold a bug in real pull requests is small; risks and
# paranoia thresholds are stated at this prior, not at the 50/50 mix of the training data.
BUG_PRIOR = 0.05


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


@dataclass(frozen=True)
class Calibration:
    scale: float = 1.0
    bias: float = 0.0
    shift: float = 0.0  # logit(BUG_PRIOR) - logit(share of bugs in the calibration data)

    def logits(self, raw: np.ndarray, at_prior: bool = True) -> np.ndarray:
        out = self.scale * raw.astype(np.float64) + self.bias
        return out + self.shift if at_prior else out

    def probabilities(self, raw: np.ndarray, at_prior: bool = True) -> np.ndarray:
        probs: np.ndarray = 1 / (1 + np.exp(-self.logits(raw, at_prior)))
        return probs

    def to_dict(self) -> dict[str, float]:
        return {"scale": self.scale, "bias": self.bias, "shift": self.shift}

    @classmethod
    def from_dict(cls, data: object, temperature: float = 1.0) -> Calibration:
        if isinstance(data, dict):
            return cls(float(data["scale"]), float(data["bias"]), float(data.get("shift", 0.0)))
        return cls(scale=1.0 / temperature)  # weights exported before Platt scaling


def fit(raw: np.ndarray, labels: np.ndarray, prior: float = BUG_PRIOR) -> Calibration:
    """Platt scaling by Newton's method (logistic regression on the one logit), then the
    prior shift."""
    x = raw.astype(np.float64)
    y = labels.astype(np.float64)
    a, b = 1.0, 0.0
    for _ in range(100):
        p = 1 / (1 + np.exp(-(a * x + b)))
        w = p * (1 - p) + 1e-12
        gradient = np.array([np.sum((p - y) * x), np.sum(p - y)])
        hessian = np.array(
            [[np.sum(w * x * x), np.sum(w * x)], [np.sum(w * x), np.sum(w)]]
        ) + 1e-6 * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        a, b = a - float(step[0]), b - float(step[1])
        if float(np.abs(step).max()) < 1e-9:
            break
    share = float(np.clip(y.mean(), 1e-3, 1 - 1e-3))
    return Calibration(a, b, _logit(prior) - _logit(share))
