"""`redline migrate`, what the chart's migration Job runs, on the machine's PostgreSQL: the
scale-out store refuses an unmigrated schema (no pod migrates on start-up), the command
migrates once and is idempotent, and a migration that cannot run fails with one line, exit 2,
rolled back, while a server already running on the database keeps serving."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from bot.core.errors import StoreError
from bot.store import open_store
from tests.conftest import PG_ADMIN
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


def migrate(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "migrate", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {r[0] for r in rows}


def test_scale_out_store_waits_for_the_migration_job(bare_db: str, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="run `redline migrate`"):
        open_store(bare_db)
    assert tables(bare_db) == set()  # opening did not migrate
    pending = migrate("--check", "--url", bare_db)
    assert pending.returncode == 1 and "pending" in pending.stdout
    first = migrate("--url", bare_db)
    assert first.returncode == 0, first.stderr
    assert "revision none -> 0001" in first.stdout
    again = migrate("--url", bare_db)
    assert again.returncode == 0 and "already at 0001" in again.stdout
    assert migrate("--check", "--url", bare_db).returncode == 0
    store = open_store(bare_db)
    assert store.queue.counts()["queued"] == 0
    store.close()
    # The embedded single-machine store still migrates itself.
    embedded = open_store(f"sqlite:///{tmp_path / 'redline.db'}")
    assert embedded.queue.counts()["queued"] == 0
    embedded.close()


def test_failed_migration_is_one_line_exit_2_and_rolled_back(bare_db: str) -> None:
    with psycopg.connect(bare_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE jobs (id integer)")  # in the way of the first revision
    failed = migrate("--url", bare_db)
    assert failed.returncode == 2
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in failed.stderr, failed.stderr
    assert lines[0].startswith("redline: error: ") and '"jobs" already exists' in lines[0]
    assert "rolled back" in lines[0]
    # The tables the revision created before it failed are gone with it.
    assert tables(bare_db) == {"jobs"}
    unreachable = migrate("--url", "postgresql://postgres@127.0.0.1:1/redline")
    assert unreachable.returncode == 2 and len(unreachable.stderr.strip().splitlines()) == 1
    assert "cannot migrate the store at 127.0.0.1:1/redline" in unreachable.stderr


def test_old_pods_keep_serving_while_a_migration_fails(pg_url: str, tmp_path: Path) -> None:
    env = redline_env(tmp_path / "data", tmp_path / "host", REDLINE_DATABASE_URL=pg_url)
    port = free_port()
    server = Process(["serve", "--port", str(port), "--workers", "0"], env, tmp_path / "s.log")
    url = f"http://127.0.0.1:{port}"
    body = (SAMPLE / "pull_request__synchronize.json").read_bytes()
    try:
        wait_http(url)
        # The migration tool finds no revision (as after a botched restore) and fails half-way.
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("DELETE FROM alembic_version")
        failed = migrate(env=env)
        assert failed.returncode == 2 and "already exists" in failed.stderr
        with httpx.Client(timeout=10) as client:
            assert client.get(f"{url}/readyz").status_code == 200
            accepted = send_github(client, url, body, "pull_request", "d-1")
        assert accepted.status_code == 202 and accepted.json()["outcome"] == "queued"
    finally:
        server.stop()
