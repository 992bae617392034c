"""`GET /reviews/{id}?t=TOKEN`: the guided review page of one stored review, opened by the
signed link in the pull request's summary comment (bot.core.links). No host login: the token
is the key, and it opens that one review only. The token is checked before the store is
asked, so a caller without a valid token learns nothing, not even whether a review exists."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from bot.core.errors import StoreError
from bot.core.links import check
from bot.core.ports import ReviewStore
from bot.core.secret import Secret
from bot.render.html import assets, render_error, render_html


def _headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": assets().csp + "; frame-ancestors 'none'",
        "Referrer-Policy": "no-referrer",  # the token must not leave in a Referer header
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "X-Robots-Tag": "noindex",
    }


def _refusal(status: int, heading: str, message: str) -> Response:
    return HTMLResponse(render_error(status, heading, message), status, headers=_headers())


def _subtitle(found: dict[str, Any]) -> str:
    head = str(found.get("head_sha") or "")[:12]
    return f"{found.get('repo', '')} #{found.get('pr', '')}" + (f" at {head}" if head else "")


def page_routes(
    reviews: ReviewStore | Callable[[], ReviewStore],
    secret: Secret | None,
    clock: Callable[[], float] = time.time,
) -> list[Route]:
    """The page routes over a review store and the page secret (None: pages are off). The
    store may be given as a function: `serve` builds the app before its store is connected."""
    store_of: Callable[[], ReviewStore] = reviews if callable(reviews) else (lambda: reviews)

    async def review_page(request: Request) -> Response:
        if not secret:
            return _refusal(
                404,
                "Review pages are not configured",
                "This redline service has no page secret (REDLINE_PAGE_SECRET), so it serves "
                "no review pages.",
            )
        raw = request.path_params["review_id"]
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
            return _refusal(404, "No such review", "There is no review at this address.")
        review_id = int(raw)
        verdict = check(secret, review_id, request.query_params.get("t"), clock())
        if not verdict.ok:
            return _refusal(403, "This link does not open this review", verdict.message)
        try:
            found = await run_in_threadpool(lambda: store_of().review(review_id))
        except StoreError:
            return _refusal(503, "The store is unavailable", "Try again in a little while.")
        if found is None:
            return _refusal(404, "No such review", "There is no review at this address.")
        page = await run_in_threadpool(
            render_html, found["document"], title="redline review", subtitle=_subtitle(found)
        )
        return HTMLResponse(page, headers=_headers())

    return [Route("/reviews/{review_id}", review_page, methods=["GET"])]
