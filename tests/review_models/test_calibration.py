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
