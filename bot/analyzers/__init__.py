"""The analyzers a review runs. Model-backed ones load their weights lazily, once a process."""

from __future__ import annotations

from collections.abc import Callable

from bot.analyzers import process
from bot.analyzers.markers import MarkersAnalyzer
from bot.analyzers.semgrep import SemgrepAnalyzer
from bot.core.errors import UsageError
from bot.core.ports import Analyzer
from bot.review.analysis import Unavailable


def _detector() -> Analyzer:
    from bot.analyzers.detector import DetectorAnalyzer

    if process.enabled():  # the models run in the model worker (bot/analyzers/process.py)
        return process.ProcessAnalyzer("detector", DetectorAnalyzer.default_budget)
    return DetectorAnalyzer()


def _entropy() -> Analyzer:
    from bot.analyzers.entropy import EntropyAnalyzer

    if process.enabled():
        return process.ProcessAnalyzer("entropy", EntropyAnalyzer.default_budget)
    return EntropyAnalyzer()


def _static() -> Analyzer:
    from bot.analyzers.static import StaticAnalyzer

    return StaticAnalyzer()


def _llm() -> Analyzer | None:
    """The LLM tier, where a backend is configured (REDLINE_LLM_BACKEND); off, it is not even
    listed: it costs nothing and no gate waits on it."""
    import os

    kind = os.environ.get("REDLINE_LLM_BACKEND")
    if not kind:
        return None
    from bot.analyzers.llm import LlmAnalyzer
    from engine.backends import open_backend

    backend = open_backend(
        kind,
        url=os.environ.get("REDLINE_LLM_URL"),
        model=os.environ.get("REDLINE_LLM_MODEL"),
        api_key=os.environ.get("REDLINE_LLM_API_KEY"),
    )
    return LlmAnalyzer(backend)


def _verify() -> Analyzer:
    from bot.analyzers.verify import VerifyAnalyzer

    return VerifyAnalyzer()


FACTORIES: dict[str, Callable[[], Analyzer | None]] = {
    "markers": MarkersAnalyzer,
    "semgrep": SemgrepAnalyzer,
    "detector": _detector,
    "entropy": _entropy,
    "static": _static,
    "llm": _llm,
    "verify": _verify,
}
NAMES = tuple(FACTORIES)
# The dangerous-code gate alone: no models on its critical path.
GATE_ONLY = frozenset({"semgrep", "markers"})


def check_names(names: frozenset[str], option: str) -> frozenset[str]:
    """Refuse analyzer names we do not know (a typo must not silently skip nothing)."""
    unknown = sorted(names - set(NAMES))
    if unknown:
        raise UsageError(f"{option}: unknown analyzer {unknown[0]!r} (known: {', '.join(NAMES)})")
    return names


def default_analyzers(
    skip: frozenset[str] = frozenset(), only: frozenset[str] | None = None
) -> list[Analyzer]:
    analyzers: list[Analyzer] = []
    for name, factory in FACTORIES.items():
        if name in skip or (only is not None and name not in only):
            continue
        try:
            analyzer = factory()
            if analyzer is not None:  # None: not configured here (the LLM tier)
                analyzers.append(analyzer)
        except Exception as exc:  # a missing model must not stop the review
            analyzers.append(Unavailable(name, f"{type(exc).__name__}: {exc}"))
    return analyzers
