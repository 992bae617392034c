"""Store operations: accept a delivery and its job in one transaction, claim jobs under
leases, retry with backoff, dead-letter, and keep reviews and posted fingerprints."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from bot.store.db import StoreError, is_sqlite, make_engine, migrate
from bot.store.schema import comments, deliveries, installations, jobs, reviews

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


def _job(row: Any) -> Job:
    data = dict(row._mapping)
    data["payload"] = json.loads(data.get("payload") or "{}")
    data.pop("updated_at", None)
    return Job(**data)


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite = is_sqlite(engine)

    @classmethod
    def open(cls, url: str) -> Store:
        engine = make_engine(url)
        migrate(engine)
        return cls(engine)

    @contextmanager
    def tx(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except OperationalError as exc:
            raise StoreError(f"store unavailable: {exc.orig}") from exc

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(select(1))
            return True
        except SQLAlchemyError:
            return False

    # --- deliveries and jobs ---------------------------------------------------------------
    def accept(
        self,
        host: str,
        delivery_id: str,
        event: str,
        action: str | None,
        spec: JobSpec | None,
        outcome: str = "ignored",
    ) -> Accepted:
        """Record the delivery and, when it asks for a review, its job: one transaction,
        committed before the webhook is acknowledged."""
        now = time.time()
        try:
            with self.tx() as conn:
                return self._record(conn, host, delivery_id, event, action, spec, outcome, now)
        except IntegrityError:
            return Accepted(True, None, "duplicate-delivery")

    def accept_many(
        self, items: list[tuple[str, str, str, str | None, JobSpec | None, str]]
    ) -> list[Accepted]:
        """Several deliveries in one transaction (one fsync: group commit); a duplicate
        delivery id rolls back only its own savepoint."""
        now = time.time()
        out: list[Accepted] = []
        with self.tx() as conn:
            for host, delivery_id, event, action, spec, outcome in items:
                savepoint = conn.begin_nested()
                try:
                    result = self._record(
                        conn, host, delivery_id, event, action, spec, outcome, now
                    )
                    savepoint.commit()
                except IntegrityError:
                    savepoint.rollback()
                    result = Accepted(True, None, "duplicate-delivery")
                out.append(result)
        return out

    def _record(
        self,
        conn: Connection,
        host: str,
        delivery_id: str,
        event: str,
        action: str | None,
        spec: JobSpec | None,
        outcome: str,
        now: float,
    ) -> Accepted:
        """The delivery row and, when it asks for a review, its job (raises IntegrityError
        for a delivery id already recorded)."""
        conn.execute(
            insert(deliveries).values(
                host=host,
                delivery_id=delivery_id,
                event=event,
                action=action,
                outcome=outcome if spec is None else "queued",
                received_at=now,
            )
        )
        if spec is None:
            return Accepted(False, None, outcome)
        return self._enqueue(conn, spec, delivery_id, now)

    def _enqueue(
        self, conn: Connection, spec: JobSpec, delivery_id: str | None, now: float
    ) -> Accepted:
        same_pr = and_(jobs.c.host == spec.host, jobs.c.repo == spec.repo, jobs.c.pr == spec.pr)
        if spec.head_sha:
            states = ACTIVE if spec.kind == "rerun" else (*ACTIVE, "done")
            existing = conn.execute(
                select(jobs.c.id)
                .where(same_pr, jobs.c.head_sha == spec.head_sha, jobs.c.state.in_(states))
                .limit(1)
            ).first()
            if existing is not None:
                self._set_outcome(conn, spec.host, delivery_id, "duplicate-head")
                return Accepted(False, int(existing[0]), "duplicate-head")
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
                created_at=now,
                updated_at=now,
            )
        )
        job_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        return Accepted(False, job_id, "queued", superseded or 0)

    def _set_outcome(
        self, conn: Connection, host: str, delivery_id: str | None, outcome: str
    ) -> None:
        if delivery_id:
            conn.execute(
                update(deliveries)
                .where(deliveries.c.host == host, deliveries.c.delivery_id == delivery_id)
                .values(outcome=outcome)
            )

    def enqueue(self, spec: JobSpec) -> Accepted:
        with self.tx() as conn:
            return self._enqueue(conn, spec, None, time.time())

    def claim(self, worker: str, lease: float, job_id: int | None = None) -> Job | None:
        """Take the next due job (or `job_id`): queued and due, or running with an expired
        lease (its worker died). The claim and the lease are one atomic update."""
        now = time.time()
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
                    .values(lease_until=time.time() + lease)
                ).rowcount
            )

    def complete(self, job_id: int, worker: str) -> bool:
        """Done, if this worker still holds the job (a job completes exactly once)."""
        with self.tx() as conn:
            return bool(
                conn.execute(
                    update(jobs)
                    .where(jobs.c.id == job_id, jobs.c.worker == worker, jobs.c.state == "running")
                    .values(state="done", lease_until=None, updated_at=time.time())
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
        now = time.time()
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
                .values(state="superseded", lease_until=None, updated_at=time.time())
            )
            return True

    def jobs(self, state: str | None = None, limit: int = 1000) -> list[Job]:
        with self.engine.connect() as conn:
            query = select(jobs).order_by(jobs.c.id.desc()).limit(limit)
            if state:
                query = query.where(jobs.c.state == state)
            return [_job(r) for r in conn.execute(query)]

    def job(self, job_id: int) -> Job | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(jobs).where(jobs.c.id == job_id)).first()
            return _job(row) if row is not None else None

    def retry(self, job_id: int) -> bool:
        with self.tx() as conn:
            return bool(
                conn.execute(
                    update(jobs)
                    .where(jobs.c.id == job_id, jobs.c.state.in_(("dead", "done", "superseded")))
                    .values(
                        state="queued",
                        attempts=0,
                        run_after=time.time(),
                        lease_until=None,
                        updated_at=time.time(),
                    )
                ).rowcount
            )

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(jobs.c.state, func.count()).group_by(jobs.c.state))
            out = dict.fromkeys(STATES, 0)
            out.update({str(state): int(count) for state, count in rows})
            return out

    def stale_queued(self, older_than: float) -> list[int]:
        """Queued jobs whose wake-up message may have been lost (scale-out sweeper)."""
        cutoff = time.time() - older_than
        with self.engine.connect() as conn:
            return [
                int(r[0])
                for r in conn.execute(
                    select(jobs.c.id).where(
                        or_(
                            and_(jobs.c.state == "queued", jobs.c.run_after <= cutoff),
                            and_(jobs.c.state == "running", jobs.c.lease_until < time.time()),
                        )
                    )
                )
            ]

    def next_due(self) -> float | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(func.min(jobs.c.run_after)).where(jobs.c.state == "queued")
            ).first()
            return float(row[0]) if row and row[0] is not None else None

    # --- deliveries, installations -----------------------------------------------------
    def delivery_outcomes(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(deliveries.c.outcome, func.count()).group_by(deliveries.c.outcome)
            )
            return {str(k): int(v) for k, v in rows}

    def delivery_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(deliveries)).scalar_one())

    def record_installation(
        self, host: str, installation_id: int, account: str | None, action: str
    ) -> None:
        with self.tx() as conn:
            conn.execute(
                insert(installations).values(
                    host=host,
                    installation_id=installation_id,
                    account=account,
                    action=action,
                    received_at=time.time(),
                )
            )

    # --- reviews and comments ------------------------------------------------------------
    def save_review(
        self,
        host: str,
        repo: str,
        pr: int,
        head_sha: str,
        gate_failed: bool,
        document: dict[str, Any],
    ) -> int:
        text = json.dumps(document)
        key = and_(
            reviews.c.host == host,
            reviews.c.repo == repo,
            reviews.c.pr == pr,
            reviews.c.head_sha == head_sha,
        )
        with self.tx() as conn:
            row = conn.execute(select(reviews.c.id).where(key)).first()
            if row is not None:
                conn.execute(
                    update(reviews)
                    .where(reviews.c.id == row[0])
                    .values(document=text, gate_failed=gate_failed, created_at=time.time())
                )
                return int(row[0])
            result = conn.execute(
                insert(reviews).values(
                    host=host,
                    repo=repo,
                    pr=pr,
                    head_sha=head_sha,
                    gate_failed=gate_failed,
                    document=text,
                    created_at=time.time(),
                )
            )
            return int(result.inserted_primary_key[0])  # type: ignore[index]

    def review(self, review_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(reviews).where(reviews.c.id == review_id)).first()
        if row is None:
            return None
        data = dict(row._mapping)
        data["document"] = json.loads(data["document"])
        return data

    def reviews_for(self, host: str, repo: str, pr: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(reviews.c.id, reviews.c.head_sha, reviews.c.gate_failed)
                .where(reviews.c.host == host, reviews.c.repo == repo, reviews.c.pr == pr)
                .order_by(reviews.c.id)
            )
            return [dict(r._mapping) for r in rows]

    def record_comments(
        self, host: str, repo: str, pr: int, posted: list[tuple[str, str | None]]
    ) -> None:
        with self.tx() as conn:
            for fingerprint, ref in posted:
                exists = conn.execute(
                    select(comments.c.id).where(
                        comments.c.host == host,
                        comments.c.repo == repo,
                        comments.c.pr == pr,
                        comments.c.fingerprint == fingerprint,
                    )
                ).first()
                if exists is None:
                    conn.execute(
                        insert(comments).values(
                            host=host,
                            repo=repo,
                            pr=pr,
                            fingerprint=fingerprint,
                            comment_ref=ref,
                            created_at=time.time(),
                        )
                    )

    def fingerprints(self, host: str, repo: str, pr: int) -> set[str]:
        with self.engine.connect() as conn:
            return {
                str(r[0])
                for r in conn.execute(
                    select(comments.c.fingerprint).where(
                        comments.c.host == host, comments.c.repo == repo, comments.c.pr == pr
                    )
                )
            }


def open_store(url: str) -> Store:
    try:
        return Store.open(url)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open the store at {url.split('@')[-1]}: {exc}") from exc
