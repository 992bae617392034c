"""The few git commands redline needs, behind functions that raise `GitError`."""

from __future__ import annotations

import subprocess
from pathlib import Path

from bot.core.errors import GitError

_ENV_FLAGS = ("-c", "core.quotepath=true", "-c", "diff.noprefix=false", "-c", "color.ui=false")


def git(repo: Path, *args: str, input_bytes: bytes | None = None) -> bytes:
    try:
        proc = subprocess.run(
            ["git", *_ENV_FLAGS, *args],
            cwd=repo,
            input=input_bytes,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed") from exc
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {message[-1] if message else proc.returncode}")
    return proc.stdout


def toplevel(start: Path) -> Path:
    return Path(git(start, "rev-parse", "--show-toplevel").decode().strip())


def split_range(spec: str) -> tuple[str, str, bool]:
    """`A..B` -> (A, B, False); `A...B` -> (A, B, True): diff from the merge base."""
    if "..." in spec:
        base, head = spec.split("...", 1)
        three_dot = True
    elif ".." in spec:
        base, head = spec.split("..", 1)
        three_dot = False
    else:
        raise GitError(f"--range needs BASE..HEAD, got {spec!r}")
    if not base or not head:
        raise GitError(f"--range needs both ends, got {spec!r}")
    return base, head, three_dot


def resolve(repo: Path, rev: str) -> str:
    if rev.startswith("-"):
        raise GitError(f"not a revision: {rev!r}")
    try:
        return git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").decode().strip()
    except GitError as exc:
        raise GitError(f"unknown revision {rev!r} in {repo}") from exc


def range_diff(repo: Path, base: str, head: str) -> bytes:
    return git(
        repo,
        "diff",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "-M",
        "-C",
        "--src-prefix=a/",
        "--dst-prefix=b/",
        base,
        head,
        "--",
    )


def merge_base(repo: Path, base: str, head: str) -> str:
    return git(repo, "merge-base", base, head).decode().strip()


class GitTree:
    """Files of one commit, read with `git cat-file --batch` (one process per batch)."""

    def __init__(self, repo: Path, rev: str) -> None:
        self.repo = repo
        self.rev = rev
        self._sizes: dict[str, int | None] = {}
        self._cache: dict[str, bytes | None] = {}

    def sizes(self, paths: list[str]) -> dict[str, int | None]:
        wanted = [p for p in paths if p not in self._sizes and "\n" not in p]
        if wanted:
            query = "".join(f"{self.rev}:{p}\n" for p in wanted).encode("utf-8", "surrogateescape")
            out = (
                git(
                    self.repo,
                    "cat-file",
                    "--batch-check=%(objecttype) %(objectsize)",
                    input_bytes=query,
                )
                .decode()
                .splitlines()
            )
            for path, line in zip(wanted, out, strict=False):
                parts = line.split()
                is_blob = len(parts) == 2 and parts[0] == "blob"
                self._sizes[path] = int(parts[1]) if is_blob else None
        return {p: self._sizes.get(p) for p in paths}

    def size(self, path: str) -> int | None:
        return self.sizes([path])[path]

    def read_many(self, paths: list[str]) -> dict[str, bytes | None]:
        wanted = [p for p in paths if p not in self._cache and "\n" not in p]
        if wanted:
            query = "".join(f"{self.rev}:{p}\n" for p in wanted).encode("utf-8", "surrogateescape")
            out = git(self.repo, "cat-file", "--batch", input_bytes=query)
            pos = 0
            for path in wanted:
                end = out.index(b"\n", pos)
                header = out[pos:end].split()
                pos = end + 1
                if len(header) == 3 and header[1] == b"blob":
                    length = int(header[2])
                    self._cache[path] = out[pos : pos + length]
                    pos += length + 1
                else:
                    self._cache[path] = None
        return {p: self._cache.get(p) for p in paths}

    def read(self, path: str) -> bytes | None:
        return self.read_many([path])[path]
