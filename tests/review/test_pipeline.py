"""The whole review over in-memory trees, with small analyzers written here: scores merged per
hunk, findings filtered, disabled analyzers listed, big files for the rule pack only, and the
review's deadline bounding every analyzer."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping

import pytest

from bot.core.diff import parse_diff
from bot.core.errors import UnsafePathError
from bot.core.model import AnalyzerRun, Diff, FileDiff, Finding, HunkScore, Suppression, Verdict
from bot.core.policy import Config, parse_config
from bot.core.ports import AnalysisRequest, AnalyzerOutput
from bot.core.trees import MemoryTree
from bot.review.pipeline import Timings, review

Behave = Callable[[AnalysisRequest], AnalyzerOutput]


class Scripted:
    """An analyzer that answers with `behave(request)` and keeps every request it was given."""

    version = "0.1"

    def __init__(
        self,
        name: str,
        behave: Behave | None = None,
        budget: float = 10.0,
        thresholds: Mapping[str, float] | None = None,
    ) -> None:
        self.name = name
        self.default_budget = budget
        self.thresholds: Mapping[str, float] = thresholds or {}
        self.behave = behave or (lambda _request: AnalyzerOutput())
        self.requests: list[AnalysisRequest] = []

    def analyze(self, request: AnalysisRequest, deadline: float) -> AnalyzerOutput:
        self.requests.append(request)
        return self.behave(request)

    def paths(self) -> list[str]:
        return [f.path for f in self.requests[0].diff.files]


def change(path: str, old: str, new: str) -> str:
    header = f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n"
    return f"{header}@@ -1,2 +1,2 @@\n {old}\n-x = 1\n+{new}\n"


DIFF = parse_diff(change("app.py", "import os", "x = os.system(cmd)"))
POST = MemoryTree({"app.py": "import os\nx = os.system(cmd)\n"})
BASE = MemoryTree({"app.py": "import os\nx = 1\n"})


def finding(score: float, rule: str = "os-system", severity: str = "error") -> Finding:
    return Finding("app.py", 2, 2, severity, "semgrep", rule, "runs a shell", score)  # type: ignore[arg-type]


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


def test_hunk_scores_from_every_analyzer_are_merged() -> None:
    entropy = Scripted(
        "entropy",
        lambda _r: AnalyzerOutput(
            scores=(HunkScore("app.py", 0, entropy=6.25, line_heat=((2, 9.5),)),)
        ),
    )
    markers = Scripted(
        "markers",
        lambda _r: AnalyzerOutput(scores=(HunkScore("app.py", 0, flags=frozenset({"dangerous"})),)),
    )
    result = review(DIFF, POST, Config(), [entropy, markers], base=BASE)
    (file,) = result.files
    (hunk,) = file.hunks
    assert hunk.entropy == 6.25
    assert hunk.line_heat == ((2, 9.5),)
    assert hunk.attention == "scrutinize"  # the marker's danger, whatever the entropy says
    assert "touches code marked dangerous" in hunk.reasons


def test_a_hunk_nobody_scored_is_read() -> None:
    result = review(DIFF, POST, Config(), [Scripted("entropy")], base=BASE)
    hunk = result.files[0].hunks[0]
    assert (hunk.risk, hunk.entropy, hunk.attention) == (None, None, "read")


def test_scores_of_an_analyzer_disabled_for_the_path_do_not_count() -> None:
    config = parse_config('[[overrides]]\npaths = ["app.py"]\ndisable = ["markers"]')
    markers = Scripted(
        "markers",
        lambda _r: AnalyzerOutput(scores=(HunkScore("app.py", 0, flags=frozenset({"dangerous"})),)),
    )
    result = review(DIFF, POST, config, [markers], base=BASE)
    assert result.files[0].hunks[0].attention == "read"


def test_findings_are_filtered_fingerprinted_and_gate_the_change() -> None:
    semgrep = Scripted(
        "semgrep",
        lambda _r: AnalyzerOutput(
            findings=(finding(0.9), finding(0.2, "weak-signal"), finding(0.95, "switched-off"))
        ),
    )
    config = parse_config('disable = ["switched-off"]')
    result = review(DIFF, POST, config, [semgrep], base=BASE)
    assert [f.rule for f in result.findings] == ["os-system"]
    assert result.findings[0].fingerprint != ""
    assert result.suppressed == 1  # below the default threshold, and said so
    assert result.gate.failed
    assert result.gate.reasons == ("semgrep: os-system at app.py:2",)
    # A flagged hunk is never skimmed.
    assert result.files[0].hunks[0].attention != "skim"


def test_paranoia_shows_more() -> None:
    semgrep = Scripted("semgrep", lambda _r: AnalyzerOutput(findings=(finding(0.2, "weak"),)))
    result = review(DIFF, POST, parse_config('paranoia = "max"'), [semgrep], base=BASE)
    assert [f.rule for f in result.findings] == ["weak"] and result.paranoia == "max"


def test_disabled_analyzers_are_listed_and_never_run() -> None:
    entropy, semgrep = Scripted("entropy"), Scripted("semgrep")
    result = review(
        DIFF, POST, parse_config('disable = ["entropy"]'), [semgrep, entropy], base=BASE
    )
    assert entropy.requests == []
    assert (
        AnalyzerRun("entropy", "0.1", 0, "skipped", "disabled in .redline.toml") in result.analyzers
    )
    assert [r.name for r in result.analyzers] == ["entropy", "semgrep"]  # sorted by name
    assert not result.gate.failed  # the base's choice is not a failure to look


def test_the_rule_pack_reads_large_files_and_the_models_do_not() -> None:
    big = "y = 2\n" * 40
    diff = parse_diff(
        change("app.py", "import os", "x = os.system(cmd)") + change("big.py", "y = 2", "z = 3")
    )
    post = MemoryTree(
        {"app.py": "import os\nx = os.system(cmd)\n", "big.py": "y = 2\nz = 3\n" + big}
    )
    analyzers = {name: Scripted(name) for name in ("semgrep", "markers", "entropy", "detector")}
    result = review(
        diff, post, parse_config("max-file-bytes = 100"), list(analyzers.values()), base=BASE
    )
    assert analyzers["semgrep"].paths() == ["app.py", "big.py"]
    assert analyzers["markers"].paths() == ["app.py", "big.py"]
    assert analyzers["entropy"].paths() == ["app.py"]
    assert analyzers["detector"].paths() == ["app.py"]
    assert "big.py" in analyzers["entropy"].requests[0].texts  # the text is there, unasked
    assert result.files_reviewed == 2
    assert any(n.path == "big.py" and "dangerous-code rules only" in n.reason for n in result.notes)


def test_the_base_tree_is_what_analyzers_read_rules_from() -> None:
    semgrep = Scripted("semgrep")
    review(DIFF, POST, Config(), [semgrep], base=BASE)
    assert semgrep.requests[0].base is BASE
    assert semgrep.requests[0].texts == {"app.py": "import os\nx = os.system(cmd)\n"}


def test_the_review_deadline_bounds_the_analyzers(release: threading.Event) -> None:
    def stuck(_request: AnalysisRequest) -> AnalyzerOutput:
        release.wait(30)
        return AnalyzerOutput()

    config = parse_config("[budgets]\nreview = 0.2")
    semgrep = Scripted("semgrep", stuck, budget=60)
    entropy = Scripted("entropy", stuck, budget=60)
    result = review(DIFF, POST, config, [semgrep, entropy], base=BASE)
    runs = {r.name: r for r in result.analyzers}
    assert runs["semgrep"].status == "timeout" and runs["entropy"].status == "timeout"
    assert runs["semgrep"].ms <= 200
    # The rule pack could not finish: the gate fails closed; entropy alone would not.
    assert result.gate.failed
    assert [r for r in result.gate.reasons if "could not run" in r] == [
        "semgrep: could not run (timeout: " + (runs["semgrep"].detail or "") + ")"
    ]


def test_skipped_and_unscanned_files_reach_the_review_and_the_gate() -> None:
    diff = parse_diff(
        change("app.py", "import os", "x = os.system(cmd)") + change("huge.py", "a", "b")
    )
    post = MemoryTree({"app.py": "import os\nx = os.system(cmd)\n", "huge.py": "a\nb\n" * 100})
    result = review(
        diff, post, parse_config("max-scan-bytes = 100"), [Scripted("semgrep")], base=BASE
    )
    assert [(s.path, s.reason) for s in result.skipped] == [
        ("huge.py", "larger than 0 KiB (400 bytes): not read")
    ]
    assert result.files_reviewed == 1
    assert result.gate.failed
    assert result.gate.reasons == (
        "coverage: huge.py not read by the rules (larger than 0 KiB (400 bytes): not read)",
    )
    skipped_file = next(f for f in result.files if f.diff.path == "huge.py")
    assert skipped_file.skipped == "larger than 0 KiB (400 bytes): not read"


def test_verdicts_and_suppressions_are_collected() -> None:
    verdict = Verdict("app.py", "f", 2, "post", "result > 0", "proved")
    suppression = Suppression("app.py", 2, "# nosemgrep", None, False, "added by the change")
    verify = Scripted("verify", lambda _r: AnalyzerOutput(verdicts=(verdict,)))
    semgrep = Scripted("semgrep", lambda _r: AnalyzerOutput(suppressions=(suppression,)))
    result = review(DIFF, POST, Config(), [verify, semgrep], base=BASE)
    assert result.verdicts == (verdict,)
    assert result.suppressions == (suppression,)


def test_a_change_with_nothing_to_review_runs_no_analyzer() -> None:
    diff = parse_diff(change("poetry.lock", "a", "b"))
    semgrep = Scripted("semgrep")
    result = review(diff, MemoryTree({"poetry.lock": "a\nb\n"}), Config(), [semgrep], base=BASE)
    assert semgrep.requests == []
    assert result.analyzers == () and result.files_reviewed == 0
    assert not result.gate.failed


def test_a_path_that_escapes_the_repository_stops_the_review() -> None:
    diff = Diff((FileDiff("../outside.py", "modified"),))
    with pytest.raises(UnsafePathError):
        review(diff, POST, Config(), [Scripted("semgrep")], base=BASE)


def test_before_defaults_to_the_base_and_none_means_no_pre_image() -> None:
    diff = parse_diff(change("vendor/lib.py", "a", "b"))
    post = MemoryTree({"vendor/lib.py": "a\nb\n"})
    base = MemoryTree({"vendor/lib.py": "a\nx = 1\n"})
    with_base = review(diff, post, Config(), [Scripted("semgrep")], base=base)
    assert [s.reason for s in with_base.skipped] == ["vendored code"]
    bare = review(diff, post, Config(), [Scripted("semgrep")], base=base, before=None)
    assert bare.skipped == () and bare.files_reviewed == 1


def test_timings_per_phase_and_analyzer() -> None:
    timings = Timings()
    review(DIFF, POST, Config(), [Scripted("semgrep")], base=BASE, timings=timings)
    assert {
        "intake",
        "analyzers",
        "findings",
        "scoring",
        "ordering",
        "gate",
        "analyzer:semgrep",
    } <= set(timings.phases)
    assert all(ms >= 0 for ms in timings.phases.values())
