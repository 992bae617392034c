"""The worker: claim a job, run the pull-request flow under a heartbeat, record the outcome.
The one catch-all is here: a transient error is retried with backoff; our own non-transient
errors are dead-lettered at once; anything else is a bug, dead-lettered with its traceback
and never retried. The host is told when a review could not run."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.core.errors import ConfigError, HostError, RedlineError
from bot.core.host import GateStatus, PullRequest
from bot.core.jobs import Job
from bot.core.links import PAGE_TTL_SECONDS, page_url
from bot.core.policy import Config
from bot.core.ports import Analyzer, Fixer, GitHost, HostPermissions
from bot.review import flow
from bot.review.plan import error_status
from bot.service.settings import Settings
from bot.store import Store

log = logging.getLogger("redline.worker")
HostFor = Callable[[Job], GitHost]


@dataclass
class Outcome:
    state: str  # done | skipped
    review_id: int | None = None
    detail: str = ""


@dataclass
class Context:
    """What the failure handler needs to know about a job: the policy it ran under."""

    fail_closed: bool = True  # until the policy is read, a failure fails closed


def _may_trigger(host: GitHost, pr: PullRequest, job: Job) -> bool:
    """Only users with write access start reviews by comment; a host that cannot tell us
    refuses them all (fail closed)."""
    if not isinstance(host, HostPermissions):
        return False
    return host.can_trigger(pr, str(job.payload["commenter"]), job.payload.get("commenter_id"))


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
        fixer: Fixer | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.host_for = host_for
        self.analyzers = analyzers
        self.on_review = on_review
        self.fixer = fixer  # None: reviews carry no validated fixes (REDLINE_ENGINE=off)
        self.id = worker_id()

    # --- one job ------------------------------------------------------------------------------
    def review_job(self, job: Job, context: Context) -> Outcome:
        host = self.host_for(job)
        pr = host.pull_request(job.repo, job.pr, job.head_sha, job.installation_id, job.project_id)
        commenter = job.payload.get("commenter")
        if job.kind == "rerun" and commenter is not None and not _may_trigger(host, pr, job):
            return Outcome("done", detail=f"{commenter} may not trigger reviews (no write access)")
        if job.head_sha and pr.head_sha != job.head_sha and job.kind == "review":
            return Outcome("skipped", detail=f"head moved on to {pr.head_sha[:12]}")
        started = time.perf_counter()
        host.set_status(pr, GateStatus("in_progress", "Reviewing", "redline is reviewing"))
        try:
            config: Config = flow.policy(host, pr)
        except ConfigError as exc:
            host.set_status(pr, GateStatus("neutral", "Invalid .redline.toml", str(exc)))
            return Outcome("done", detail=str(exc))
        context.fail_closed = config.fails_closed
        reviewed = flow.review_pull_request(
            host,
            pr,
            config,
            self.analyzers,
            self.store.reviews,
            self.page_link(),
            fixer=self.fixer,
            # `/redline fix`: every validated fix of the head in the suggested commit.
            fix_all=job.kind == "rerun" and job.payload.get("command") == "fix",
        )
        if self.on_review is not None:
            self.on_review(time.perf_counter() - started)
        return Outcome("done", reviewed.review_id)

    def page_link(self) -> Callable[[int], str] | None:
        """Signed links to the review page, when the service has a page secret and URL."""
        secret, url = self.settings.page_secret, self.settings.public_url
        if not secret or not url:
            return None
        expires = int(time.time()) + PAGE_TTL_SECONDS
        return lambda review_id: page_url(url, secret, review_id, expires)

    # --- claim, run, record -------------------------------------------------------------------
    def process(self, job: Job) -> str:
        """Run a claimed job under a heartbeat; returns the job's new state."""
        if self.store.queue.supersede_if_stale(job):
            log.info("superseded", extra={"job": job.id, "delivery": job.delivery_id})
            return "superseded"
        stop = threading.Event()
        cap = time.monotonic() + self.settings.max_job_seconds

        def heartbeat() -> None:
            # The lease is renewed up to a hard cap: a review that runs away (a wedged
            # analyzer, a pathological PR) loses its lease, and another worker's takeover
            # counts the attempt, so the job is dead-lettered instead of starving the rest.
            while not stop.wait(self.settings.lease_seconds / 3) and time.monotonic() < cap:
                self.store.queue.extend(job.id, self.id, self.settings.lease_seconds)

        beat = threading.Thread(target=heartbeat, daemon=True)
        beat.start()
        context = Context()
        try:
            outcome = self.review_job(job, context)
        except Exception as exc:  # the one catch-all: record, report, retry or dead-letter
            stop.set()
            return self._failed(job, exc, context)
        finally:
            stop.set()
        if not self.store.queue.complete(job.id, self.id):
            # Our lease ran out and another worker took the job over: its result counts.
            log.warning("job lost", extra={"job": job.id, "delivery": job.delivery_id})
            return "lost"
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

    def _failed(self, job: Job, exc: Exception, context: Context) -> str:
        reason = f"{type(exc).__name__}: {exc}"
        bug = not isinstance(exc, RedlineError)
        if bug:
            # An unexpected exception is a bug in redline: keep its traceback, do not retry.
            reason = f"{reason}\n{traceback.format_exc(limit=8)}"
        attempts = self.settings.max_attempts if getattr(exc, "transient", False) else 1
        # The host hears of the failure before the job leaves "running": once it is dead,
        # anyone watching the queue may read the host's status, which must already be the
        # failure (the claim counted this attempt in `job.attempts`).
        if job.attempts >= attempts or isinstance(exc, HostError):
            self._report_error(job, reason.splitlines()[0], context.fail_closed)
        state = self.store.queue.fail(
            job.id, self.id, reason, attempts, self.settings.retry_base_seconds
        )
        log.warning(
            "job failed",
            extra={
                "job": job.id,
                "delivery": job.delivery_id,
                "state": state,
                "error": reason.splitlines()[0],
                "bug": bug,
                "trace": traceback.format_exc(limit=3),
            },
        )
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
        job = self.store.queue.claim(
            self.id, self.settings.lease_seconds, max_attempts=self.settings.max_attempts
        )
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
