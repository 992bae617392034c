"""Webhook deliveries in SQL: each delivery and, when it asks for a review, its job, recorded
in one transaction before the webhook is acknowledged. Group commit for bursts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, func, insert, select
from sqlalchemy.exc import IntegrityError

from bot.core.jobs import Accepted, JobSpec
from bot.store.base import Tables
from bot.store.queue import Queue
from bot.store.schema import deliveries, installations

Item = tuple[str, str, str, str | None, JobSpec | None, str]


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
        return self.queue.enqueue_in(conn, spec, delivery_id, now)

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
