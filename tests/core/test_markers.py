"""Fingerprint markers: signed for one pull request with the server's key, so an author who
writes `<!-- redline:fp=... -->` into their own comment cannot silence a real finding."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.markers import SUMMARY_MARKER, Marks, derive_key, scope_of

KEY = derive_key("server secret")
SCOPE = scope_of("github", "octo/repo", 7)
FP = "0123456789abcdef0123456789abcdef"


def test_a_mark_reads_back_in_its_scope() -> None:
    marks = Marks(KEY)
    body = f"Finding text\n\n{marks.mark(SCOPE, FP)}"
    assert marks.read(SCOPE, body) == FP


def test_a_mark_is_a_hidden_html_comment() -> None:
    mark = Marks(KEY).mark(SCOPE, FP)
    assert mark.startswith("<!-- redline:fp=" + FP + ":") and mark.endswith(" -->")


def test_another_pull_request_does_not_believe_it() -> None:
    marks = Marks(KEY)
    mark = marks.mark(SCOPE, FP)
    assert marks.read(scope_of("github", "octo/repo", 8), mark) is None
    assert marks.read(scope_of("gitlab", "octo/repo", 7), mark) is None
    assert marks.read(scope_of("github", "octo/other", 7), mark) is None


def test_another_key_does_not_believe_it() -> None:
    mark = Marks(KEY).mark(SCOPE, FP)
    assert Marks(derive_key("another secret")).read(SCOPE, mark) is None


@pytest.mark.parametrize(
    "forged",
    [
        f"<!-- redline:fp={FP} -->",  # unsigned
        f"<!-- redline:fp={FP}:0000000000000000 -->",  # signed by nobody
        f"<!-- redline:fp={FP}:zzzzzzzzzzzzzzzz -->",  # not a mac at all
    ],
)
def test_unsigned_and_forged_markers_are_refused(forged: str) -> None:
    assert Marks(KEY).read(SCOPE, forged) is None


def test_a_mark_moved_onto_another_fingerprint_is_refused() -> None:
    marks = Marks(KEY)
    mark = marks.mark(SCOPE, FP)
    mac = mark.rsplit(":", 1)[1]
    tampered = f"<!-- redline:fp={'f' * 32}:{mac}"
    assert tampered.endswith(" -->")  # well-formed: refused for its mac, not its shape
    assert marks.read(SCOPE, tampered) is None
    # One changed character of the mac is enough to refuse it.
    flipped = mark.replace(mac[:1], "0" if mac[0] != "0" else "1", 1)
    assert flipped != mark and marks.read(SCOPE, flipped) is None


def test_the_signed_marker_is_found_among_forged_ones() -> None:
    marks = Marks(KEY)
    body = f"<!-- redline:fp={'a' * 32}:0000000000000000 -->\nquoted text\n{marks.mark(SCOPE, FP)}"
    assert marks.read(SCOPE, body) == FP


def test_a_body_without_marks() -> None:
    assert Marks(KEY).read(SCOPE, "just a comment " + SUMMARY_MARKER) is None


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        Marks(b"short")


def test_derived_keys_per_purpose_and_never_the_secret() -> None:
    assert len(KEY) == 32
    assert b"server secret".ljust(32, b"\0") != KEY
    assert derive_key("server secret") == KEY  # stable across restarts
    assert derive_key("server secret", "another purpose") != KEY


def test_scope_names_host_repo_and_number() -> None:
    assert SCOPE == "github:octo/repo#7"


@settings(max_examples=50, deadline=None)
@given(
    st.text(alphabet="0123456789abcdefABCXYZ_-", min_size=1, max_size=64),
    st.integers(1, 10_000),
    st.integers(1, 10_000),
)
def test_any_fingerprint_reads_back_only_in_its_own_pull_request(
    fingerprint: str, number: int, other: int
) -> None:
    marks = Marks(KEY)
    mark = marks.mark(scope_of("github", "o/r", number), fingerprint)
    assert marks.read(scope_of("github", "o/r", number), f"text\n{mark}") == fingerprint
    if other != number:
        assert marks.read(scope_of("github", "o/r", other), mark) is None
