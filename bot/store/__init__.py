"""The durable store (SQLAlchemy Core on SQLite or PostgreSQL), split by aggregate:
`deliveries`, `queue` and `reviews`, sharing one engine and one clock."""

from __future__ import annotations

import time

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from bot.core.errors import StoreError
from bot.store.base import Clock
from bot.store.db import is_sqlite, make_engine, require_migrated
from bot.store.db import migrate as run_migrations
from bot.store.deliveries import Deliveries
from bot.store.queue import Queue
from bot.store.reviews import Reviews


class Store:
    """The three aggregates over one engine. Each reads and writes only its own tables, except
    that a delivery records its job in the same transaction."""

    def __init__(self, engine: Engine, clock: Clock = time.time) -> None:
        self.engine = engine
        self.queue = Queue(engine, clock)
        self.deliveries = Deliveries(self.queue)
        self.reviews = Reviews(engine, clock)

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(select(1))
            return True
        except SQLAlchemyError:
            return False

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str, clock: Clock = time.time, migrate: bool | None = None) -> Store:
    """Open the store at `url`; an unreachable database raises `StoreError`. `migrate`:
    run the migrations first; by default only the embedded SQLite store migrates itself,
    while PostgreSQL (scale-out) must already be at head (`redline migrate`, the chart's
    migration Job), so that no web pod ever migrates on start-up."""
    try:
        engine = make_engine(url)
        try:
            if is_sqlite(engine) if migrate is None else migrate:
                run_migrations(engine)
            else:
                require_migrated(engine)
        except BaseException:
            engine.dispose()  # no pooled connection outlives a refusal
            raise
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
        raise StoreError(f"cannot open the store at {url.split('@')[-1]}: {reason}") from exc
    return Store(engine, clock)
