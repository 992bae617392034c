"""Path rules in one place: nothing in a diff may name a path outside the repository, which
files are tests (one rule, for the reading order and for verify alike), and file languages."""

from __future__ import annotations

import pytest

from bot.core.errors import UnsafePathError, UsageError
from bot.core.paths import check_relative, is_test_path, language_of


@pytest.mark.parametrize(
    "path",
    [
        "a.py",
        "src/pkg/mod.py",
        "x:notes.txt",  # a colon in a relative name is legal, not a drive
        "C:notes.txt",  # drive-relative needs a separator after the colon to escape
        "...py",
        "a/..b/c",  # `..b` is a name, not the parent
        "dir/./file",
        "ü name.py",
    ],
)
def test_relative_paths_pass_unchanged(path: str) -> None:
    assert check_relative(path) == path


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/etc/passwd", "absolute"),
        ("C:/x", "absolute"),
        ("c:\\windows\\x", "absolute"),
        ("\\\\server\\share", "absolute"),
        ("\\x", "absolute"),
        ("../x", "`..`"),
        ("a/../../x", "`..`"),
        ("a/..", "`..`"),
        ("", "empty"),
        ("a\0b", "NUL"),
    ],
)
def test_escaping_paths_are_refused(path: str, words: str) -> None:
    with pytest.raises(UnsafePathError, match=words) as caught:
        check_relative(path)
    assert isinstance(caught.value, UsageError)  # the CLI answers it with exit 2


@pytest.mark.parametrize(
    "path",
    [
        "tests/test_a.py",
        "test/a.py",
        "pkg/testing/helpers.py",
        "web/__tests__/a.js",
        "spec/models/user_spec.rb",
        "test_a.py",
        "pkg/test_mod.py",
        "go/pkg/handler_test.go",
        "src/button.test.tsx",
        "src/button.spec.js",
        "conftest.py",
        "pkg/conftest.py",
        "src/main/java/FooTest.java",
        "src/main/java/FooTests.java",
        "pkg\\tests\\a.py",  # Windows separators
    ],
)
def test_test_paths(path: str) -> None:
    assert is_test_path(path)


@pytest.mark.parametrize(
    "path",
    [
        "src/app.py",
        "contest.py",
        "latest/a.py",  # a folder ending in "test" is not a test folder
        "attestation.py",
        "pkg/testdata.py",
        "protest_mod.py",
        "src/Testament.java",
        "docs/testing.md",
    ],
)
def test_not_test_paths(path: str) -> None:
    assert not is_test_path(path)


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("a.py", "python"),
        ("stubs/a.pyi", "python"),
        ("A.PY", "python"),  # case-insensitive extension
        ("web/a.tsx", "typescript"),
        ("web/a.mjs", "javascript"),
        ("main.go", "go"),
        ("lib.rs", "rust"),
        ("x.h", "c"),
        ("x.cc", "cpp"),
        ("run.sh", "shell"),
        ("ci.yml", "yaml"),
        ("Makefile", "other"),
        ("archive.tar.gz", "other"),
        ("dir.d/Makefile", "other"),  # a dot in a folder name is not an extension
        (".py", "python"),
    ],
)
def test_language_of(path: str, language: str) -> None:
    assert language_of(path) == language
