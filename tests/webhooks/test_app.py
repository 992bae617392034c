"""The webhook service over a real socket: verification, bad input (never a 500), dedupe,
coalescing, health, readiness, metrics and the review API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.core.errors import ConfigError
from bot.core.jobs import JobSpec
from bot.service.root import webhook_config
from bot.service.settings import Secret, Settings, load_settings
from bot.store import Store, open_store
from tests.webhooks.helpers import (
    SECRET,
    TOKEN,
    gitlab_headers,
    pr_event,
    sample,
    send_github,
    serve_app,
)
from webhooks.app import Publisher, create_app


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'redline.db'}")
    yield opened
    opened.close()


class Served:
    def __init__(self, url: str, store: Store, published: list[int]) -> None:
        self.url, self.store, self.published = url, store, published
        self.client = httpx.Client(timeout=10)


@pytest.fixture
def served(store: Store) -> Iterator[Served]:
    published: list[int] = []
    settings = Settings(
        github_webhook_secret=Secret(SECRET),
        gitlab_webhook_token=Secret(TOKEN),
        api_token=Secret("api-token"),
        max_body_bytes=200_000,
    )
    app = create_app(webhook_config(settings), store, Publisher(published.append, lambda: True))
    with serve_app(app) as url:
        server = Served(url, store, published)
        yield server
        server.client.close()


def test_signed_delivery_is_stored_then_acknowledged(served: Served) -> None:
    body = pr_event(2, "a" * 40)
    response = send_github(served.client, served.url, body, "pull_request", "d-1")
    assert response.status_code == 202
    assert response.json()["outcome"] == "queued"
    jobs = served.store.queue.jobs()
    assert [(j.repo, j.pr, j.head_sha, j.state) for j in jobs] == [
        ("Codertocat/Hello-World", 2, "a" * 40, "queued")
    ]
    assert served.published == [jobs[0].id]


@pytest.mark.parametrize("signature", [None, "sha256=" + "0" * 64, "sha1=abc", "garbage"])
def test_bad_or_missing_signature_is_401_and_stores_nothing(
    served: Served, signature: str | None
) -> None:
    body = pr_event(2, "a" * 40)
    headers = {
        "X-GitHub-Event": "pull_request",
        "X-GitHub-Delivery": "d-2",
        "Content-Type": "application/json",
    }
    if signature:
        headers["X-Hub-Signature-256"] = signature
    response = served.client.post(f"{served.url}/webhooks/github", content=body, headers=headers)
    assert response.status_code == 401
    assert served.store.queue.jobs() == [] and served.store.deliveries.count() == 0


def test_signature_over_a_different_body_is_refused(served: Served) -> None:
    body = pr_event(2, "a" * 40)
    headers = {
        "X-GitHub-Event": "pull_request",
        "X-GitHub-Delivery": "d-3",
        "X-Hub-Signature-256": "sha256=" + "1" * 64,
        "Content-Type": "application/json",
    }
    from webhooks.verify import github_signature

    headers["X-Hub-Signature-256"] = github_signature(SECRET, body + b" ")
    assert (
        served.client.post(
            f"{served.url}/webhooks/github", content=body, headers=headers
        ).status_code
        == 401
    )


def test_gitlab_token_checked(served: Served) -> None:
    body = json.dumps(sample("merge_request__open")).encode()
    ok = served.client.post(
        f"{served.url}/webhooks/gitlab",
        content=body,
        headers=gitlab_headers("Merge Request Hook", "g-1"),
    )
    assert ok.status_code == 202 and ok.json()["outcome"] == "queued"
    bad = served.client.post(
        f"{served.url}/webhooks/gitlab",
        content=body,
        headers=gitlab_headers("Merge Request Hook", "g-2", token="nope"),
    )
    assert bad.status_code == 401
    assert len(served.store.queue.jobs()) == 1


def test_body_over_the_limit_is_413(served: Served) -> None:
    body = b'{"x": "' + b"a" * 300_000 + b'"}'
    response = send_github(served.client, served.url, body, "pull_request", "d-4")
    assert response.status_code == 413


def test_wrong_content_type_is_415(served: Served) -> None:
    body = pr_event(2, "a" * 40)
    from webhooks.verify import github_signature

    response = served.client.post(
        f"{served.url}/webhooks/github",
        content=body,
        headers={
            "X-GitHub-Event": "pull_request",
            "X-GitHub-Delivery": "d-5",
            "X-Hub-Signature-256": github_signature(SECRET, body),
            "Content-Type": "text/plain",
        },
    )
    assert response.status_code == 415
    assert served.store.queue.jobs() == []


def test_form_encoded_github_delivery(served: Served) -> None:
    from urllib.parse import urlencode

    from webhooks.verify import github_signature

    body = urlencode({"payload": pr_event(3, "c" * 40).decode()}).encode()
    response = served.client.post(
        f"{served.url}/webhooks/github",
        content=body,
        headers={
            "X-GitHub-Event": "pull_request",
            "X-GitHub-Delivery": "d-form",
            "X-Hub-Signature-256": github_signature(SECRET, body),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert response.status_code == 202


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"action": "opened"}', b""])
def test_malformed_or_incomplete_payload_is_400(served: Served, body: bytes) -> None:
    response = send_github(served.client, served.url, body, "pull_request", "d-6")
    assert response.status_code == 400
    assert served.store.queue.jobs() == []


def test_missing_event_or_delivery_header_is_400(served: Served) -> None:
    from webhooks.verify import github_signature

    body = pr_event(2, "a" * 40)
    response = served.client.post(
        f"{served.url}/webhooks/github",
        content=body,
        headers={
            "X-Hub-Signature-256": github_signature(SECRET, body),
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 400


def test_unknown_event_is_202_ignored_and_counted(served: Served) -> None:
    body = json.dumps(sample("push__payload")).encode()
    response = send_github(served.client, served.url, body, "push", "d-7")
    assert response.status_code == 202 and response.json()["outcome"] == "ignored"
    metrics = served.client.get(f"{served.url}/metrics").text
    assert 'redline_deliveries_total{event="push",host="github",outcome="ignored"} 1.0' in metrics
    assert served.store.queue.jobs() == []


def test_ping_answers_200(served: Served) -> None:
    body = json.dumps(sample("ping__payload")).encode()
    assert send_github(served.client, served.url, body, "ping", "d-8").status_code == 200


def test_redelivery_is_deduplicated(served: Served) -> None:
    body = pr_event(2, "a" * 40)
    first = send_github(served.client, served.url, body, "pull_request", "same-id")
    again = send_github(served.client, served.url, body, "pull_request", "same-id")
    assert first.json()["outcome"] == "queued"
    assert again.status_code == 202 and again.json()["outcome"] == "duplicate-delivery"
    assert len(served.store.queue.jobs()) == 1


def test_one_review_per_head_and_newer_head_supersedes(served: Served) -> None:
    send_github(served.client, served.url, pr_event(2, "a" * 40), "pull_request", "h-1")
    same = send_github(
        served.client, served.url, pr_event(2, "a" * 40, action="reopened"), "pull_request", "h-2"
    )
    assert same.json()["outcome"] == "duplicate-head"
    send_github(served.client, served.url, pr_event(2, "b" * 40), "pull_request", "h-3")
    send_github(served.client, served.url, pr_event(5, "e" * 40), "pull_request", "h-4")
    states = {
        (j.pr, j.head_sha[:1] if j.head_sha else None): j.state for j in served.store.queue.jobs()
    }
    assert states == {(2, "a"): "superseded", (2, "b"): "queued", (5, "e"): "queued"}


def test_installation_events_are_recorded(served: Served) -> None:
    body = json.dumps(sample("installation__created")).encode()
    response = send_github(served.client, served.url, body, "installation", "i-1")
    assert response.status_code == 202 and response.json()["outcome"] == "record"


def test_unconfigured_host_is_404(store: Store) -> None:
    app = create_app(
        webhook_config(Settings(github_webhook_secret=Secret(SECRET))),
        store,
        Publisher(lambda _: None, lambda: True),
    )
    with serve_app(app) as url:
        body = json.dumps(sample("merge_request__open")).encode()
        response = httpx.post(
            f"{url}/webhooks/gitlab",
            content=body,
            headers=gitlab_headers("Merge Request Hook", "g"),
        )
        assert response.status_code == 404


def test_health_readiness_and_metrics(served: Served) -> None:
    assert served.client.get(f"{served.url}/healthz").json() == {"status": "ok"}
    assert served.client.get(f"{served.url}/readyz").json() == {"store": True, "queue": True}
    send_github(served.client, served.url, pr_event(2, "a" * 40), "pull_request", "m-1")
    text = served.client.get(f"{served.url}/metrics").text
    assert 'redline_jobs{state="queued"} 1.0' in text
    assert "redline_queue_depth 1.0" in text
    assert "redline_ack_latency_seconds_count 1.0" in text
    assert "redline_review_duration_seconds" in text


def test_readyz_reports_an_unreachable_queue(store: Store) -> None:
    app = create_app(
        webhook_config(Settings(github_webhook_secret=Secret(SECRET))),
        store,
        Publisher(lambda _: None, lambda: False),
    )
    with serve_app(app) as url:
        response = httpx.get(f"{url}/readyz")
        assert response.status_code == 503 and response.json()["queue"] is False


def test_review_api_needs_the_token(served: Served) -> None:
    review_id = served.store.reviews.save_review(
        "github", "o/r", 1, "a" * 40, False, {"version": 1, "files": []}
    )
    url = f"{served.url}/api/reviews/{review_id}"
    assert served.client.get(url).status_code == 401
    assert served.client.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
    found = served.client.get(url, headers={"Authorization": "Bearer api-token"})
    assert found.status_code == 200 and found.json()["document"] == {"version": 1, "files": []}
    missing = served.client.get(
        f"{served.url}/api/reviews/999", headers={"Authorization": "Bearer api-token"}
    )
    assert missing.status_code == 404


def test_store_down_is_503_not_lost(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'x.db'}")
    app = create_app(
        webhook_config(Settings(github_webhook_secret=Secret(SECRET))),
        store,
        Publisher(lambda _: None, lambda: True),
    )
    store.engine.dispose()
    (tmp_path / "x.db").unlink()
    (tmp_path / "x.db").mkdir()  # the database file is now unusable
    with serve_app(app) as url:
        body = pr_event(2, "a" * 40)
        with httpx.Client() as client:
            response = send_github(client, url, body, "pull_request", "s-1")
        assert response.status_code == 503


def test_settings_errors_name_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="REDLINE_QUEUE_URL"):
        load_settings({"REDLINE_QUEUE_URL": "amqp://x"})
    with pytest.raises(ConfigError, match="REDLINE_LEASE_SECONDS"):
        load_settings({"REDLINE_LEASE_SECONDS": "soon"})
    with pytest.raises(ConfigError, match="REDLINE_REVIEW_DRAFTS"):
        load_settings({"REDLINE_REVIEW_DRAFTS": "perhaps"})
    with pytest.raises(ConfigError, match="REDLINE_GITHUB_PRIVATE_KEY"):
        load_settings({"REDLINE_GITHUB_APP_ID": "1", "REDLINE_GITHUB_PRIVATE_KEY": "nope"})
    settings = load_settings(
        {"REDLINE_GITHUB_WEBHOOK_SECRET": "hunter2", "REDLINE_DATA_DIR": str(tmp_path)}
    )
    assert "hunter2" not in repr(settings) and settings.data_dir == tmp_path


def test_secrets_never_reach_the_logs(served: Served, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    with caplog.at_level(logging.DEBUG, logger="redline"):
        send_github(served.client, served.url, pr_event(2, "a" * 40), "pull_request", "log-1")
        served.client.post(
            f"{served.url}/webhooks/gitlab",
            content=b"{}",
            headers=gitlab_headers("Merge Request Hook", "g-x", token="guess"),
        )
    text = "\n".join(r.getMessage() + repr(r.__dict__) for r in caplog.records)
    assert SECRET not in text and TOKEN not in text and "guess" not in text
    assert any(getattr(r, "delivery", None) == "log-1" for r in caplog.records)


def test_enqueue_spec_directly_is_coalesced(store: Store) -> None:
    store.queue.enqueue(JobSpec("github", "o/r", 1, "a" * 40))
    store.queue.enqueue(JobSpec("github", "o/r", 1, "b" * 40))
    assert [j.state for j in store.queue.jobs()] == ["queued", "superseded"]
