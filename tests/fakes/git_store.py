"""A small git object store for the fake hosts: blobs, trees and commits named by the SHA-1
git itself would give them (commits made by the APIs), branches and other refs, ancestry for
fast-forward checks. Commits seeded by a test keep the SHA the test gives them."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

TREE_MODE = "040000"
FILE_MODES = ("100644", "100755", "120000")
MODES = (*FILE_MODES, TREE_MODE, "160000")
Entry = tuple[str, str, str]  # mode, type (blob | tree | commit), sha


@dataclass
class Commit:
    sha: str
    tree: str
    parents: tuple[str, ...]
    message: str
    author: dict[str, str]
    date: str


@dataclass
class GitStore:
    blobs: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, dict[str, Entry]] = field(default_factory=dict)  # name -> entry, one level
    commits: dict[str, Commit] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # "refs/heads/main" -> commit sha

    # --- objects ----------------------------------------------------------------------------
    def blob(self, data: bytes) -> str:
        sha = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
        self.blobs[sha] = data
        return sha

    def tree(self, entries: dict[str, Entry]) -> str:
        def key(item: tuple[str, Entry]) -> str:
            return item[0] + ("/" if item[1][1] == "tree" else "")

        raw = b"".join(
            f"{mode.lstrip('0')} {name}".encode() + b"\0" + bytes.fromhex(sha)
            for name, (mode, _kind, sha) in sorted(entries.items(), key=key)
        )
        sha = hashlib.sha1(b"tree %d\0" % len(raw) + raw).hexdigest()
        self.trees[sha] = dict(entries)
        return sha

    def commit(
        self,
        tree: str,
        parents: tuple[str, ...],
        message: str,
        author: dict[str, str] | None = None,
        sha: str | None = None,
    ) -> str:
        author = author or {"name": "redline", "email": "redline@example.com"}
        date = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        if sha is None:
            lines = [f"tree {tree}", *(f"parent {p}" for p in parents)]
            stamp = f"{author['name']} <{author['email']}> {int(time.time())} +0000"
            lines += [f"author {stamp}", f"committer {stamp}", "", message]
            raw = "\n".join(lines).encode()
            sha = hashlib.sha1(b"commit %d\0" % len(raw) + raw).hexdigest()
        self.commits[sha] = Commit(sha, tree, parents, message, author, date)
        return sha

    # --- files ------------------------------------------------------------------------------
    def flat(self, tree: str, prefix: str = "") -> dict[str, Entry]:
        """Every file below `tree`, by path."""
        out: dict[str, Entry] = {}
        for name, entry in self.trees[tree].items():
            if entry[1] == "tree":
                out.update(self.flat(entry[2], f"{prefix}{name}/"))
            else:
                out[f"{prefix}{name}"] = entry
        return out

    def build(self, files: dict[str, Entry]) -> str:
        """The root tree holding exactly these files (path -> entry), subtrees made as needed."""
        here: dict[str, Entry] = {}
        below: dict[str, dict[str, Entry]] = {}
        for path, entry in files.items():
            head, sep, rest = path.partition("/")
            if sep:
                below.setdefault(head, {})[rest] = entry
            else:
                here[path] = entry
        for name, children in below.items():
            here[name] = (TREE_MODE, "tree", self.build(children))
        return self.tree(here)

    def seed(
        self, sha: str, files: dict[str, str], parents: tuple[str, ...] = (), message: str = "seed"
    ) -> str:
        entries = {p: ("100644", "blob", self.blob(t.encode())) for p, t in files.items()}
        return self.commit(self.build(entries), parents, message, sha=sha)

    def files_at(self, commit: str) -> dict[str, Entry]:
        return self.flat(self.commits[commit].tree)

    def read(self, ref: str, path: str) -> bytes | None:
        """A file's bytes at a commit sha or a branch name; None when either is missing."""
        sha = ref if ref in self.commits else self.refs.get(f"refs/heads/{ref}")
        if sha is None or sha not in self.commits:
            return None
        entry = self.files_at(sha).get(path)
        return self.blobs.get(entry[2]) if entry and entry[1] == "blob" else None

    # --- history ----------------------------------------------------------------------------
    def is_ancestor(self, ancestor: str, commit: str) -> bool:
        seen, todo = set(), [commit]
        while todo:
            sha = todo.pop()
            if sha == ancestor:
                return True
            if sha in seen or sha not in self.commits:
                continue
            seen.add(sha)
            todo.extend(self.commits[sha].parents)
        return False
