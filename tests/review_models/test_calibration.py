"""Detector calibration: Platt scaling recovers a known link, and the prior shift restates
the probability at the real-world share of buggy hunks."""

from __future__ import annotations

import numpy as np

from review_models.detector.calibration import BUG_PRIOR, Calibration, fit


def test_platt_scaling_recovers_the_link_and_shifts_to_the_prior() -> None:
    rng = np.random.default_rng(0)
    raw = rng.normal(scale=2.0, size=20_000)
    labels = (rng.random(raw.size) < 1 / (1 + np.exp(-(0.5 * raw + 0.3)))).astype(float)
    calibration = fit(raw, labels)
    assert abs(calibration.scale - 0.5) < 0.05 and abs(calibration.bias - 0.3) < 0.05
    # At the data's own mix the probabilities are calibrated...
    probs = calibration.probabilities(raw, at_prior=False)
    assert abs(probs.mean() - labels.mean()) < 0.01
    # ...and at the prior, the same ranking with the odds scaled to BUG_PRIOR.
    shifted = calibration.probabilities(raw)
    assert np.array_equal(np.argsort(shifted), np.argsort(probs))
    share = labels.mean()
    odds = (probs / (1 - probs)) * (BUG_PRIOR / (1 - BUG_PRIOR)) / (share / (1 - share))
    assert np.allclose(shifted, odds / (1 + odds))


def test_weights_from_before_platt_scaling_still_load() -> None:
    old = Calibration.from_dict(None, temperature=2.0)
    assert old == Calibration(scale=0.5)
    assert Calibration.from_dict(old.to_dict()) == old


def _scores(separation: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = (rng.random(6000) < 0.5).astype(int)
    raw = rng.normal(size=labels.size) + separation * labels - 3
    return 1 / (1 + np.exp(-raw)), labels


def test_paranoia_thresholds_meet_precision_where_the_model_can() -> None:
    from review_models.detector.export import PRECISION_TARGETS, thresholds_from

    probs, labels = _scores(4.0, 1)
    chosen, table = thresholds_from(probs, labels)
    assert chosen["max"] == 0.0
    assert chosen["low"] >= chosen["default"] >= chosen["high"] > 0
    for level, target in PRECISION_TARGETS.items():
        assert table[level]["chosen_by"] == "precision"
        assert float(table[level]["precision_at_prior"]) >= target  # type: ignore[arg-type]


def test_a_weak_model_gets_false_alarm_budgets_not_lucky_precision() -> None:
    from review_models.detector.export import FALSE_ALARM_BUDGETS, thresholds_from

    probs, labels = _scores(0.3, 2)
    chosen, table = thresholds_from(probs, labels)
    assert chosen["low"] >= chosen["default"] >= chosen["high"]
    for level, budget in FALSE_ALARM_BUDGETS.items():
        assert table[level]["chosen_by"] == "false-alarm budget"
        assert float(table[level]["false_positive_rate"]) <= budget  # type: ignore[arg-type]
