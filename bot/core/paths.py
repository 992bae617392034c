"""Rules about repository paths, in one place: which paths are safe, which language a file is
in, and which files are tests."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from bot.core.errors import UnsafePathError

_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")  # C:\\ or C:/; `x:notes.txt` is a legal relative name


def check_relative(path: str) -> str:
    """Refuse paths that could escape the repository (absolute, `..`, NUL)."""
    if not path or "\0" in path:
        raise UnsafePathError(f"refusing empty or NUL-containing path {path!r}")
    pure = PurePosixPath(path)
    if pure.is_absolute() or path.startswith("\\") or _DRIVE.match(path):
        raise UnsafePathError(f"refusing absolute path {path!r}: it escapes the repository")
    if ".." in pure.parts:
        raise UnsafePathError(f"refusing path {path!r}: `..` escapes the repository")
    return path


# A test file: under a test folder, or named like a test, in the conventions of the common
# languages (pytest, unittest, Jest, Go, JUnit).
_TEST_PATH = re.compile(
    r"(^|/)(tests?|testing|testsuite|__tests__|spec)/|(^|/)test_[^/]*$|_test\.\w+$|"
    r"\.(test|spec)\.\w+$|(^|/)conftest\.py$|Tests?\.java$"
)


def is_test_path(path: str) -> bool:
    return _TEST_PATH.search(path.replace("\\", "/")) is not None


_LANGUAGES = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".tsx": "typescript",
    ".go": "go",
    ".java": "java",
    ".rb": "ruby",
    ".rs": "rust",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".sh": "shell",
    ".toml": "toml",
    ".yml": "yaml",
    ".yaml": "yaml",
    ".json": "json",
    ".md": "markdown",
    ".sql": "sql",
}


def language_of(path: str) -> str:
    dot = path.rfind(".")
    if dot < 0 or "/" in path[dot:]:
        return "other"
    return _LANGUAGES.get(path[dot:].lower(), "other")
