"""A hunk read as an edit: the old side rebuilt from the new side, removed and added tokens
aligned, and change features a reviewer can check, each with its line and reason."""

from __future__ import annotations

import difflib

from bot.core.diff import parse_diff
from bot.core.model import FileDiff
from review_models.detector.build import reverse
from review_models.detector.changes import features, line_features
from review_models.detector.edits import edit_of, pre_image

OLD = '''def search(items, target):
    lo, hi = 0, len(items)
    while lo < hi:
        mid = (lo + hi) // 2
        if items[mid] is None:
            raise ValueError("hole")
        if items[mid] < target:
            lo = mid + 1
        else:
            hi = mid
    return lo


def total(values):
    """Sum of values."""
    return sum(values)
'''


def _file(old: str, new: str, path: str = "pkg/search.py") -> FileDiff:
    patch = "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}"
        )
    )
    return parse_diff(f"diff --git a/{path} b/{path}\n{patch}").files[0]


def _features(old: str, new: str) -> list[tuple[str, int, str | None]]:
    file = _file(old, new)
    out = []
    for hunk in file.hunks:
        edit = edit_of(file.path, hunk, new.split("\n"), old.split("\n"))
        out.extend((f.key, f.line, f.reason) for f in features(edit))
    return out


def test_the_old_side_is_rebuilt_exactly_from_the_new_side_and_the_hunks() -> None:
    new = OLD.replace("while lo < hi:", "while lo <= hi:").replace('    """Sum of values."""\n', "")
    new = new.replace("def total(values):", "def total(values, start=0):\n    # new\n")
    file = _file(OLD, new)
    assert len(file.hunks) >= 2
    assert "\n".join(pre_image(new.split("\n"), file)) == OLD


def test_a_loosened_loop_bound_is_named_with_its_place() -> None:
    new = OLD.replace("while lo < hi:", "while lo <= hi:")
    found = _features(OLD, new)
    cmp = [f for f in found if f[0].startswith("cmp:<><=")]
    assert cmp, found
    _key, line, reason = cmp[0]
    assert line == 3
    assert reason == "comparison `<` changed to `<=` in a condition"


def test_a_removed_guard_and_a_swapped_name_are_features_with_reasons() -> None:
    new = OLD.replace('        if items[mid] is None:\n            raise ValueError("hole")\n', "")
    reasons = [r for _, _, r in _features(OLD, new) if r]
    assert any(r.startswith("guard `if items[mid] is None:` removed") for r in reasons), reasons

    swapped = OLD.replace("if items[mid] < target:", "if items[lo] < target:")
    found = _features(OLD, swapped)
    assert any(k.startswith("swap:name:known") for k, _, _ in found), found
    assert any(r == "name `mid` replaced by `lo` (`lo` is already used here)" for _, _, r in found)


def test_a_fix_turned_around_is_the_same_edit_read_the_other_way() -> None:
    new = OLD.replace("lo = mid + 1", "lo = mid")
    file = _file(OLD, new)
    hunk = file.hunks[0]
    back = reverse(hunk)
    assert [ln.kind for ln in back.lines].count("add") == len(hunk.removed)
    introduce = _features(OLD, new)
    keys = {k for k, _, _ in introduce}
    assert any(k.startswith("del:+ 1") for k in keys), keys
    fixed = edit_of(file.path, back, OLD.split("\n"), new.split("\n"))
    assert any(f.key.startswith("ins:+ 1") for f in features(fixed))


def test_formatting_only_edits_have_no_token_operations() -> None:
    new = OLD.replace("lo, hi = 0, len(items)", "lo, hi = 0,   len( items )  # bounds")
    file = _file(OLD, new)
    edit = edit_of(file.path, file.hunks[0], new.split("\n"), OLD.split("\n"))
    assert edit.blocks and not any(block.ops for block in edit.blocks)


def test_line_features_belong_to_their_changed_line() -> None:
    new = OLD.replace("lo = mid + 1", "lo = mid + 3").replace("hi = mid", "hi = mid - 1")
    file = _file(OLD, new)
    edit = edit_of(file.path, file.hunks[0], new.split("\n"), OLD.split("\n"))
    found = features(edit)
    changed = tuple(sorted(edit.changed_lines))
    sets = line_features([f.key for f in found], [f.line for f in found], changed)
    by_line = dict(zip(changed, sets, strict=True))
    assert any(k.startswith("num:other") for k in by_line[8])
    assert any(k.startswith("ins:- 1") for k in by_line[10])
    assert not any(k.startswith("ins:- 1") for k in by_line[8])
