"""DANGEROUS markers: the marked block, the radius, removed markers, other words."""

from __future__ import annotations

from bot.analyzers.markers import MarkersAnalyzer, find_markers
from bot.core.diff import parse_diff
from bot.core.policy import Config, Markers
from bot.core.ports import AnalysisRequest

TEXT = """import shutil


# DANGEROUS: deletes a whole tree
def purge(root):
    if root == "/":
        raise ValueError(root)
    shutil.rmtree(root)


def harmless():
    return 1
"""


def test_a_comment_above_a_def_marks_the_whole_def() -> None:
    [marker] = find_markers(TEXT.split("\n"), ("DANGEROUS",), 0)
    assert (marker.line, marker.start, marker.end) == (4, 4, 8)


def _review(diff_text: str, text: str, config: Config) -> list[tuple[str, int, str]]:
    request = AnalysisRequest(parse_diff(diff_text), {"m.py": text}, config)
    output = MarkersAnalyzer().analyze(request, 1e12)
    return [(f.rule, f.line, f.side) for f in output.findings]


def test_an_edit_inside_the_marked_def_is_a_finding() -> None:
    diff = (
        "--- a/m.py\n+++ b/m.py\n@@ -6,3 +6,3 @@ def purge(root):\n"
        '     if root == "/":\n         raise ValueError(root)\n'
        "-    shutil.rmtree(root, True)\n+    shutil.rmtree(root)\n"
    )
    assert _review(diff, TEXT, Config()) == [("dangerous-code", 8, "new")]


def test_edits_far_from_the_marker_are_not() -> None:
    diff = (
        "--- a/m.py\n+++ b/m.py\n@@ -11,2 +11,2 @@\n def harmless():\n"
        "-    return 0\n+    return 1\n"
    )
    assert _review(diff, TEXT, Config()) == []


def test_removing_the_marker_is_a_finding_on_the_old_side() -> None:
    after = TEXT.replace("# DANGEROUS: deletes a whole tree\n", "")
    diff = (
        "--- a/m.py\n+++ b/m.py\n@@ -2,4 +2,3 @@\n \n \n"
        "-# DANGEROUS: deletes a whole tree\n def purge(root):\n"
    )
    assert ("dangerous-marker-removed", 4, "old") in _review(diff, after, Config())


def test_configured_words_and_severity() -> None:
    text = "x = 1  # PAYMENTS: moves money\ny = 2\n"
    diff = (
        "--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\n x = 1  # PAYMENTS: moves money\n-y = 1\n+y = 2\n"
    )
    config = Config(markers=Markers(words=("PAYMENTS",), radius=1, severity="error"))
    request = AnalysisRequest(parse_diff(diff), {"m.py": text}, config)
    [finding] = MarkersAnalyzer().analyze(request, 1e12).findings
    assert finding.severity == "error" and "PAYMENTS" in finding.message
    assert _review(diff, text, Config()) == []  # DANGEROUS is not PAYMENTS
