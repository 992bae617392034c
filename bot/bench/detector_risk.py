"""Fitting the combined risk (bot/review/risk.py) over the cheap tier's real outputs: run by
`redline train detector` after the detector is exported, on the calibration projects."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from bot.bench.detector import Cheap, _static, load_cases


def fit_combination(data: Path, target: Path | None = None, every: int = 1) -> dict[str, Any]:
    """Fit the combined risk (bot/review/risk.py) on the calibration projects: real fixes the
    detector never trained on, against real commits and the fixes as made. Writes
    `risk.json` beside the detector's weights; returns it with its held-out figures."""
    import numpy as np

    from bot.analyzers.detector import DetectorAnalyzer
    from bot.analyzers.entropy import EntropyAnalyzer
    from bot.review.risk import SIGNALS, RiskModel
    from review_models.detector.build import CALIB_PROJECTS
    from review_models.detector.calibration import BUG_PRIOR
    from review_models.detector.infer import WEIGHTS

    cheap = Cheap([DetectorAnalyzer(), _static(None), EntropyAnalyzer()])
    cases = load_cases(data, CALIB_PROJECTS, every)
    rows, labels = [], []
    for case in (*cases.fixes, *cases.originals, *cases.commits):
        parts, _ = cheap.outputs(case)
        for hunk, label in zip(case.file.hunks, case.hunk_labels(), strict=True):
            rows.append(list(parts.get(hunk.index, [])))
            labels.append(label)
    entropies = [e for r in rows for e in [next((p.entropy for p in r if p.entropy), None)] if e]
    probe = RiskModel({}, float(np.mean(entropies)), float(np.std(entropies) or 1.0))
    x, y = [], []
    for hunk_parts, label in zip(rows, labels, strict=True):
        values = probe.signals(hunk_parts)
        if values is not None:
            x.append([values[s] for s in SIGNALS] + [1.0])
            y.append(label)
    matrix, target_y = np.array(x), np.array(y, dtype=float)
    w = np.zeros(matrix.shape[1])
    for _ in range(50):  # logistic regression by Newton's method, a little ridge
        p = 1 / (1 + np.exp(-matrix @ w))
        grad = matrix.T @ (p - target_y) + 1e-2 * w
        hess = (matrix * (p * (1 - p))[:, None]).T @ matrix + 1e-2 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    share = float(target_y.mean())
    bias = float(w[-1]) + math.log(BUG_PRIOR / (1 - BUG_PRIOR)) - math.log(share / (1 - share))
    weights = {s: round(float(v), 4) for s, v in zip(SIGNALS, w[:-1], strict=True)}
    weights["bias"] = round(bias, 4)
    model = RiskModel(weights, probe.entropy_mean, probe.entropy_scale)
    fitted = {**model.to_dict(), "fitted_on": sorted(CALIB_PROJECTS), "hunks": len(y),
              "bug_prior": BUG_PRIOR}  # fmt: skip
    (target or WEIGHTS).joinpath("risk.json").write_text(json.dumps(fitted, indent=2) + "\n")
    return fitted
