"""The data model: what a hunk and a file say about their lines, the one severity table, and
values that cannot be changed once made."""

from __future__ import annotations

import dataclasses

import pytest

from bot.core.diff import parse_diff
from bot.core.model import (
    SEVERITY_ICON,
    SEVERITY_RANK,
    SEVERITY_STYLE,
    Diff,
    DiffLine,
    FileDiff,
    Finding,
    Hunk,
)


def hunk(body: str, header: str = "@@ -1,4 +1,4 @@") -> Hunk:
    return parse_diff(f"--- a/m.py\n+++ b/m.py\n{header}\n{body}").files[0].hunks[0]


def test_added_removed_and_line_numbers() -> None:
    h = hunk(" a\n-b\n+B\n+C\n c\n", "@@ -1,3 +1,4 @@")
    assert [line.text for line in h.added] == ["B", "C"]
    assert [line.text for line in h.removed] == ["b"]
    assert h.new_line_numbers == frozenset({1, 2, 3, 4})  # added and context, not removed
    assert h.added_line_numbers == frozenset({2, 3})
    assert h.changed_count == 3


@pytest.mark.parametrize(
    ("body", "header", "touched"),
    [
        # A replacement touches only its added lines.
        (" a\n-b\n+B\n c\n", "@@ -1,3 +1,3 @@", {2}),
        # A deletion between lines touches the lines on both sides of the gap.
        (" a\n-b\n c\n", "@@ -1,3 +1,2 @@", {1, 2}),
        # At the top of the file: the line after it.
        ("-a\n b\n c\n", "@@ -1,3 +1,2 @@", {1}),
        # At the end: the line before it.
        (" a\n b\n-c\n", "@@ -1,3 +1,2 @@", {2}),
        # The whole file: line 1, never line 0.
        ("-a\n-b\n", "@@ -1,2 +0,0 @@", {1}),
        # Deletions next to additions add nothing beyond the added lines and the gap.
        (" a\n+x\n-b\n c\n", "@@ -1,3 +1,3 @@", {2, 3}),
    ],
)
def test_touched_new_lines(body: str, header: str, touched: set[int]) -> None:
    assert hunk(body, header).touched_new_lines == frozenset(touched)


def test_file_counts_language_and_partial_text() -> None:
    diff = parse_diff(
        "--- a/pkg/m.py\n+++ b/pkg/m.py\n@@ -1,2 +1,3 @@\n a\n-b\n+B\n+C\n"
        "@@ -10,1 +11,1 @@\n-y\n+Y\n"
    )
    file = diff.files[0]
    assert file.language == "python"
    assert file.added_count == 3
    assert file.changed_count == 5
    assert diff.changed_lines == 5
    # Lines the hunks show are in place; the rest are blank, so line numbers still agree.
    view = file.partial_text().split("\n")
    assert len(view) == 11
    assert view[:3] == ["a", "B", "C"] and view[10] == "Y"
    assert all(line == "" for line in view[3:10])


def test_partial_text_of_a_file_without_hunks_is_empty() -> None:
    assert FileDiff("x.bin", "binary").partial_text() == ""


def test_diff_finds_files_by_new_path() -> None:
    a, b = FileDiff("a.py", "modified"), FileDiff("b.py", "renamed", old_path="old.py")
    diff = Diff((a, b))
    assert diff.file("b.py") is b
    assert diff.file("old.py") is None
    assert Diff().changed_lines == 0


def test_finding_location() -> None:
    finding = Finding("a/b.py", 7, 9, "warning", "semgrep", "r", "m", 0.5)
    assert finding.location == "a/b.py:7"
    assert finding.side == "new" and finding.fingerprint == "" and finding.suggestion is None


def test_one_severity_table_covers_every_severity_in_rank_order() -> None:
    assert set(SEVERITY_RANK) == set(SEVERITY_ICON) == set(SEVERITY_STYLE)
    assert SEVERITY_RANK["error"] > SEVERITY_RANK["warning"] > SEVERITY_RANK["note"]


def test_values_are_frozen() -> None:
    line = DiffLine("add", "x", None, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        line.text = "y"  # type: ignore[misc]
    finding = Finding("a.py", 1, 1, "error", "s", "r", "m", 1.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.score = 0.0  # type: ignore[misc]
