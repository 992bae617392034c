"""The analyzers a review runs. Model-backed ones load their weights lazily, once a process."""

from __future__ import annotations

from collections.abc import Callable

from bot.analyzers.markers import MarkersAnalyzer
from bot.analyzers.semgrep import SemgrepAnalyzer
from bot.core.ports import Analyzer
from bot.review.analysis import Unavailable


def _detector() -> Analyzer:
    from bot.analyzers.detector import DetectorAnalyzer

    return DetectorAnalyzer()


def _entropy() -> Analyzer:
    from bot.analyzers.entropy import EntropyAnalyzer

    return EntropyAnalyzer()


def _verify() -> Analyzer:
    from bot.analyzers.verify import VerifyAnalyzer

    return VerifyAnalyzer()


FACTORIES: dict[str, Callable[[], Analyzer]] = {
    "markers": MarkersAnalyzer,
    "semgrep": SemgrepAnalyzer,
    "detector": _detector,
    "entropy": _entropy,
    "verify": _verify,
}
NAMES = tuple(FACTORIES)


def default_analyzers(skip: frozenset[str] = frozenset()) -> list[Analyzer]:
    analyzers: list[Analyzer] = []
    for name, factory in FACTORIES.items():
        if name in skip:
            continue
        try:
            analyzers.append(factory())
        except Exception as exc:  # a missing model must not stop the review
            analyzers.append(Unavailable(name, f"{type(exc).__name__}: {exc}"))
    return analyzers
