"""The webhook service (starlette): verify over the raw body, parse, decide, persist the job,
answer 202, all before any slow work. Health, readiness, metrics and the review API too."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.errors import RedlineError
from bot.settings import Settings
from bot.store.repository import Store
from webhooks import events
from webhooks.verify import verify_github, verify_gitlab

log = logging.getLogger("redline.webhooks")


class Metrics:
    def __init__(self, store: Store, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.deliveries = Counter(
            "redline_deliveries",
            "Webhook deliveries",
            ["host", "event", "outcome"],
            registry=self.registry,
        )
        self.ack = Histogram(
            "redline_ack_latency_seconds",
            "Time to acknowledge a delivery",
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
        )
        self.review = Histogram(
            "redline_review_duration_seconds",
            "Review duration",
            registry=self.registry,
            buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
        )
        self.jobs = Gauge("redline_jobs", "Jobs by state", ["state"], registry=self.registry)
        self.depth = Gauge("redline_queue_depth", "Jobs waiting", registry=self.registry)
        self.store = store

    def render(self) -> bytes:
        try:
            counts = self.store.counts()
            for state, count in counts.items():
                self.jobs.labels(state).set(count)
            self.depth.set(counts.get("queued", 0))
        except RedlineError:
            pass  # the store being down shows in /readyz; metrics still answer
        return generate_latest(self.registry)


class Publisher:
    """Wakes workers after a job is committed (a no-op wake-up for the embedded queue)."""

    def __init__(self, publish: Callable[[int], None], ping: Callable[[], bool]) -> None:
        self.publish = publish
        self.ping = ping


class Batcher:
    """Group commit: deliveries arriving together are stored in one transaction, so the
    durable write (an fsync) is shared instead of paid per request."""

    def __init__(self, store: Store, limit: int = 256) -> None:
        self.store = store
        self.limit = limit
        self.queue: asyncio.Queue[tuple[tuple[Any, ...], asyncio.Future[Any]]] | None = None
        self.task: asyncio.Task[None] | None = None

    async def accept(self, *item: Any) -> Any:
        if self.queue is None or self.task is None or self.task.done():
            self.queue = asyncio.Queue()
            self.task = asyncio.create_task(self._run(self.queue))
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        await self.queue.put((item, future))
        return await future

    async def _run(self, queue: asyncio.Queue[tuple[tuple[Any, ...], asyncio.Future[Any]]]) -> None:
        while True:
            batch = [await queue.get()]
            while len(batch) < self.limit and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                results = await run_in_threadpool(
                    self.store.accept_many, [item for item, _ in batch]
                )
            except Exception as exc:  # every waiter learns the store failed
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)


def _problem(status: int, reason: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": reason, **extra}, status_code=status)


async def _read_body(request: Request, limit: int) -> bytes | None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _payload(body: bytes, content_type: str) -> Any:
    if content_type == "application/x-www-form-urlencoded":
        fields = parse_qs(body.decode("utf-8"), strict_parsing=False)
        if "payload" not in fields:
            raise events.PayloadError("form body without a payload field")
        return json.loads(fields["payload"][0])
    return json.loads(body)


def create_app(
    settings: Settings, store: Store, publisher: Publisher, metrics: Metrics | None = None
) -> Starlette:
    metrics = metrics or Metrics(store)
    batcher = Batcher(store)

    async def receive(request: Request, host: str) -> Response:
        started = time.perf_counter()
        secret = (
            settings.github_webhook_secret if host == "github" else (settings.gitlab_webhook_token)
        )
        if not secret:
            return _problem(404, f"{host} webhooks are not configured")
        body = await _read_body(request, settings.max_body_bytes)
        if body is None:
            metrics.deliveries.labels(host, "-", "too-large").inc()
            return _problem(413, "body too large")
        if host == "github":
            ok = verify_github(secret.reveal(), body, request.headers.get("x-hub-signature-256"))
            event = request.headers.get("x-github-event", "")
            delivery = request.headers.get("x-github-delivery", "")
        else:
            ok = verify_gitlab(secret.reveal(), request.headers.get("x-gitlab-token"))
            event = request.headers.get("x-gitlab-event", "")
            delivery = (
                request.headers.get("idempotency-key")
                or request.headers.get("x-gitlab-event-uuid")
                or request.headers.get("x-gitlab-webhook-uuid", "")
            )
        if not ok:
            metrics.deliveries.labels(host, "-", "unauthorized").inc()
            log.warning("bad signature", extra={"host": host, "delivery": delivery[:64]})
            return _problem(401, "bad or missing signature")
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        allowed = (
            ("application/json", "application/x-www-form-urlencoded")
            if host == ("github")
            else ("application/json",)
        )
        if content_type not in allowed:
            metrics.deliveries.labels(host, event or "-", "unsupported-type").inc()
            return _problem(415, f"content type must be {' or '.join(allowed)}")
        if not event or not delivery or len(delivery) > 128:
            metrics.deliveries.labels(host, event or "-", "bad-request").inc()
            log.warning("missing event or delivery header", extra={"host": host})
            return _problem(400, "missing event or delivery id header")
        try:
            payload = _payload(body, content_type)
            decide = events.github if host == "github" else events.gitlab
            decision = decide(
                event, payload, review_drafts=settings.review_drafts, bot_logins=settings.bot_logins
            )
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            reason = str(exc) if isinstance(exc, events.PayloadError) else "malformed JSON"
            metrics.deliveries.labels(host, event[:64], "bad-request").inc()
            log.warning("bad payload", extra={"host": host, "delivery": delivery, "reason": reason})
            return _problem(400, reason)
        if decision.kind == "ping":
            metrics.deliveries.labels(host, event, "ping").inc()
            return JSONResponse({"ok": True})
        action = payload.get("action") if isinstance(payload, dict) else None
        try:
            accepted = await batcher.accept(
                host,
                delivery,
                event[:64],
                str(action)[:64] if action else None,
                decision.spec,
                "recorded" if decision.kind == "record" else "ignored",
            )
            if decision.installation and not accepted.duplicate:
                await run_in_threadpool(store.record_installation, host, *decision.installation)
        except RedlineError as exc:
            # Not acknowledged, so the host can redeliver; nothing was half-stored.
            log.error(
                "store unavailable", extra={"host": host, "delivery": delivery, "error": str(exc)}
            )
            return _problem(503, "store unavailable; retry later")
        if accepted.job_id is not None and accepted.outcome == "queued":
            try:
                await run_in_threadpool(publisher.publish, accepted.job_id)
            except Exception as exc:  # the job is stored; the sweeper will publish it
                log.warning("publish failed", extra={"job": accepted.job_id, "error": str(exc)})
        outcome = (
            accepted.outcome
            if decision.kind == "review" or accepted.duplicate
            else (decision.kind if decision.kind == "record" else "ignored")
        )
        metrics.deliveries.labels(host, event[:64], outcome).inc()
        metrics.ack.observe(time.perf_counter() - started)
        log.info(
            "delivery",
            extra={
                "host": host,
                "delivery": delivery,
                "event": event,
                "outcome": outcome,
                "reason": decision.reason,
                "job": accepted.job_id,
            },
        )
        return JSONResponse(
            {"outcome": outcome, "reason": decision.reason, "job": accepted.job_id}, status_code=202
        )

    async def github(request: Request) -> Response:
        return await receive(request, "github")

    async def gitlab(request: Request) -> Response:
        return await receive(request, "gitlab")

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        store_ok = await run_in_threadpool(store.ping)
        queue_ok = await run_in_threadpool(publisher.ping)
        status = 200 if store_ok and queue_ok else 503
        return JSONResponse({"store": store_ok, "queue": queue_ok}, status_code=status)

    async def metrics_endpoint(request: Request) -> Response:
        data = await run_in_threadpool(metrics.render)
        return Response(data, media_type=CONTENT_TYPE_LATEST)

    async def get_review(request: Request) -> Response:
        token = settings.api_token
        given = request.headers.get("authorization", "")
        expected = f"Bearer {token.reveal()}" if token else ""
        if not token or not hmac.compare_digest(
            given.encode("utf-8", "replace"), expected.encode()
        ):
            return _problem(401, "a valid bearer token is required")
        raw = request.path_params["review_id"]
        if not raw.isdigit() or len(raw) > 18:
            return _problem(404, "no such review")
        found = await run_in_threadpool(store.review, int(raw))
        if found is None:
            return _problem(404, "no such review")
        return JSONResponse(found)

    async def openapi(request: Request) -> Response:
        return JSONResponse(OPENAPI)

    return Starlette(
        routes=[
            Route("/webhooks/github", github, methods=["POST"]),
            Route("/webhooks/gitlab", gitlab, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
            Route("/api/reviews/{review_id}", get_review, methods=["GET"]),
            Route("/openapi.json", openapi, methods=["GET"]),
        ]
    )


def _webhook_op(host: str, headers: list[tuple[str, bool]]) -> dict[str, Any]:
    return {
        "post": {
            "summary": f"{host} webhook delivery",
            "parameters": [
                {"name": n, "in": "header", "required": r, "schema": {"type": "string"}}
                for n, r in headers
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            "responses": {
                str(code): {"description": text}
                for code, text in (
                    (200, "ping"),
                    (202, "accepted"),
                    (400, "bad payload"),
                    (401, "bad signature"),
                    (404, "not configured"),
                    (413, "too large"),
                    (415, "bad content type"),
                    (503, "store unavailable"),
                )
            },
        }
    }


OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "redline", "version": "1"},
    "paths": {
        "/webhooks/github": _webhook_op(
            "GitHub",
            [("X-GitHub-Event", True), ("X-GitHub-Delivery", True), ("X-Hub-Signature-256", True)],
        ),
        "/webhooks/gitlab": _webhook_op(
            "GitLab",
            [("X-Gitlab-Event", True), ("X-Gitlab-Token", True), ("X-Gitlab-Event-UUID", False)],
        ),
        "/healthz": {"get": {"responses": {"200": {"description": "alive"}}}},
        "/readyz": {
            "get": {
                "responses": {"200": {"description": "ready"}, "503": {"description": "not ready"}}
            }
        },
        "/metrics": {"get": {"responses": {"200": {"description": "Prometheus metrics"}}}},
        "/api/reviews/{review_id}": {
            "get": {
                "parameters": [
                    {
                        "name": "review_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "Authorization",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string"},
                    },
                ],
                "responses": {
                    "200": {"description": "the review"},
                    "401": {"description": "unauthorized"},
                    "404": {"description": "not found"},
                },
            }
        },
    },
}
