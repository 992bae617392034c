"""A directory on disk as a `Tree`; symlinks that resolve outside its root are refused."""

from __future__ import annotations

from pathlib import Path

from bot.core.errors import UnsafePathError
from bot.core.paths import check_relative


class DirectoryTree:
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
