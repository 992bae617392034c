"""One risk per hunk from every signal: the fitted combination raises the risk with the
detector's, with new static diagnostics and with danger, keeps the reasons in order
(detector, static, markers), and keeps the reasons of hunks it cannot score."""

from __future__ import annotations

from bot.core.model import HunkScore
from bot.review.risk import RiskModel, combine

MODEL = RiskModel(
    {"detector": 1.0, "entropy": 0.2, "static": 1.5, "dangerous": 1.0, "bias": -0.5}, 8.0, 4.0
)


def _parts(risk: float, static: int = 0, dangerous: bool = False) -> list[HunkScore]:
    parts = [HunkScore("a.py", 0, risk=risk, reasons=("comparison `<` changed to `<=`",))]
    parts.append(HunkScore("a.py", 0, entropy=9.0))
    if static:
        reasons = tuple(f"ruff F821: Undefined name `x{i}`" for i in range(static))
        parts.append(HunkScore("a.py", 0, flags=frozenset({"static"}), reasons=reasons))
    if dangerous:
        parts.append(HunkScore("a.py", 0, flags=frozenset({"dangerous"})))
    return parts


def test_the_risk_rises_with_each_signal_and_stays_a_probability() -> None:
    low, _ = combine(_parts(0.05), MODEL)
    higher, _ = combine(_parts(0.3), MODEL)
    with_static, _ = combine(_parts(0.05, static=1), MODEL)
    dangerous, _ = combine(_parts(0.05, dangerous=True), MODEL)
    assert low is not None and higher is not None and with_static is not None
    assert 0.0 < low < higher < 1.0
    assert with_static > low and dangerous is not None and dangerous > low


def test_reasons_come_detector_first_then_static_then_markers() -> None:
    _, reasons = combine(_parts(0.2, static=2, dangerous=True), MODEL)
    assert reasons == (
        "comparison `<` changed to `<=`",
        "ruff F821: Undefined name `x0`",
        "ruff F821: Undefined name `x1`",
        "touches code marked dangerous",
    )


def test_without_a_detector_risk_the_hunk_keeps_its_reasons_and_no_risk() -> None:
    only_static = [HunkScore("a.md", 0, flags=frozenset({"static"}), reasons=("x",))]
    assert combine(only_static, MODEL) == (None, ("x",))
    assert RiskModel.from_dict(MODEL.to_dict()) == MODEL
