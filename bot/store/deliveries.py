"""Webhook deliveries in SQL: each delivery and, when it asks for a review, its job, recorded
in one transaction before the webhook is acknowledged. Group commit for bursts."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.core.jobs import Accepted, JobSpec
from bot.store.base import Tables
from bot.store.queue import Queue
from bot.store.schema import deliveries, installations

Item = tuple[str, str, str, str | None, JobSpec | None, str]
RERUN_WINDOW = 60  # seconds: one /redline review per commenter and pull request


class Deliveries(Tables):
    def __init__(self, queue: Queue) -> None:
        super().__init__(queue.engine, queue.clock)
        self.queue = queue

    def accept(
        self,
        host: str,
        delivery_id: str,
        event: str,
        action: str | None,
        spec: JobSpec | None,
        outcome: str = "ignored",
    ) -> Accepted:
        """Record the delivery and its job: one transaction, committed before the ack."""
        try:
            with self.tx() as conn:
                return self._record(conn, (host, delivery_id, event, action, spec, outcome))
        except IntegrityError:
            return Accepted(True, None, "duplicate-delivery")

    def accept_many(self, items: Sequence[Item]) -> list[Accepted]:
        """Several deliveries in one transaction (one fsync: group commit); a duplicate
        delivery id rolls back only its own savepoint."""
        out: list[Accepted] = []
        with self.tx() as conn:
            for item in items:
                savepoint = conn.begin_nested()
                try:
                    result = self._record(conn, item)
                    savepoint.commit()
                except IntegrityError:
                    savepoint.rollback()
                    result = Accepted(True, None, "duplicate-delivery")
                out.append(result)
        return out

    def _record(self, conn: Connection, item: Item) -> Accepted:
        """The delivery row and, when it asks for a review, its job (raises IntegrityError
        for a delivery id already recorded)."""
        host, delivery_id, event, action, spec, outcome = item
        now = self.clock()
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
        if spec.trigger_keys and not self._first_trigger(conn, host, spec.trigger_keys, now):
            self._set_outcome(conn, host, delivery_id, "duplicate-trigger")
            return Accepted(False, None, "duplicate-trigger")
        return self.queue.enqueue_in(conn, spec, delivery_id, now)

    def _first_trigger(
        self, conn: Connection, host: str, keys: tuple[str, ...], now: float
    ) -> bool:
        """Record the trigger keys unless one was seen: a comment id once ever, a commenter's
        rerun once a window (`rerun:` keys). The keys share the deliveries' unique index."""
        rows = []
        for key in keys:
            if key.startswith("rerun:"):
                key = f"{key}@{int(now // RERUN_WINDOW)}"
            rows.append("trigger:" + hashlib.sha256(key.encode("utf-8")).hexdigest())
        seen = conn.execute(
            select(deliveries.c.id).where(
                deliveries.c.host == host, deliveries.c.delivery_id.in_(rows)
            )
        ).first()
        if seen is not None:
            return False
        for row in rows:
            conn.execute(
                insert(deliveries).values(
                    host=host,
                    delivery_id=row,
                    event="trigger",
                    action=None,
                    outcome="trigger",
                    received_at=now,
                )
            )
        return True

    def _set_outcome(self, conn: Connection, host: str, delivery_id: str, outcome: str) -> None:
        conn.execute(
            update(deliveries)
            .where(deliveries.c.host == host, deliveries.c.delivery_id == delivery_id)
            .values(outcome=outcome)
        )

    def outcomes(self) -> dict[str, int]:
        with self.read() as conn:
            rows = conn.execute(
                select(deliveries.c.outcome, func.count()).group_by(deliveries.c.outcome)
            )
            return {str(k): int(v) for k, v in rows}

    def count(self) -> int:
        with self.read() as conn:
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
                    received_at=self.clock(),
                )
            )
