"""Jobs: what a webhook asks for (a `JobSpec`), a job as the queue holds it, and what accepting
a delivery did. Plain values shared by the webhook parsers, the store and the worker."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ACTIVE = ("queued", "running")
STATES = ("queued", "running", "done", "dead", "superseded")


@dataclass(frozen=True)
class JobSpec:
    """What a webhook asks for: review this pull request (at this head, if known)."""

    host: str
    repo: str
    pr: int
    head_sha: str | None = None
    base_sha: str | None = None
    installation_id: int | None = None
    project_id: int | None = None
    kind: str = "review"  # review | rerun
    payload: dict[str, Any] = field(default_factory=dict)
    # Keys that may each start one job only, ever (a comment's id: a replayed body with a new
    # delivery id is the same request) or within a window (one rerun per commenter a minute).
    trigger_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class Job:
    id: int
    host: str
    repo: str
    pr: int
    head_sha: str | None
    base_sha: str | None
    installation_id: int | None
    project_id: int | None
    kind: str
    state: str
    attempts: int
    last_error: str | None
    lease_until: float | None
    run_after: float
    worker: str | None
    delivery_id: str | None
    payload: dict[str, Any]
    created_at: float

    def to_dict(self) -> dict[str, Any]:
        data = self.__dict__.copy()
        return data


@dataclass(frozen=True)
class Accepted:
    duplicate: bool  # the delivery id was seen before
    job_id: int | None
    outcome: str  # queued | duplicate-delivery | duplicate-head | ignored | recorded
    superseded: int = 0
