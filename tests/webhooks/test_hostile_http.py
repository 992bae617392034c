"""Strangers on the internet against the webhook service (issue 13), over real sockets: a
real `redline serve` process where the server's own limits matter, the app on uvicorn in this
process otherwise. Each test failed on the code before the fix."""

from __future__ import annotations

import asyncio
import copy
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.secret import Secret
from bot.service.root import webhook_config
from bot.service.settings import Settings
from bot.store import Store, open_store
from bot.store.db import make_engine
from tests.webhooks.helpers import (
    SECRET,
    TOKEN,
    Process,
    free_port,
    github_headers,
    gitlab_headers,
    pr_event,
    redline_env,
    sample,
    serve_app,
    wait_http,
)
from webhooks.app import Publisher, create_app
from webhooks.config import WebhookConfig
from webhooks.intake import Delivery, Refusal, github_from_http, gitlab_from_http


def _app(store: Any) -> Any:
    config = webhook_config(
        Settings(
            github_webhook_secret=Secret(SECRET),
            gitlab_webhook_token=Secret(TOKEN),
            api_token=Secret("t"),
        )
    )
    return create_app(config, store, Publisher(lambda _: None, lambda: True))


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[Store]:
    store = open_store(pg_url)
    yield store
    store.close()


def test_one_bad_delivery_does_not_fail_its_batch(pg_store: Store) -> None:
    # A legitimate GitLab group path over 255 characters turned every delivery of its
    # group-commit batch into a 500 on PostgreSQL, and none was stored.
    long_repo = "group/" + "sub/" * 70 + "project"
    with serve_app(_app(pg_store)) as url:

        async def burst() -> list[httpx.Response]:
            async with httpx.AsyncClient(timeout=20) as client:
                calls = []
                for number in range(12):
                    repo = long_repo if number == 5 else "o/r"
                    body = pr_event(number + 1, f"{number + 1:040x}", repo=repo)
                    headers = github_headers(body, "pull_request", f"batch-{number}")
                    calls.append(
                        client.post(f"{url}/webhooks/github", content=body, headers=headers)
                    )
                return list(await asyncio.gather(*calls))

        answers = [r.status_code for r in asyncio.run(burst())]
    assert answers[5] == 400
    assert answers[:5] + answers[6:] == [202] * 11
    assert pg_store.deliveries.count() == 11


@pytest.mark.parametrize("path", ["/api/reviews/²", "/api/reviews/٣", "/api/reviews/1e3"])
def test_odd_review_ids_are_404_not_500(tmp_path: Path, path: str) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'r.db'}")
    with serve_app(_app(store)) as url:
        response = httpx.get(f"{url}{path}", headers={"Authorization": "Bearer t"})
    store.close()
    assert response.status_code == 404


def test_with_the_database_down_metrics_answer_and_reviews_are_503() -> None:
    # A real store whose database cannot be reached (nothing listens on the port).
    store = Store(make_engine(f"postgresql://postgres@127.0.0.1:{free_port()}/redline"))
    with serve_app(_app(store)) as url:
        metrics = httpx.get(f"{url}/metrics", timeout=20)
        review = httpx.get(
            f"{url}/api/reviews/1", headers={"Authorization": "Bearer t"}, timeout=20
        )
        ready = httpx.get(f"{url}/readyz", timeout=20)
    assert metrics.status_code == 200 and "redline_store_up 0.0" in metrics.text
    assert review.status_code == 503
    assert review.headers["content-type"] == "application/problem+json"
    assert review.json()["status"] == 503 and review.json()["title"] == "Service Unavailable"
    assert ready.status_code == 503


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_PATHS = [
    ("pull_request",),
    ("pull_request", "head"),
    ("pull_request", "head", "repo"),
    ("repository",),
    ("number",),
    ("installation",),
    ("sender",),
    ("action",),
    ("pull_request", "draft"),
    ("changes",),
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(_PATHS),
    _json,
    st.sampled_from(["pull_request", "issue_comment", "check_run", "installation"]),
)
def test_signed_malformed_payloads_are_refused_not_crashed(
    where: tuple[str, ...], value: object, event: str
) -> None:
    # Signed but malformed payloads answered 500 (a list where a dict was expected...).
    payload = copy.deepcopy(sample("pull_request__opened"))
    payload["issue"] = {"number": 1, "pull_request": {}}
    payload["comment"] = {"body": "/redline review", "id": 1, "user": {"login": "x"}}
    target = payload
    for key in where[:-1]:
        target = target.setdefault(key, {}) if isinstance(target.get(key), dict) else {}
    target[where[-1]] = value
    body = json.dumps(payload).encode()
    headers = {k.lower(): v for k, v in github_headers(body, event, "d-1").items()}
    result = github_from_http(headers, body, Secret(SECRET), WebhookConfig())
    assert isinstance(result, Delivery | Refusal)
    if isinstance(result, Refusal):
        assert result.status == 400


@given(
    st.dictionaries(
        st.sampled_from(["object_attributes", "project", "user", "merge_request", "object_kind"]),
        _json,
        max_size=5,
    )
)
@settings(max_examples=200, deadline=None)
def test_gitlab_malformed_payloads_are_refused_not_crashed(payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    headers = {k.lower(): v for k, v in gitlab_headers("Merge Request Hook", "d-1").items()}
    result = gitlab_from_http(headers, body, Secret(TOKEN), WebhookConfig())
    assert isinstance(result, Delivery | Refusal)


def _raw(port: int, data: bytes, timeout: float = 10.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except (ConnectionResetError, BrokenPipeError):
            return b""  # the server refused before reading it all
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except (TimeoutError, ConnectionResetError):
            pass
    return b"".join(chunks)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = redline_env(tmp_path / "data", tmp_path / "host", REDLINE_BODY_TIMEOUT="1")
    proc = Process(["serve", "--port", str(port), "--workers", "0"], env, tmp_path / "serve.log")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url)
        yield url, port
    finally:
        proc.stop()


def test_a_huge_header_line_is_refused_without_stalling_the_server(
    served: tuple[str, int],
) -> None:
    # A 128 MiB header line stalled the event loop for about 20 s (quadratic parsing).
    url, port = served
    started = time.monotonic()
    header = b"X-Junk: " + b"a" * (8 * 1024 * 1024) + b"\r\n"
    answer = _raw(port, b"POST /webhooks/github HTTP/1.1\r\nHost: x\r\n" + header + b"\r\n")
    assert time.monotonic() - started < 5
    assert answer == b"" or answer.startswith(b"HTTP/1.1 4")
    assert httpx.get(f"{url}/healthz", timeout=2).status_code == 200


def test_a_body_that_never_arrives_is_cut_off(served: tuple[str, int]) -> None:
    # Bodies were buffered with no time limit: held connections piled up.
    _url, port = served
    body = pr_event(1, "a" * 40)
    headers = github_headers(body, "pull_request", "slow-1")
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = f"POST /webhooks/github HTTP/1.1\r\nHost: x\r\n{head}Content-Length: {len(body)}"
    answer = _raw(port, (request + "\r\n\r\n").encode() + body[:10], timeout=30)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:80]


def test_a_bad_gitlab_token_is_refused_before_the_body_is_read(served: tuple[str, int]) -> None:
    _url, port = served
    request = (
        "POST /webhooks/gitlab HTTP/1.1\r\nHost: x\r\nX-Gitlab-Token: wrong\r\n"
        "X-Gitlab-Event: Merge Request Hook\r\nContent-Type: application/json\r\n"
        "Content-Length: 20000000\r\n\r\n"
    )
    # No body follows: reading it would end in a 408 after the 1 s body limit, not a 401.
    answer = _raw(port, request.encode(), timeout=30)
    assert answer.startswith(b"HTTP/1.1 401"), answer[:80]


def test_serve_answers_healthz_at_once_and_is_ready_when_the_models_are(
    tmp_path: Path,
) -> None:
    # `serve` printed nothing and answered only once the models had loaded (6-18 s).
    port = free_port()
    env = redline_env(tmp_path / "data", tmp_path / "host")
    log = tmp_path / "serve.log"
    proc = Process(["serve", "--port", str(port), "--workers", "1"], env, log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url, timeout=60)
        ready = []
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            answer = httpx.get(f"{url}/readyz", timeout=10)
            ready.append((answer.status_code, answer.json().get("models")))
            if answer.status_code == 200:
                break
            time.sleep(0.2)
    finally:
        proc.stop()
    # HTTP answered before the models were loaded, and turned ready when they were.
    assert ready[0] == (503, False) and ready[-1] == (200, True)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    listening = [entry for entry in lines if entry["msg"].startswith("listening on")]
    assert len(listening) == 1 and {"store", "queue", "workers"} <= listening[0].keys()
    assert any(entry["msg"] == "models loaded" for entry in lines)
