"""`redline bench webhooks`: `redline serve` (embedded defaults) and a load generator on
loopback: 200 signed deliveries per second for 30 s, a tenth of them redeliveries. Reports
acknowledgement latency, deliveries accepted, jobs created and jobs lost."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bot.bench import BenchOptions
from bot.store import open_store
from webhooks.verify import github_signature

SECRET = "bench-secret"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _body(template: dict[str, Any], number: int) -> bytes:
    payload = copy.deepcopy(template)
    payload["number"] = number
    payload["pull_request"]["number"] = number
    payload["pull_request"]["head"]["sha"] = f"{number:040x}"
    return json.dumps(payload).encode()


async def _load(
    template: dict[str, Any], url: str, rate: float, seconds: float, duplicates: float
) -> tuple[list[float], dict[str, int], set[str], list[int]]:
    rng = random.Random(3)
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    queued_deliveries: set[str] = set()
    job_ids: list[int] = []
    sent: list[tuple[str, bytes]] = []
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(timeout=10, limits=limits) as client:

        async def send(delivery: str, body: bytes) -> None:
            headers = {
                "X-GitHub-Event": "pull_request",
                "X-GitHub-Delivery": delivery,
                "X-Hub-Signature-256": github_signature(SECRET, body),
                "Content-Type": "application/json",
            }
            start = time.perf_counter()
            try:
                response = await client.post(
                    f"{url}/webhooks/github", content=body, headers=headers
                )
            except httpx.HTTPError as exc:
                outcomes[f"error:{type(exc).__name__}"] = (
                    outcomes.get(f"error:{type(exc).__name__}", 0) + 1
                )
                return
            latencies.append(time.perf_counter() - start)
            key = str(response.status_code)
            if response.status_code == 202:
                data = response.json()
                key = data["outcome"]
                if data["outcome"] == "queued":
                    queued_deliveries.add(delivery)
                    job_ids.append(int(data["job"]))
            outcomes[key] = outcomes.get(key, 0) + 1

        tasks = []
        total = int(rate * seconds)
        started = time.perf_counter()
        for index in range(total):
            target = started + index / rate
            delay = target - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if sent and rng.random() < duplicates:
                delivery, body = rng.choice(sent)
            else:
                delivery, body = f"bench-{index}", _body(template, index + 1)
                sent.append((delivery, body))
            tasks.append(asyncio.create_task(send(delivery, body)))
        await asyncio.gather(*tasks)
    return latencies, outcomes, queued_deliveries, job_ids


def run(options: BenchOptions) -> dict[str, Any]:
    return measure(options.require_data("webhooks"))


@contextmanager
def _served(data: Path) -> Iterator[str]:
    """`redline serve` on a free loopback port with an empty data folder; yields its URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDLINE_")}
    env.update(REDLINE_DATA_DIR=str(data), REDLINE_GITHUB_WEBHOOK_SECRET=SECRET)
    port = _port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port), "--workers", "0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def _stored(data: Path) -> tuple[set[int], int]:
    """The job ids in the store the server left, and how many deliveries it recorded."""
    store = open_store(f"sqlite:///{(data / 'redline.db').resolve()}")
    stored = {j.id for j in store.queue.jobs(limit=10**6)}
    deliveries = store.deliveries.count()
    store.close()
    return stored, deliveries


def _latency_ms(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 2)

    return {
        "p50": pct(0.50),
        "p90": pct(0.90),
        "p99": pct(0.99),
        "max": round(ordered[-1] * 1000, 2),
        "mean": round(statistics.mean(ordered) * 1000, 2),
    }


def measure(
    samples: Path, rate: float = 200.0, seconds: float = 30.0, duplicates: float = 0.1
) -> dict[str, Any]:
    template = json.loads(
        (samples / "webhooks" / "github" / "pull_request__synchronize.json").read_text()
    )
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        with _served(data) as url:
            latencies, outcomes, _queued, job_ids = asyncio.run(
                _load(template, url, rate, seconds, duplicates)
            )
        stored, deliveries = _stored(data)
    latency = _latency_ms(latencies)
    lost = len([j for j in job_ids if j not in stored])
    return {
        "rate_per_s": rate,
        "seconds": seconds,
        "duplicate_share": duplicates,
        "sent": int(rate * seconds),
        "ack_latency_ms": latency,
        "outcomes": outcomes,
        "deliveries_accepted": sum(
            v for k, v in outcomes.items() if not k.startswith(("error", "4", "5"))
        ),
        "unique_deliveries_stored": deliveries,
        "jobs_created": len(stored),
        "jobs_acknowledged": len(job_ids),
        "jobs_lost": lost,
        "targets": {"p99_ms": 25, "jobs_lost": 0},
        "met": latency["p99"] <= 25 and lost == 0,
    }
