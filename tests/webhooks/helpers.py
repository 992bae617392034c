"""Serving the app over a real socket, signing real webhook bodies, running the CLI as a
separate process: shared by the service tests and the fault tests."""

from __future__ import annotations

import copy
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from webhooks.verify import github_signature

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "webhooks"
SECRET = "webhook-s3cret"
TOKEN = "gitlab-t0ken"


def sample(name: str) -> dict[str, Any]:
    folder = "gitlab" if name.startswith("merge_request") or name.startswith("note") else "github"
    data: dict[str, Any] = json.loads((SAMPLES / folder / f"{name}.json").read_text())
    return data


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_app(app: Any) -> Iterator[str]:
    """uvicorn on loopback in a thread; yields the base URL."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="error", access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not server.started and time.time() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def github_headers(body: bytes, event: str, delivery: str, secret: str = SECRET) -> dict[str, str]:
    return {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": github_signature(secret, body),
        "Content-Type": "application/json",
    }


def gitlab_headers(event: str, delivery: str, token: str = TOKEN) -> dict[str, str]:
    return {
        "X-Gitlab-Event": event,
        "X-Gitlab-Event-UUID": delivery,
        "X-Gitlab-Token": token,
        "Content-Type": "application/json",
    }


def pr_event(
    number: int,
    head: str,
    base: str = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
    action: str = "synchronize",
    repo: str = "Codertocat/Hello-World",
) -> bytes:
    payload = copy.deepcopy(sample("pull_request__synchronize"))
    payload["action"] = action
    payload["number"] = number
    payload["pull_request"]["number"] = number
    payload["pull_request"]["head"]["sha"] = head
    payload["pull_request"]["base"]["sha"] = base
    payload["repository"]["full_name"] = repo
    payload["pull_request"]["head"]["repo"]["full_name"] = repo
    payload["pull_request"]["base"]["repo"]["full_name"] = repo
    return json.dumps(payload).encode()


def send_github(
    client: httpx.Client, url: str, body: bytes, event: str, delivery: str
) -> httpx.Response:
    return client.post(
        f"{url}/webhooks/github", content=body, headers=github_headers(body, event, delivery)
    )


def redline_env(data_dir: Path, host_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDLINE_")}
    env.update(
        REDLINE_DATA_DIR=str(data_dir),
        REDLINE_GITHUB_WEBHOOK_SECRET=SECRET,
        REDLINE_GITLAB_WEBHOOK_TOKEN=TOKEN,
        REDLINE_HOST_ADAPTER=f"files:{host_dir}",
        REDLINE_POLL_SECONDS="0.05",
        REDLINE_LEASE_SECONDS="3",
        REDLINE_RETRY_BASE_SECONDS="0.2",
        **extra,
    )
    return env


class Process:
    """A `redline ...` process (serve or worker) we can kill with SIGKILL."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self.handle = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", *args],
            env=env,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)
        self.handle.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.handle.close()


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not come up")
