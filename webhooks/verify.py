"""Signature and token checks over the raw request, in constant time."""

from __future__ import annotations

import hashlib
import hmac


def github_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_github(secret: str, body: bytes, header: str | None) -> bool:
    """`X-Hub-Signature-256` is HMAC-SHA256 of the raw body with the webhook secret."""
    if not header:
        return False
    return hmac.compare_digest(
        github_signature(secret, body).encode(), header.strip().encode("utf-8", "replace")
    )


def verify_gitlab(token: str, header: str | None) -> bool:
    """`X-Gitlab-Token` is the secret token itself."""
    if not header:
        return False
    return hmac.compare_digest(token.encode(), header.encode("utf-8", "replace"))
