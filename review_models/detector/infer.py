"""Detector inference: a hunk's edit in; a calibrated risk, the share of it on each changed
line, and the reasons (the concrete changes that raised the risk most) out. The weights ship
with the package and are loaded once per process."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from review_models.detector.changes import Feature, features, line_features
from review_models.detector.edits import Edit
from review_models.detector.linear import Weights, bucket, buckets

WEIGHTS = Path(__file__).resolve().parents[1] / "weights"
REASON_MIN_WEIGHT = 0.15  # a feature this weak does not explain a risk
MAX_REASONS = 3


@dataclass(frozen=True)
class HunkResult:
    probability: float  # calibrated P(this hunk introduces a bug), at the real-world prior
    logit: float  # the raw hunk logit (before calibration), for combining with other signals
    line_shares: dict[int, float]  # changed line -> P(the bug is on it | bug)
    top_line: int
    rule: str  # the family of the strongest feature (comparison, guard, name, ...)
    reasons: tuple[str, ...]


def _rule_of(key: str) -> str:
    head = key.split(":", 1)[0].split("@", 1)[0]
    return {
        "cmp": "comparison-changed",
        "arith": "operator-changed",
        "boolop": "boolean-operator-changed",
        "const": "constant-changed",
        "num": "number-changed",
        "swap": "name-swapped",
        "guard-removed": "guard-removed",
        "except-removed": "handler-removed",
        "cond-removed": "condition-removed",
        "del": "code-removed",
        "deltok": "code-removed",
        "ins": "code-added",
        "instok": "code-added",
    }.get(head, "risky-edit")


class DetectorModel:
    def __init__(self, weights: Weights) -> None:
        self.weights = weights
        self.version = weights.version
        raw = weights.meta.get("thresholds", {})
        self.thresholds: dict[str, float] = dict(raw) if isinstance(raw, dict) else {}

    @classmethod
    def load(cls, directory: Path = WEIGHTS) -> DetectorModel:
        return cls(Weights.load(directory))

    def probability(self, logit: float) -> float:
        return float(self.weights.calibration.probabilities(np.array([logit]))[0])

    def score(self, edit: Edit) -> HunkResult:
        found = features(edit)
        keys = [f.key for f in found]
        logit = self.weights.hunk_logit(keys)
        shares = self._line_shares(edit, found)
        top = max(shares, key=lambda n: shares[n]) if shares else min(edit.changed_lines, default=0)
        rule, reasons = self._reasons(found)
        return HunkResult(self.probability(logit), logit, shares, top, rule, reasons)

    def _line_shares(self, edit: Edit, found: list[Feature]) -> dict[int, float]:
        changed = tuple(sorted(edit.changed_lines))
        if not changed:
            return {}
        sets = line_features([f.key for f in found], [f.line for f in found], changed)
        logits = [float(self.weights.line[buckets(keys)].sum()) for keys in sets]
        top = max(logits)
        exp = [math.exp(v - top) for v in logits]
        total = sum(exp)
        return {line: value / total for line, value in zip(changed, exp, strict=True)}

    def _reasons(self, found: list[Feature]) -> tuple[str, tuple[str, ...]]:
        weighted = sorted(
            ((float(self.weights.hunk[bucket(f.key)]), f) for f in found if f.reason),
            key=lambda item: -item[0],
        )
        reasons: list[str] = []
        rule = "risky-edit"
        for weight, feature in weighted:
            if weight < REASON_MIN_WEIGHT or len(reasons) >= MAX_REASONS:
                break
            assert feature.reason is not None
            if feature.reason not in reasons:
                if not reasons:
                    rule = _rule_of(feature.key)
                reasons.append(feature.reason)
        return rule, tuple(reasons)


@functools.lru_cache(maxsize=1)
def shared_model() -> DetectorModel:
    """The process-wide model (loaded once)."""
    return DetectorModel.load()
