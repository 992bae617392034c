"""Review documents and comment fingerprints in the store: one review per (host, repository,
pull request, head), read back as stored, and fingerprints scoped to their pull request."""

from __future__ import annotations

import pytest

from bot.store import Store
from tests.store.conftest import Clock

HEAD_A, HEAD_B = "a" * 40, "b" * 40


def test_a_stored_review_reads_back_with_its_key_and_time(store: Store, clock: Clock) -> None:
    document = {"version": 1, "summary": "two findings \u2014 \u00e9t\u00e9", "files": [{"x": 1}]}
    review_id = store.reviews.save_review("gitlab", "g/p", 3, HEAD_A, True, document)
    row = store.reviews.review(review_id)
    assert row is not None
    assert {k: row[k] for k in ("id", "host", "repo", "pr", "head_sha", "gate_failed")} == {
        "id": review_id,
        "host": "gitlab",
        "repo": "g/p",
        "pr": 3,
        "head_sha": HEAD_A,
        "gate_failed": True,
    }
    assert row["document"] == document
    assert row["created_at"] == pytest.approx(clock.now)


def test_an_unknown_review_is_none(store: Store) -> None:
    assert store.reviews.review(1) is None
    store.reviews.save_review("github", "o/r", 1, HEAD_A, False, {})
    assert store.reviews.review(2) is None


def test_saving_the_same_head_again_replaces_the_document(store: Store, clock: Clock) -> None:
    first = store.reviews.save_review("github", "o/r", 1, HEAD_A, True, {"n": 1})
    clock.advance(60)
    again = store.reviews.save_review("github", "o/r", 1, HEAD_A, False, {"n": 2})
    row = store.reviews.review(again)
    assert again == first and row is not None
    assert (row["gate_failed"], row["document"]) == (False, {"n": 2})
    assert row["created_at"] == pytest.approx(clock.now)


def test_each_head_host_and_pr_has_a_review_of_its_own(store: Store) -> None:
    a = store.reviews.save_review("github", "o/r", 1, HEAD_A, True, {})
    b = store.reviews.save_review("github", "o/r", 1, HEAD_B, False, {})
    other_pr = store.reviews.save_review("github", "o/r", 2, HEAD_A, False, {})
    other_host = store.reviews.save_review("gitlab", "o/r", 1, HEAD_A, False, {})
    assert len({a, b, other_pr, other_host}) == 4
    assert store.reviews.reviews_for("github", "o/r", 1) == [
        {"id": a, "head_sha": HEAD_A, "gate_failed": True},
        {"id": b, "head_sha": HEAD_B, "gate_failed": False},
    ]
    assert store.reviews.reviews_for("github", "o/other", 1) == []


def test_fingerprints_are_recorded_once_per_pull_request(store: Store) -> None:
    store.reviews.record_comments("github", "o/r", 1, [("fp1", "c1"), ("fp1", "c1-again")])
    store.reviews.record_comments("github", "o/r", 1, [("fp2", None)])
    store.reviews.record_comments("github", "o/r", 2, [("fp3", "c3")])
    store.reviews.record_comments("gitlab", "o/r", 1, [("fp4", "n4")])
    store.reviews.record_comments("github", "o/r", 1, [])
    assert store.reviews.fingerprints("github", "o/r", 1) == {"fp1", "fp2"}
    assert store.reviews.fingerprints("github", "o/r", 2) == {"fp3"}
    assert store.reviews.fingerprints("gitlab", "o/r", 1) == {"fp4"}
    assert store.reviews.fingerprints("github", "x/y", 1) == set()
