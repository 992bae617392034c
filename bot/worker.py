"""The worker: claim a job, review the pull request through its host, post the planned
review once, set the gate status. The one catch-all is here: it records the failure (retry
with backoff, or dead-letter) and tells the host the review could not run."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot import document
from bot.analyzer import Analyzer
from bot.config import Config, parse_config
from bot.diff import parse_diff
from bot.errors import ConfigError, RedlineError
from bot.hosts.base import GateStatus, GitHost, HostError, PullRequest, ReviewPost
from bot.pipeline import review
from bot.plan import error_status, plan, with_moved
from bot.settings import Settings
from bot.store.repository import Job, Store

log = logging.getLogger("redline.worker")


class HostTree:
    """A `Tree` over one commit of a pull request, read lazily through the host."""

    def __init__(self, host: GitHost, pr: PullRequest, sha: str) -> None:
        self.host, self.pr, self.sha = host, pr, sha
        self._cache: dict[str, bytes | None] = {}

    def read(self, path: str) -> bytes | None:
        if path not in self._cache:
            self._cache[path] = self.host.fetch_file(self.pr, path, self.sha)
        return self._cache[path]

    def size(self, path: str) -> int | None:
        data = self.read(path)
        return None if data is None else len(data)


@dataclass
class Outcome:
    state: str  # done | skipped
    review_id: int | None = None
    detail: str = ""


HostFor = Callable[[Job], GitHost]


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


class Worker:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        host_for: HostFor,
        analyzers: Sequence[Analyzer],
        on_review: Callable[[float], None] | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.host_for = host_for
        self.analyzers = analyzers
        self.on_review = on_review
        self.id = worker_id()

    # --- one job ------------------------------------------------------------------------------
    def review_job(self, job: Job) -> Outcome:
        host = self.host_for(job)
        pr = host.pull_request(job.repo, job.pr, job.head_sha, job.installation_id, job.project_id)
        if job.head_sha and pr.head_sha != job.head_sha and job.kind == "review":
            return Outcome("skipped", detail=f"head moved on to {pr.head_sha[:12]}")
        started = time.perf_counter()
        host.set_status(pr, GateStatus("in_progress", "Reviewing", "redline is reviewing"))
        try:
            config = self._config(host, pr)
        except ConfigError as exc:
            host.set_status(pr, GateStatus("neutral", "Invalid .redline.toml", str(exc)))
            return Outcome("done", detail=str(exc))
        try:
            return self._review(host, pr, config, started)
        except Exception as exc:
            exc.fail_closed = config.fail_closed  # type: ignore[attr-defined]
            raise

    def _review(self, host: GitHost, pr: PullRequest, config: Config, started: float) -> Outcome:
        fetched = host.fetch_diff(pr)
        diff = parse_diff(fetched.text)
        result = review(
            diff,
            HostTree(host, pr, pr.head_sha),
            config,
            self.analyzers,
            base=HostTree(host, pr, pr.base_sha),
        )
        posted = host.posted_fingerprints(pr) | self.store.fingerprints(
            host.name, pr.repo, pr.number
        )
        planned = plan(result, diff, config.max_inline_comments, posted, fetched.truncated)
        outcome = host.post_review(pr, planned.post)
        if outcome.moved_to_summary:
            # The host refused some anchors: list those findings in the summary instead.
            planned = with_moved(
                planned,
                result,
                outcome.moved_to_summary,
                "refused inline by the host",
                fetched.truncated,
            )
            host.post_review(pr, ReviewPost((), planned.post.summary, planned.post.summary_marker))
        self.store.record_comments(
            host.name, pr.repo, pr.number, [(fp, None) for fp in outcome.posted]
        )
        host.set_status(pr, planned.status)
        review_id = self.store.save_review(
            host.name,
            pr.repo,
            pr.number,
            pr.head_sha,
            result.gate.failed,
            document.to_document(result),
        )
        if self.on_review is not None:
            self.on_review(time.perf_counter() - started)
        return Outcome("done", review_id)

    def _config(self, host: GitHost, pr: PullRequest) -> Config:
        # Policy comes from the base branch, never from the pull request's head.
        data = host.fetch_file(pr, ".redline.toml", pr.base_sha)
        if data is None:
            return Config()
        return parse_config(data.decode("utf-8", "replace"), ".redline.toml (base)")

    # --- claim, run, record -------------------------------------------------------------------
    def process(self, job: Job) -> str:
        """Run a claimed job under a heartbeat; returns the job's new state."""
        if self.store.supersede_if_stale(job):
            log.info("superseded", extra={"job": job.id, "delivery": job.delivery_id})
            return "superseded"
        stop = threading.Event()

        def heartbeat() -> None:
            while not stop.wait(self.settings.lease_seconds / 3):
                self.store.extend(job.id, self.id, self.settings.lease_seconds)

        beat = threading.Thread(target=heartbeat, daemon=True)
        beat.start()
        try:
            outcome = self.review_job(job)
        except Exception as exc:  # the one catch-all: record, report, retry or dead-letter
            stop.set()
            return self._failed(job, exc)
        finally:
            stop.set()
        self.store.complete(job.id, self.id)
        log.info(
            "job done",
            extra={
                "job": job.id,
                "delivery": job.delivery_id,
                "outcome": outcome.state,
                "detail": outcome.detail,
            },
        )
        return "done"

    def _failed(self, job: Job, exc: Exception) -> str:
        retryable = not isinstance(exc, RedlineError) or getattr(exc, "retryable", False)
        reason = f"{type(exc).__name__}: {exc}"
        if not retryable:
            state = self.store.fail(job.id, self.id, reason, 1, 0)
        else:
            state = self.store.fail(
                job.id,
                self.id,
                reason,
                self.settings.max_attempts,
                self.settings.retry_base_seconds,
            )
        log.warning(
            "job failed",
            extra={
                "job": job.id,
                "delivery": job.delivery_id,
                "state": state,
                "error": reason,
                "trace": traceback.format_exc(limit=3),
            },
        )
        if state == "dead" or isinstance(exc, HostError):
            self._report_error(job, reason, bool(getattr(exc, "fail_closed", False)))
        return state

    def _report_error(self, job: Job, reason: str, fail_closed: bool) -> None:
        try:
            host = self.host_for(job)
            pr = host.pull_request(
                job.repo, job.pr, job.head_sha, job.installation_id, job.project_id
            )
            host.set_status(pr, error_status(reason, fail_closed))
        except Exception:  # the host may be the thing that is down
            log.info("could not report the error to the host", extra={"job": job.id})

    def run_once(self) -> str | None:
        job = self.store.claim(self.id, self.settings.lease_seconds)
        if job is None:
            return None
        return self.process(job)

    def run_forever(self, stop: threading.Event, wake: threading.Event | None = None) -> None:
        while not stop.is_set():
            try:
                state = self.run_once()
            except RedlineError:
                log.exception("store unavailable; waiting")
                state = None
            if state is None:
                (wake or stop).wait(self.settings.poll_seconds)
                if wake is not None:
                    wake.clear()
