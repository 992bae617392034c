"""From an HTTP request to a delivery, with no I/O: per host, `from_http(headers, body,
secret, config)` verifies the signature over the raw body, checks the content type and the
delivery headers, parses the payload and decides what it asks for. A refusal carries the HTTP
status to answer and the metrics label."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from bot.core.errors import PayloadError
from bot.core.secret import Secret
from webhooks import events
from webhooks.config import WebhookConfig
from webhooks.verify import verify_github

MAX_DELIVERY_ID = 128
# The store's column limits: a delivery that would not fit is refused here (400), before it
# can fail the group-commit batch it would share with others.
_LIMITS = {"repo": 255, "head_sha": 64, "base_sha": 64, "kind": 16, "host": 16}
_MAX_INT = 2**31 - 1


@dataclass(frozen=True)
class Delivery:
    host: str
    delivery_id: str
    event: str
    action: str | None
    decision: events.Decision


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str
    label: str  # the outcome counted in metrics
    event: str = "-"


FromHttp = Callable[[Mapping[str, str], bytes, Secret, WebhookConfig], "Delivery | Refusal"]


def _content_type(headers: Mapping[str, str]) -> str:
    return headers.get("content-type", "").split(";")[0].strip().lower()


def _payload(body: bytes, content_type: str) -> Any:
    if content_type == "application/x-www-form-urlencoded":
        fields = parse_qs(body.decode("utf-8"), strict_parsing=False)
        if "payload" not in fields:
            raise PayloadError("form body without a payload field")
        return json.loads(fields["payload"][0])
    return json.loads(body)


def _decide(
    host: str,
    event: str,
    delivery: str,
    body: bytes,
    content_type: str,
    config: WebhookConfig,
) -> Delivery | Refusal:
    if not event or not delivery or len(delivery) > MAX_DELIVERY_ID:
        return Refusal(400, "missing event or delivery id header", "bad-request", event or "-")
    decide = events.github if host == "github" else events.gitlab
    try:
        payload = _payload(body, content_type)
        decision = decide(
            event, payload, review_drafts=config.review_drafts, bot_logins=config.bot_logins
        )
    except PayloadError as exc:
        return Refusal(400, str(exc), "bad-request", event[:64])
    except (ValueError, UnicodeDecodeError, RecursionError):
        return Refusal(400, "malformed JSON", "bad-request", event[:64])
    except (TypeError, AttributeError, KeyError):
        # A payload whose fields have the wrong shapes: it is the sender's mistake, not ours.
        return Refusal(400, "malformed payload: a field has the wrong type", "bad-request")
    problem = _too_long(decision)
    if problem is not None:
        return Refusal(400, problem, "bad-request", event[:64])
    action = payload.get("action") if isinstance(payload, dict) else None
    return Delivery(host, delivery, event[:64], str(action)[:64] if action else None, decision)


def _too_long(decision: events.Decision) -> str | None:
    spec = decision.spec
    if spec is None:
        return None
    for name, limit in _LIMITS.items():
        value = getattr(spec, name)
        if isinstance(value, str) and len(value) > limit:
            return f"field {name} is longer than {limit} characters"
    for name in ("pr", "installation_id", "project_id"):
        value = getattr(spec, name)
        if value is not None and not 0 <= value <= _MAX_INT:
            return f"field {name} is out of range"
    return None


def github_from_http(
    headers: Mapping[str, str], body: bytes, secret: Secret, config: WebhookConfig
) -> Delivery | Refusal:
    """GitHub: HMAC-SHA256 of the raw body in `X-Hub-Signature-256`; JSON or form bodies."""
    if not verify_github(secret.reveal(), body, headers.get("x-hub-signature-256")):
        return Refusal(401, "bad or missing signature", "unauthorized")
    event = headers.get("x-github-event", "")
    allowed = ("application/json", "application/x-www-form-urlencoded")
    content_type = _content_type(headers)
    if content_type not in allowed:
        return Refusal(
            415, f"content type must be {' or '.join(allowed)}", "unsupported-type", event or "-"
        )
    delivery = headers.get("x-github-delivery", "")
    return _decide("github", event, delivery, body, content_type, config)


def authorized_before_body(host: str, headers: Mapping[str, str], secret: Secret) -> bool | None:
    """Whether the request is authentic from its headers alone (GitLab sends the token in a
    header), so its body need not be read if not; None when only the body can tell (GitHub)."""
    if host == "gitlab":
        return secret.matches(headers.get("x-gitlab-token"))
    return None


def gitlab_from_http(
    headers: Mapping[str, str], body: bytes, secret: Secret, config: WebhookConfig
) -> Delivery | Refusal:
    """GitLab: the secret token itself in `X-Gitlab-Token`, compared in constant time."""
    if not authorized_before_body("gitlab", headers, secret):
        return Refusal(401, "bad or missing signature", "unauthorized")
    event = headers.get("x-gitlab-event", "")
    if _content_type(headers) != "application/json":
        return Refusal(
            415, "content type must be application/json", "unsupported-type", event or "-"
        )
    delivery = (
        headers.get("idempotency-key")
        or headers.get("x-gitlab-event-uuid")
        or headers.get("x-gitlab-webhook-uuid", "")
    )
    return _decide("gitlab", event, delivery, body, "application/json", config)


ROUTES: dict[str, FromHttp] = {"github": github_from_http, "gitlab": gitlab_from_http}
