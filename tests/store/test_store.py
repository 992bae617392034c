"""The durable queue and review store, on embedded SQLite and on the machine's PostgreSQL:
claims under leases, expiry after a worker dies, backoff with jitter, dead letters, retries,
exactly-once completion and concurrent claims."""

from __future__ import annotations

import json
import random
import threading
from pathlib import Path

import pytest

from bot.core.jobs import JobSpec
from bot.store import Store, open_store
from tests.conftest import Run
from tests.store.conftest import Clock, spec


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'redline.db'}")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    store.close()


def test_claim_complete_exactly_once(store: Store) -> None:
    job_id = store.queue.enqueue(spec(1)).job_id
    job = store.queue.claim("w1", lease=30)
    assert job is not None and job.id == job_id and job.attempts == 1
    assert store.queue.claim("w2", lease=30) is None  # leased
    assert store.queue.complete(job.id, "w2") is False  # not the holder
    assert store.queue.complete(job.id, "w1") is True
    assert store.queue.complete(job.id, "w1") is False  # already done
    assert store.queue.job(job.id).state == "done"  # type: ignore[union-attr]


def test_expired_lease_is_claimed_again(store: Store, clock: Clock) -> None:
    store.queue.enqueue(spec(1))
    first = store.queue.claim("dead-worker", lease=0.2)
    assert first is not None
    clock.advance(0.3)
    again = store.queue.claim("w2", lease=30)
    assert again is not None and again.id == first.id and again.attempts == 2
    assert store.queue.complete(first.id, "dead-worker") is False
    assert store.queue.complete(again.id, "w2") is True


def test_backoff_with_jitter_then_dead_letter(store: Store, clock: Clock) -> None:
    job_id = store.queue.enqueue(spec(1)).job_id
    rng = random.Random(1)
    delays = []
    for attempt in range(1, 4):
        job = store.queue.claim("w", lease=30)
        if attempt > 1:
            assert job is None  # waiting out the backoff
            clock.advance(delays[-1])
            job = store.queue.claim("w", lease=30)
        assert job is not None and job.attempts == attempt
        state = store.queue.fail(
            job.id, "w", f"boom {attempt}", max_attempts=3, base_seconds=1.0, rng=rng
        )
        delays.append(store.queue.job(job_id).run_after - clock.now)  # type: ignore[union-attr]
        assert state == ("dead" if attempt == 3 else "queued")
    assert 0.5 <= delays[0] <= 1.5 and 1.0 <= delays[1] <= 3.0
    dead = store.queue.job(job_id)
    assert dead is not None and dead.state == "dead" and dead.last_error == "boom 3"
    assert store.queue.retry(job_id) is True
    retried = store.queue.job(job_id)
    assert retried is not None and retried.state == "queued" and retried.attempts == 0


def test_a_job_that_keeps_losing_its_worker_is_dead_lettered(store: Store, clock: Clock) -> None:
    # Issue 13: attempts 6 and 7 were seen with a limit of 5 when expired leases were taken
    # over, so a job that crashes its worker was never dead-lettered.
    job_id = store.queue.enqueue(spec(1)).job_id
    for attempt in range(1, 4):
        job = store.queue.claim(f"w{attempt}", lease=10, max_attempts=3)
        assert job is not None and job.attempts == attempt
        clock.advance(11)  # the worker died: its lease runs out
    assert store.queue.claim("w4", lease=10, max_attempts=3) is None
    dead = store.queue.job(job_id)
    assert dead is not None and dead.state == "dead" and dead.attempts == 3
    assert "lost on attempt 3 of 3" in (dead.last_error or "")


def test_the_sweeper_republishes_a_lost_job_once(store: Store, clock: Clock) -> None:
    # Issue 13: every sweep republished the whole backlog (106 to 1,766 messages in 64 s).
    ids = [store.queue.enqueue(spec(pr, f"{pr:040d}")).job_id for pr in range(5)]
    assert store.queue.stale_queued(120) == []  # just published by the webhook
    clock.advance(121)
    assert sorted(store.queue.stale_queued(120)) == ids  # lost: sent again, once
    assert store.queue.stale_queued(120) == []
    clock.advance(60)
    assert store.queue.stale_queued(120) == []
    job = store.queue.claim("w", lease=10)
    assert job is not None
    clock.advance(11)  # its worker died: the job is due again and needs one message
    assert store.queue.stale_queued(120) == [job.id]
    assert store.queue.stale_queued(120) == []


def test_a_failed_job_is_republished_when_its_retry_is_due(store: Store, clock: Clock) -> None:
    job_id = store.queue.enqueue(spec(1)).job_id
    job = store.queue.claim("w", lease=10)
    assert job is not None
    store.queue.fail(job.id, "w", "host down", max_attempts=5, base_seconds=2.0)
    assert store.queue.stale_queued(120) == []  # not due yet
    clock.advance(10)
    assert store.queue.stale_queued(120) == [job_id]


def test_a_replayed_comment_queues_one_job(store: Store) -> None:
    def comment(delivery: str, comment_id: int, commenter: str = "dev") -> str:
        trigger = JobSpec(
            "github",
            "o/r",
            7,
            kind="rerun",
            payload={"commenter": commenter},
            trigger_keys=(f"comment:{comment_id}", f"rerun:o/r#7:{commenter}"),
        )
        (accepted,) = store.deliveries.accept_many(
            [("github", delivery, "issue_comment", "created", trigger, "ignored")]
        )
        return accepted.outcome

    assert comment("d1", 1) == "queued"
    assert comment("d2", 1) == "duplicate-trigger"  # the same body, a new delivery id
    assert comment("d3", 2) == "duplicate-trigger"  # the same commenter within the window
    assert comment("d4", 3, "other") == "duplicate-rerun"  # a rerun is already queued


def test_concurrent_claims_never_share_a_job(store: Store) -> None:
    for pr in range(40):
        store.queue.enqueue(spec(pr, f"{pr:040d}"))
    claimed: list[int] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        while (job := store.queue.claim(name, lease=30)) is not None:
            with lock:
                claimed.append(job.id)
            store.queue.complete(job.id, name)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 40
    assert store.queue.counts()["done"] == 40


def test_claiming_a_stale_head_supersedes_it(store: Store) -> None:
    store.queue.enqueue(spec(1, "a" * 40))
    job = store.queue.claim("w", lease=30)
    assert job is not None
    store.queue.enqueue(spec(1, "b" * 40))  # pushed while the first one ran
    assert store.queue.supersede_if_stale(job) is True
    assert store.queue.job(job.id).state == "superseded"  # type: ignore[union-attr]


def test_reviews_and_fingerprints(store: Store) -> None:
    first = store.reviews.save_review("github", "o/r", 1, "a" * 40, True, {"version": 1})
    again = store.reviews.save_review("github", "o/r", 1, "a" * 40, False, {"version": 1, "x": 2})
    assert first == again  # keyed by (repo, PR, head)
    assert store.reviews.review(first)["document"] == {"version": 1, "x": 2}  # type: ignore[index]
    store.reviews.record_comments("github", "o/r", 1, [("fp1", "c1"), ("fp2", None)])
    store.reviews.record_comments("github", "o/r", 1, [("fp1", "c1")])
    assert store.reviews.fingerprints("github", "o/r", 1) == {"fp1", "fp2"}


def test_jobs_command_lists_and_retries(
    tmp_path: Path, run_cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDLINE_DATA_DIR", str(tmp_path))
    store = open_store(f"sqlite:///{(tmp_path / 'redline.db').resolve()}")
    job_id = store.queue.enqueue(spec(4)).job_id
    job = store.queue.claim("w", lease=30)
    assert job is not None
    store.queue.fail(job.id, "w", "host down", max_attempts=1, base_seconds=0)
    code, out, _ = run_cli("jobs", "--json")
    listed = json.loads(out)
    assert code == 0 and listed[0]["id"] == job_id
    assert {
        k: listed[0][k]
        for k in ("state", "host", "repo", "pr", "head_sha", "attempts", "last_error")
    } == {
        "state": "dead",
        "host": "github",
        "repo": "o/r",
        "pr": 4,
        "head_sha": "a" * 40,
        "attempts": 1,
        "last_error": "host down",
    }
    code, _, _ = run_cli("jobs", "--retry", str(job_id))
    assert code == 0 and store.queue.job(job_id).state == "queued"  # type: ignore[union-attr]
    code, _, err = run_cli("jobs", "--retry", str(job_id))
    assert code == 2 and "not dead" in err
    store.close()
