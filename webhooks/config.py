"""What the webhook service needs to know, as one value built by the composition root (the
service's settings live above this layer)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.secret import Secret


@dataclass(frozen=True)
class WebhookConfig:
    github_secret: Secret | None = None
    gitlab_token: Secret | None = None
    api_token: Secret | None = None  # for GET /api/reviews/{id}
    page_secret: Secret | None = None  # signs the links to GET /reviews/{id} (None: no pages)
    public_url: str | None = None  # where the service is reached, for links to its pages
    review_drafts: bool = False
    bot_logins: tuple[str, ...] = ("redline[bot]",)
    max_body_bytes: int = 25 * 1024 * 1024
    buffered_bytes: int = 128 * 1024 * 1024  # all request bodies being read at once
    body_timeout: float = 20.0  # seconds for a whole body to arrive

    def secret_for(self, host: str) -> Secret | None:
        return self.github_secret if host == "github" else self.gitlab_token
