"""Webhook deliveries in the store: each delivery id is recorded once per host, a delivery and
its job commit together, a newer head supersedes the queued older one, replayed comments start
nothing, and a value too large for its column is refused as `StoreRejected` (PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.core.errors import StoreRejected
from bot.core.jobs import JobSpec
from bot.store import Store
from bot.store.schema import installations
from tests.store.conftest import Clock, spec


def test_a_redelivered_id_is_a_duplicate_and_queues_nothing(store: Store) -> None:
    first = store.deliveries.accept("github", "d-1", "pull_request", "opened", spec(1))
    again = store.deliveries.accept("github", "d-1", "pull_request", "opened", spec(1, "b" * 40))
    assert (first.duplicate, first.outcome) == (False, "queued") and first.job_id is not None
    assert (again.duplicate, again.job_id, again.outcome) == (True, None, "duplicate-delivery")
    assert [j.id for j in store.queue.jobs()] == [first.job_id]  # "b" was never enqueued
    assert store.deliveries.count() == 1


def test_delivery_ids_are_unique_per_host(store: Store) -> None:
    github = store.deliveries.accept("github", "same", "push", None, None)
    gitlab = store.deliveries.accept("gitlab", "same", "Push Hook", None, None)
    assert not github.duplicate and not gitlab.duplicate
    assert store.deliveries.count() == 2


def test_a_delivery_without_a_job_records_its_outcome(store: Store) -> None:
    ignored = store.deliveries.accept("github", "d-1", "star", "created", None)
    recorded = store.deliveries.accept("github", "d-2", "installation", "created", None, "recorded")
    assert (ignored.job_id, ignored.outcome) == (None, "ignored")
    assert recorded.outcome == "recorded"
    assert store.deliveries.outcomes() == {"ignored": 1, "recorded": 1}
    assert store.queue.jobs() == []


def test_the_delivery_row_says_what_became_of_its_job(store: Store) -> None:
    store.deliveries.accept("github", "d-1", "pull_request", "opened", spec(1))
    dup = store.deliveries.accept("github", "d-2", "pull_request", "synchronize", spec(1))
    assert dup.outcome == "duplicate-head" and not dup.duplicate
    assert store.deliveries.outcomes() == {"queued": 1, "duplicate-head": 1}
    job = store.queue.jobs()[0]
    assert job.delivery_id == "d-1"


def test_a_delivery_for_a_new_head_supersedes_the_queued_one(store: Store) -> None:
    old = store.deliveries.accept("github", "d-1", "pull_request", "opened", spec(7, "a" * 40))
    new = store.deliveries.accept("github", "d-2", "pull_request", "synchronize", spec(7, "b" * 40))
    assert (new.outcome, new.superseded) == ("queued", 1)
    assert old.job_id is not None and new.job_id is not None
    assert store.queue.job(old.job_id).state == "superseded"  # type: ignore[union-attr]
    assert store.queue.job(new.job_id).head_sha == "b" * 40  # type: ignore[union-attr]


def test_a_batch_keeps_its_order_and_drops_only_its_duplicates(store: Store) -> None:
    store.deliveries.accept("github", "old", "push", None, None)
    results = store.deliveries.accept_many(
        [
            ("github", "n-1", "pull_request", "opened", spec(1, "1" * 40), "ignored"),
            ("github", "old", "pull_request", "opened", spec(2, "2" * 40), "ignored"),
            ("github", "n-2", "star", "created", None, "ignored"),
            ("github", "n-1", "pull_request", "opened", spec(3, "3" * 40), "ignored"),
            ("github", "n-3", "pull_request", "opened", spec(4, "4" * 40), "ignored"),
        ]
    )
    assert [r.outcome for r in results] == [
        "queued",
        "duplicate-delivery",
        "ignored",
        "duplicate-delivery",
        "queued",
    ]
    assert sorted(j.pr for j in store.queue.jobs()) == [1, 4]  # no job from a duplicate
    assert store.deliveries.count() == 4


def _rerun(comment_id: int, commenter: str = "dev") -> JobSpec:
    return spec(
        9,
        None,
        kind="rerun",
        payload={"commenter": commenter},
        trigger_keys=(f"comment:{comment_id}", f"rerun:o/r#9:{commenter}"),
    )


def test_one_rerun_per_commenter_a_minute_and_a_comment_id_once_ever(
    store: Store, clock: Clock
) -> None:
    clock.now = 6_000_000.0  # the start of a rerun window
    first = store.deliveries.accept("github", "c-1", "issue_comment", "created", _rerun(1))
    assert first.outcome == "queued" and first.job_id is not None
    job = store.queue.claim("w", lease=30)
    assert job is not None and store.queue.complete(job.id, "w")
    clock.advance(30)
    soon = store.deliveries.accept("github", "c-2", "issue_comment", "created", _rerun(2))
    assert soon.outcome == "duplicate-trigger" and soon.job_id is None
    clock.advance(31)  # the next window
    later = store.deliveries.accept("github", "c-3", "issue_comment", "created", _rerun(3))
    assert later.outcome == "queued"
    job = store.queue.claim("w", lease=30)
    assert job is not None and store.queue.complete(job.id, "w")
    clock.advance(3600)
    replay = store.deliveries.accept("github", "c-4", "issue_comment", "created", _rerun(1))
    assert replay.outcome == "duplicate-trigger"  # the first comment's body, replayed
    assert store.deliveries.outcomes()["duplicate-trigger"] == 2


def test_installations_are_recorded_with_the_clock(store: Store, clock: Clock) -> None:
    store.deliveries.record_installation("github", 42, "octo-org", "created")
    clock.advance(5)
    store.deliveries.record_installation("github", 42, None, "deleted")
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(
                installations.c.installation_id,
                installations.c.account,
                installations.c.action,
                installations.c.received_at,
            ).order_by(installations.c.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        (42, "octo-org", "created", pytest.approx(clock.now - 5)),
        (42, None, "deleted", pytest.approx(clock.now)),
    ]


# --- field limits: PostgreSQL enforces the column sizes, SQLite does not -----------------------


def test_a_delivery_id_too_long_is_rejected_and_nothing_is_stored(pg: Store) -> None:
    with pytest.raises(StoreRejected, match="store refused the record") as refused:
        pg.deliveries.accept("github", "x" * 129, "pull_request", "opened", spec(1))
    assert refused.value.transient is False  # retrying the same delivery cannot help
    assert pg.deliveries.count() == 0 and pg.queue.jobs() == []


def test_a_repository_name_too_long_is_rejected_with_its_delivery(pg: Store) -> None:
    long_repo = JobSpec("github", "o/" + "r" * 300, 1, "a" * 40)
    with pytest.raises(StoreRejected):
        pg.deliveries.accept("github", "d-1", "pull_request", "opened", long_repo)
    assert pg.deliveries.count() == 0  # the delivery row rolled back with its job
    assert pg.deliveries.accept("github", "d-1", "pull_request", "opened", spec(1)).outcome == (
        "queued"
    )


def test_one_oversized_delivery_rejects_its_batch_so_the_batcher_can_split_it(pg: Store) -> None:
    with pytest.raises(StoreRejected):
        pg.deliveries.accept_many(
            [
                ("github", "fine", "pull_request", "opened", spec(1), "ignored"),
                ("github", "y" * 200, "pull_request", "opened", spec(2), "ignored"),
            ]
        )
    assert pg.deliveries.count() == 0  # all or nothing: the webhook app retries one by one
    assert pg.queue.jobs() == []


def test_an_oversized_value_is_rejected_on_enqueue_too(pg: Store) -> None:
    with pytest.raises(StoreRejected):
        pg.queue.enqueue(JobSpec("github", "o/r", 1, "h" * 65))
    assert pg.queue.counts()["queued"] == 0
