"""Signed page links (bot.core.links) and the summary comment that carries one."""

from __future__ import annotations

import pytest

from bot.core.diff import parse_diff
from bot.core.links import check, page_url, sign
from bot.core.model import Gate, Review
from bot.core.secret import Secret
from bot.review.plan import plan, with_moved

SECRET = Secret("page-s3cret")
NOW = 1_800_000_000


def test_a_token_opens_its_own_review_until_it_expires() -> None:
    token = sign(SECRET, 42, NOW + 60)
    assert check(SECRET, 42, token, NOW).ok
    assert check(SECRET, 42, token, NOW + 59.9).ok
    expired = check(SECRET, 42, token, NOW + 60)
    assert (expired.ok, expired.problem) == (False, "expired")
    assert "expired" in expired.message


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        (None, "missing"),
        ("", "missing"),
        ("nodot", "malformed"),
        ("12ab.ffff", "malformed"),
        ("1" * 13 + ".ab", "malformed"),
        (f"{NOW + 60}." + "0" * 64, "invalid"),
        (f"{NOW + 60}.é", "malformed"),
    ],
)
def test_missing_malformed_and_forged_tokens_are_refused(token: str | None, problem: str) -> None:
    result = check(SECRET, 42, token, NOW)
    assert (result.ok, result.problem) == (False, problem)
    assert result.message


def test_a_token_of_another_review_another_secret_or_a_moved_expiry_is_invalid() -> None:
    token = sign(SECRET, 41, NOW + 60)
    assert check(SECRET, 42, token, NOW).problem == "invalid"
    assert check(Secret("other"), 41, token, NOW).problem == "invalid"
    mac = token.split(".")[1]
    # Stretching the expiry of a real token breaks its mac: invalid, and never "expired".
    assert check(SECRET, 41, f"{NOW + 10**6}.{mac}", NOW).problem == "invalid"
    old = sign(SECRET, 41, NOW - 10)
    assert check(SECRET, 41, f"{NOW - 10}.{old.split('.')[1][:-1]}0", NOW).problem == "invalid"


def test_the_page_url_carries_the_token() -> None:
    url = page_url("https://redline.example/", SECRET, 7, NOW)
    assert url == f"https://redline.example/reviews/7?t={sign(SECRET, 7, NOW)}"


def _review() -> Review:
    return Review((), (), Gate(False, (), "error"), 0, (), ())


def test_the_summary_comment_links_to_the_page_and_keeps_the_link_when_re_planned() -> None:
    url = page_url("https://redline.example", SECRET, 7, NOW)
    planned = plan(_review(), parse_diff(""), 10, link=url)
    assert f"**[Open the guided review page]({url})**" in planned.post.summary
    again = with_moved(planned, _review(), [], "refused inline by the host")
    assert url in again.post.summary
    assert "guided review page" not in plan(_review(), parse_diff(""), 10).post.summary
