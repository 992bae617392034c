"""Scale-out queue: Celery on a Redis broker. The job row in the store stays the source of
truth (state, leases, dedupe); a Celery message only says "job N is ready". Acks are late
and a worker lost mid-task leaves its message to be redelivered after the visibility
timeout, when the job's lease has also run out."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from celery import Celery

log = logging.getLogger("redline.celery")
TASK = "redline.run_job"
QUEUE = "redline"


def make_celery(broker_url: str, visibility_timeout: float) -> Celery:
    app = Celery("redline", broker=broker_url)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_default_queue=QUEUE,
        worker_prefetch_multiplier=1,
        broker_transport_options={"visibility_timeout": int(visibility_timeout)},
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        broker_pool_limit=16,
    )
    return app


class CeleryPublisher:
    def __init__(self, app: Celery) -> None:
        self.app = app

    def publish(self, job_id: int) -> None:
        self.app.send_task(TASK, args=[job_id], queue=QUEUE)

    def ping(self) -> bool:
        try:
            with self.app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
            return True
        except Exception:
            return False


def register(app: Celery, run: Callable[[int], str | None]) -> None:
    @app.task(name=TASK, bind=True, acks_late=True, reject_on_worker_lost=True)  # type: ignore[untyped-decorator]
    def run_job(task: object, job_id: int) -> str | None:
        return run(job_id)


def start_sweeper(
    publisher: CeleryPublisher, stale: Callable[[], list[int]], every: float, stop: threading.Event
) -> threading.Thread:
    """Republish jobs whose message was lost (published before a crash, never delivered)."""

    def loop() -> None:
        while not stop.wait(every):
            try:
                for job_id in stale():
                    publisher.publish(job_id)
            except Exception:
                log.exception("sweeper failed")

    thread = threading.Thread(target=loop, daemon=True, name="redline-sweeper")
    thread.start()
    return thread
