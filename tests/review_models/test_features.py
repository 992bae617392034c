"""The detector's change features, family by family: each fires on the edit it names, on the
line of that edit, with the reason a review shows; a reformat of the same code fires none."""

from __future__ import annotations

import difflib

import pytest

from bot.core.diff import parse_diff
from review_models.detector.changes import _context, features, line_features
from review_models.detector.edits import edit_of

BASE = """def load(path, size):
    if size > 10:
        return None
    data = read(path)
    total = size + 1
    ok = data and size
    flag = True
    name = data.strip()
    try:
        value = int(data)
    except ValueError:
        value = 0
    return value
"""
# The keys that name a concrete change (not the hunk's size or the statement kinds).
FAMILIES = ("cmp:", "arith:", "boolop:", "const:", "num:", "swap:", "guard-", "except-", "del:",
            "ins:", "rep:", "str>str", "exits:")  # fmt: skip

Found = list[tuple[str, int, str | None]]


def found(old: str, new: str, path: str = "pkg/m.py") -> Found:
    patch = "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}"
        )
    )
    file = parse_diff(f"diff --git a/{path} b/{path}\n{patch}").files[0]
    out: Found = []
    for hunk in file.hunks:
        edit = edit_of(file.path, hunk, new.split("\n"), old.split("\n"))
        out.extend((f.key, f.line, f.reason) for f in features(edit))
    return out


def edited(old: str, new: str) -> Found:
    assert old in BASE
    return found(BASE, BASE.replace(old, new, 1))


def keys(items: Found) -> set[str]:
    return {key for key, _, _ in items}


def family_keys(items: Found) -> set[str]:
    return {key for key in keys(items) if key.startswith(FAMILIES)}


@pytest.mark.parametrize(
    ("old", "new", "key", "line", "reason"),
    [
        ("if size > 10", "if size >= 10", "cmp:>>>=@cond", 2,
         "comparison `>` changed to `>=` in a condition"),
        ("size + 1", "size - 1", "arith:+>-", 5, "operator `+` changed to `-` in an assignment"),
        ("data and size", "data or size", "boolop:and>or", 6,
         "`and` changed to `or` in an assignment"),
        ("flag = True", "flag = False", "const:True>False", 7,
         "`True` changed to `False` in an assignment"),
        ("size > 10", "size > 11", "num:+1@cond", 2,
         "constant `10` changed to `11` in a condition"),
        ("size > 10", "size > 9", "num:-1@cond", 2, "constant `10` changed to `9`"),
        ("size > 10", "size > 50", "num:other@cond", 2, "constant `10` changed to `50`"),
        ("data.strip()", "data.split()", "swap:attr:new@assign", 8,
         "attribute `.strip` replaced by `.split`"),
        ("read(path)", "fetch(path)", "swap:call:new@assign", 4,
         "call to `read` replaced by `fetch`"),
        ("int(data)", "int(path)", "swap:name:known@assign", 10,
         "name `data` replaced by `path` (`path` is already used here)"),
        ("    total = size", "    size = size", "swap:target:known@assign", 5,
         "assignment to `total` replaced by `size`"),
        ("int(data)", "int(data, 16)", "ins:, #@assign", 10, "`, 16` added in an assignment"),
        ("    return value\n", "    return\n", "del:N@return", 13, "`value` removed in a return"),
    ],
)  # fmt: skip
def test_each_change_family_fires_on_its_edit_with_its_reason(
    old: str, new: str, key: str, line: int, reason: str
) -> None:
    items = edited(old, new)
    hits = [(k, n, r) for k, n, r in items if k == key]
    assert hits, sorted(keys(items))
    (_, at, why), *_ = hits
    assert at == line
    assert why is not None and why.startswith(reason)


def test_a_swapped_name_that_leaves_no_use_is_an_orphan() -> None:
    assert "swap:orphan:call" in keys(edited("read(path)", "fetch(path)"))
    # `data` is still used after one of its uses became `path`: no orphan.
    assert not any(k.startswith("swap:orphan") for k in keys(edited("int(data)", "int(path)")))


def test_similar_spellings_and_builtins_are_marked_on_a_swap() -> None:
    assert "swap:similar-spelling" in keys(edited("int(data)", "int(datas)"))
    assert "swap:builtin:N>open" in keys(edited("read(path)", "open(path)"))
    assert "swap:builtin:int>float" in keys(edited("int(data)", "float(data)"))


def test_a_removed_early_return_is_a_guard_and_fewer_exits() -> None:
    items = edited("    if size > 10:\n        return None\n", "")
    assert {"guard-removed", "exits:fewer", "deltok:return", "deltok:if"} <= keys(items)
    reason = next(r for k, _, r in items if k == "guard-removed")
    assert reason == "guard `if size > 10:` removed (it ended in `return`)"


def test_an_added_guard_is_a_guard_added_and_more_exits() -> None:
    items = edited("    data = read(path)\n", "    if not path:\n        raise ValueError\n"
                   "    data = read(path)\n")  # fmt: skip
    assert {"guard-added", "exits:more"} <= keys(items)
    assert "guard-removed" not in keys(items)
    assert next(n for k, n, _ in items if k == "guard-added") == 4


def test_a_removed_handler_is_named() -> None:
    items = edited(
        "    try:\n        value = int(data)\n    except ValueError:\n        value = 0\n",
        "    value = int(data)\n",
    )
    assert ("except-removed", 9, "handler `except ValueError:` removed") in items
    assert "deltok:ValueError()" in keys(items)  # a builtin name among the deleted tokens


def test_an_added_call_around_a_value_is_an_insertion_of_a_builtin() -> None:
    items = edited("size + 1", "len(size) + 1")
    assert {"ins:len (@assign", "instok:len()"} <= keys(items)


def test_string_edits_are_strings_only() -> None:
    old = 'MESSAGE = "hello"\nLIMIT = 3\n'
    items = found(old, old.replace('"hello"', '"goodbye"'))
    assert {"str>str", "block:strings-only"} <= keys(items)
    assert not any(k.startswith(("cmp:", "swap:", "num:")) for k in keys(items))


def test_a_replacement_of_several_tokens_is_described_by_its_shape() -> None:
    items = edited("size + 1", "max(size, 1) * 2")
    assert any(k.startswith("rep:") and ">" in k for k in keys(items))
    assert any(k.startswith("rep-size:") for k in keys(items))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("size + 1", "size+1"),
        ("ok = data and size", "ok = data  and  size"),
        ("    data = read(path)\n", "    data = read(\n        path\n    )\n"),
        ("    return value\n", "    return value  # the parsed value\n"),
        ("    flag = True\n", "    flag = True\n\n"),
    ],
)
def test_a_reformat_fires_no_change_family(old: str, new: str) -> None:
    items = edited(old, new)
    assert family_keys(items) == set(), sorted(family_keys(items))
    assert "block:same-tokens" in keys(items)


def test_a_reindented_block_is_marked() -> None:
    old = "def f(x):\n    with x:\n        y = x\n        z = y\n    return y\n"
    new = "def f(x):\n    with x:\n        pass\n    y = x\n    z = y\n    return y\n"
    assert "block:reindented" in keys(found(old, new))
    assert "block:reindented" not in keys(found(old, old.replace("z = y", "z = x")))


def test_test_files_are_marked_by_their_path() -> None:
    old = "def test_a():\n    assert f(1) == 2\n"
    new = old.replace("== 2", "== 3")
    assert "path:test" in keys(found(old, new, "tests/test_a.py"))
    assert "path:test" in keys(found(old, new, "pkg/tests/helpers.py"))
    assert "path:test" not in keys(found(old, new, "pkg/contest.py"))


def test_hunk_features_count_the_edit_size_once_per_hunk() -> None:
    items = edited("    if size > 10:\n        return None\n", "")
    assert {"hunk:add:0", "hunk:del:2", "hunk:blocks:1", "bias"} <= keys(items)
    assert sum(k == "bias" for k, _, _ in items) == 1


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("    if x > 1:", "cond"),
        ("    while not done:", "cond"),
        ("    for i in items:", "loop"),
        ("    n = range(10)", "loop"),
        ("    return x", "return"),
        ("    raise ValueError(x)", "error"),
        ("def f(x):", "signature"),
        ("@cache", "signature"),
        ("from a import b", "import"),
        ("    x = y", "assign"),
        ("    x += 1", "assign"),
        ("    if x == y", "cond"),
        ("    f(x == y)", "call"),
        ("    x", "other"),
        ("", "other"),
    ],
)
def test_the_statement_kind_of_a_changed_line(line: str, kind: str) -> None:
    assert _context(line) == kind


def test_line_features_split_a_hunk_by_line_with_its_position() -> None:
    sets = line_features(
        ["cmp:any", "hunk:add:2", "swap:x", "bias", "far"], [3, 3, 5, 0, 9], [3, 4, 5]
    )
    assert sets == [
        ["cmp:any", "pos:first", "has-features:1", "bias"],
        ["pos:mid", "has-features:0", "bias"],
        ["swap:x", "pos:last", "has-features:1", "bias"],
    ]
