"""Where file contents come from: a directory, a git commit, or memory. One small interface."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Protocol

from bot.errors import UnsafePathError


class Tree(Protocol):
    """Read-only file access by repository-relative path."""

    def size(self, path: str) -> int | None: ...

    def read(self, path: str) -> bytes | None: ...


def check_relative(path: str) -> str:
    """Refuse paths that could escape the repository (absolute, `..`, NUL)."""
    if not path or "\0" in path:
        raise UnsafePathError(f"refusing empty or NUL-containing path {path!r}")
    pure = PurePosixPath(path)
    if pure.is_absolute() or path.startswith("\\") or (len(path) > 1 and path[1] == ":"):
        raise UnsafePathError(f"refusing absolute path {path!r}: it escapes the repository")
    if ".." in pure.parts:
        raise UnsafePathError(f"refusing path {path!r}: `..` escapes the repository")
    return path


class DirectoryTree:
    """Files under `root`; symlinks that resolve outside `root` are refused too."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _locate(self, path: str) -> Path:
        check_relative(path)
        target = (self.root / path).resolve()
        if not target.is_relative_to(self.root):
            raise UnsafePathError(f"refusing path {path!r}: it resolves outside {self.root}")
        return target

    def size(self, path: str) -> int | None:
        target = self._locate(path)
        return target.stat().st_size if target.is_file() else None

    def read(self, path: str) -> bytes | None:
        target = self._locate(path)
        try:
            return target.read_bytes() if target.is_file() else None
        except OSError:
            return None


class MemoryTree:
    """Files held in memory (the in-memory host, tests, benchmarks)."""

    def __init__(self, files: Mapping[str, bytes | str]) -> None:
        self.files = {
            path: data.encode("utf-8") if isinstance(data, str) else data
            for path, data in files.items()
        }

    def size(self, path: str) -> int | None:
        data = self.files.get(path)
        return None if data is None else len(data)

    def read(self, path: str) -> bytes | None:
        return self.files.get(path)


class EmptyTree:
    def size(self, path: str) -> int | None:
        return None

    def read(self, path: str) -> bytes | None:
        return None
