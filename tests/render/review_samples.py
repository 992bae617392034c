"""`Review` values for the renderer tests, built directly (no analyzers): every part a
renderer shows, with a few hostile names from the pull request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from bot.core.diff import parse_diff
from bot.core.model import (
    AnalyzerRun,
    DroppedFix,
    FileDiff,
    Finding,
    Fix,
    Gate,
    Group,
    HunkScore,
    Review,
    ReviewFile,
    ScoredHunk,
    Skipped,
    Suppression,
    Verdict,
)
from bot.core.policy import Config
from bot.core.ports import AnalysisRequest, AnalyzerOutput
from bot.core.trees import MemoryTree
from bot.review.pipeline import review

DIFF = parse_diff(
    "diff --git a/pkg/run.py b/pkg/run.py\n--- a/pkg/run.py\n+++ b/pkg/run.py\n"
    "@@ -1,4 +1,5 @@ def go(cmd):\n import subprocess\n-x = 1\n+x = 2\n"
    "+y = subprocess.call(cmd, shell=True)\n"
    " z = 3\n w = 4\n"
    "@@ -20,2 +21,2 @@\n-import b\n+import a\n keep = 1\n"
    "@@ -40,2 +41,2 @@\n-import b\n+import a\n keep = 1\n"
    "diff --git a/pkg/old.py b/pkg/new.py\nsimilarity index 90%\nrename from pkg/old.py\n"
    "rename to pkg/new.py\n--- a/pkg/old.py\n+++ b/pkg/new.py\n"
    "@@ -3,3 +3,2 @@\n a = 1\n-if ok:\n b = 2\n"
)
RUN, NEW = DIFF.files
FINDING = Finding(
    "pkg/run.py",
    3,
    3,
    "error",
    "semgrep",
    "subprocess-shell-true",
    "`subprocess.call` with `shell=True`. Pass a list instead",
    0.9123,
    suggestion="y = subprocess.call(cmd)\n",
    fingerprint="f" * 32,
)
OLD_SIDE = Finding(
    "pkg/new.py",
    4,
    4,
    "warning",
    "detector",
    "removed-guard",
    "a guard was removed",
    0.61,
    side="old",
    fingerprint="e" * 32,
)
NOTE = Finding(
    "pkg/run.py", 2, 2, "note", "entropy", "dense", "dense code", 0.5554, fingerprint="d" * 32
)


def scored(
    file: FileDiff,
    index: int,
    attention: str,
    risk: float | None = None,
    entropy: float | None = None,
    note: str | None = None,
    heat: tuple[tuple[int, float], ...] = (),
    repeat_of: tuple[str, int] | None = None,
    reasons: tuple[str, ...] = (),
) -> ScoredHunk:
    return ScoredHunk(
        file.hunks[index],
        risk,
        entropy,
        attention,
        note,
        heat,
        reasons,
        repeat_of,  # type: ignore[arg-type]
    )


def sample(**changes: object) -> Review:
    """A failed review of two files in one group, with one skipped file."""
    run_file = ReviewFile(
        RUN,
        "runs the commands `go` is given",
        (
            scored(
                RUN,
                0,
                "scrutinize",
                0.83456,
                3.14159,
                heat=((2, 4.0), (3, 12.5)),
                reasons=("comparison `<` changed", "shell=True"),
            ),
            scored(RUN, 1, "skim", note="import re-sort"),
            scored(RUN, 2, "skim", note="import re-sort", repeat_of=("pkg/run.py", 1)),
        ),
        group="runner",
    )
    new_file = ReviewFile(
        NEW, "renamed from pkg/old.py", (scored(NEW, 0, "read", 0.2, 2.0),), group="runner"
    )
    skipped_file = ReviewFile(FileDiff("logo.png", "binary"), "binary", (), skipped="binary")
    review = Review(
        files=(run_file, new_file, skipped_file),
        findings=(FINDING, OLD_SIDE, NOTE),
        gate=Gate(True, ("semgrep: subprocess-shell-true at pkg/run.py:3",), "error"),
        files_reviewed=2,
        skipped=(Skipped("logo.png", "binary"),),
        analyzers=(
            AnalyzerRun("detector", "1.0", 12, "ok"),
            AnalyzerRun("entropy", "2.0", 5000, "timeout", "exceeded its 5 s budget"),
            AnalyzerRun("semgrep", "1.2", 300, "ok", "42 rules"),
            AnalyzerRun("verify", "-", 0, "skipped", "disabled in .redline.toml"),
        ),
        notes=(Skipped("pkg/new.py", "post-image not found: context from the diff only"),),
        groups=(Group("runner", "the command runner", ("pkg/run.py", "pkg/new.py", "logo.png")),),
        verdicts=(
            Verdict("pkg/run.py", "go", 1, "post", "result >= 0", "proved", ms=12),
            Verdict("pkg/run.py", "go", 1, "pre", "cmd", "refuted", "cmd = ''", {"cmd": ""}, 3),
            Verdict("pkg/new.py", "f", 3, "post", "b > a", "unknown", "solver timeout"),
        ),
        paranoia="high",
        suppressed=4,
        suppressions=(
            Suppression("pkg/run.py", 3, "# nosemgrep", None, False, "added by the change"),
        ),
    )
    return replace(review, **changes)  # type: ignore[arg-type]


def clean() -> Review:
    """A review that passed with nothing to say."""
    return Review((), (), Gate(False, (), "error"), 0, (), ())


FIX = Fix(
    "pkg/run.py",
    3,
    3,
    "y = subprocess.call(cmd)\n",
    "y = subprocess.call(cmd, shell=True)\n",
    "f" * 32,
    "semgrep:subprocess-shell-true",
    "rule",
    ("parses", "semgrep"),
    True,
    0,
    7,
)
DROPPED = DroppedFix("pkg/run.py", 2, "detector:x", "model", "did not parse")


class EveryLine:
    """Flags every changed line of every file it is given, on both sides."""

    name = "semgrep"
    version = "1"
    default_budget = 10.0
    thresholds: Mapping[str, float] = {}

    def analyze(self, request: AnalysisRequest, deadline: float) -> AnalyzerOutput:
        findings = []
        for file in request.diff.files:
            for hunk in file.hunks:
                for line in hunk.lines:
                    number, side = (
                        (line.old_no, "old") if line.kind == "del" else (line.new_no, "new")
                    )
                    if line.kind != "ctx" and number is not None:
                        findings.append(
                            Finding(
                                file.path,
                                number,
                                number,
                                "warning",
                                "semgrep",
                                "r",
                                "`x`",
                                0.7,
                                side,
                            )  # type: ignore[arg-type]
                        )
        scores = tuple(
            HunkScore(f.path, h.index, entropy=4.0, line_heat=((h.new_start or 1, 3.0),))
            for f in request.diff.files
            for h in f.hunks
        )
        return AnalyzerOutput(scores=scores, findings=tuple(findings))


PIPELINE_DIFF = (
    "diff --git a/new.py b/new.py\nnew file mode 100644\n--- /dev/null\n+++ b/new.py\n"
    "@@ -0,0 +1,2 @@\n+a\n+b\n"
    "diff --git a/gone.py b/gone.py\ndeleted file mode 100644\n--- a/gone.py\n+++ /dev/null\n"
    "@@ -1 +0,0 @@\n-x\n"
    "diff --git a/old.py b/moved.py\nsimilarity index 80%\nrename from old.py\nrename to moved.py\n"
    "--- a/old.py\n+++ b/moved.py\n@@ -1,2 +1,2 @@\n k\n-y\n+z\n"
    "diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n"
    "diff --git a/img.png b/img.png\nBinary files a/img.png and b/img.png differ\n"
)


def pipeline_review() -> Review:
    """A review the pipeline gives: added, deleted, renamed, mode-only and binary files, with
    findings on both sides."""
    post = MemoryTree(
        {"new.py": "a\nb\n", "moved.py": "k\nz\n", "run.sh": "echo\n", "img.png": b"\0"}
    )
    return review(parse_diff(PIPELINE_DIFF), post, Config(), [EveryLine()], base=MemoryTree({}))
