"""Running the analyzers: all of them concurrently, each within its budget and all within the
review's deadline. One analyzer failing or timing out is recorded in the review's `analyzers`
list; the others' results still count."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.core.errors import AnalyzerUnavailable
from bot.core.model import AnalyzerRun
from bot.core.ports import AnalysisRequest, Analyzer, AnalyzerOutput

RequestFor = Callable[[Analyzer], AnalysisRequest]


@dataclass
class _Slot:
    output: AnalyzerOutput | None = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)
    ms: int = 0


def _run_one(analyzer: Analyzer, request: AnalysisRequest, deadline: float, slot: _Slot) -> None:
    start = time.perf_counter()
    try:
        slot.output = analyzer.analyze(request, deadline)
    except BaseException as exc:  # recorded as the analyzer's status, never fatal to the review
        slot.error = exc
    finally:
        slot.ms = round((time.perf_counter() - start) * 1000)
        slot.done.set()


def _outcome(analyzer: Analyzer, slot: _Slot, budget: float, finished: bool) -> AnalyzerRun:
    name, version = analyzer.name, analyzer.version
    if not finished:
        return AnalyzerRun(
            name, version, round(budget * 1000), "timeout", f"exceeded its {budget:g} s budget"
        )
    if isinstance(slot.error, AnalyzerUnavailable):
        return AnalyzerRun(name, version, slot.ms, "skipped", str(slot.error))
    if slot.error is not None:
        detail = f"{type(slot.error).__name__}: {slot.error}"
        return AnalyzerRun(name, version, slot.ms, "error", detail)
    assert slot.output is not None
    return AnalyzerRun(name, version, slot.ms, "ok", slot.output.detail)


def run_analyzers(
    analyzers: Sequence[Analyzer],
    request: AnalysisRequest | RequestFor,
    review_deadline: float | None = None,
) -> tuple[list[tuple[Analyzer, AnalyzerOutput]], list[AnalyzerRun]]:
    """Run all analyzers concurrently, each within its budget and the review's deadline (a
    `time.monotonic()` value). `request` may differ per analyzer."""
    request_for: RequestFor = request if callable(request) else (lambda _a: request)
    started = time.monotonic()
    slots: list[tuple[Analyzer, _Slot, float]] = []
    for analyzer in analyzers:
        own = request_for(analyzer)
        budget = own.config.budget(analyzer.name, analyzer.default_budget)
        if review_deadline is not None:
            budget = max(0.0, min(budget, review_deadline - started))
        slot = _Slot()
        # Daemon threads: an analyzer that overruns its budget must not hold up the exit.
        thread = threading.Thread(
            target=_run_one,
            args=(analyzer, own, started + budget, slot),
            daemon=True,
            name=f"analyzer-{analyzer.name}",
        )
        thread.start()
        slots.append((analyzer, slot, budget))
    outputs: list[tuple[Analyzer, AnalyzerOutput]] = []
    runs: list[AnalyzerRun] = []
    for analyzer, slot, budget in slots:
        finished = slot.done.wait(max(0.0, started + budget - time.monotonic()))
        run = _outcome(analyzer, slot, budget, finished)
        runs.append(run)
        if run.status == "ok" and slot.output is not None:
            outputs.append((analyzer, slot.output))
    return outputs, runs


class Unavailable:
    """Stands in for an analyzer that could not be set up; the review says why."""

    default_budget = 1.0
    thresholds: Mapping[str, float] = {}

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.version = "-"
        self.reason = reason

    def analyze(self, request: AnalysisRequest, deadline: float) -> AnalyzerOutput:
        raise AnalyzerUnavailable(self.reason)
