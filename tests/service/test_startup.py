"""Starting the service: the store connected in the background with retries (a `DeferredStore`
answers `StoreError` until then), JSON logs that never print a secret, and the supervisor that
starts the review worker process again when it dies."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core.errors import StoreError
from bot.core.jobs import JobSpec
from bot.core.secret import Secret
from bot.service import logs
from bot.service.startup import DeferredStore, connect, connect_in_background
from bot.service.supervise import WorkerProcess, ready_file_for
from bot.store import Store


class Records(logging.Handler):
    """Collects the records of one logger (attached directly: `redline` may not propagate)."""

    def __init__(self, name: str) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.logger = logging.getLogger(name)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def __enter__(self) -> Records:
        self.logger.addHandler(self)
        self.level_before = self.logger.level
        self.logger.setLevel(logging.DEBUG)
        return self

    def __exit__(self, *_: object) -> None:
        self.logger.removeHandler(self)
        self.logger.setLevel(self.level_before)

    def messages(self) -> list[str]:
        return [r.getMessage() for r in self.records]


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger("redline")
    saved = (root.handlers[:], root.level, root.propagate)
    yield
    root.handlers[:], root.level, root.propagate = saved


# --- DeferredStore -----------------------------------------------------------------------------


def test_a_deferred_store_refuses_every_use_until_it_is_attached(tmp_path: Path) -> None:
    deferred = DeferredStore()
    for aggregate in ("deliveries", "queue", "reviews"):
        with pytest.raises(StoreError, match="not connected yet"):
            getattr(deferred, aggregate)
    assert deferred.ping() is False and not deferred.connected.is_set()
    deferred.close()  # closing what never connected is not an error
    from bot.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 'redline.db'}")
    deferred.attach(store)
    assert deferred.connected.is_set() and deferred.ping() is True
    assert deferred.queue.enqueue(JobSpec("github", "o/r", 1, "a" * 40)).outcome == "queued"
    assert deferred.queue is store.queue and deferred.reviews is store.reviews
    deferred.close()


def test_connect_retries_with_backoff_until_the_store_can_be_opened(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data directory should be")
    url = f"sqlite:///{blocker / 'redline.db'}"
    stop = threading.Event()
    found: list[Store | None] = []
    with Records("redline.startup") as seen:
        thread = threading.Thread(target=lambda: found.append(connect(url, stop, 0.02)))
        thread.start()
        deadline = time.monotonic() + 10
        while len(seen.records) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        blocker.unlink()  # the volume is mounted: the next attempt succeeds
        thread.join(timeout=10)
    assert len(found) == 1 and found[0] is not None
    found[0].close()
    failures = [r for r in seen.records if r.getMessage() == "store unreachable; retrying"]
    assert len(failures) >= 2
    delays = [r.__dict__["in_s"] for r in failures]
    assert delays[:2] == [0.02, 0.04]  # doubling
    assert "cannot create the store's directory" in failures[0].__dict__["error"]


def test_connect_gives_up_when_told_to_stop() -> None:
    stop = threading.Event()
    stop.set()
    with Records("redline.startup") as seen:
        started = time.monotonic()
        assert connect("postgresql://postgres@127.0.0.1:1/none", stop, 30.0) is None
    assert time.monotonic() - started < 10  # not the 30 s delay
    assert seen.messages() == ["store unreachable; retrying"]


def test_connecting_in_the_background_attaches_then_calls_back(tmp_path: Path) -> None:
    deferred = DeferredStore()
    called: list[Store] = []
    stop = threading.Event()
    thread = connect_in_background(
        f"sqlite:///{tmp_path / 'redline.db'}", deferred, stop, called.append
    )
    thread.join(timeout=30)
    assert deferred.connected.is_set() and deferred.ping() is True
    assert len(called) == 1 and deferred.queue is called[0].queue
    deferred.close()


# --- logs --------------------------------------------------------------------------------------


def test_logs_are_one_json_object_per_line_and_secrets_print_as_stars(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    logs.configure("INFO")
    log = logging.getLogger("redline.test")
    log.debug("not shown")
    log.info("job done", extra={"job": 7, "delivery": "d-1", "token": Secret("hunter2")})
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("job failed", extra={"job": 8})
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2 and "hunter2" not in "".join(lines)
    done, failed = (json.loads(line) for line in lines)
    assert {k: done[k] for k in ("level", "logger", "msg", "job", "delivery")} == {
        "level": "info",
        "logger": "redline.test",
        "msg": "job done",
        "job": 7,
        "delivery": "d-1",
    }
    assert done["token"] == "Secret('**********')" and isinstance(done["ts"], float)
    assert failed["level"] == "error" and failed["error"] == "ValueError: boom"
    assert "Traceback" not in lines[1]


def test_the_formatter_keeps_its_own_keys_from_being_overwritten() -> None:
    record = logging.LogRecord("redline.x", logging.WARNING, __file__, 1, "m %s", ("a",), None)
    record.__dict__["worker"] = "w-1"
    data = json.loads(logs.JsonFormatter().format(record))
    assert data["msg"] == "m a" and data["worker"] == "w-1" and data["level"] == "warning"
    assert "args" not in data and "pathname" not in data


# --- the worker process supervisor --------------------------------------------------------------


def test_a_dead_worker_process_is_started_again(tmp_path: Path) -> None:
    # A setting the child refuses makes it exit at once (code 2), as a crash would.
    env = {**os.environ, "REDLINE_MAX_ATTEMPTS": "zero", "PYTHONPATH": os.pathsep.join(sys.path)}
    ready = tmp_path / "worker-ready"
    child = WorkerProcess(1, ready, env=env)
    with Records("redline.supervise") as seen:
        child.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if seen.messages().count("review worker process started") >= 2:
                break
            time.sleep(0.05)
        assert child.ready() is False  # never wrote its ready file
        child.stop()
    started = [r for r in seen.records if r.getMessage() == "review worker process started"]
    exited = [r for r in seen.records if r.getMessage().startswith("review worker process exited")]
    assert len(started) >= 2 and len({r.__dict__["pid"] for r in started}) == len(started)
    assert exited and all(r.__dict__["code"] == 2 for r in exited)
    assert [r.__dict__["in_s"] for r in exited][:2] == [1.0, 2.0][: len(exited[:2])]
    deadline = time.monotonic() + 10
    while "redline-worker" in {t.name for t in threading.enumerate()}:
        assert time.monotonic() < deadline, "the supervisor thread outlived stop()"
        time.sleep(0.05)


def test_the_ready_file_is_per_process_and_removed_on_stop(tmp_path: Path) -> None:
    path = ready_file_for(tmp_path)
    assert path.parent == tmp_path and path.name == f"worker-ready.{os.getpid()}"
    path.write_text("123")
    WorkerProcess(1, path).stop()  # never started: stop still clears a stale ready file
    assert not path.exists()
