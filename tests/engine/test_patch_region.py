"""Which lines a fix rewrites, the smallest change a rewrite makes, and fixes applied to text
and written as a unified diff that `git apply` takes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.core.errors import EngineError
from bot.core.model import Fix
from engine.patch import apply_fixes, apply_lines, non_overlapping, unified_diff
from engine.region import CONTEXT_LINES, MAX_FUNCTION_LINES, Change, region_for, trim

MODULE = "import os\n\n\n@cache\ndef f(x):\n    y = x\n    return y\n\n\n" + "".join(
    f"a{i} = {i}\n" for i in range(40)
)


def test_a_short_function_is_the_region_decorators_included() -> None:
    assert region_for(MODULE, 6, 6) == (4, 7)
    assert region_for(MODULE, 5, 7) == (4, 7)


def test_outside_a_function_the_region_is_the_lines_with_context() -> None:
    assert region_for(MODULE, 20, 21) == (20 - CONTEXT_LINES, 21 + CONTEXT_LINES)
    assert region_for(MODULE, 1, 1) == (1, 1 + CONTEXT_LINES)
    last = len(MODULE.splitlines())
    assert region_for(MODULE, last, last) == (last - CONTEXT_LINES, last)


def test_a_long_function_is_not_the_region() -> None:
    body = "".join(f"    v{i} = {i}\n" for i in range(MAX_FUNCTION_LINES + 5))
    text = "def long():\n" + body
    assert region_for(text, 10, 10) == (10 - CONTEXT_LINES, 10 + CONTEXT_LINES)


def test_the_innermost_short_function_wins() -> None:
    text = "def outer():\n    def inner():\n        return 1\n    return inner\n"
    assert region_for(text, 3, 3) == (2, 3)


def test_text_that_does_not_parse_or_is_not_python_gets_context_lines() -> None:
    broken = "def f(x:\n    return x\n" + "z = 1\n" * 10
    assert region_for(broken, 2, 2) == (1, 2 + CONTEXT_LINES)
    assert region_for(MODULE, 6, 6, python=False) == (6 - CONTEXT_LINES, 6 + CONTEXT_LINES)


@pytest.mark.parametrize(
    ("original", "rewritten", "change"),
    [
        ("a\nb\nc\n", "a\nB\nc\n", Change(11, 11, "B\n")),
        ("a\nb\nc\n", "a\nc\n", Change(11, 11, "")),  # a deletion
        ("a\nc\n", "a\nb\nc\n", Change(11, 10, "b\n")),  # an insertion before line 11
        ("a\nb\n", "x\ny\n", Change(10, 11, "x\ny\n")),
        ("a\nb\nb\n", "a\nb\n", Change(12, 12, "")),  # repeated lines: the tail wins
    ],
)
def test_trim_keeps_only_the_lines_that_changed(
    original: str, rewritten: str, change: Change
) -> None:
    assert trim(original, rewritten, 10) == change


def test_trim_ignores_a_missing_final_newline() -> None:
    assert trim("a\nb\n", "a\nb", 1) is None
    assert trim("a\nb", "a\nb\n", 1) is None


def test_a_trimmed_change_applied_gives_the_rewrite() -> None:
    text = "0\n1\n2\n3\n4\n5\n"
    region = "2\n3\n4\n"
    for rewritten in ("2\nX\n4\n", "2\n4\n", "2\n3\n3.5\n4\n", "X\nY\n"):
        change = trim(region, rewritten, 3)
        assert change is not None
        assert apply_lines(text, change.start, change.end, change.replacement) == (
            "0\n1\n" + rewritten + "5\n"
        )


def test_apply_lines_replaces_inserts_and_deletes_whole_lines() -> None:
    text = "a\nb\nc\n"
    assert apply_lines(text, 2, 2, "B\n") == "a\nB\nc\n"
    assert apply_lines(text, 2, 1, "x\n") == "a\nx\nb\nc\n"
    assert apply_lines(text, 4, 3, "d\n") == "a\nb\nc\nd\n"
    assert apply_lines(text, 1, 3, "") == ""
    assert apply_lines(text, 2, 2, "B") == "a\nB\nc\n"  # a newline is added between lines
    assert apply_lines("a\nb", 2, 2, "B") == "a\nB"  # and kept absent at the end
    for start, end in ((0, 1), (5, 5), (2, 4), (3, 1)):
        with pytest.raises(EngineError, match="outside the file"):
            apply_lines(text, start, end, "x\n")


def _fix(path: str, start: int, end: int, replacement: str, original: str) -> Fix:
    return Fix(path, start, end, replacement, original, f"fp{start}", "detector:x", "model")


def test_overlapping_fixes_keep_the_first_in_file_order() -> None:
    fixes = [
        _fix("b.py", 1, 1, "", ""),
        _fix("a.py", 5, 8, "", ""),
        _fix("a.py", 2, 5, "", ""),
        _fix("a.py", 6, 6, "", ""),
        _fix("a.py", 9, 9, "", ""),
    ]
    kept = [(f.path, f.start) for f in non_overlapping(fixes)]
    assert kept == [("a.py", 2), ("a.py", 6), ("a.py", 9), ("b.py", 1)]


def test_fixes_apply_bottom_up_so_line_numbers_hold() -> None:
    texts = {"m.py": "a\nb\nc\nd\n"}
    fixes = [_fix("m.py", 1, 1, "A1\nA2\n", "a\n"), _fix("m.py", 3, 3, "C\n", "c\n")]
    assert apply_fixes(texts, fixes) == {"m.py": "A1\nA2\nb\nC\nd\n"}


def test_a_fix_for_lines_that_moved_on_or_a_missing_file_is_refused() -> None:
    with pytest.raises(EngineError, match="changed since"):
        apply_fixes({"m.py": "a\nb\n"}, [_fix("m.py", 2, 2, "B\n", "x\n")])
    with pytest.raises(EngineError, match="no text"):
        apply_fixes({}, [_fix("m.py", 1, 1, "B\n", "a\n")])


def test_the_unified_diff_applies_with_git(tmp_path: Path) -> None:
    texts = {
        "pkg/a.py": "".join(f"line {i}\n" for i in range(1, 21)),
        "b.py": "x = 1\ny = 2",  # no newline at the end
    }
    fixes = [
        _fix("pkg/a.py", 3, 3, "LINE 3\n", "line 3\n"),
        _fix("pkg/a.py", 18, 19, "", "line 18\nline 19\n"),
        _fix("b.py", 2, 2, "y = 3", "y = 2"),
    ]
    patch = unified_diff(texts, fixes)
    assert patch.index("diff --git a/b.py") < patch.index("diff --git a/pkg/a.py")
    assert "\\ No newline at end of file\n" in patch
    assert patch.count("@@ ") == 3  # the two far-apart fixes of a.py are two hunks
    for path, text in texts.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text, encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "fix.patch").write_text(patch, encoding="utf-8")
    subprocess.run(["git", "apply", "fix.patch"], cwd=tmp_path, check=True)
    expected = apply_fixes(texts, fixes)
    for path, text in expected.items():
        assert (tmp_path / path).read_text(encoding="utf-8") == text


def test_a_fix_that_changes_nothing_makes_no_diff() -> None:
    assert unified_diff({"m.py": "a\n"}, [_fix("m.py", 1, 1, "a\n", "a\n")]) == ""
