"""Jobs as plain values: what a webhook asks for, a job as the queue holds it, and what
accepting a delivery did."""

from __future__ import annotations

import dataclasses

import pytest

from bot.core.jobs import ACTIVE, STATES, Accepted, Job, JobSpec


def job(**changes: object) -> Job:
    values: dict[str, object] = {
        "id": 4,
        "host": "github",
        "repo": "octo/repo",
        "pr": 7,
        "head_sha": "h",
        "base_sha": "b",
        "installation_id": 11,
        "project_id": None,
        "kind": "review",
        "state": "queued",
        "attempts": 0,
        "last_error": None,
        "lease_until": None,
        "run_after": 0.0,
        "worker": None,
        "delivery_id": "d-1",
        "payload": {"action": "opened"},
        "created_at": 1.0,
    }
    values.update(changes)
    return Job(**values)  # type: ignore[arg-type]


def test_spec_defaults() -> None:
    spec = JobSpec("github", "octo/repo", 7)
    assert spec.kind == "review"
    assert (spec.head_sha, spec.base_sha, spec.installation_id, spec.project_id) == (None,) * 4
    assert spec.payload == {} and spec.trigger_keys == ()


def test_each_spec_has_its_own_payload() -> None:
    first, second = JobSpec("github", "r", 1), JobSpec("github", "r", 2)
    first.payload["x"] = 1
    assert second.payload == {}


def test_specs_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        JobSpec("github", "r", 1).pr = 2  # type: ignore[misc]


def test_active_states_are_states() -> None:
    assert set(ACTIVE) < set(STATES)
    assert "done" not in ACTIVE and "dead" not in ACTIVE and "superseded" not in ACTIVE


def test_to_dict_round_trips_and_is_a_copy() -> None:
    value = job()
    data = value.to_dict()
    assert Job(**data) == value
    assert set(data) == {f.name for f in dataclasses.fields(Job)}
    data["state"] = "dead"
    assert value.state == "queued"


def test_accepted() -> None:
    accepted = Accepted(False, 3, "queued")
    assert accepted.superseded == 0
    assert Accepted(True, None, "duplicate-delivery").job_id is None
