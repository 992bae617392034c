"""The service's OpenAPI description (the fuzz tests drive the app from it)."""

from __future__ import annotations

from typing import Any


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
                    "503": {"description": "store unavailable"},
                },
            }
        },
        "/reviews/{review_id}": {
            "get": {
                "summary": "the guided review page, with a signed, expiring token",
                "parameters": [
                    {
                        "name": "review_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    {"name": "t", "in": "query", "required": False, "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": {"description": "the page"},
                    "403": {"description": "missing, forged or expired token"},
                    "404": {"description": "no such review, or pages not configured"},
                    "503": {"description": "store unavailable"},
                },
            }
        },
    },
}
