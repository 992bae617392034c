"""Property-based runs over diff parsing (issue 13): whatever the paths, contents and line
endings, a diff is either read completely (every added line of every file is in a hunk) or
refused with DiffParseError; it is never read as "nothing changed"."""

from __future__ import annotations

import contextlib
import difflib

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.diff import parse_diff
from bot.core.errors import DiffParseError

_names = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters='/\\"'
    ),
    min_size=1,
    max_size=12,
).filter(lambda n: n.strip() == n and n not in (".", ".."))
_lines = st.lists(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
        max_size=30,
    ),
    min_size=0,
    max_size=12,
)


def _file_diff(path: str, old: list[str], new: list[str], eol: str) -> str:
    old_text = [f"{line}{eol}" for line in old]
    new_text = [f"{line}{eol}" for line in new]
    body = "".join(difflib.unified_diff(old_text, new_text, f"a/{path}", f"b/{path}", n=2))
    if not body:
        return ""
    return f"diff --git a/{path} b/{path}\n" + body


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(_names, _lines, _lines), min_size=1, max_size=4, unique_by=lambda t: t[0]),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
)
def test_every_added_line_is_read_whatever_the_endings_and_paths(
    files: list[tuple[str, list[str], list[str]]], eol: str, transport_crlf: bool
) -> None:
    parts = [_file_diff(f"src/{name}.py", old, new, eol) for name, old, new in files]
    text = "".join(parts)
    if transport_crlf:
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    expected = {f"src/{name}.py": sorted(set(new) - set(old)) for name, old, new in files}
    if not text.strip():
        assert parse_diff(text).files == ()
        return
    try:
        diff = parse_diff(text)
    except DiffParseError:
        # Some generated names are not valid unquoted git paths (spaces at the end...): a
        # refusal is fine, a silent misread is not.
        return
    for file in diff.files:
        assert file.status in ("modified", "added", "deleted"), file
        added = {line.text for hunk in file.hunks for line in hunk.lines if line.kind == "add"}
        assert set(expected[file.path]) <= added
    changed = [p for p, lines in expected.items() if lines]
    assert {f.path for f in diff.files} >= set(changed)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_garbage_is_refused_or_read_never_crashes(text: str) -> None:
    with contextlib.suppress(DiffParseError):
        parse_diff("diff --git a/x b/x\n--- a/x\n+++ b/x\n" + text)
