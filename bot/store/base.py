"""What the store's aggregates share: one engine, one clock, and one translation of the
database's errors into `StoreError`, for reads and writes alike."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import (
    DataError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)

from bot.core.errors import StoreError, StoreRejected

Clock = Callable[[], float]


class Tables:
    """Base of the SQL adapters: `tx()` for a write transaction, `read()` for a read."""

    def __init__(self, engine: Engine, clock: Clock = time.time) -> None:
        self.engine = engine
        self.clock = clock
        self.sqlite = engine.dialect.name == "sqlite"

    @contextmanager
    def tx(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except IntegrityError:
            raise  # callers turn constraint violations into outcomes (a duplicate delivery)
        except DataError as exc:
            raise StoreRejected(f"the store refused the record: {_reason(exc)}") from exc
        except (OperationalError, InterfaceError) as exc:
            raise StoreError(f"store unavailable: {_reason(exc)}") from exc
        except SQLAlchemyError as exc:
            raise StoreError(f"store error: {_reason(exc)}") from exc

    @contextmanager
    def read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"store unavailable: {_reason(exc)}") from exc


def _reason(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc).strip().splitlines()[0][:300]
