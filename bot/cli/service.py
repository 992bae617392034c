"""`redline serve`, `redline worker` and `redline jobs`."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from bot.core.errors import UsageError


def setup_serve(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="in-process review workers (embedded queue only; 0: none)",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=1000,
        help="connections served at once (more are answered 503)",
    )


def run_serve(args: argparse.Namespace) -> int:
    import threading

    import uvicorn

    from bot.service import logs
    from bot.service.root import build_app, build_runtime, describe
    from bot.service.settings import load_settings
    from bot.service.supervise import WorkerProcess, ready_file_for

    logs.configure()
    settings = load_settings()
    stop = threading.Event()
    runtime = build_runtime(settings, stop)
    workers = args.workers if settings.embedded_queue else 0
    child = None
    if workers > 0:
        # The review workers run in a process of their own: intake keeps its interpreter.
        child = WorkerProcess(workers, ready_file_for(settings.data_dir.resolve()))
        child.start()
    else:
        runtime.models_ready.set()  # no models in this process
    app, _metrics = build_app(runtime, models_ready=child.ready if child else None)
    log = logging.getLogger("redline.serve")
    log.info(
        f"listening on http://{args.host}:{args.port}",
        extra={
            **describe(settings),
            "workers": workers,
            "models": "loading" if workers else "none",
        },
    )
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        # h11 with a bound on incomplete headers: a huge header line is refused, not parsed
        # for seconds; connections and keep-alive are bounded too.
        http="h11",
        h11_max_incomplete_event_size=64 * 1024,
        limit_concurrency=args.max_connections,
        timeout_keep_alive=5,
    )
    try:
        uvicorn.Server(config).run()
    finally:
        stop.set()
        if child is not None:
            child.stop()
    return 0


def setup_worker(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--threads", type=int, default=1, help="worker threads (embedded queue)")
    parser.add_argument(
        "--ready-file", metavar="PATH", help="written once the models are loaded (for serve)"
    )


def run_worker(args: argparse.Namespace) -> int:
    import signal
    import threading

    from bot.service import logs
    from bot.service.root import build_runtime, run_celery_worker, start_embedded_workers
    from bot.service.settings import load_settings

    logs.configure()
    settings = load_settings()
    runtime = build_runtime(settings)
    if not settings.embedded_queue:
        run_celery_worker(runtime, args.threads)
        return 0
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threads = start_embedded_workers(runtime, args.threads, stop)
    if args.ready_file:
        Path(args.ready_file).write_text(str(os.getpid()))
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        stop.set()
    for thread in threads:
        thread.join(timeout=5)
    return 0


def setup_jobs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--state", choices=("queued", "running", "done", "dead", "superseded"))
    parser.add_argument(
        "--retry",
        type=int,
        metavar="ID",
        action="append",
        default=[],
        help="put a dead (or finished) job back in the queue",
    )


_JOB_KEYS = (
    "id",
    "state",
    "host",
    "repo",
    "pr",
    "head_sha",
    "attempts",
    "last_error",
    "kind",
    "created_at",
    "run_after",
    "delivery_id",
)


def run_jobs(args: argparse.Namespace) -> int:
    from bot.service.root import describe
    from bot.service.settings import load_settings
    from bot.store import open_store

    settings = load_settings()
    if settings.database_url is None:
        database = settings.data_dir / "redline.db"
        if not database.exists():
            raise UsageError(
                f"no store at {database.resolve()}: set REDLINE_DATA_DIR to the service's data "
                "directory (or REDLINE_DATABASE_URL)"
            )
    print(f"redline: store {describe(settings)['store']}", file=sys.stderr)
    store = open_store(settings.store_url)
    for job_id in args.retry:
        if not store.queue.retry(job_id):
            print(f"redline: error: job {job_id} is not dead, done or superseded", file=sys.stderr)
            return 2
        if not settings.embedded_queue:
            from bot.service.celery_queue import CeleryPublisher, make_celery

            assert settings.queue_url is not None
            CeleryPublisher(make_celery(settings.queue_url, settings.visibility_timeout)).publish(
                job_id
            )
    listed = store.queue.jobs(args.state)
    if args.json:
        print(json.dumps([{k: getattr(j, k) for k in _JOB_KEYS} for j in listed], indent=2))
        return 0
    for j in listed:
        error = f"  {j.last_error[:60]}" if j.last_error else ""
        print(
            f"{j.id:>6} {j.state:<10} {j.host}:{j.repo}#{j.pr} "
            f"{(j.head_sha or '-')[:12]:<12} attempts={j.attempts}{error}"
        )
    return 0
