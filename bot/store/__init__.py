"""The durable store (SQLAlchemy Core on SQLite or PostgreSQL), split by aggregate:
`deliveries`, `queue` and `reviews`, sharing one engine and one clock."""

from __future__ import annotations

import time

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from bot.core.errors import StoreError
from bot.store.base import Clock
from bot.store.db import make_engine, migrate
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


def open_store(url: str, clock: Clock = time.time) -> Store:
    """Open and migrate the store at `url`; an unreachable database raises `StoreError`."""
    try:
        engine = make_engine(url)
        migrate(engine)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open the store at {url.split('@')[-1]}: {exc}") from exc
    return Store(engine, clock)
