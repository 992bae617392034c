"""The ports are small structural interfaces: a class implements one by having its methods,
with no base class to inherit; optional host capabilities are checked with `isinstance`."""

from __future__ import annotations

import time
from collections.abc import Mapping

from bot.core.host import PullRequest
from bot.core.model import Diff, FileDiff, HunkScore
from bot.core.policy import Config
from bot.core.ports import (
    AnalysisRequest,
    Analyzer,
    AnalyzerOutput,
    HostPermissions,
    Tree,
)
from bot.core.trees import EmptyTree, MemoryTree

PR = PullRequest("github", "octo/repo", 7, "h", "b")


class Counting:
    """An analyzer with no base class: one score per file, the length of its text."""

    name = "counting"
    version = "1"
    default_budget = 1.0
    thresholds: Mapping[str, float] = {}

    def analyze(self, request: AnalysisRequest, deadline: float) -> AnalyzerOutput:
        assert deadline > time.monotonic() - 60
        scores = tuple(
            HunkScore(f.path, 0, risk=float(len(request.text(f.path) or "")))
            for f in request.diff.files
        )
        return AnalyzerOutput(scores=scores, detail=f"{len(scores)} files")


class Permissive:
    def can_trigger(self, pr: PullRequest, login: str, user_id: int | None = None) -> bool:
        return login == "maintainer"


class NoCapabilities:
    pass


def test_an_analyzer_is_any_class_with_the_shape() -> None:
    request = AnalysisRequest(
        Diff((FileDiff("a.py", "modified"), FileDiff("gone.py", "deleted"))),
        {"a.py": "x = 1\n"},
        Config(),
    )
    analyzer: Analyzer = Counting()
    output = analyzer.analyze(request, time.monotonic() + 1)
    assert [(s.path, s.risk) for s in output.scores] == [("a.py", 6.0), ("gone.py", 0.0)]
    assert output.detail == "2 files"


def test_request_text_and_default_base() -> None:
    request = AnalysisRequest(Diff(), {"a.py": "text"}, Config())
    assert request.text("a.py") == "text"
    assert request.text("missing.py") is None  # a file that could not be read
    assert isinstance(request.base, EmptyTree)
    assert request.base.read(".redline.toml") is None


def test_output_defaults_are_empty() -> None:
    output = AnalyzerOutput()
    assert (output.scores, output.findings, output.verdicts, output.suppressions) == ((),) * 4
    assert output.detail is None


def test_optional_capabilities_are_checked_at_run_time() -> None:
    assert isinstance(Permissive(), HostPermissions)
    assert not isinstance(NoCapabilities(), HostPermissions)
    host = Permissive()
    assert host.can_trigger(PR, "maintainer") and not host.can_trigger(PR, "drive-by")


def test_memory_trees_are_trees() -> None:
    tree: Tree = MemoryTree({"a.py": "x"})
    request = AnalysisRequest(Diff(), {}, Config(), base=tree)
    assert request.base.read("a.py") == b"x"
