"""Diff intake: every shape of diff git produces, and malformed input named by line."""

from __future__ import annotations

import difflib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.diff import _check_complete, parse_diff, unquote_path
from bot.core.errors import DiffParseError
from bot.core.model import Diff
from tests.conftest import Repo


def _git_diff(repo: Repo) -> bytes:
    import subprocess

    return subprocess.run(
        [
            "git",
            "diff",
            "-M",
            "-C",
            "--find-copies-harder",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            "HEAD~1",
            "HEAD",
        ],
        cwd=repo.root,
        check=True,
        capture_output=True,
    ).stdout


@pytest.fixture
def shapes(repo: Repo) -> dict[str, object]:
    body = "".join(f"line {i}\n" for i in range(1, 31))
    repo.commit(
        "base",
        {
            "my file.py": "a\nb\nc\n",
            "crlf.py": "x\r\ny\r\n",
            "latin.py": b"\xff\xfe bad\n",
            "mode.sh": "echo hi\n",
            "blob.bin": b"bin\0ary",
            "moved.py": body,
            "source.py": body,
            "gone.py": "x = 1\ny = 2\n",
            "nonl.py": "old\nnonl",
        },
    )
    (repo.root / "mode.sh").chmod(0o755)
    repo.commit(
        "head",
        {
            "my file.py": "a\nB\nc\n",
            "crlf.py": "x\r\nz\r\n",
            "latin.py": b"\xff\xfe bad2\n",
            "blob.bin": b"bin\0ary2",
            "nonl.py": "old\nnonl2",
            "copy.py": body + "extra\n",
            "ü name.py": "ü = 1\n",
        },
        remove=("gone.py",),
    )
    repo.git("mv", "moved.py", "renamed.py")
    repo.commit("rename")
    combined = _git_diff(repo)
    # The rename commit alone, and the content commit alone.
    import subprocess

    content = subprocess.run(
        [
            "git",
            "diff",
            "-M",
            "-C",
            "--find-copies-harder",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            "HEAD~2",
            "HEAD~1",
        ],
        cwd=repo.root,
        check=True,
        capture_output=True,
    ).stdout
    return {"rename": parse_diff(combined), "content": parse_diff(content)}


def test_every_shape_is_parsed(shapes: dict[str, object]) -> None:
    diff = shapes["content"]
    files = {f.path: f for f in diff.files}  # type: ignore[attr-defined]
    assert files["my file.py"].status == "modified"
    assert [(ln.kind, ln.text) for ln in files["my file.py"].hunks[0].lines] == [
        ("ctx", "a"),
        ("del", "b"),
        ("add", "B"),
        ("ctx", "c"),
    ]
    assert files["crlf.py"].crlf and files["crlf.py"].hunks[0].lines[-1].text == "z"
    assert files["latin.py"].lossy and "\ufffd" in files["latin.py"].hunks[0].lines[-1].text
    assert files["mode.sh"].old_mode == "100644" and files["mode.sh"].new_mode == "100755"
    assert files["mode.sh"].hunks == ()
    assert files["blob.bin"].status == "binary"
    assert files["gone.py"].status == "deleted"
    assert [ln.kind for ln in files["gone.py"].hunks[0].lines] == ["del", "del"]
    assert files["ü name.py"].status == "added"
    copy = files["copy.py"]
    assert copy.copied and copy.old_path in ("moved.py", "source.py") and copy.status == "added"
    nonl = files["nonl.py"].hunks[0].lines
    assert [(ln.kind, ln.text) for ln in nonl] == [
        ("ctx", "old"),
        ("del", "nonl"),
        ("add", "nonl2"),
    ]


def test_rename_keeps_both_paths(shapes: dict[str, object]) -> None:
    renamed = [f for f in shapes["rename"].files if f.status == "renamed"]  # type: ignore[attr-defined]
    assert [(f.old_path, f.path) for f in renamed] == [("moved.py", "renamed.py")]


def test_both_line_numbers_on_every_line() -> None:
    diff = parse_diff(
        "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -10,4 +10,5 @@ def f():\n"
        " a\n-b\n+B\n+C\n c\n d\n"
    )
    lines = diff.files[0].hunks[0].lines
    assert [(ln.kind, ln.old_no, ln.new_no) for ln in lines] == [
        ("ctx", 10, 10),
        ("del", 11, None),
        ("add", None, 11),
        ("add", None, 12),
        ("ctx", 12, 13),
        ("ctx", 13, 14),
    ]
    assert diff.files[0].hunks[0].section == "def f():"


def test_empty_diff_is_valid() -> None:
    assert parse_diff(b"").files == ()
    assert parse_diff("\n  \n").files == ()


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (
            "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n-b\ngarbage\n",
            7,
            "expected a hunk line",
        ),
        ("--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n", 5, "ended inside a hunk"),
        ("--- a/x\n+++ b/x\n@@ -a,2 +1,2 @@\n a\n", 3, "bad hunk header"),
        ("hello world\nnot a diff\n", 1, "no file header"),
        ("@@ -1 +1 @@\n-a\n+b\n", 1, "before any ---/+++"),
        ("--- a/x\n+++ b/x\n@@@ -1 -1 +1 @@@\n", 3, "combined"),
    ],
)
def test_malformed_diff_names_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(DiffParseError) as caught:
        parse_diff(text)
    assert caught.value.line == line
    assert words in str(caught.value)
    assert f"line {line}" in str(caught.value)


def test_unquote_c_style_paths() -> None:
    assert unquote_path('"b/\\303\\274 name.py"') == "b/ü name.py"
    assert unquote_path('"a/tab\\there"') == "a/tab\there"
    assert unquote_path("b/plain.py\t") == "b/plain.py"


LF_DIFF = (
    "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1,3 +1,3 @@ def f():\n a\n-b\n+c\n \n"
)


def _shape(diff: Diff) -> list[tuple[str, str, list[tuple[str, str, int | None, int | None]]]]:
    return [
        (
            f.path,
            f.status,
            [(ln.kind, ln.text, ln.old_no, ln.new_no) for h in f.hunks for ln in h.lines],
        )
        for f in diff.files
    ]


def test_a_crlf_transported_diff_reads_like_the_lf_one() -> None:
    crlf = parse_diff(LF_DIFF.replace("\n", "\r\n"))
    lf = parse_diff(LF_DIFF)
    assert _shape(crlf) == _shape(lf)
    assert crlf.files[0].hunks[0].section == "def f():"  # no CR left on the header either
    assert crlf.files[0].path == "x.py"
    # The transport's line endings are recorded: the file is written with CRLF.
    assert crlf.files[0].crlf and not lf.files[0].crlf


def test_a_crlf_transported_diff_as_bytes() -> None:
    diff = parse_diff(LF_DIFF.replace("\n", "\r\n").encode())
    assert diff.files[0].path == "x.py" and diff.files[0].crlf


def test_an_lf_diff_of_crlf_files_strips_and_records_the_crs() -> None:
    text = (
        "diff --git a/w.py b/w.py\n--- a/w.py\n+++ b/w.py\n@@ -1,2 +1,2 @@\n"
        " keep\r\n-old\r\n+new\r\n"
    )
    file = parse_diff(text).files[0]
    assert file.crlf
    assert [(ln.kind, ln.text) for ln in file.hunks[0].lines] == [
        ("ctx", "keep"),
        ("del", "old"),
        ("add", "new"),
    ]


def test_a_crlf_transported_diff_of_crlf_files() -> None:
    # Mail carries the diff with CRLF, and the file had CRLF too: one CR is the transport's.
    text = LF_DIFF.replace("\n", "\r\n").replace("\r\n a\r\n", "\r\n a\r\r\n")
    lines = parse_diff(text).files[0].hunks[0].lines
    assert [ln.text for ln in lines] == ["a", "b", "c", ""]


def test_an_lf_diff_keeps_lone_crs_inside_lines() -> None:
    text = "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\rc\n"
    file = parse_diff(text).files[0]
    assert [ln.text for ln in file.hunks[0].lines] == ["a", "b\rc"]
    assert not file.crlf


def test_files_carried_with_different_line_endings() -> None:
    lf = "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"
    crlf = "--- a/y\r\n+++ b/y\r\n@@ -1 +1 @@\r\n-a\r\n+b\r\n"
    assert [f.path for f in parse_diff(lf + crlf).files] == ["x", "y"]


@pytest.mark.parametrize(
    "text",
    [
        # A hunk header with no file to belong to, after a complete file.
        "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\nsome text\n@@ -5 +5 @@\n-c\n+d\n",
        # A hunk after a binary file's line.
        "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\nBinary files a/y and b/y differ\n"
        "@@ -5 +5 @@\n-c\n+d\n",
        # A hunk after a hunkless rename's headers.
        "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\nrename from y\nrename to z\n@@ -5 +5 @@\n-c\n+d\n",
        # A CRLF-transported diff whose second hunk header is broken.
        LF_DIFF.replace("\n", "\r\n") + "@@ -9 +9 @\r\n-x\r\n+y\r\n",
    ],
)
def test_a_diff_whose_hunk_headers_cannot_all_be_read_is_refused(text: str) -> None:
    # Never an empty or partial review that passes: the whole diff is refused.
    with pytest.raises(DiffParseError):
        parse_diff(text)


def test_every_hunk_header_must_become_a_hunk() -> None:
    # The last check, whichever parser misses a hunk: the header count must match.
    text = LF_DIFF + "@@ -9 +9 @@\n-x\n+y\n"
    with pytest.raises(DiffParseError, match="2 hunk headers but 1 hunks could be read"):
        _check_complete(text, parse_diff(LF_DIFF).files)
    _check_complete(text, parse_diff(text).files)  # complete: no error


LINES = st.lists(st.sampled_from(["a", "b", "c", "", "  x = 1", "\tif y:", "ü"]), max_size=12)


def _apply(old: list[str], diff: Diff) -> list[str]:
    """The new side, rebuilt from the old one and the parsed hunks."""
    out: list[str] = []
    at = 0  # old lines consumed
    for hunk in diff.files[0].hunks if diff.files else ():
        start = hunk.old_start - 1 if hunk.old_lines else hunk.old_start
        out += old[at:start]
        at = start
        for line in hunk.lines:
            if line.kind == "add":
                assert line.new_no == len(out) + 1
                out.append(line.text)
                continue
            assert old[at] == line.text and line.old_no == at + 1
            at += 1
            if line.kind == "ctx":
                assert line.new_no == len(out) + 1
                out.append(line.text)
    return out + old[at:]


@settings(max_examples=75, deadline=None)
@given(LINES, LINES, st.integers(0, 3), st.booleans())
def test_parsed_hunks_rebuild_the_new_side(
    old: list[str], new: list[str], context: int, crlf: bool
) -> None:
    text = "".join(
        difflib.unified_diff(
            [f"{line}\n" for line in old],
            [f"{line}\n" for line in new],
            "a/f.py",
            "b/f.py",
            n=context,
        )
    )
    if crlf:
        text = text.replace("\n", "\r\n")
    diff = parse_diff(text)
    assert _apply(old, diff) == new
    assert all(f.crlf is crlf for f in diff.files)
