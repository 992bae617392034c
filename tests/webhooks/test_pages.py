"""`GET /reviews/{id}`: the review page over a real socket, from a real (SQLite) store, opened
by a signed link only; every other token is refused with a clear 403, and an unknown review
is a 404. The page shows its own review and nothing of any other."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from bot.core.errors import ConfigError
from bot.core.links import sign
from bot.core.secret import Secret
from bot.service.settings import load_settings
from bot.store import open_store
from tests.render.html_samples import document, file, hunk
from tests.webhooks.helpers import serve_app
from webhooks.pages import page_routes

SECRET = Secret("page-s3cret")


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, int, int]]:
    store = open_store(f"sqlite:///{tmp_path / 'redline.db'}")
    mine = store.reviews.save_review(
        "github",
        "octo/app",
        5,
        "a" * 40,
        False,
        document([file("mine/app.py", [hunk(1, ["x = 1"])])]),
    )
    other = store.reviews.save_review(
        "github",
        "secret/other",
        9,
        "b" * 40,
        True,
        document([file("other/hidden.py", [hunk(1, ["y"])])]),
    )
    app = Starlette(routes=page_routes(store.reviews, SECRET))
    try:
        with serve_app(app) as url:
            yield url, mine, other
    finally:
        store.close()


def _get(url: str) -> httpx.Response:
    return httpx.get(url, timeout=10)


def test_a_signed_link_opens_its_review_page_and_nothing_else(site: tuple[str, int, int]) -> None:
    url, mine, _ = site
    response = _get(f"{url}/reviews/{mine}?t={sign(SECRET, mine, int(time.time()) + 600)}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "no-store" in response.headers["cache-control"]
    assert "default-src 'none'" in response.headers["content-security-policy"]
    page = response.text
    assert "mine/app.py" in page and "octo/app #5" in page
    assert "other/hidden.py" not in page and "secret/other" not in page


@pytest.mark.parametrize(
    ("token", "words"),
    [
        ("", "has no token"),
        ("garbage", "not a redline link token"),
        ("OTHER", "not valid for this review"),
        ("FORGED", "not valid for this review"),
        ("EXPIRED", "has expired"),
    ],
)
def test_other_tokens_get_a_403_that_says_why(
    site: tuple[str, int, int], token: str, words: str
) -> None:
    url, mine, other = site
    later = int(time.time()) + 600
    token = {
        "OTHER": sign(SECRET, other, later),
        "FORGED": sign(Secret("guess"), mine, later),
        "EXPIRED": sign(SECRET, mine, int(time.time()) - 1),
    }.get(token, token)
    response = _get(f"{url}/reviews/{mine}" + (f"?t={token}" if token else ""))
    assert response.status_code == 403
    assert words in response.text
    assert "mine/app.py" not in response.text and "other/hidden.py" not in response.text


def test_an_unknown_review_is_a_404_and_a_malformed_id_too(site: tuple[str, int, int]) -> None:
    url, _, _ = site
    later = int(time.time()) + 600
    assert _get(f"{url}/reviews/999?t={sign(SECRET, 999, later)}").status_code == 404
    assert _get(f"{url}/reviews/abc?t=1.2").status_code == 404
    # Without a valid token, an unknown id is refused like a known one: nothing is revealed.
    assert _get(f"{url}/reviews/999").status_code == 403


def test_pages_are_off_without_a_secret(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'redline.db'}")
    try:
        with serve_app(Starlette(routes=page_routes(store.reviews, None))) as url:
            response = _get(f"{url}/reviews/1?t={sign(SECRET, 1, 2**40)}")
        assert response.status_code == 404 and "not configured" in response.text
    finally:
        store.close()


def test_the_page_settings_are_read_and_a_url_that_could_break_a_link_is_refused() -> None:
    settings = load_settings(
        {"REDLINE_PAGE_SECRET": "s", "REDLINE_PUBLIC_URL": "https://redline.example/"}
    )
    assert settings.page_secret is not None and settings.page_secret.reveal() == "s"
    assert settings.public_url == "https://redline.example"
    for bad in ("ftp://x", "https://x/a)b", "https://x y"):
        with pytest.raises(ConfigError, match="REDLINE_PUBLIC_URL"):
            load_settings({"REDLINE_PUBLIC_URL": bad})
