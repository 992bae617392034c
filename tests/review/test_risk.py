"""One calibrated risk per hunk: the logistic combination of the detector's risk, the LM's
surprisal, static diagnostics and danger markers, with its reasons, strongest first; without a
detector risk (not Python) or fitted weights, the largest analyzer risk."""

from __future__ import annotations

import math

import pytest

from bot.core.model import HunkScore
from bot.review.risk import SIGNALS, RiskModel, combine, shipped

MODEL = RiskModel(
    {"bias": -1.0, "detector": 1.0, "entropy": 0.5, "static": 0.8, "dangerous": 2.0},
    entropy_mean=8.0,
    entropy_scale=4.0,
)


def part(**values: object) -> HunkScore:
    return HunkScore("a.py", 0, **values)  # type: ignore[arg-type]


def test_signals_of_one_hunk() -> None:
    parts = [
        part(risk=0.8, reasons=("comparison `<` changed",)),
        part(entropy=12.0),
        part(flags=frozenset({"static"}), reasons=("mypy [arg-type]", "ruff F821")),
        part(flags=frozenset({"dangerous"})),
    ]
    values = MODEL.signals(parts)
    assert values == {
        "detector": pytest.approx(math.log(0.8 / 0.2)),
        "entropy": 1.0,  # (12 - 8) / 4
        "static": 2.0,  # one per new diagnostic
        "dangerous": 1.0,
    }
    assert set(values) == set(SIGNALS)


def test_no_detector_risk_no_signals() -> None:
    assert MODEL.signals([part(entropy=3.0), part(flags=frozenset({"dangerous"}))]) is None


def test_signals_are_bounded() -> None:
    values = MODEL.signals(
        [part(risk=1.0), part(flags=frozenset({"static"}), reasons=tuple("abcdef"))]
    )
    assert values is not None
    assert math.isfinite(values["detector"]) and values["detector"] > 10  # p clamped below 1
    assert values["static"] == 3.0  # at most three diagnostics count
    low = MODEL.signals([part(risk=0.0)])
    assert low is not None and math.isfinite(low["detector"]) and low["detector"] < -10
    assert low["entropy"] == 0.0  # no surprisal: the mean


def test_risk_is_the_logistic_of_the_weighted_sum() -> None:
    values = {"detector": 1.0, "entropy": 2.0, "static": 0.0, "dangerous": 1.0}
    z = -1.0 + 1.0 + 0.5 * 2.0 + 2.0
    assert MODEL.risk(values) == pytest.approx(1 / (1 + math.exp(-z)))
    assert MODEL.risk({}) == pytest.approx(1 / (1 + math.e))  # the bias alone


def test_risk_never_overflows() -> None:
    assert MODEL.risk({"detector": 1e9}) == pytest.approx(1.0)
    assert MODEL.risk({"detector": -1e9}) == pytest.approx(0.0)
    assert 0.0 < MODEL.risk({"detector": -1e9}) < 1e-12


def test_more_evidence_raises_the_risk() -> None:
    base = combine([part(risk=0.4)], MODEL)[0]
    marked = combine([part(risk=0.4), part(flags=frozenset({"dangerous"}))], MODEL)[0]
    diagnosed = combine([part(risk=0.4), part(flags=frozenset({"static"}), reasons=("x",))], MODEL)[
        0
    ]
    assert base is not None and marked is not None and diagnosed is not None
    assert marked > base and diagnosed > base


def test_to_dict_and_back() -> None:
    assert RiskModel.from_dict(MODEL.to_dict()) == MODEL
    assert RiskModel.from_dict({"weights": {"bias": 1}}) == RiskModel({"bias": 1.0}, 8.0, 4.0)


def test_reasons_detector_first_then_static_then_markers() -> None:
    parts = [
        part(flags=frozenset({"static"}), reasons=("mypy [return-value]",)),
        part(risk=0.3, reasons=("guard removed", "constant changed")),
        part(flags=frozenset({"dangerous"}), reasons=("guard removed",)),
    ]
    _, reasons = combine(parts, MODEL)
    assert reasons == (
        "guard removed",
        "constant changed",
        "mypy [return-value]",
        "touches code marked dangerous",
    )


def test_with_a_model_the_risk_is_the_models() -> None:
    parts = [part(risk=0.3), part(entropy=10.0)]
    risk, _ = combine(parts, MODEL)
    values = MODEL.signals(parts)
    assert values is not None and risk == MODEL.risk(values)


def test_without_a_detector_risk_the_largest_analyzer_risk() -> None:
    risk, reasons = combine([part(entropy=3.0)], MODEL)
    assert risk is None and reasons == ()


def test_the_default_model_is_the_shipped_one_or_the_largest_risk() -> None:
    parts = [part(risk=0.2), part(risk=0.7)]
    model = shipped()
    expected = 0.7 if model is None else combine(parts, model)[0]
    assert combine(parts)[0] == expected
    assert shipped() is model  # loaded once


def test_no_parts() -> None:
    assert combine([], MODEL) == (None, ())
