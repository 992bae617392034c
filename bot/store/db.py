"""Engines for the store: SQLite in WAL mode (embedded) or PostgreSQL, migrated on start."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError

from bot.core.errors import StoreError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
log = logging.getLogger("redline.store")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str) -> Engine:
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:  # a file where the directory should be, no permission
                raise StoreError(
                    f"cannot create the store's directory {Path(path).parent}: {exc.strerror}"
                ) from exc
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=8,
            max_overflow=16,
        )

        @event.listens_for(engine, "connect")
        def _connect(dbapi: Any, _record: Any) -> None:
            # Let SQLAlchemy's "begin" event own the transaction (BEGIN IMMEDIATE below).
            dbapi.isolation_level = None
            cursor = dbapi.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # FULL: an acknowledged delivery survives a power cut, not just a crash.
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            # Writers take the lock up front: no upgrade deadlocks between server and worker.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _config() -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(engine: Engine) -> None:
    """Upgrade to head in one transaction (PostgreSQL DDL is transactional: a failed
    migration leaves the schema as it was)."""
    config = _config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None)
        reason = str(orig if orig is not None else exc).strip().splitlines()[0][:300]
        raise StoreError(f"could not migrate the store: {reason}") from exc


def revisions(engine: Engine) -> tuple[str | None, str, bool]:
    """(the database's revision, this version's head, whether this version knows the
    database's revision)."""
    script = ScriptDirectory.from_config(_config())
    head = script.get_current_head()
    assert head is not None
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    known = current is None or any(r.revision == current for r in script.walk_revisions())
    return current, head, known


def require_migrated(engine: Engine) -> None:
    """The scale-out store is migrated by `redline migrate` (the chart's migration Job),
    never by a pod on start-up. A database behind this version's head is refused; one ahead
    of it (an upgrade rolling out, migrations kept backward compatible) is accepted."""
    current, head, known = revisions(engine)
    if current == head or not known:
        if not known:
            log.warning("database schema is newer than this version", extra={"rev": current})
        return
    where = f"{engine.url.host or 'localhost'}/{engine.url.database}"
    raise StoreError(
        f"the database {where} is at schema revision {current or 'none'}, this version needs "
        f"{head}: run `redline migrate` (the chart's migration Job) first"
    )
