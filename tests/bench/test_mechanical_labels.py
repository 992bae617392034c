"""The labels the attention figures are measured against: which hunks of a real commit are
mechanical (a reformat, reordered imports, a rename, a version bump, moved code, an edit
repeated), decided from the trees, and which change control flow; and the verify bench's
names for the constructs that stopped a proof."""

from __future__ import annotations

import difflib

import pytest

from bot.bench.ordering_labels import HunkLabel, edit_of, mechanical_labels, pre_image
from bot.bench.verify_figures import _guess
from bot.core.diff import parse_diff
from bot.core.model import FileDiff

OLD = (
    "import os\nimport sys\n\nVERSION = '1.2.3'\n\n\ndef load(path):\n    if not path:\n"
    "        return None\n    data = os.read(path)\n    return data\n"
    + "".join(f"\n\ndef f{i}(x):\n    return x + {i}\n" for i in range(8))
)


def _diff(old: str, new: str, path: str = "m.py") -> FileDiff:
    patch = "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}"
        )
    )
    return parse_diff(f"diff --git a/{path} b/{path}\n{patch}").files[0]


def _labels(new: str, path: str = "m.py") -> list[HunkLabel]:
    file = _diff(OLD, new, path)
    found = mechanical_labels({path: new}, [file])
    return [found[(path, hunk.index)] for hunk in file.hunks if (path, hunk.index) in found]


@pytest.mark.parametrize(
    ("old", "new", "kind"),
    [
        ("data = os.read(path)", "data = os.read( path )", "formatting"),
        ("    return data\n", "    return data  # the bytes\n", "formatting"),
        ("import os\nimport sys\n", "import sys\nimport os\n", "imports"),
        ("data", "content", "rename"),
        ("1.2.3", "1.2.4", "version"),
    ],
)
def test_a_mechanical_hunk_is_labelled_by_its_kind(old: str, new: str, kind: str) -> None:
    assert _labels(OLD.replace(old, new)) == [HunkLabel(kind, False)]


def test_a_changed_condition_is_control_and_not_mechanical() -> None:
    assert _labels(OLD.replace("if not path:", "if path is None:")) == [HunkLabel(None, True)]
    assert _labels(OLD.replace("return x + 3", "return x * 3")) == [HunkLabel(None, False)]


def test_a_rename_to_a_name_already_used_is_not_a_rename() -> None:
    # `path` exists before: replacing `data` by it changes what the code means.
    assert _labels(OLD.replace("data = os.read(path)", "path = os.read(path)")) == [
        HunkLabel(None, False)
    ]


def test_a_version_bump_needs_a_version_value() -> None:
    new = OLD.replace("VERSION = '1.2.3'", "VERSION = 'beta'")
    assert _labels(new) == [HunkLabel(None, False)]


def test_the_same_edit_made_again_is_repeated_after_its_first_site() -> None:
    new = OLD.replace("return x + 1", "return x - 1").replace("return x + 6", "return x - 6")
    assert _labels(new) == [HunkLabel(None, False), HunkLabel("repeated", False)]
    # A different edit in the second place: nothing repeats.
    other = OLD.replace("return x + 1", "return x - 1").replace("return x + 6", "return x - 1")
    assert _labels(other) == [HunkLabel(None, False), HunkLabel(None, False)]


def test_a_definition_moved_within_the_file_is_moved_on_both_ends() -> None:
    block = "\n\ndef f7(x):\n    return x + 7\n"
    new = OLD.replace(block, "").replace("import sys\n", "import sys\n" + block)
    assert _labels(new) == [HunkLabel("moved", False), HunkLabel("moved", False)]


def test_files_that_are_not_python_or_do_not_parse_get_no_label() -> None:
    new = OLD.replace("return data", "return data +")
    assert _labels(new) == []
    assert _labels(OLD.replace("1.2.3", "1.2.4"), "notes.txt") == []


def test_the_pre_image_is_rebuilt_from_the_post_image_and_refused_when_they_disagree() -> None:
    new = OLD.replace("return x + 3", "return x * 3")
    assert pre_image(new, _diff(OLD, new)) == OLD
    # A context line that is not in the post-image: the diff is not of this file.
    assert pre_image(new.replace("def f3", "def g3"), _diff(OLD, new)) is None


def test_an_edit_is_its_token_changes() -> None:
    (hunk,) = _diff(OLD, OLD.replace("return x + 1", "return x - 2")).hunks
    assert edit_of(hunk) == (("+", "1", "→", "-", "2"),)


@pytest.mark.parametrize(
    ("reason", "construct"),
    [
        ("time budget exhausted", "budget:time"),
        ("loop unrolled 8 times", "bound:loop"),
        ("recursion deeper than 4", "bound:loop"),
        ("no type hint for x", "hint:missing"),
        ("a value of type `dict[str, int]`", "type:dict"),
        ("a value of type dict", "type:?"),
        ("call to `foo` is not modelled", "call:unmodelled"),
        ("undefined name q", "name:undefined"),
        ("statement `With` is not supported", "node:With"),
        ("method `str.zfill` is not modelled", "method:str.zfill"),
        ("attribute .x of an object", "attribute"),
        ("something else", "other"),
    ],
)
def test_an_unknown_verdict_is_named_by_its_construct(reason: str, construct: str) -> None:
    assert _guess(reason) == construct
