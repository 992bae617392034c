"""Diff intake: every shape of diff git produces, and malformed input named by line."""

from __future__ import annotations

import pytest

from bot.core.diff import parse_diff, unquote_path
from bot.core.errors import DiffParseError
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
