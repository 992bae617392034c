"""The composition root: the only place that wires settings to the store, the queue, the
hosts, the analyzers, the webhook app and the workers."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.core.errors import ConfigError, HostError
from bot.core.jobs import Job
from bot.core.markers import Marks, derive_key
from bot.core.ports import Analyzer, Fixer, GitHost
from bot.service.settings import Settings
from bot.service.startup import DeferredStore, connect_in_background
from bot.service.worker import Worker
from bot.store import open_store
from webhooks.config import WebhookConfig

log = logging.getLogger("redline.service")


def marker_key(settings: Settings) -> bytes:
    """The key that signs fingerprint markers: REDLINE_MARKER_SECRET, else derived from the
    webhook secrets (every receiving setup has one), else a random key kept in the data dir
    (created once, readable by its owner only)."""
    for secret in (
        settings.marker_secret,
        settings.github_webhook_secret,
        settings.gitlab_webhook_token,
    ):
        if secret:
            return derive_key(secret.reveal())
    path = settings.data_dir / "marker.key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(os.urandom(32))
    return path.read_bytes()


def make_host(settings: Settings, name: str) -> GitHost:
    marks = Marks(marker_key(settings))
    if settings.host_adapter and settings.host_adapter.startswith("files:"):
        from bot.hosts.files import FileHost

        return FileHost(Path(settings.host_adapter[len("files:") :]), name, marks)
    if name == "github":
        from bot.hosts.github import GitHubHost

        return GitHubHost(
            api_url=settings.github_api_url,
            token=settings.github_token.reveal() if settings.github_token else None,
            app_id=settings.github_app_id,
            private_key=(
                settings.github_private_key.reveal() if settings.github_private_key else None
            ),
            write_pause=settings.github_write_pause,
            marks=marks,
        )
    if name == "gitlab":
        from bot.hosts.gitlab import GitLabHost

        if not settings.gitlab_token:
            raise HostError("GitLab needs REDLINE_GITLAB_TOKEN", transient=False)
        return GitLabHost(settings.gitlab_url, settings.gitlab_token.reveal(), marks=marks)
    raise ConfigError(f"no adapter for host {name!r}")


def host_factory(settings: Settings) -> Callable[[Job], GitHost]:
    """The adapter for a job's host, built once per host and reused."""
    cache: dict[str, GitHost] = {}
    lock = threading.Lock()

    def for_job(job: Job) -> GitHost:
        with lock:
            if job.host not in cache:
                cache[job.host] = make_host(settings, job.host)
            return cache[job.host]

    return for_job


def webhook_config(settings: Settings) -> WebhookConfig:
    return WebhookConfig(
        github_secret=settings.github_webhook_secret,
        gitlab_token=settings.gitlab_webhook_token,
        api_token=settings.api_token,
        page_secret=settings.page_secret,
        public_url=settings.public_url,
        review_drafts=settings.review_drafts,
        bot_logins=settings.bot_logins,
        max_body_bytes=settings.max_body_bytes,
        body_timeout=settings.body_timeout,
    )


@dataclass
class Runtime:
    settings: Settings
    store: Any  # a Store, or a DeferredStore while it is being connected
    wake: threading.Event
    publish: Callable[[int], None]
    ping: Callable[[], bool]
    celery: Any = None
    # Set when in-process workers have loaded the models (or when there are none to load).
    models_ready: threading.Event = field(default_factory=threading.Event)


def build_runtime(settings: Settings, stop: threading.Event | None = None) -> Runtime:
    """With `stop`, the store is connected in the background (retried with backoff) and the
    runtime's store answers StoreError until then; without, it is opened here."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if stop is None:
        store: Any = open_store(settings.store_url)
    else:
        store = DeferredStore()
        connect_in_background(settings.store_url, store, stop, lambda _s: None)
    wake = threading.Event()
    if settings.embedded_queue:
        return Runtime(settings, store, wake, lambda _job: wake.set(), lambda: True)
    from bot.service.celery_queue import CeleryPublisher, make_celery

    assert settings.queue_url is not None
    app = make_celery(settings.queue_url, settings.visibility_timeout)
    publisher = CeleryPublisher(app)
    return Runtime(settings, store, wake, publisher.publish, publisher.ping, app)


def build_app(
    runtime: Runtime, metrics: Any = None, models_ready: Callable[[], bool] | None = None
) -> Any:
    """The webhook app over the runtime; `models_ready` tells readiness when the models are
    loaded elsewhere (serve's worker process), else the runtime's own flag does."""
    from webhooks.app import Publisher, create_app
    from webhooks.metrics import Metrics

    store = runtime.store
    metrics = metrics or Metrics(lambda: store.queue.counts())
    publisher = Publisher(runtime.publish, runtime.ping)
    checks = {"models": models_ready or runtime.models_ready.is_set}
    app = create_app(webhook_config(runtime.settings), store, publisher, metrics, checks)
    return app, metrics


def load_analyzers() -> list[Analyzer]:
    from bot.analyzers import default_analyzers

    return default_analyzers()


def load_fixer(settings: Settings) -> Fixer | None:
    from bot.analyzers.fix_engine import open_fixer

    return open_fixer(settings.engine, settings.engine_url, settings.engine_model)


def start_embedded_workers(
    runtime: Runtime,
    count: int,
    stop: threading.Event,
    on_review: Callable[[float], None] | None = None,
    fixer: Fixer | None = None,
) -> list[threading.Thread]:
    """`fixer`: the fix engine to use (default: the one REDLINE_ENGINE names)."""
    started = time.perf_counter()
    analyzers = load_analyzers()
    fixer = fixer if fixer is not None else load_fixer(runtime.settings)
    runtime.models_ready.set()
    log.info(
        "models loaded",
        extra={
            "seconds": round(time.perf_counter() - started, 2),
            "analyzers": [a.name for a in analyzers],
        },
    )
    hosts = host_factory(runtime.settings)
    threads = []
    for index in range(count):
        worker = Worker(runtime.settings, runtime.store, hosts, analyzers, on_review, fixer)
        thread = threading.Thread(
            target=worker.run_forever,
            args=(stop, runtime.wake),
            daemon=True,
            name=f"redline-worker-{index}",
        )
        thread.start()
        threads.append(thread)
    return threads


def start_workers_when_ready(
    runtime: Runtime,
    count: int,
    stop: threading.Event,
    on_review: Callable[[float], None] | None = None,
) -> threading.Thread:
    """Wait for the store, load the models once, then start the workers: in the background,
    so the HTTP side answers /healthz at once and /readyz turns ready when all is loaded."""

    def run() -> None:
        connected = getattr(runtime.store, "connected", None)
        while connected is not None and not connected.wait(0.5):
            if stop.is_set():
                return
        start_embedded_workers(runtime, count, stop, on_review)

    thread = threading.Thread(target=run, daemon=True, name="redline-start-workers")
    thread.start()
    return thread


def describe(settings: Settings) -> dict[str, str]:
    """Where the service keeps its state, for the start-up line (no credentials)."""
    store = settings.store_url
    store = store.split("@", 1)[-1] if "@" in store else store
    queue = "embedded (SQLite)" if settings.embedded_queue else str(settings.queue_url)
    queue = queue.split("@", 1)[-1] if "@" in queue else queue
    return {"store": store, "queue": queue}


def run_celery_worker(runtime: Runtime, concurrency: int) -> None:
    from bot.service.celery_queue import CeleryPublisher, register, start_sweeper

    app = runtime.celery
    assert app is not None
    worker = Worker(
        runtime.settings,
        runtime.store,
        host_factory(runtime.settings),
        load_analyzers(),
        fixer=load_fixer(runtime.settings),
    )

    def run(job_id: int) -> str | None:
        job = runtime.store.queue.claim(
            worker.id, runtime.settings.lease_seconds, job_id, runtime.settings.max_attempts
        )
        return worker.process(job) if job is not None else None

    register(app, run)
    stop = threading.Event()
    start_sweeper(
        CeleryPublisher(app),
        # A message is lost only when Redis lost it or publishing failed: republish what has
        # waited two minutes since it was last sent, once, not the backlog every sweep.
        lambda: runtime.store.queue.stale_queued(120.0),
        max(2.0, runtime.settings.lease_seconds / 4),
        stop,
    )
    app.worker_main(
        [
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "-Q",
            "redline",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
    )
