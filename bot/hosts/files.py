"""A file-backed Git host for `--dry-run`, demos and tests of the service: pull requests are
JSON files under a directory, and everything posted is appended to a log there. Several
processes can share it (appends are locked), so a worker killed mid-job and its successor see
the same host."""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.core.errors import NotFound
from bot.core.host import FetchedDiff, GateStatus, PostResult, PullRequest, ReviewPost
from bot.core.markers import Marks


class FileHost:
    def __init__(self, root: Path, name: str = "github", marks: Marks | None = None) -> None:
        # Fingerprints are kept as data in the log, not read back from comment bodies.
        self.marks = marks or Marks(os.urandom(32))
        self.root = root
        self.name = name
        (root / "prs").mkdir(parents=True, exist_ok=True)

    # --- fixtures ---------------------------------------------------------------------------
    def _pr_path(self, repo: str, number: int) -> Path:
        return self.root / "prs" / self.name / repo.replace("/", "__") / f"{number}.json"

    def add_pull_request(
        self,
        repo: str,
        number: int,
        head_sha: str,
        base_sha: str,
        diff: str,
        files: dict[str, str],
        base_files: dict[str, str] | None = None,
        fork: bool = False,
        latency: float = 0.0,
    ) -> None:
        """A pull request as the host would serve it; `latency` seconds are spent fetching its
        diff (a slow host, for fault tests that must catch a review in flight)."""
        path = self._pr_path(repo, number)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps(
                {
                    "head_sha": head_sha,
                    "base_sha": base_sha,
                    "diff": diff,
                    "files": files,
                    "base_files": base_files or {},
                    "fork": fork,
                    "latency": latency,
                }
            ),
            encoding="utf-8",
        )
        tmp.replace(path)

    def _load(self, repo: str, number: int) -> dict[str, Any]:
        path = self._pr_path(repo, number)
        if not path.exists():
            raise NotFound(f"{self.name}: no pull request {repo}#{number}")
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data

    # --- the log ------------------------------------------------------------------------------
    @contextmanager
    def _locked(self) -> Iterator[Path]:
        lock = self.root / "log.lock"
        with lock.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield self.root / "log.jsonl"
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _append(self, entry: dict[str, Any]) -> None:
        with self._locked() as log, log.open("a", encoding="utf-8") as out:
            out.write(json.dumps({**entry, "host": self.name, "at": time.time()}) + "\n")

    def log(self) -> list[dict[str, Any]]:
        with self._locked() as log:
            if not log.exists():
                return []
            return [json.loads(x) for x in log.read_text(encoding="utf-8").splitlines() if x]

    # --- GitHost ------------------------------------------------------------------------------
    def pull_request(
        self,
        repo: str,
        number: int,
        head_sha: str | None = None,
        installation_id: int | None = None,
        project_id: int | None = None,
    ) -> PullRequest:
        data = self._load(repo, number)
        return PullRequest(
            self.name,
            repo,
            number,
            data["head_sha"],
            data["base_sha"],
            fork=bool(data.get("fork")),
            installation_id=installation_id,
            project_id=project_id,
        )

    def add_writer(self, repo: str, login: str) -> None:
        """Grant `login` write access (who may trigger reviews by comment)."""
        path = self.root / "writers.json"
        writers = json.loads(path.read_text()) if path.exists() else {}
        writers.setdefault(repo, []).append(login)
        path.write_text(json.dumps(writers))

    def can_trigger(self, pr: PullRequest, login: str, user_id: int | None = None) -> bool:
        path = self.root / "writers.json"
        writers = json.loads(path.read_text()) if path.exists() else {}
        return login in writers.get(pr.repo, [])

    def fetch_diff(self, pr: PullRequest) -> FetchedDiff:
        data = self._load(pr.repo, pr.number)
        time.sleep(float(data.get("latency") or 0.0))
        return FetchedDiff(data["diff"])

    def fetch_file(self, pr: PullRequest, path: str, sha: str) -> bytes | None:
        data = self._load(pr.repo, pr.number)
        tree = data["files"] if sha == data["head_sha"] else data["base_files"]
        text = tree.get(path)
        return None if text is None else text.encode("utf-8")

    def posted_fingerprints(self, pr: PullRequest) -> set[str]:
        return {
            fp
            for entry in self.log()
            if entry["kind"] == "review" and entry["repo"] == pr.repo and entry["pr"] == pr.number
            for fp in entry["fingerprints"]
        }

    def post_review(self, pr: PullRequest, review: ReviewPost) -> PostResult:
        with self._locked() as log:
            entries = (
                [json.loads(x) for x in log.read_text(encoding="utf-8").splitlines() if x]
                if log.exists()
                else []
            )
            summary_exists = any(
                e["kind"] == "summary" and e["repo"] == pr.repo and e["pr"] == pr.number
                for e in entries
            )
            with log.open("a", encoding="utf-8") as out:
                if review.comments:
                    out.write(
                        json.dumps(
                            {
                                "kind": "review",
                                "host": self.name,
                                "repo": pr.repo,
                                "pr": pr.number,
                                "head_sha": pr.head_sha,
                                "at": time.time(),
                                "fingerprints": [c.fingerprint for c in review.comments],
                                "comments": [c.__dict__ for c in review.comments],
                            }
                        )
                        + "\n"
                    )
                # The summary is one comment, edited in place.
                out.write(
                    json.dumps(
                        {
                            "kind": "summary-edit" if summary_exists else "summary",
                            "host": self.name,
                            "repo": pr.repo,
                            "pr": pr.number,
                            "head_sha": pr.head_sha,
                            "at": time.time(),
                            "body": review.summary,
                        }
                    )
                    + "\n"
                )
        return PostResult(posted=tuple(c.fingerprint for c in review.comments))

    def set_status(self, pr: PullRequest, status: GateStatus) -> None:
        self._append(
            {
                "kind": "status",
                "repo": pr.repo,
                "pr": pr.number,
                "head_sha": pr.head_sha,
                "state": status.state,
                "title": status.title,
                "summary": status.summary,
                "annotations": len(status.annotations),
            }
        )
