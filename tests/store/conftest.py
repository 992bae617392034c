"""Fixtures of the store's tests: a clock the tests move, and stores on a SQLite file and on
one PostgreSQL database per module (emptied before each test: creating a database per test
costs seconds)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from bot.core.jobs import JobSpec
from bot.store import Store, open_store
from tests.conftest import fresh_database

TABLES = "deliveries, jobs, reviews, comments, installations"


class Clock:
    """The store's injectable clock: tests move time instead of sleeping."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def pg_module_url() -> Iterator[str]:
    """One migrated PostgreSQL database for a test module, dropped afterwards."""
    with fresh_database() as url:
        yield url


def pg_store(url: str, clock: Clock) -> Store:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {TABLES} RESTART IDENTITY")
    return open_store(url, clock)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> Iterator[Store]:
    if request.param == "sqlite":
        opened = open_store(f"sqlite:///{tmp_path / 'redline.db'}", clock)
    else:
        opened = pg_store(request.getfixturevalue("pg_module_url"), clock)
    yield opened
    opened.close()


@pytest.fixture
def sqlite_store(tmp_path: Path, clock: Clock) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'redline.db'}", clock)
    yield opened
    opened.close()


@pytest.fixture
def pg(pg_module_url: str, clock: Clock) -> Iterator[Store]:
    opened = pg_store(pg_module_url, clock)
    yield opened
    opened.close()


def spec(pr: int = 1, head: str | None = "a" * 40, **fields: object) -> JobSpec:
    return JobSpec("github", "o/r", pr, head, **fields)  # type: ignore[arg-type]
