"""One mapping from an HTTP status a host answered to our `HostError` family, shared by the
GitHub and GitLab adapters."""

from __future__ import annotations

from bot.core.errors import HostError, NotFound, RateLimited


def from_status(
    host: str, status: int, detail: object, forbidden_is_transient: bool = False
) -> HostError:
    """404 is NotFound; 5xx and no status (the connection failed) are transient, and so is 429;
    other 4xx are not, except 403 where the host uses it for secondary rate limits (GitHub)."""
    if status == 404:
        return NotFound(f"{host}: not found ({detail})")
    if status == 429:
        return RateLimited(f"{host} rate limit: {detail}")
    transient = status >= 500 or status == 0 or (status == 403 and forbidden_is_transient)
    return HostError(f"{host} {status}: {detail}", transient=transient)
