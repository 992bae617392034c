"""Fault tests with real processes: a worker killed with SIGKILL in the middle of jobs, and a
server killed right after a burst of 202s. Embedded (SQLite) and scale-out (PostgreSQL +
Celery on Redis). Every acknowledged delivery has its job, every job completes exactly once,
and no review is posted twice."""

from __future__ import annotations

import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from bot.hosts.files import FileHost
from bot.store import open_store
from tests import golden
from tests.golden import GOLDEN
from tests.webhooks.helpers import Process, free_port, pr_event, redline_env, send_github, wait_http

REPO = "Codertocat/Hello-World"


def _fixtures(host_dir: Path, count: int) -> list[tuple[int, str]]:
    """Pull requests made of real commits (this project's own and QuixBugs programs, from the
    golden samples), a shell=True line added so each has a finding."""
    host = FileHost(host_dir, "github")
    records = [
        {
            "diff": (GOLDEN / f"{name}.patch").read_text(encoding="utf-8"),
            "files": json.loads((GOLDEN / f"{name}.files.json").read_text(encoding="utf-8")),
        }
        for name in golden.cases()[:count]
    ]
    prs = []
    for number, record in enumerate(records, start=1):
        head = f"{number:040x}"
        diff = record["diff"] + (
            "diff --git a/run.py b/run.py\nnew file mode 100644\n--- /dev/null\n+++ b/run.py\n"
            "@@ -0,0 +1,2 @@\n+import subprocess\n+subprocess.call(cmd, shell=True)\n"
        )
        files = {
            **record["files"],
            "run.py": "import subprocess\nsubprocess.call(cmd, shell=True)\n",
        }
        # What is under test is the queue, not the type checker: mypy under its budget would
        # make each review last up to a minute on a loaded machine. The base branch says so
        # (a head's .redline.toml is not read, and mypy ran in every review here).
        base = {".redline.toml": '[static]\ntype-checker = "none"\n'}
        # PR 3 is slow to fetch, so the worker can be killed in the middle of a review.
        host.add_pull_request(
            REPO, number, head, "f" * 40, diff, files, base, latency=4.0 if number == 3 else 0.0
        )
        prs.append((number, head))
    return prs


def _deliver(url: str, prs: list[tuple[int, str]]) -> list[int]:
    def one(item: tuple[int, str]) -> int:
        number, head = item
        with httpx.Client(timeout=10) as client:
            response = send_github(
                client, url, pr_event(number, head, repo=REPO), "pull_request", f"delivery-{number}"
            )
        assert response.status_code == 202, response.text
        return int(response.json()["job"])

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, prs))


def _wait_for(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _completions(logs: list[Path]) -> Counter[int]:
    done: Counter[int] = Counter()
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                if entry.get("msg") == "job done":
                    done[int(entry["job"])] += 1
    return done


def _check_host(host_dir: Path, prs: list[tuple[int, str]]) -> None:
    entries = FileHost(host_dir, "github").log()
    for number, _head in prs:
        mine = [e for e in entries if e["pr"] == number]
        reviews = [e for e in mine if e["kind"] == "review"]
        posted = [fp for e in reviews for fp in e["fingerprints"]]
        assert len(posted) == len(set(posted)), f"PR {number}: a comment was posted twice"
        assert len(reviews) == 1, f"PR {number}: {len(reviews)} reviews"
        assert [e["kind"] for e in mine].count("summary") == 1  # then edited in place
        assert [e["state"] for e in mine if e["kind"] == "status"][-1] == "failure"


def _config(kind: str, request: pytest.FixtureRequest) -> dict[str, str]:
    if kind == "embedded":
        return {}
    return {
        "REDLINE_DATABASE_URL": request.getfixturevalue("pg_url"),
        "REDLINE_QUEUE_URL": request.getfixturevalue("redis_url"),
        "REDLINE_VISIBILITY_TIMEOUT": "4",
    }


@pytest.mark.parametrize("kind", ["embedded", "scale-out"])
def test_worker_killed_mid_job_every_job_completes_once(
    tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    prs = _fixtures(tmp_path / "host", 6)
    env = redline_env(tmp_path / "data", tmp_path / "host", **_config(kind, request))
    port = free_port()
    server = Process(["serve", "--port", str(port), "--workers", "0"], env, tmp_path / "s.log")
    url = f"http://127.0.0.1:{port}"
    logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
    store = None
    workers: list[Process] = []
    try:
        wait_http(url)
        job_ids = _deliver(url, prs)
        store = open_store(
            env.get("REDLINE_DATABASE_URL")
            or f"sqlite:///{(tmp_path / 'data' / 'redline.db').resolve()}"
        )
        workers.append(Process(["worker"], env, logs[0]))
        slow = job_ids[2]
        _wait_for(
            lambda: (job := store.queue.job(slow)) is not None and job.state == "running",
            180,
            "the slow review to start",
        )
        workers[0].kill()  # SIGKILL, in the middle of the slow review
        assert store.queue.counts()["done"] < len(prs)
        workers.append(Process(["worker"], env, logs[1]))
        _wait_for(lambda: store.queue.counts()["done"] == len(prs), 300, "every job done")
        workers[1].stop()
        done = store.queue.jobs("done")
        assert sorted(j.id for j in done) == sorted(job_ids)
        assert any(j.attempts > 1 for j in done)  # the killed worker's job was taken over
        completions = _completions(logs)
        assert set(completions) == set(job_ids)
        assert all(count == 1 for count in completions.values()), completions
        _check_host(tmp_path / "host", prs)
    finally:
        for worker in workers:  # a failed run must not leave workers behind
            worker.stop()
        server.stop()
        if store is not None:
            store.close()


@pytest.mark.parametrize("kind", ["embedded", "scale-out"])
def test_server_killed_after_a_burst_keeps_every_acknowledged_delivery(
    tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    prs = [(n, f"{n:040x}") for n in range(1, 61)]
    env = redline_env(tmp_path / "data", tmp_path / "host", **_config(kind, request))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = Process(["serve", "--port", str(port), "--workers", "0"], env, tmp_path / "s1.log")
    try:
        wait_http(url)
        job_ids = _deliver(url, prs)
        server.kill()  # right after the last 202
    finally:
        server.stop()
    server = Process(["serve", "--port", str(port), "--workers", "0"], env, tmp_path / "s2.log")
    store = None
    try:
        wait_http(url)
        store = open_store(
            env.get("REDLINE_DATABASE_URL")
            or f"sqlite:///{(tmp_path / 'data' / 'redline.db').resolve()}"
        )
        stored = {j.id: j for j in store.queue.jobs()}
        assert sorted(stored) == sorted(job_ids)
        assert {(j.pr, j.head_sha) for j in stored.values()} == set(prs)
        assert store.deliveries.count() == len(prs)
        # Redelivering after the restart is recognised, not queued again.
        with httpx.Client() as client:
            again = send_github(
                client, url, pr_event(1, prs[0][1], repo=REPO), "pull_request", "delivery-1"
            )
        assert again.json()["outcome"] == "duplicate-delivery"
    finally:
        server.stop()
        if store is not None:
            store.close()
