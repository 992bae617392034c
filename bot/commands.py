"""Subcommands beyond `review` and `order`; each registers itself with the CLI."""

from __future__ import annotations

import argparse
import json
import sys

from bot.cli import command

BENCHES = ("review", "ordering", "webhooks", "verify", "detector", "entropy")


def _bench_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", choices=BENCHES)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")


@command("bench", _bench_args)
def _bench(args: argparse.Namespace) -> int:
    import importlib

    module = importlib.import_module(f"bot.bench.{args.name}")
    figures = module.run()
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key}: {value}")
    sys.stdout.flush()
    return 0


def _train_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", choices=("detector", "lm"))
    parser.add_argument(
        "--work",
        default="runs",
        metavar="DIR",
        help="working directory: corpus, examples, checkpoints (resumable)",
    )
    parser.add_argument("--hours", type=float, default=4.0, help="wall-time budget")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=None, help="override the step count")
    parser.add_argument(
        "--no-export", action="store_true", help="do not write the shipped weights (for trial runs)"
    )


@command("train", _train_args)
def _train(args: argparse.Namespace) -> int:
    from pathlib import Path

    work = Path(args.work) / args.model
    if args.model == "detector":
        from review_models.detector.export import train_and_export

        train_and_export(
            work, args.hours, args.threads, args.steps, export_weights=not args.no_export
        )
    else:
        from review_models.lm.train import train_and_export as train_lm

        train_lm(work, args.hours, args.threads, args.steps, export=not args.no_export)
    return 0


def _serve_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="in-process review workers (embedded queue only; 0: none)",
    )


@command("serve", _serve_args)
def _serve(args: argparse.Namespace) -> int:
    import threading

    import uvicorn

    from bot import logs
    from bot.service import build_runtime, start_embedded_workers
    from bot.settings import load_settings
    from webhooks.app import Metrics, Publisher, create_app

    logs.configure()
    settings = load_settings()
    runtime = build_runtime(settings)
    metrics = Metrics(runtime.store)
    app = create_app(settings, runtime.store, Publisher(runtime.publish, runtime.ping), metrics)
    stop = threading.Event()
    if settings.embedded_queue and args.workers > 0:
        start_embedded_workers(runtime, args.workers, stop, metrics.review.observe)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    finally:
        stop.set()
    return 0


def _worker_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--threads", type=int, default=1, help="worker threads (embedded queue)")


@command("worker", _worker_args)
def _worker(args: argparse.Namespace) -> int:
    import signal
    import threading

    from bot import logs
    from bot.service import build_runtime, run_celery_worker, start_embedded_workers
    from bot.settings import load_settings

    logs.configure()
    settings = load_settings()
    runtime = build_runtime(settings)
    if not settings.embedded_queue:
        run_celery_worker(runtime, args.threads)
        return 0
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threads = start_embedded_workers(runtime, args.threads, stop)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        stop.set()
    for thread in threads:
        thread.join(timeout=5)
    return 0


def _jobs_args(parser: argparse.ArgumentParser) -> None:
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


@command("jobs", _jobs_args)
def _jobs(args: argparse.Namespace) -> int:
    from bot.settings import load_settings
    from bot.store.repository import open_store

    settings = load_settings()
    store = open_store(settings.store_url)
    for job_id in args.retry:
        if not store.retry(job_id):
            print(f"redline: error: job {job_id} is not dead, done or superseded", file=sys.stderr)
            return 2
        if not settings.embedded_queue:
            from bot.celery_app import CeleryPublisher, make_celery

            assert settings.queue_url is not None
            CeleryPublisher(make_celery(settings.queue_url, settings.visibility_timeout)).publish(
                job_id
            )
    listed = store.jobs(args.state)
    if args.json:
        keys = (
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
        print(json.dumps([{k: getattr(j, k) for k in keys} for j in listed], indent=2))
    else:
        for j in listed:
            error = f"  {j.last_error[:60]}" if j.last_error else ""
            print(
                f"{j.id:>6} {j.state:<10} {j.host}:{j.repo}#{j.pr} "
                f"{(j.head_sha or '-')[:12]:<12} attempts={j.attempts}{error}"
            )
    return 0


def _verify_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="Python files or folders")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--timeout", type=float, default=2.0, help="seconds per condition (default 2)"
    )
    parser.add_argument(
        "--total", type=float, default=120.0, help="seconds for the whole run (default 120)"
    )


@command("verify", _verify_args)
def _verify(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.errors import UsageError
    from verify.runner import Job, run

    files: list[Path] = []
    for given in args.paths:
        path = Path(given)
        if path.is_dir():
            files.extend(sorted(path.rglob("*.py")))
        elif path.is_file():
            files.append(path)
        else:
            raise UsageError(f"no such file or directory: {given}")
    jobs = [Job(str(f), f.read_text(encoding="utf-8", errors="replace")) for f in files]
    verdicts = run(jobs, args.timeout, args.total)
    if args.format == "json":
        print(json.dumps([v.to_dict() for v in verdicts], indent=2))
    else:
        for v in verdicts:
            mark = {"proved": "proved ", "refuted": "REFUTED", "unknown": "unknown"}[v.status]
            extra = f"  {json.dumps(v.counterexample)}" if v.counterexample else ""
            why = f"  ({v.reason})" if v.reason else ""
            print(f"{mark} {v.path}:{v.line} {v.function} {v.kind}: {v.condition}{extra}{why}")
    return 1 if any(v.status == "refuted" for v in verdicts) else 0
