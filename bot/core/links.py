"""Signed, expiring links to a review's page: `/reviews/{id}?t={expires}.{mac}`, where the mac
is HMAC-SHA256 over the review id and the expiry with the service's page secret. A token opens
one review until it expires and nothing else; it is checked in constant time. Pure: the time
is passed in, so the caller owns the clock."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from bot.core.secret import Secret

PAGE_TTL_SECONDS = 30 * 24 * 3600  # the summary comment is edited on every push: a fresh link
_CONTEXT = b"redline-review-page:v1:"
_MAX_TOKEN = 200  # an expiry and a hex digest fit in far less; longer is not ours

LinkProblem = Literal["missing", "malformed", "invalid", "expired"]

MESSAGES: dict[LinkProblem, str] = {
    "missing": "This review page needs the signed link from the pull request's summary "
    "comment; the address has no token.",
    "malformed": "The token in this address is not a redline link token (it may have been cut "
    "when it was copied). Open the link from the pull request's summary comment again.",
    "invalid": "This link is not valid for this review: it was signed for another review, or "
    "altered, or signed with another secret. Open the link from this pull request's summary "
    "comment.",
    "expired": "This link has expired. The pull request's summary comment carries a fresh "
    "link after the next review (push a commit or comment `/redline review`).",
}


@dataclass(frozen=True)
class LinkCheck:
    ok: bool
    problem: LinkProblem | None = None

    @property
    def message(self) -> str:
        return "" if self.problem is None else MESSAGES[self.problem]


def _mac(secret: Secret, review_id: int, expires: int) -> str:
    message = _CONTEXT + f"{review_id}:{expires}".encode("ascii")
    return hmac.new(secret.reveal().encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(secret: Secret, review_id: int, expires: int) -> str:
    """The token for one review, valid until `expires` (seconds since the epoch)."""
    if review_id < 0 or expires < 0:
        raise ValueError("review ids and expiry times are not negative")
    return f"{expires}.{_mac(secret, review_id, expires)}"


def check(secret: Secret, review_id: int, token: str | None, now: float) -> LinkCheck:
    """Whether `token` opens review `review_id` at time `now`. The expiry is believed only
    once the mac over it checks out: a forged token is invalid, never merely expired."""
    if not token:
        return LinkCheck(False, "missing")
    expires_text, dot, given = token.partition(".")
    if (
        not dot
        or len(token) > _MAX_TOKEN
        or not expires_text.isdigit()
        or not expires_text.isascii()
        or len(expires_text) > 12
        or not given.isascii()
    ):
        return LinkCheck(False, "malformed")
    expected = _mac(secret, review_id, int(expires_text))
    if not hmac.compare_digest(expected.encode("ascii"), given.encode("ascii")):
        return LinkCheck(False, "invalid")
    if now >= int(expires_text):
        return LinkCheck(False, "expired")
    return LinkCheck(True)


def page_url(public_url: str, secret: Secret, review_id: int, expires: int) -> str:
    """The page's address under the service's public URL, token included."""
    base = public_url.rstrip("/")
    return f"{base}/reviews/{review_id}?t={quote(sign(secret, review_id, expires), safe='.')}"
