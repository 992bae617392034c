"""The job queue in SQL: enqueue (superseding older heads), claim under leases, heartbeat,
complete once, retry with backoff and jitter, dead-letter."""

from __future__ import annotations

import json
import random
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select, update

from bot.core.jobs import ACTIVE, STATES, Accepted, Job, JobSpec
from bot.store.base import Tables
from bot.store.schema import deliveries, jobs


def _job(row: Any) -> Job:
    data = dict(row._mapping)
    data["payload"] = json.loads(data.get("payload") or "{}")
    data.pop("updated_at", None)
    data.pop("published_at", None)
    return Job(**data)


class Queue(Tables):
    def enqueue(self, spec: JobSpec) -> Accepted:
        with self.tx() as conn:
            return self.enqueue_in(conn, spec, None, self.clock())

    def enqueue_in(
        self, conn: Connection, spec: JobSpec, delivery_id: str | None, now: float
    ) -> Accepted:
        """Enqueue inside the caller's transaction (a delivery and its job commit together)."""
        same_pr = and_(jobs.c.host == spec.host, jobs.c.repo == spec.repo, jobs.c.pr == spec.pr)
        if spec.head_sha:
            states = ACTIVE if spec.kind == "rerun" else (*ACTIVE, "done")
            existing = conn.execute(
                select(jobs.c.id)
                .where(same_pr, jobs.c.head_sha == spec.head_sha, jobs.c.state.in_(states))
                .limit(1)
            ).first()
            if existing is not None:
                _set_outcome(conn, spec.host, delivery_id, "duplicate-head")
                return Accepted(False, int(existing[0]), "duplicate-head")
        if spec.kind == "rerun" and not spec.head_sha:
            active = conn.execute(
                select(jobs.c.id)
                .where(same_pr, jobs.c.kind == "rerun", jobs.c.state.in_(ACTIVE))
                .limit(1)
            ).first()
            if active is not None:
                _set_outcome(conn, spec.host, delivery_id, "duplicate-rerun")
                return Accepted(False, int(active[0]), "duplicate-rerun")
        # A newer head supersedes a queued older one (running ones finish).
        superseded = (
            conn.execute(
                update(jobs)
                .where(
                    same_pr,
                    jobs.c.state == "queued",
                    or_(jobs.c.head_sha.is_(None), jobs.c.head_sha != (spec.head_sha or "")),
                )
                .values(state="superseded", updated_at=now)
            ).rowcount
            if spec.head_sha
            else 0
        )
        result = conn.execute(
            insert(jobs).values(
                host=spec.host,
                repo=spec.repo,
                pr=spec.pr,
                head_sha=spec.head_sha,
                base_sha=spec.base_sha,
                installation_id=spec.installation_id,
                project_id=spec.project_id,
                kind=spec.kind,
                state="queued",
                attempts=0,
                run_after=now,
                delivery_id=delivery_id,
                payload=json.dumps(spec.payload),
                published_at=now,  # the caller publishes it after the commit
                created_at=now,
                updated_at=now,
            )
        )
        job_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        return Accepted(False, job_id, "queued", superseded or 0)

    def claim(
        self, worker: str, lease: float, job_id: int | None = None, max_attempts: int = 5
    ) -> Job | None:
        """Take the next due job (or `job_id`): queued and due, or running with an expired
        lease (its worker died). The claim and the lease are one atomic update. A job whose
        lease expired on its last attempt is dead-lettered instead: it crashed its worker
        `max_attempts` times and would crash the next one too."""
        while True:
            outcome = self._claim_one(worker, lease, job_id, max_attempts)
            if not isinstance(outcome, str):  # "dead-lettered": look for the next one
                return outcome

    def _claim_one(
        self, worker: str, lease: float, job_id: int | None, max_attempts: int
    ) -> Job | str | None:
        now = self.clock()
        due = or_(
            and_(jobs.c.state == "queued", jobs.c.run_after <= now),
            and_(jobs.c.state == "running", jobs.c.lease_until < now),
        )
        with self.tx() as conn:
            query = select(jobs).where(due)
            if job_id is not None:
                query = query.where(jobs.c.id == job_id)
            query = query.order_by(jobs.c.run_after, jobs.c.id).limit(1)
            if not self.sqlite:
                query = query.with_for_update(skip_locked=True)
            row = conn.execute(query).first()
            if row is None:
                return None
            if row.state == "running" and row.attempts >= max_attempts:
                conn.execute(
                    update(jobs)
                    .where(jobs.c.id == row.id, due)
                    .values(
                        state="dead",
                        lease_until=None,
                        updated_at=now,
                        last_error=f"its worker was lost on attempt {row.attempts} of "
                        f"{max_attempts} (last error: {row.last_error or 'none'})"[:2000],
                    )
                )
                return "dead-lettered"
            claimed = conn.execute(
                update(jobs)
                .where(jobs.c.id == row.id, due)
                .values(
                    state="running",
                    attempts=jobs.c.attempts + 1,
                    lease_until=now + lease,
                    worker=worker,
                    updated_at=now,
                )
            ).rowcount
            if not claimed:
                return None
            fresh = conn.execute(select(jobs).where(jobs.c.id == row.id)).one()
            return _job(fresh)

    def extend(self, job_id: int, worker: str, lease: float) -> bool:
        with self.tx() as conn:
            return bool(
                conn.execute(
                    update(jobs)
                    .where(jobs.c.id == job_id, jobs.c.worker == worker, jobs.c.state == "running")
                    .values(lease_until=self.clock() + lease)
                ).rowcount
            )

    def complete(self, job_id: int, worker: str) -> bool:
        """Done, if this worker still holds the job (a job completes exactly once)."""
        with self.tx() as conn:
            return bool(
                conn.execute(
                    update(jobs)
                    .where(jobs.c.id == job_id, jobs.c.worker == worker, jobs.c.state == "running")
                    .values(state="done", lease_until=None, updated_at=self.clock())
                ).rowcount
            )

    def fail(
        self,
        job_id: int,
        worker: str,
        error: str,
        max_attempts: int,
        base_seconds: float,
        rng: random.Random | None = None,
    ) -> str:
        """Retry with exponential backoff and jitter, or dead-letter with the last error."""
        rng = rng or random.Random()
        now = self.clock()
        with self.tx() as conn:
            row = conn.execute(
                select(jobs.c.attempts).where(
                    jobs.c.id == job_id, jobs.c.worker == worker, jobs.c.state == "running"
                )
            ).first()
            if row is None:
                return "lost"
            attempts = int(row[0])
            if attempts >= max_attempts:
                state, run_after = "dead", now
            else:
                delay = base_seconds * (2 ** (attempts - 1)) * rng.uniform(0.5, 1.5)
                state, run_after = "queued", now + delay
            conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id)
                .values(
                    state=state,
                    last_error=error[:2000],
                    run_after=run_after,
                    lease_until=None,
                    updated_at=now,
                )
            )
            return state

    def supersede_if_stale(self, job: Job) -> bool:
        """A claimed job whose PR has a newer queued head is not worth running."""
        with self.tx() as conn:
            newer = conn.execute(
                select(jobs.c.id)
                .where(
                    jobs.c.host == job.host,
                    jobs.c.repo == job.repo,
                    jobs.c.pr == job.pr,
                    jobs.c.id > job.id,
                    jobs.c.state.in_(ACTIVE),
                    jobs.c.kind == "review",
                    jobs.c.head_sha != (job.head_sha or ""),
                )
                .limit(1)
            ).first()
            if newer is None:
                return False
            conn.execute(
                update(jobs)
                .where(jobs.c.id == job.id)
                .values(state="superseded", lease_until=None, updated_at=self.clock())
            )
            return True

    def jobs(self, state: str | None = None, limit: int = 1000) -> list[Job]:
        with self.read() as conn:
            query = select(jobs).order_by(jobs.c.id.desc()).limit(limit)
            if state:
                query = query.where(jobs.c.state == state)
            return [_job(r) for r in conn.execute(query)]

    def job(self, job_id: int) -> Job | None:
        with self.read() as conn:
            row = conn.execute(select(jobs).where(jobs.c.id == job_id)).first()
            return _job(row) if row is not None else None

    def retry(self, job_id: int) -> bool:
        now = self.clock()
        with self.tx() as conn:
            return bool(
                conn.execute(
                    update(jobs)
                    .where(jobs.c.id == job_id, jobs.c.state.in_(("dead", "done", "superseded")))
                    .values(
                        state="queued", attempts=0, run_after=now, lease_until=None, updated_at=now
                    )
                ).rowcount
            )

    def counts(self) -> dict[str, int]:
        with self.read() as conn:
            rows = conn.execute(select(jobs.c.state, func.count()).group_by(jobs.c.state))
            out = dict.fromkeys(STATES, 0)
            out.update({str(state): int(count) for state, count in rows})
            return out

    def mark_published(self, job_ids: list[int]) -> None:
        if job_ids:
            with self.tx() as conn:
                conn.execute(
                    update(jobs).where(jobs.c.id.in_(job_ids)).values(published_at=self.clock())
                )

    def stale_queued(self, older_than: float) -> list[int]:
        """Jobs whose wake-up message is lost: due (queued and due, or running with an expired
        lease) and not published since they became due, or for longer than `older_than`
        seconds. Each is marked published as it is returned, so a sweep republishes a job
        once, not the whole backlog every time."""
        now = self.clock()
        cutoff = now - older_than
        became_due = func.coalesce(jobs.c.lease_until, jobs.c.run_after)
        never_sent = or_(
            jobs.c.published_at.is_(None),
            jobs.c.published_at < became_due,
            jobs.c.published_at < cutoff,
        )
        due = or_(
            and_(jobs.c.state == "queued", jobs.c.run_after <= now),
            and_(jobs.c.state == "running", jobs.c.lease_until < now),
        )
        with self.tx() as conn:
            ids = [
                int(r[0])
                for r in conn.execute(select(jobs.c.id).where(due, never_sent).limit(1000))
            ]
            if ids:
                conn.execute(update(jobs).where(jobs.c.id.in_(ids)).values(published_at=now))
            return ids

    def next_due(self) -> float | None:
        with self.read() as conn:
            row = conn.execute(
                select(func.min(jobs.c.run_after)).where(jobs.c.state == "queued")
            ).first()
            return float(row[0]) if row and row[0] is not None else None


def _set_outcome(conn: Connection, host: str, delivery_id: str | None, outcome: str) -> None:
    if delivery_id:
        conn.execute(
            update(deliveries)
            .where(deliveries.c.host == host, deliveries.c.delivery_id == delivery_id)
            .values(outcome=outcome)
        )
