"""`redline bench scale`: throughput of the scale-out path with N real worker processes.

Per worker count: a fresh PostgreSQL database migrated by `redline migrate` (as the chart's
Job does), a Redis database of its own, a real `redline serve --workers 0` taking signed
deliveries over loopback, N real `redline worker` processes (Celery on Redis) reviewing pull
requests made of this project's own commits (`golden/` under `--data`, e.g. tests/samples) on
the file-backed host, with the real analyzers. After a warm-up that has every worker finish a
review, a burst of deliveries is sent at once; the figures come from the real artefacts: job
rows (enqueued), the host's log (review started, status posted) and the workers' logs (jobs
completed). Then the same with one worker SIGKILLed in the middle of a review and a new one
started. Last, the CPU time of each review phase, measured in-process one phase at a time, and
the workers' CPU per review, so the figure for a node with more cores can be predicted."""

from __future__ import annotations

import functools
import json
import math
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bot.bench import BenchOptions
from bot.core.errors import UsageError
from webhooks.verify import github_signature

SECRET = "bench-scale-secret"
REPO = "redline/bench"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS = "redis://127.0.0.1:6379"
PRS_PER_RUN = 8  # one per commit: every worker count drains the same burst
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Change:
    name: str
    diff: str
    files: dict[str, str]


def load_changes(data: Path) -> list[Change]:
    """This project's own commits, recorded with their post-images (tests/samples/golden)."""
    folder = data / "golden"
    changes = [
        Change(
            patch.stem,
            patch.read_text(encoding="utf-8"),
            json.loads(patch.with_suffix(".files.json").read_text(encoding="utf-8")),
        )
        for patch in sorted(folder.glob("commit-*.patch"))
    ]
    if not changes:
        raise UsageError(f"bench scale needs {folder}/commit-*.patch (--data tests/samples)")
    return changes


# --- accounting: what the artefacts say --------------------------------------------------------
def percentile(values: Sequence[float], share: float) -> float:
    """Nearest rank; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def completions(logs: Sequence[Path]) -> Counter[int]:
    """How many times each job was completed, from the workers' JSON logs."""
    done: Counter[int] = Counter()
    for log in logs:
        if not log.exists():
            continue
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                if entry.get("msg") == "job done":
                    done[int(entry["job"])] += 1
    return done


@dataclass
class Tally:
    """One run's outcome per pull request, from the job rows and the host's log."""

    queue_waits: list[float] = field(default_factory=list)
    review_walls: list[float] = field(default_factory=list)
    first_enqueued: float = 0.0
    last_finished: float = 0.0
    duplicates: int = 0
    lost: int = 0
    dead: int = 0


def tally(
    jobs: dict[int, dict[str, Any]],
    prs: dict[int, int],
    host_log: list[dict[str, Any]],
    done: Counter[int],
) -> Tally:
    """`jobs`: job id -> its row (state, created_at); `prs`: job id -> pull request number.
    A duplicate is a job completed twice, a pull request summarised twice (rather than edited
    in place) or a comment posted twice; a lost job is an acknowledged one that is not done."""
    out = Tally()
    by_pr: dict[int, list[dict[str, Any]]] = {}
    for entry in sorted(host_log, key=lambda e: float(e["at"])):
        by_pr.setdefault(int(entry["pr"]), []).append(entry)
    out.duplicates += sum(count - 1 for job, count in done.items() if job in prs and count > 1)
    finished: list[float] = []
    for job_id, number in prs.items():
        row = jobs.get(job_id)
        entries = by_pr.get(number, [])
        out.duplicates += max(0, [e["kind"] for e in entries].count("summary") - 1)
        posted = [fp for e in entries if e["kind"] == "review" for fp in e["fingerprints"]]
        out.duplicates += len(posted) - len(set(posted))
        statuses = [e for e in entries if e["kind"] == "status"]
        final = [e for e in statuses if e["state"] != "in_progress"]
        if row is None or row["state"] != "done" or not final:
            out.lost += 1
            out.dead += int(row is not None and row["state"] == "dead")
            continue
        started = float(statuses[0]["at"])
        out.queue_waits.append(started - float(row["created_at"]))
        out.review_walls.append(float(final[-1]["at"]) - started)
        finished.append(float(final[-1]["at"]))
    created = [float(jobs[j]["created_at"]) for j in prs if j in jobs]
    out.first_enqueued = min(created, default=0.0)
    out.last_finished = max(finished, default=0.0)
    return out


# --- the machine's services ---------------------------------------------------------------
@contextmanager
def scratch_database() -> Iterator[str]:
    import psycopg

    name = f"redline_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
            )
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


@contextmanager
def scratch_redis() -> Iterator[str]:
    """An empty Redis database number (the highest free one), flushed afterwards."""
    import redis

    for number in range(15, 0, -1):
        client = redis.Redis.from_url(f"{REDIS}/{number}")
        if client.dbsize() == 0:
            break
        client.close()
    else:
        raise UsageError("bench scale needs an empty Redis database (1-15) on 127.0.0.1:6379")
    try:
        yield f"{REDIS}/{number}"
    finally:
        client.flushdb()
        client.close()


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Proc:
    """A `redline ...` process in its own process group (a pod: killing it kills its children,
    semgrep included), logging to a file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self.handle = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", *args],
            env=env,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def cpu_seconds(self) -> float:
        """User + system time of the process and its waited-for children (semgrep)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return sum(int(x) for x in fields[11:15]) / TICKS

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.handle.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
                return
        self.handle.close()


def _wait(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


# --- one run -------------------------------------------------------------------------------
class Cluster:
    """serve + workers on one scratch PostgreSQL database and one Redis database."""

    def __init__(
        self, root: Path, database: str, queue: str, changes: list[Change], template: dict[str, Any]
    ) -> None:
        from bot.hosts.files import FileHost

        self.root, self.database, self.changes = root, database, changes
        self.host = FileHost(root / "host", "github")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("REDLINE_")}
        self.env.update(
            REDLINE_DATABASE_URL=database,
            REDLINE_QUEUE_URL=queue,
            REDLINE_DATA_DIR=str(root / "data"),
            REDLINE_GITHUB_WEBHOOK_SECRET=SECRET,
            REDLINE_HOST_ADAPTER=f"files:{root / 'host'}",
            REDLINE_LEASE_SECONDS="10",
            REDLINE_VISIBILITY_TIMEOUT="30",
            REDLINE_RETRY_BASE_SECONDS="1",
        )
        self.url = f"http://127.0.0.1:{_port()}"
        self.server: Proc | None = None
        self.workers: list[Proc] = []
        self.logs: list[Path] = []
        self.next_pr = 1
        self.template = template

    def start(self, workers: int) -> None:
        migrate = subprocess.run(
            [sys.executable, "-m", "bot", "migrate"], env=self.env, capture_output=True, text=True
        )
        if migrate.returncode != 0:
            raise UsageError(f"redline migrate failed: {migrate.stderr.strip()}")
        port = self.url.rsplit(":", 1)[1]
        self.server = Proc(
            ["serve", "--port", port, "--workers", "0"], self.env, self.root / "serve.log"
        )
        if not _wait(self._healthy, 60):
            raise UsageError(f"redline serve did not start: see {self.server.log}")
        for _ in range(workers):
            self.add_worker()

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def add_worker(self) -> Proc:
        log = self.root / f"worker-{len(self.logs)}.log"
        self.logs.append(log)
        worker = Proc(["worker"], self.env, log)
        self.workers.append(worker)
        return worker

    def deliver(self, count: int) -> dict[int, int]:
        """Send `count` new pull requests at once; returns acknowledged job id -> PR number."""
        numbers = list(range(self.next_pr, self.next_pr + count))
        self.next_pr += count
        for number in numbers:
            change = self.changes[(number - 1) % len(self.changes)]
            head = f"{number:040x}"
            self.host.add_pull_request(REPO, number, head, "f" * 40, change.diff, change.files)

        def send(number: int) -> tuple[int, int]:
            body = _body(self.template, number)
            headers = {
                "X-GitHub-Event": "pull_request",
                "X-GitHub-Delivery": f"bench-{number}",
                "X-Hub-Signature-256": github_signature(SECRET, body),
                "Content-Type": "application/json",
            }
            response = httpx.post(
                f"{self.url}/webhooks/github", content=body, headers=headers, timeout=30
            )
            if response.status_code != 202 or response.json().get("outcome") != "queued":
                raise UsageError(f"delivery {number} was not queued: {response.text[:200]}")
            return int(response.json()["job"]), number

        with ThreadPoolExecutor(8) as pool:
            return dict(pool.map(send, numbers))

    def jobs(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.database.replace("postgresql://", "postgresql+psycopg://"))
        try:
            with engine.connect() as conn:
                rows = conn.execute(
                    text(
                        "SELECT id, state, created_at, worker, attempts, updated_at, last_error"
                        " FROM jobs"
                        " WHERE id = ANY(:ids)"
                    ),
                    {"ids": list(ids)},
                )
                return {int(r.id): dict(r._mapping) for r in rows}
        finally:
            engine.dispose()

    def finished(self, ids: Sequence[int]) -> bool:
        return all(r["state"] in ("done", "dead") for r in self.jobs(ids).values())

    def warm_up(self) -> None:
        """Until every worker has finished a review (models loaded, connected to the queue)."""
        for _ in range(12):
            idle = [log for log in self.logs if not completions([log])]
            if not idle:
                return
            ids = list(self.deliver(len(idle)))
            _wait(functools.partial(self.finished, ids), 300)
            for row in self.jobs(ids).values():
                if row["state"] == "dead":  # the review itself fails: no figure would mean much
                    error = str(row["last_error"] or "").splitlines()[0][:300]
                    raise UsageError(f"bench scale: a warm-up review failed: {error}")
        raise UsageError("bench scale: a worker never took a job during the warm-up")

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        if self.server is not None:
            self.server.stop()


def load_template(data: Path) -> dict[str, Any]:
    """A recorded `pull_request` delivery (octokit/webhooks), pointed at the bench repository."""
    path = data / "webhooks" / "github" / "pull_request__synchronize.json"
    if not path.is_file():
        raise UsageError(f"bench scale needs {path} (--data tests/samples)")
    payload: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    payload["repository"]["full_name"] = REPO
    for side in ("head", "base"):
        payload["pull_request"][side]["repo"]["full_name"] = REPO
    payload["pull_request"]["base"]["sha"] = "f" * 40
    return payload


def _body(template: dict[str, Any], number: int) -> bytes:
    payload = json.loads(json.dumps(template))
    payload["number"] = number
    payload["pull_request"]["number"] = number
    payload["pull_request"]["head"]["sha"] = f"{number:040x}"
    return json.dumps(payload).encode()


def _figures(cluster: Cluster, prs: dict[int, int], cpu: float, kill: bool) -> dict[str, Any]:
    result = tally(cluster.jobs(list(prs)), prs, cluster.host.log(), completions(cluster.logs))
    span = max(1e-9, result.last_finished - result.first_enqueued)
    done = len(result.review_walls)
    return {
        "workers": len([w for w in cluster.workers if w.proc.poll() is None]) if not kill else 2,
        "reviews": done,
        "seconds": round(span, 1),
        "reviews_per_min": round(done / span * 60, 1),
        "queue_wait_p50_s": round(percentile(result.queue_waits, 0.50), 2),
        "queue_wait_p99_s": round(percentile(result.queue_waits, 0.99), 2),
        "review_wall_p50_s": round(percentile(result.review_walls, 0.50), 2),
        "worker_cpu_s_per_review": round(cpu / max(1, done), 2),
        # Cores the workers actually got: below min(workers, cores) when the machine is shared.
        "worker_cores_used": round(cpu / span, 2),
        "duplicates": result.duplicates,
        "lost": result.lost,
        "dead": result.dead,
    }


def measure(
    changes: list[Change],
    template: dict[str, Any],
    workers: int,
    prs: int = PRS_PER_RUN,
    kill: bool = False,
) -> dict[str, Any]:
    """One run; with `kill`, a worker is SIGKILLed in the middle of a review and replaced."""
    with (
        tempfile.TemporaryDirectory(prefix="redline-scale-") as tmp,
        scratch_database() as database,
        scratch_redis() as queue,
    ):
        cluster = Cluster(Path(tmp), database, queue, changes, template)
        try:
            cluster.start(workers)
            cluster.warm_up()
            cpu_before = sum(w.cpu_seconds() for w in cluster.workers)
            burst = cluster.deliver(prs)
            killed: dict[str, Any] = {}
            if kill:
                killed = _kill_one(cluster, list(burst), cpu_before)
                cpu_before = killed.pop("cpu_before")
            _wait(lambda: cluster.finished(list(burst)), 120 + prs * 60 / workers)
            cpu = sum(w.cpu_seconds() for w in cluster.workers if w.proc.poll() is None)
            figures = _figures(cluster, burst, cpu - cpu_before, kill)
            if kill:
                rows = cluster.jobs([killed["job"]])
                row = rows[killed["job"]]
                figures["killed"] = {
                    "job": killed["job"],
                    "final_state": row["state"],
                    "attempts": row["attempts"],  # 2: taken over after the lease ran out
                    "done_after_kill_s": round(float(row["updated_at"]) - killed["killed_at"], 1),
                }
            return figures
        finally:
            cluster.stop()


def _kill_one(cluster: Cluster, ids: list[int], cpu_before: float) -> dict[str, Any]:
    """SIGKILL (its whole process group) the worker holding a running job, once a couple of
    reviews are done, and start a replacement."""
    by_pid = {w.proc.pid: w for w in cluster.workers}
    target: dict[str, Any] = {}

    def holder() -> bool:
        rows = cluster.jobs(ids)
        if sum(r["state"] == "done" for r in rows.values()) < 2:
            return False
        for job_id, row in rows.items():
            pid = int(str(row["worker"] or "0:0").split(":")[1] or 0)
            if row["state"] == "running" and pid in by_pid:
                target.update(job=job_id, pid=pid)
                return True
        return False

    if not _wait(holder, 600):
        raise UsageError("bench scale: no review was running to kill")
    victim = by_pid[target["pid"]]
    # The killed worker's CPU so far counts; a SIGKILLed process's time cannot be read later.
    spent = victim.cpu_seconds()
    victim.kill()
    cluster.workers.remove(victim)
    cluster.add_worker()
    return {"job": target["job"], "killed_at": time.time(), "cpu_before": cpu_before - spent}


# --- CPU per phase, in-process --------------------------------------------------------------
def _cpu() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _add(spent: dict[str, float], phase: str, seconds: float) -> None:
    spent[phase] = spent.get(phase, 0.0) + seconds


def phase_profile(changes: list[Change]) -> dict[str, Any]:
    """CPU seconds per review phase over the commits, one phase at a time: the review without
    analyzers (intake, findings, scoring, ordering, gate), then with each analyzer alone (its
    CPU is the difference; in the service they run concurrently), then the document and the
    comments. CPU time counts every thread and waited-for child (semgrep)."""
    from bot.analyzers import default_analyzers
    from bot.core.diff import parse_diff
    from bot.core.policy import Config
    from bot.core.trees import EmptyTree, MemoryTree
    from bot.render.document import to_document
    from bot.review.pipeline import review
    from bot.review.plan import plan

    spent: dict[str, float] = {}
    start = _cpu()
    analyzers = default_analyzers()
    load = _cpu() - start
    config = Config()
    for change in changes:
        start = _cpu()
        diff = parse_diff(change.diff)
        _add(spent, "parse", _cpu() - start)
        post = MemoryTree(dict(change.files))
        start = _cpu()
        outcome = review(diff, post, config, [], base=EmptyTree())
        core = _cpu() - start
        _add(spent, "intake, findings, scoring, ordering, gate", core)
        for analyzer in analyzers:
            start = _cpu()
            review(diff, post, config, [analyzer], base=EmptyTree())
            _add(spent, f"analyzer:{analyzer.name}", max(0.0, _cpu() - start - core))
        start = _cpu()
        to_document(outcome)
        plan(outcome, diff, config.max_inline_comments)
        _add(spent, "document and comments", _cpu() - start)
    total = sum(spent.values())
    return {
        "reviews": len(changes),
        "analyzers": [f"{a.name} {a.version}" for a in analyzers],
        "cpu_s_per_review": round(total / len(changes), 3),
        "cpu_s_per_review_by_phase": {k: round(v / len(changes), 3) for k, v in spent.items()},
        "cpu_share_by_phase": {
            k: round(v / total, 3) for k, v in sorted(spent.items(), key=lambda kv: -kv[1])
        },
        "load_analyzers_cpu_s": round(load, 2),
    }


def _progress(name: str, figures: dict[str, Any]) -> dict[str, Any]:
    """Each run's figures on stderr as they come (a long bench should not lose them)."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"bench scale: {name} (load {load}): {json.dumps(figures)}", file=sys.stderr, flush=True)
    return {**figures, "load_average_after": [round(x, 1) for x in os.getloadavg()]}


def run(options: BenchOptions) -> dict[str, Any]:
    data = options.require_data("scale")
    changes, template = load_changes(data), load_template(data)
    runs = [_progress(f"{n} workers", measure(changes, template, n)) for n in options.workers]
    kill_run = _progress("kill run", measure(changes, template, 2, kill=True))
    profile = _progress("phases", phase_profile(changes))
    per_review = profile["cpu_s_per_review"]
    return {
        "cores": os.cpu_count(),
        "prs_per_run": PRS_PER_RUN,
        "commits": [c.name for c in changes],
        "runs": runs,
        "kill_run": kill_run,
        "phases": profile,
        # A node's ceiling: its cores kept busy by at least as many workers (the store and the
        # broker elsewhere), each review costing the workers' measured CPU.
        "predicted_reviews_per_min_per_core": {
            "from_phases": round(60 / per_review, 2),
            "from_worker_cpu": round(60 / max(1e-9, runs[0]["worker_cpu_s_per_review"]), 2),
        },
        "met": all(r["duplicates"] == 0 and r["lost"] == 0 for r in [*runs, kill_run]),
    }
