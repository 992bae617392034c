"""The webhook service (starlette), thin: read the body under a limit, hand it to the host's
pure `from_http`, persist the delivery and its job (group commit), answer 202, all before any
slow work. Health, readiness, metrics and the review read API too."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.core.errors import RedlineError, StoreError, StoreRejected
from bot.core.jobs import Accepted
from bot.core.ports import ServiceStore
from webhooks.batching import Batcher
from webhooks.config import WebhookConfig
from webhooks.intake import ROUTES, Delivery, Refusal, authorized_before_body
from webhooks.metrics import Metrics
from webhooks.openapi import OPENAPI
from webhooks.pages import page_routes

log = logging.getLogger("redline.webhooks")


class Publisher:
    """Wakes workers after a job is committed (a no-op wake-up for the embedded queue)."""

    def __init__(self, publish: Callable[[int], None], ping: Callable[[], bool]) -> None:
        self.publish = publish
        self.ping = ping


def _problem(status: int, reason: str) -> JSONResponse:
    """An RFC 9457 problem document (with `error`, which clients of earlier versions read)."""
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": reason,
        "error": reason,
    }
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


class TooLarge(Exception):
    pass


class BodyBudget:
    """Bytes of request bodies buffered at once, over all connections: strangers who hold many
    slow uploads open cannot make the service buffer more than this before signatures are
    checked (each body is also capped, and must arrive within a time limit)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def take(self, size: int) -> bool:
        if self.used + size > self.limit:
            return False
        self.used += size
        return True

    def give(self, size: int) -> None:
        self.used -= size


async def _read_body(request: Request, limit: int, budget: BodyBudget) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge
    chunks = []
    size = 0
    try:
        async for chunk in request.stream():
            if not budget.take(len(chunk)):
                raise BusyError
            size += len(chunk)
            if size > limit:
                raise TooLarge
            chunks.append(chunk)
    finally:
        budget.give(size)
    return b"".join(chunks)


class BusyError(Exception):
    pass


def _outcome(delivery: Delivery, accepted: Accepted) -> str:
    kind = delivery.decision.kind
    if kind == "review" or accepted.duplicate:
        return accepted.outcome
    return "record" if kind == "record" else "ignored"


@dataclass(frozen=True)
class _Intake:
    """The webhook endpoints' path, one stage per method: the body under its limits, the host's
    parser, the group-committed store, the wake-up, the acknowledgement."""

    config: WebhookConfig
    store: ServiceStore
    publisher: Publisher
    metrics: Metrics
    batcher: Batcher
    budget: BodyBudget

    def refuse(self, host: str, refusal: Refusal) -> Response:
        self.metrics.deliveries.labels(host, refusal.event, refusal.label).inc()
        log.warning(refusal.reason, extra={"host": host, "status": refusal.status})
        return _problem(refusal.status, refusal.reason)

    async def body(self, request: Request, host: str) -> bytes | Response:
        """The body, or the refusal that says which of its limits it broke."""
        config = self.config
        try:
            return await asyncio.wait_for(
                _read_body(request, config.max_body_bytes, self.budget), config.body_timeout
            )
        except TooLarge:
            return self.refuse(host, Refusal(413, "body too large", "too-large"))
        except BusyError:
            return self.refuse(host, Refusal(503, "too many bodies in flight; retry", "busy"))
        except TimeoutError:
            return self.refuse(host, Refusal(408, "the body did not arrive in time", "timeout"))

    async def store_delivery(self, delivery: Delivery) -> Accepted:
        decision = delivery.decision
        accepted: Accepted = await self.batcher.accept(
            delivery.host,
            delivery.delivery_id,
            delivery.event,
            delivery.action,
            decision.spec,
            "recorded" if decision.kind == "record" else "ignored",
        )
        if decision.installation and not accepted.duplicate:
            await run_in_threadpool(
                self.store.deliveries.record_installation, delivery.host, *decision.installation
            )
        return accepted

    async def persist(self, host: str, delivery: Delivery) -> Accepted | Response:
        """The stored delivery, or the answer that tells the host whether to redeliver."""
        try:
            return await self.store_delivery(delivery)
        except StoreRejected as exc:
            # This delivery alone cannot be stored (the batch was retried one by one).
            return self.refuse(host, Refusal(400, str(exc), "bad-request", delivery.event))
        except RedlineError as exc:
            # Not acknowledged, so the host can redeliver; nothing was half-stored.
            log.error("store unavailable", extra={"host": host, "error": str(exc)})
            return _problem(503, "store unavailable; retry later")

    async def wake(self, accepted: Accepted) -> None:
        if accepted.job_id is None or accepted.outcome != "queued":
            return
        try:
            await run_in_threadpool(self.publisher.publish, accepted.job_id)
        except Exception as exc:  # the job is stored; the sweeper will publish it
            log.warning("publish failed", extra={"job": accepted.job_id, "error": str(exc)})

    def acknowledge(
        self, host: str, delivery: Delivery, accepted: Accepted, started: float
    ) -> Response:
        outcome = _outcome(delivery, accepted)
        self.metrics.deliveries.labels(host, delivery.event, outcome).inc()
        self.metrics.ack.observe(time.perf_counter() - started)
        log.info(
            "delivery",
            extra={
                "host": host,
                "delivery": delivery.delivery_id,
                "event": delivery.event,
                "outcome": outcome,
                "reason": delivery.decision.reason,
                "job": accepted.job_id,
            },
        )
        return JSONResponse(
            {"outcome": outcome, "reason": delivery.decision.reason, "job": accepted.job_id},
            status_code=202,
        )

    async def receive(self, request: Request, host: str) -> Response:
        started = time.perf_counter()
        secret = self.config.secret_for(host)
        if not secret:
            return _problem(404, f"{host} webhooks are not configured")
        if authorized_before_body(host, request.headers, secret) is False:
            return self.refuse(host, Refusal(401, "bad or missing signature", "unauthorized"))
        body = await self.body(request, host)
        if isinstance(body, Response):
            return body
        parsed = ROUTES[host](request.headers, body, secret, self.config)
        if isinstance(parsed, Refusal):
            return self.refuse(host, parsed)
        if parsed.decision.kind == "ping":
            self.metrics.deliveries.labels(host, parsed.event, "ping").inc()
            return JSONResponse({"ok": True})
        accepted = await self.persist(host, parsed)
        if isinstance(accepted, Response):
            return accepted
        await self.wake(accepted)
        return self.acknowledge(host, parsed, accepted, started)

    async def github(self, request: Request) -> Response:
        return await self.receive(request, "github")

    async def gitlab(self, request: Request) -> Response:
        return await self.receive(request, "gitlab")


@dataclass(frozen=True)
class _Probes:
    """Health, readiness, metrics and the review read API: the endpoints that only read."""

    config: WebhookConfig
    store: ServiceStore
    publisher: Publisher
    metrics: Metrics
    checks: Mapping[str, Callable[[], bool]]

    async def healthz(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(self, request: Request) -> Response:
        state = {
            "store": await run_in_threadpool(self.store.ping),
            "queue": await run_in_threadpool(self.publisher.ping),
        }
        state.update({name: check() for name, check in self.checks.items()})
        return JSONResponse(state, status_code=200 if all(state.values()) else 503)

    async def metrics_endpoint(self, request: Request) -> Response:
        data = await run_in_threadpool(self.metrics.render)
        return Response(data, media_type=CONTENT_TYPE_LATEST)

    async def get_review(self, request: Request) -> Response:
        token = self.config.api_token
        given = request.headers.get("authorization", "")
        if not token or not given.startswith("Bearer ") or not token.matches(given[7:]):
            return _problem(401, "a valid bearer token is required")
        raw = request.path_params["review_id"]
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
            return _problem(404, "no such review")
        try:
            found = await run_in_threadpool(self.store.reviews.review, int(raw))
        except StoreError:
            return _problem(503, "store unavailable; retry later")
        if found is None:
            return _problem(404, "no such review")
        return JSONResponse(found)

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(OPENAPI)


def create_app(
    config: WebhookConfig,
    store: ServiceStore,
    publisher: Publisher,
    metrics: Metrics | None = None,
    checks: Mapping[str, Callable[[], bool]] | None = None,
) -> Starlette:
    """`checks` are extra readiness conditions (the models being loaded, say)."""
    metrics = metrics or Metrics(lambda: store.queue.counts())
    batcher = Batcher(lambda items: store.deliveries.accept_many(items))
    budget = BodyBudget(config.buffered_bytes)
    intake = _Intake(config, store, publisher, metrics, batcher, budget)
    probes = _Probes(config, store, publisher, metrics, dict(checks or {}))
    return Starlette(
        routes=[
            Route("/webhooks/github", intake.github, methods=["POST"]),
            Route("/webhooks/gitlab", intake.gitlab, methods=["POST"]),
            Route("/healthz", probes.healthz, methods=["GET"]),
            Route("/readyz", probes.readyz, methods=["GET"]),
            Route("/metrics", probes.metrics_endpoint, methods=["GET"]),
            Route("/api/reviews/{review_id}", probes.get_review, methods=["GET"]),
            Route("/openapi.json", probes.openapi, methods=["GET"]),
            *page_routes(lambda: store.reviews, config.page_secret),
        ]
    )
