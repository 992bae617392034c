"""The SQL job queue, on SQLite and PostgreSQL, with the injected clock: what is due and in which
order, leases and their renewal, takeover, backoff, dead letters, retries, superseding, and
the sweeper's view of lost wake-up messages (published_at)."""

from __future__ import annotations

import random

import pytest

from bot.store import Store
from tests.store.conftest import Clock, spec


def job_state(store: Store, job_id: int | None) -> str:
    assert job_id is not None
    job = store.queue.job(job_id)
    assert job is not None
    return job.state


def test_jobs_are_claimed_oldest_due_first_and_a_later_retry_waits(
    store: Store, clock: Clock
) -> None:
    first = store.queue.enqueue(spec(1, "1" * 40)).job_id
    clock.advance(1)
    second = store.queue.enqueue(spec(2, "2" * 40)).job_id
    job = store.queue.claim("w", lease=30)
    assert job is not None and job.id == first
    store.queue.fail(job.id, "w", "flaky", max_attempts=5, base_seconds=100.0)
    # The failed job waits out its backoff: the younger one goes first.
    taken = store.queue.claim("w", lease=30)
    assert taken is not None and taken.id == second
    assert store.queue.claim("w", lease=30) is None


def test_claim_by_id_takes_that_job_only_and_only_when_due(store: Store, clock: Clock) -> None:
    first = store.queue.enqueue(spec(1, "1" * 40)).job_id
    second = store.queue.enqueue(spec(2, "2" * 40)).job_id
    job = store.queue.claim("w", lease=30, job_id=second)
    assert job is not None and job.id == second and job.worker == "w"
    assert store.queue.claim("w2", lease=30, job_id=second) is None  # held
    assert job_state(store, first) == "queued"
    assert store.queue.claim("w", lease=30, job_id=9999) is None


def test_a_claim_records_the_lease_worker_and_attempt(store: Store, clock: Clock) -> None:
    store.queue.enqueue(spec(1, payload={"commenter": "dev", "n": [1, 2]}))
    job = store.queue.claim("w1", lease=45)
    assert job is not None
    assert (job.state, job.worker, job.attempts) == ("running", "w1", 1)
    assert job.lease_until == pytest.approx(clock.now + 45)
    assert job.payload == {"commenter": "dev", "n": [1, 2]}
    assert job.created_at == pytest.approx(clock.now)


def test_renewing_the_lease_keeps_other_workers_off(store: Store, clock: Clock) -> None:
    store.queue.enqueue(spec(1))
    job = store.queue.claim("w1", lease=10)
    assert job is not None
    clock.advance(8)
    assert store.queue.extend(job.id, "w1", 10) is True
    clock.advance(8)  # 16 s after the claim: the first lease alone would have run out
    assert store.queue.claim("w2", lease=10) is None
    clock.advance(3)
    taken = store.queue.claim("w2", lease=10)
    assert taken is not None and taken.id == job.id and taken.worker == "w2"


def test_only_the_holder_renews_completes_or_fails(store: Store, clock: Clock) -> None:
    job_id = store.queue.enqueue(spec(1)).job_id
    job = store.queue.claim("w1", lease=10)
    assert job is not None
    assert store.queue.extend(job.id, "w2", 10) is False
    assert store.queue.fail(job.id, "w2", "not mine", max_attempts=5, base_seconds=1) == "lost"
    clock.advance(11)
    assert store.queue.claim("w2", lease=10) is not None  # takeover of the expired lease
    # The first worker comes back from the dead: none of its writes count any more.
    assert store.queue.extend(job.id, "w1", 10) is False
    assert store.queue.fail(job.id, "w1", "late", max_attempts=5, base_seconds=1) == "lost"
    assert store.queue.complete(job.id, "w1") is False
    assert job_state(store, job_id) == "running"
    assert store.queue.complete(job.id, "w2") is True


def test_backoff_doubles_with_the_jitter_of_the_given_rng(store: Store, clock: Clock) -> None:
    job_id = store.queue.enqueue(spec(1)).job_id
    expected = random.Random(7)
    rng = random.Random(7)
    for attempt in (1, 2, 3):
        job = store.queue.claim("w", lease=30, max_attempts=10)
        assert job is not None and job.attempts == attempt
        store.queue.fail(job.id, "w", "down", max_attempts=10, base_seconds=4.0, rng=rng)
        delay = 4.0 * 2 ** (attempt - 1) * expected.uniform(0.5, 1.5)
        failed = store.queue.job(job.id)
        assert failed is not None and failed.state == "queued" and failed.lease_until is None
        assert failed.run_after == pytest.approx(clock.now + delay)
        assert store.queue.next_due() == pytest.approx(clock.now + delay)
        clock.advance(delay + 0.001)
    assert job_state(store, job_id) == "queued"


def test_the_last_error_is_kept_and_cut_at_2000_characters(store: Store) -> None:
    store.queue.enqueue(spec(1))
    job = store.queue.claim("w", lease=30)
    assert job is not None
    error = "Traceback line\n" * 500
    assert store.queue.fail(job.id, "w", error, max_attempts=1, base_seconds=0) == "dead"
    dead = store.queue.job(job.id)
    assert dead is not None and dead.last_error == error[:2000]


def test_a_lost_worker_on_the_last_attempt_dead_letters_and_the_next_job_is_claimed(
    store: Store, clock: Clock
) -> None:
    doomed = store.queue.enqueue(spec(1, "1" * 40)).job_id
    job = store.queue.claim("w1", lease=10, max_attempts=2)
    assert job is not None
    store.queue.fail(job.id, "w1", "OOM while parsing", max_attempts=2, base_seconds=1.0)
    clock.advance(5)
    job = store.queue.claim("w1", lease=10, max_attempts=2)
    assert job is not None and job.id == doomed and job.attempts == 2
    healthy = store.queue.enqueue(spec(2, "2" * 40)).job_id
    clock.advance(11)  # w1 crashed on its last attempt
    # One claim: the lost job is dead-lettered, and the claim goes on to the next due job.
    taken = store.queue.claim("w2", lease=10, max_attempts=2)
    assert taken is not None and taken.id == healthy
    dead = store.queue.job(doomed)
    assert dead is not None and dead.state == "dead" and dead.lease_until is None
    assert dead.last_error == (
        "its worker was lost on attempt 2 of 2 (last error: OOM while parsing)"
    )


def test_retry_puts_back_only_finished_jobs(store: Store, clock: Clock) -> None:
    queued = store.queue.enqueue(spec(1, "1" * 40)).job_id
    running_id = store.queue.enqueue(spec(2, "2" * 40)).job_id
    assert queued is not None and running_id is not None
    assert store.queue.claim("w", lease=30, job_id=running_id) is not None
    assert store.queue.retry(queued) is False
    assert store.queue.retry(running_id) is False
    assert store.queue.retry(12345) is False
    assert store.queue.complete(running_id, "w") is True
    clock.advance(100)
    assert store.queue.retry(running_id) is True
    again = store.queue.job(running_id)
    assert again is not None and (again.state, again.attempts) == ("queued", 0)
    assert again.run_after == pytest.approx(clock.now)


def test_a_newer_head_supersedes_the_queued_job_not_the_running_one(store: Store) -> None:
    running = store.queue.enqueue(spec(1, "a" * 40)).job_id
    assert store.queue.claim("w", lease=30) is not None
    queued = store.queue.enqueue(spec(1, "b" * 40))
    assert (queued.outcome, queued.superseded) == ("queued", 0)  # "a" runs on
    newest = store.queue.enqueue(spec(1, "c" * 40))
    assert (newest.outcome, newest.superseded) == ("queued", 1)
    assert job_state(store, queued.job_id) == "superseded"
    assert job_state(store, running) == "running"
    other_pr = store.queue.enqueue(spec(2, "d" * 40))
    assert other_pr.superseded == 0 and job_state(store, newest.job_id) == "queued"


def test_the_same_head_is_reviewed_once_unless_a_rerun_asks(store: Store) -> None:
    first = store.queue.enqueue(spec(1))
    again = store.queue.enqueue(spec(1))
    assert (again.outcome, again.job_id, again.duplicate) == ("duplicate-head", first.job_id, False)
    assert first.job_id is not None
    job = store.queue.claim("w", lease=30)
    assert job is not None and store.queue.complete(job.id, "w")
    assert store.queue.enqueue(spec(1)).outcome == "duplicate-head"  # done counts too
    rerun = store.queue.enqueue(spec(1, kind="rerun"))
    assert rerun.outcome == "queued" and rerun.job_id != first.job_id
    assert store.queue.enqueue(spec(1, kind="rerun")).outcome == "duplicate-head"  # queued now


def test_jobs_without_a_head_neither_supersede_nor_collide(store: Store) -> None:
    one = store.queue.enqueue(spec(1, None))
    two = store.queue.enqueue(spec(1, None))
    assert one.outcome == two.outcome == "queued" and one.job_id != two.job_id
    assert one.superseded == two.superseded == 0
    assert store.queue.counts()["queued"] == 2
    # A head arriving afterwards supersedes both head-less queued jobs.
    assert store.queue.enqueue(spec(1, "f" * 40)).superseded == 2


def test_head_less_reruns_of_one_pr_are_one_at_a_time(store: Store) -> None:
    first = store.queue.enqueue(spec(1, None, kind="rerun"))
    second = store.queue.enqueue(spec(1, None, kind="rerun"))
    assert second.outcome == "duplicate-rerun" and second.job_id == first.job_id
    job = store.queue.claim("w", lease=30)
    assert job is not None and store.queue.complete(job.id, "w")
    assert store.queue.enqueue(spec(1, None, kind="rerun")).outcome == "queued"


def test_a_claimed_job_is_stale_only_behind_a_newer_review_of_another_head(store: Store) -> None:
    store.queue.enqueue(spec(1, "a" * 40))
    job = store.queue.claim("w", lease=30)
    assert job is not None
    assert store.queue.supersede_if_stale(job) is False  # nothing newer
    store.queue.enqueue(spec(2, "b" * 40))  # another pull request
    store.queue.enqueue(spec(1, None, kind="rerun"))  # a rerun is no newer head
    assert store.queue.supersede_if_stale(job) is False
    assert job_state(store, job.id) == "running"
    store.queue.enqueue(spec(1, "c" * 40))
    assert store.queue.supersede_if_stale(job) is True
    superseded = store.queue.job(job.id)
    assert superseded is not None and superseded.lease_until is None
    assert store.queue.complete(job.id, "w") is False  # a superseded job never completes


def test_listing_counting_and_the_next_due_time(store: Store, clock: Clock) -> None:
    assert store.queue.counts() == dict.fromkeys(
        ("queued", "running", "done", "dead", "superseded"), 0
    )
    assert store.queue.next_due() is None and store.queue.jobs() == []
    ids = [store.queue.enqueue(spec(pr, f"{pr:040d}")).job_id for pr in range(4)]
    job = store.queue.claim("w", lease=30)
    assert job is not None and store.queue.complete(job.id, "w")
    assert store.queue.claim("w", lease=30) is not None
    assert [j.id for j in store.queue.jobs()] == ids[::-1]  # newest first
    assert [j.id for j in store.queue.jobs(limit=2)] == ids[:1:-1]
    assert [j.id for j in store.queue.jobs("done")] == [ids[0]]
    counts = store.queue.counts()
    assert (counts["queued"], counts["running"], counts["done"]) == (2, 1, 1)
    assert store.queue.next_due() == pytest.approx(clock.now)


def test_the_sweeper_skips_what_is_not_due_and_what_was_just_published(
    store: Store, clock: Clock
) -> None:
    waiting = store.queue.enqueue(spec(1, "1" * 40)).job_id
    job = store.queue.claim("w", lease=30)
    assert job is not None and waiting is not None
    store.queue.fail(job.id, "w", "down", max_attempts=5, base_seconds=1000.0)
    fresh = store.queue.enqueue(spec(2, "2" * 40)).job_id
    assert fresh is not None
    clock.advance(200)
    store.queue.mark_published([fresh])  # sent again a moment ago
    assert store.queue.stale_queued(120) == []  # one is backing off, the other was just sent
    store.queue.mark_published([])  # nothing to mark is not an error
    clock.advance(121)
    assert store.queue.stale_queued(120) == [fresh]


def test_a_job_retried_by_hand_is_swept_if_its_message_is_lost(store: Store, clock: Clock) -> None:
    job_id = store.queue.enqueue(spec(1)).job_id
    assert job_id is not None
    job = store.queue.claim("w", lease=30)
    assert job is not None
    store.queue.fail(job.id, "w", "bad", max_attempts=1, base_seconds=0)
    clock.advance(30)
    assert store.queue.stale_queued(120) == []  # dead jobs need no message
    assert store.queue.retry(job_id) is True
    # It became due after its last message was sent: one message now, not another later.
    assert store.queue.stale_queued(120) == [job_id]
    assert store.queue.stale_queued(120) == []
