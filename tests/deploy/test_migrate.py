"""`redline migrate`, what the chart's migration Job runs, on the machine's PostgreSQL: the
scale-out store refuses an unmigrated schema (no pod migrates on start-up), the command
migrates once and is idempotent, and a migration that cannot run fails with one line, exit 2,
rolled back, while a server already running on the database keeps serving."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from bot.core.errors import StoreError
from bot.store import open_store
from tests.conftest import PG_ADMIN, Run
from tests.webhooks.helpers import Process, free_port, redline_env, send_github, wait_http

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "webhooks" / "github"


@pytest.fixture
def bare_db() -> Iterator[str]:
    """A fresh, empty (unmigrated) PostgreSQL database, dropped afterwards."""
    name = f"redline_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
            )
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


Migrate = Callable[..., tuple[int, str, str]]


@pytest.fixture
def migrate(run_cli: Run) -> Migrate:
    """`redline migrate ...` in-process: (exit code, stdout, stderr)."""
    return lambda *args: run_cli("migrate", *args)


def _head(url: str) -> str:
    from bot.store.db import make_engine, revisions

    engine = make_engine(url)
    try:
        return revisions(engine)[1]
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {r[0] for r in rows}


def test_scale_out_store_waits_for_the_migration_job(
    bare_db: str, tmp_path: Path, migrate: Migrate
) -> None:
    with pytest.raises(StoreError, match="run `redline migrate`"):
        open_store(bare_db)
    assert tables(bare_db) == set()  # opening did not migrate
    code, out, _ = migrate("--check", "--url", bare_db)
    assert code == 1 and "pending" in out
    head = _head(bare_db)
    code, out, err = migrate("--url", bare_db)
    assert code == 0 and f"revision none -> {head}" in out, err
    code, out, _ = migrate("--url", bare_db)
    assert code == 0 and f"already at {head}" in out
    assert migrate("--check", "--url", bare_db)[0] == 0
    store = open_store(bare_db)
    assert store.queue.counts()["queued"] == 0
    store.close()
    # The embedded single-machine store still migrates itself.
    embedded = open_store(f"sqlite:///{tmp_path / 'redline.db'}")
    assert embedded.queue.counts()["queued"] == 0
    embedded.close()


def test_failed_migration_is_one_line_exit_2_and_rolled_back(
    bare_db: str, migrate: Migrate
) -> None:
    with psycopg.connect(bare_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE jobs (id integer)")  # in the way of the first revision
    code, _, err = migrate("--url", bare_db)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("redline: error: ") and '"jobs" already exists' in lines[0]
    assert "rolled back" in lines[0]
    # The tables the revision created before it failed are gone with it.
    assert tables(bare_db) == {"jobs"}
    code, _, err = migrate("--url", "postgresql://postgres@127.0.0.1:1/redline")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "cannot migrate the store at 127.0.0.1:1/redline" in err


def test_old_pods_keep_serving_while_a_migration_fails(
    pg_url: str, redis_url: str, tmp_path: Path, migrate: Migrate
) -> None:
    """A web pod as the chart runs it (PostgreSQL and Redis)."""
    env = redline_env(
        tmp_path / "data",
        tmp_path / "host",
        REDLINE_DATABASE_URL=pg_url,
        REDLINE_QUEUE_URL=redis_url,
    )
    port = free_port()
    server = Process(["serve", "--port", str(port), "--workers", "0"], env, tmp_path / "s.log")
    url = f"http://127.0.0.1:{port}"
    body = (SAMPLE / "pull_request__synchronize.json").read_bytes()
    try:
        wait_http(url)
        # The migration tool finds no revision (as after a botched restore) and fails half-way.
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("DELETE FROM alembic_version")
        code, _, err = migrate("--url", pg_url)
        assert code == 2 and "already exists" in err
        with httpx.Client(timeout=10) as client:
            assert client.get(f"{url}/readyz").status_code == 200
            accepted = send_github(client, url, body, "pull_request", "d-1")
        assert accepted.status_code == 202 and accepted.json()["outcome"] == "queued"
    finally:
        server.stop()
