"""Running the analyzers: concurrently, each within its budget and all within the review's
deadline; one that times out, raises or cannot run is recorded, and the others still count."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping

import pytest

from bot.core.errors import AnalyzerError, AnalyzerUnavailable, ModelMissing
from bot.core.model import Diff, FileDiff, HunkScore
from bot.core.policy import Config, parse_config
from bot.core.ports import AnalysisRequest, Analyzer, AnalyzerOutput
from bot.review.analysis import Unavailable, run_analyzers

REQUEST = AnalysisRequest(Diff((FileDiff("a.py", "modified"),)), {"a.py": "x\n"}, Config())


class Fake:
    """An analyzer that runs `behave(request, deadline)` and records what it was given."""

    version = "2.0"
    thresholds: Mapping[str, float] = {}

    def __init__(
        self,
        name: str,
        behave: Callable[[AnalysisRequest, float], AnalyzerOutput] | None = None,
        budget: float = 5.0,
    ) -> None:
        self.name = name
        self.default_budget = budget
        self.behave = behave or (lambda _r, _d: AnalyzerOutput(detail=f"{name} done"))
        self.seen: list[tuple[AnalysisRequest, float]] = []

    def analyze(self, request: AnalysisRequest, deadline: float) -> AnalyzerOutput:
        self.seen.append((request, deadline))
        return self.behave(request, deadline)


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Blocked analyzers wait on this; set at the end so no thread outlives its test."""
    event = threading.Event()
    yield event
    event.set()


def blocking(event: threading.Event) -> Callable[[AnalysisRequest, float], AnalyzerOutput]:
    def behave(_request: AnalysisRequest, _deadline: float) -> AnalyzerOutput:
        event.wait(30)
        return AnalyzerOutput(detail="finished late")

    return behave


def raising(error: BaseException) -> Callable[[AnalysisRequest, float], AnalyzerOutput]:
    def behave(_request: AnalysisRequest, _deadline: float) -> AnalyzerOutput:
        raise error

    return behave


def test_every_analyzer_ok() -> None:
    score = HunkScore("a.py", 0, risk=0.4)
    one = Fake("one", lambda _r, _d: AnalyzerOutput(scores=(score,), detail="1 hunk"))
    two = Fake("two")
    outputs, runs = run_analyzers([one, two], REQUEST)
    assert [(a.name, o.scores) for a, o in outputs] == [("one", (score,)), ("two", ())]
    assert [(r.name, r.version, r.status, r.detail) for r in runs] == [
        ("one", "2.0", "ok", "1 hunk"),
        ("two", "2.0", "ok", "two done"),
    ]
    assert all(r.ms >= 0 for r in runs)


def test_they_run_concurrently() -> None:
    # Each waits for the other: run one after the other, both would break the barrier.
    barrier = threading.Barrier(2, timeout=5)

    def meet(_r: AnalysisRequest, _d: float) -> AnalyzerOutput:
        barrier.wait()
        return AnalyzerOutput()

    _, runs = run_analyzers([Fake("a", meet), Fake("b", meet)], REQUEST)
    assert [r.status for r in runs] == ["ok", "ok"]


def test_a_slow_analyzer_times_out_at_its_budget(release: threading.Event) -> None:
    slow = Fake("slow", blocking(release), budget=0.2)
    fast = Fake("fast")
    start = time.monotonic()
    outputs, runs = run_analyzers([slow, fast], REQUEST)
    assert time.monotonic() - start < 5  # did not wait for the slow one to finish
    assert [a.name for a, _ in outputs] == ["fast"]
    assert (runs[0].status, runs[0].detail, runs[0].ms) == (
        "timeout",
        "exceeded its 0.2 s budget",
        200,
    )
    assert runs[1].status == "ok"


def test_the_budget_comes_from_the_config(release: threading.Event) -> None:
    request = AnalysisRequest(REQUEST.diff, REQUEST.texts, parse_config("[budgets]\nsemgrep = 0.1"))
    slow = Fake("semgrep", blocking(release), budget=60)
    _, runs = run_analyzers([slow], request)
    assert (runs[0].status, runs[0].detail) == ("timeout", "exceeded its 0.1 s budget")


def test_the_deadline_an_analyzer_is_given_is_its_budget() -> None:
    analyzer = Fake("a", budget=3.0)
    before = time.monotonic()
    run_analyzers([analyzer], REQUEST)
    ((_, deadline),) = analyzer.seen
    assert before + 2.5 < deadline <= time.monotonic() + 3.0


def test_the_review_deadline_bounds_every_budget(release: threading.Event) -> None:
    slow = Fake("slow", blocking(release), budget=60)
    start = time.monotonic()
    _, runs = run_analyzers([slow], REQUEST, review_deadline=start + 0.2)
    assert time.monotonic() - start < 5
    assert runs[0].status == "timeout"
    assert runs[0].ms <= 200
    ((_, deadline),) = slow.seen
    assert deadline <= start + 0.21


def test_a_review_deadline_already_past_gives_no_time(release: threading.Event) -> None:
    slow = Fake("slow", blocking(release), budget=60)
    _, runs = run_analyzers([slow], REQUEST, review_deadline=time.monotonic() - 1)
    assert (runs[0].status, runs[0].ms) == ("timeout", 0)


def test_a_raising_analyzer_is_an_error_and_the_others_count() -> None:
    broken = Fake("broken", raising(KeyError("texts")))
    failing = Fake("failing", raising(AnalyzerError("semgrep exited 2")))
    fine = Fake("fine")
    outputs, runs = run_analyzers([broken, failing, fine], REQUEST)
    assert [a.name for a, _ in outputs] == ["fine"]
    assert [(r.status, r.detail) for r in runs] == [
        ("error", "KeyError: 'texts'"),
        ("error", "AnalyzerError: semgrep exited 2"),
        ("ok", "fine done"),
    ]


@pytest.mark.parametrize(
    "error", [AnalyzerUnavailable("semgrep is not installed"), ModelMissing("no weights")]
)
def test_an_unavailable_analyzer_is_skipped(error: AnalyzerUnavailable) -> None:
    outputs, runs = run_analyzers([Fake("x", raising(error))], REQUEST)
    assert outputs == []
    assert (runs[0].status, runs[0].detail) == ("skipped", str(error))


def test_the_unavailable_stand_in() -> None:
    stand_in: Analyzer = Unavailable("detector", "weights from another version")
    _, runs = run_analyzers([stand_in], REQUEST)
    assert (runs[0].name, runs[0].version, runs[0].status, runs[0].detail) == (
        "detector",
        "-",
        "skipped",
        "weights from another version",
    )


def test_a_request_per_analyzer() -> None:
    other = AnalysisRequest(Diff(), {}, Config())
    rules, models = Fake("semgrep"), Fake("entropy")
    run_analyzers([rules, models], lambda a: REQUEST if a.name == "semgrep" else other)
    assert rules.seen[0][0] is REQUEST
    assert models.seen[0][0] is other


def test_no_analyzers() -> None:
    assert run_analyzers([], REQUEST) == ([], [])
