"""File trees with no I/O: files held in memory, and the empty tree. (A directory and a git
commit are adapters in bot/sources.)"""

from __future__ import annotations

from collections.abc import Mapping


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
