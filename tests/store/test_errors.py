"""The store's boundary: a database that cannot be opened or is not migrated surfaces as
`StoreError` (transient, one line, no credentials) from every method, never as a SQLAlchemy
exception; migrations bring a database to the head that `schema.py` describes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect

from bot.core.errors import StoreError
from bot.store import Store, open_store
from bot.store.db import make_engine, migrate, require_migrated, revisions
from bot.store.schema import metadata
from tests.store.conftest import spec

MIGRATIONS = Path(__file__).resolve().parents[2] / "bot" / "store" / "migrations" / "versions"

CALLS: dict[str, Callable[[Store], Any]] = {
    "queue.counts": lambda s: s.queue.counts(),
    "queue.jobs": lambda s: s.queue.jobs(),
    "queue.job": lambda s: s.queue.job(1),
    "queue.next_due": lambda s: s.queue.next_due(),
    "queue.enqueue": lambda s: s.queue.enqueue(spec(1)),
    "queue.claim": lambda s: s.queue.claim("w", 30),
    "queue.complete": lambda s: s.queue.complete(1, "w"),
    "queue.retry": lambda s: s.queue.retry(1),
    "queue.stale_queued": lambda s: s.queue.stale_queued(120),
    "deliveries.outcomes": lambda s: s.deliveries.outcomes(),
    "deliveries.count": lambda s: s.deliveries.count(),
    "deliveries.accept": lambda s: s.deliveries.accept("github", "d", "push", None, None),
    "reviews.review": lambda s: s.reviews.review(1),
    "reviews.reviews_for": lambda s: s.reviews.reviews_for("github", "o/r", 1),
    "reviews.fingerprints": lambda s: s.reviews.fingerprints("github", "o/r", 1),
    "reviews.save_review": lambda s: s.reviews.save_review("github", "o/r", 1, "a", False, {}),
}


@pytest.fixture
def unopenable(tmp_path: Path) -> Iterator[Store]:
    """A store whose database file can never be opened: its directory does not exist."""
    store = Store(create_engine(f"sqlite:///{tmp_path / 'missing' / 'redline.db'}"))
    yield store
    store.close()


@pytest.fixture
def unmigrated(tmp_path: Path) -> Iterator[Store]:
    """A store on a database that has none of the tables."""
    store = Store(make_engine(f"sqlite:///{tmp_path / 'empty.db'}"))
    yield store
    store.close()


@pytest.mark.parametrize("call", list(CALLS), ids=list(CALLS))
def test_every_method_of_an_unopenable_store_raises_store_error(
    unopenable: Store, call: str
) -> None:
    with pytest.raises(StoreError, match=r"store (unavailable|error)") as raised:
        CALLS[call](unopenable)
    assert raised.value.transient is True
    assert "\n" not in str(raised.value)
    assert unopenable.ping() is False


@pytest.mark.parametrize("call", list(CALLS), ids=list(CALLS))
def test_every_method_of_a_store_without_tables_raises_store_error(
    unmigrated: Store, call: str
) -> None:
    with pytest.raises(StoreError, match="no such table"):
        CALLS[call](unmigrated)
    assert unmigrated.ping() is True  # reachable, just not migrated


def test_an_unreachable_postgresql_is_one_line_without_the_password() -> None:
    with pytest.raises(StoreError) as raised:
        open_store("postgresql://redline:hunter2@127.0.0.1:1/redline")
    message = str(raised.value)
    assert message.startswith("cannot open the store at 127.0.0.1:1/redline:")
    assert "hunter2" not in message and "\n" not in message


@pytest.mark.parametrize("url", ["bogus://x", "not a url", "postgres://u:pw@127.0.0.1:1/x"])
def test_a_url_that_cannot_be_used_is_a_store_error(url: str) -> None:
    with pytest.raises(StoreError, match="cannot open the store"):
        open_store(url)


def test_the_embedded_store_migrates_itself_to_the_head(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'deep' / 'dir' / 'redline.db'}")
    try:
        current, head, known = revisions(store.engine)
        newest = sorted(p.name for p in MIGRATIONS.glob("0*.py"))[-1]
        assert (current, known) == (head, True) and newest.startswith(head)
        # The head is what schema.py describes: the same tables with the same columns.
        found = inspect(store.engine)
        assert set(found.get_table_names()) == set(metadata.tables) | {"alembic_version"}
        for name, table in metadata.tables.items():
            assert {c["name"] for c in found.get_columns(name)} == set(table.columns.keys())
    finally:
        store.close()


def test_migrating_twice_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'redline.db'}"
    store = open_store(url)
    store.queue.enqueue(spec(1))
    store.close()
    again = open_store(url)
    try:
        migrate(again.engine)
        assert again.queue.counts()["queued"] == 1
    finally:
        again.close()


def test_a_store_that_must_not_migrate_refuses_an_old_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'redline.db'}"
    needs = r"schema revision none, this version needs .*redline migrate"
    with pytest.raises(StoreError, match=needs):
        open_store(url, migrate=False)
    open_store(url).close()  # the embedded default migrates
    open_store(url, migrate=False).close()  # and now it is at the head


def test_a_schema_newer_than_this_version_is_accepted(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'redline.db'}")
    migrate(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    try:
        assert revisions(engine)[2] is False  # a revision this version does not know
        require_migrated(engine)  # an upgrade rolling out: the old pods keep serving
    finally:
        engine.dispose()


def test_a_file_where_the_data_directory_should_be_is_a_store_error(tmp_path: Path) -> None:
    # It escaped as FileExistsError, a traceback from `redline jobs` and `redline migrate`.
    (tmp_path / "data").write_text("not a directory")
    says = r"cannot create the store's directory .*data: File exists"
    with pytest.raises(StoreError, match=says):
        open_store(f"sqlite:///{tmp_path / 'data' / 'redline.db'}")
