"""Fuzzing the service: schemathesis against the app's OpenAPI description (unsigned, so it
exercises verification and routing), and hypothesis with correctly signed arbitrary payloads
(so it gets past verification into parsing). Never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.service.settings import Secret
from bot.store import open_store
from tests.webhooks.helpers import SECRET, TOKEN, github_headers, gitlab_headers, serve_app
from webhooks.app import Publisher, create_app
from webhooks.config import WebhookConfig


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    store = open_store(f"sqlite:///{folder / 'redline.db'}")
    app = create_app(
        WebhookConfig(
            github_secret=Secret(SECRET),
            gitlab_token=Secret(TOKEN),
            api_token=Secret("t"),
        ),
        store,
        Publisher(lambda _: None, lambda: True),
    )
    with serve_app(app) as url:
        yield url
    store.close()


@pytest.fixture(scope="module")
def api_schema(base_url: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{base_url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_openapi_fuzz_never_500(case: schemathesis.Case) -> None:
    response = case.call()
    assert response.status_code < 500, response.text


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
github_events = st.sampled_from(
    [
        "pull_request",
        "issue_comment",
        "check_run",
        "installation",
        "ping",
        "push",
        "",
        "pull_request_review",
    ]
)
pr_like = st.fixed_dictionaries(
    {
        "action": st.sampled_from(["opened", "synchronize", "edited", "closed", "rerequested"]),
        "number": st.integers(-5, 10**12) | st.text(max_size=5),
        "pull_request": st.fixed_dictionaries(
            {
                "head": st.fixed_dictionaries({"sha": st.text(max_size=41) | st.integers()}),
                "base": json_values,
                "draft": json_values,
            }
        ),
        "repository": st.fixed_dictionaries({"full_name": st.text(max_size=30) | st.none()}),
        "sender": json_values,
    }
)


@given(
    event=github_events,
    payload=json_values | pr_like,
    delivery=st.text(
        alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40
    ),
)
@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_signed_github_payloads_never_500(
    base_url: str, event: str, payload: object, delivery: str
) -> None:
    body = json.dumps(payload).encode()
    headers = github_headers(body, event, delivery)
    response = httpx.post(f"{base_url}/webhooks/github", content=body, headers=headers)
    assert response.status_code in (200, 202, 400), response.text


@given(
    event=st.sampled_from(["Merge Request Hook", "Note Hook", "Push Hook", ""]),
    payload=json_values,
    body_prefix=st.binary(max_size=8),
)
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_gitlab_payloads_never_500(
    base_url: str, event: str, payload: object, body_prefix: bytes
) -> None:
    body = body_prefix + json.dumps(payload).encode()
    response = httpx.post(
        f"{base_url}/webhooks/gitlab", content=body, headers=gitlab_headers(event, "uuid-fuzz")
    )
    assert response.status_code in (200, 202, 400), response.text
