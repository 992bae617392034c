"""One calibrated risk per hunk from every signal, with its reasons.

The signals: the diff-aware detector's risk (its change features: a touched comparison,
condition or return, a removed guard or handler, an arithmetic edit, a changed constant, a
swapped name), the entropy LM's surprisal of the changed tokens, new static diagnostics on the
hunk's changed lines, and danger markers. A logistic model over them, fitted on real fixes of
projects the detector never trained on (`review_models/weights/risk.json`, written by
`redline train detector`), gives the probability at the real-world share of buggy hunks.

Pure: the coefficients are package data; without them the risk is the largest analyzer risk
(the behaviour before the combination)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from bot.core.model import HunkScore

SIGNALS = ("detector", "entropy", "static", "dangerous")


@dataclass(frozen=True)
class RiskModel:
    weights: Mapping[str, float]  # per signal, plus "bias"
    entropy_mean: float = 8.0  # the entropy signal is standardised: (bits - mean) / scale
    entropy_scale: float = 4.0

    def signals(self, parts: Sequence[HunkScore]) -> dict[str, float] | None:
        """The signal values of one hunk, or None without a detector risk (not Python)."""
        detector = next((p.risk for p in parts if p.risk is not None), None)
        if detector is None:
            return None
        p = min(max(detector, 1e-6), 1 - 1e-6)
        entropy = next((p.entropy for p in parts if p.entropy is not None), None)
        static = sum(1 for part in parts if "static" in part.flags for _ in part.reasons)
        return {
            "detector": math.log(p / (1 - p)),
            "entropy": 0.0
            if entropy is None
            else (entropy - self.entropy_mean) / self.entropy_scale,
            "static": float(min(static, 3)),
            "dangerous": float(any("dangerous" in part.flags for part in parts)),
        }

    def risk(self, values: Mapping[str, float]) -> float:
        z = self.weights.get("bias", 0.0) + sum(
            self.weights.get(name, 0.0) * values.get(name, 0.0) for name in SIGNALS
        )
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))

    def to_dict(self) -> dict[str, object]:
        return {
            "weights": dict(self.weights),
            "entropy_mean": self.entropy_mean,
            "entropy_scale": self.entropy_scale,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> RiskModel:
        weights = data["weights"]
        assert isinstance(weights, dict)
        return cls(
            {str(k): float(v) for k, v in weights.items()},
            float(data.get("entropy_mean", 8.0)),  # type: ignore[arg-type]
            float(data.get("entropy_scale", 4.0)),  # type: ignore[arg-type]
        )


@cache
def shipped() -> RiskModel | None:
    """The fitted combination shipped with the models, or None when it is not there."""
    try:
        text = (resources.files("review_models") / "weights" / "risk.json").read_text("utf-8")
        return RiskModel.from_dict(json.loads(text))
    except (FileNotFoundError, ModuleNotFoundError, KeyError, ValueError, AssertionError):
        return None


def combine(
    parts: Sequence[HunkScore], model: RiskModel | None = None
) -> tuple[float | None, tuple[str, ...]]:
    """The hunk's risk and its reasons (the detector's change reasons, then the static
    diagnostics, then the markers), strongest first."""
    reasons: list[str] = []
    for part in sorted(parts, key=lambda p: "static" in p.flags):
        reasons.extend(r for r in part.reasons if r not in reasons)
    if any("dangerous" in p.flags for p in parts):
        reasons.append("touches code marked dangerous")
    model = model if model is not None else shipped()
    values = model.signals(parts) if model is not None else None
    if model is None or values is None:
        risk = max((p.risk for p in parts if p.risk is not None), default=None)
        return risk, tuple(reasons)
    return model.risk(values), tuple(reasons)
