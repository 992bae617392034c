"""A secret never shows its value (repr, str, f-strings, containers, tracebacks, logs) and is
compared in constant time."""

from __future__ import annotations

import inspect
import logging
import traceback
from dataclasses import dataclass

import pytest

from bot.core.secret import Secret

VALUE = "hunter2-very-secret"


def test_repr_and_str_never_show_the_value() -> None:
    secret = Secret(VALUE)
    for shown in (repr(secret), str(secret), f"{secret}", f"{secret!r}", format(secret)):
        assert VALUE not in shown
        assert "*" in shown


def test_containers_and_dataclasses_do_not_show_it() -> None:
    @dataclass
    class Settings:
        token: Secret

    secret = Secret(VALUE)
    assert VALUE not in repr([secret, {"k": secret}])
    assert VALUE not in repr(Settings(secret))


def test_no_instance_dict_to_dump() -> None:
    with pytest.raises(TypeError):
        vars(Secret(VALUE))


def test_tracebacks_and_logs_do_not_show_it(caplog: pytest.LogCaptureFixture) -> None:
    secret = Secret(VALUE)
    try:
        raise RuntimeError(f"could not log in with {secret}")
    except RuntimeError:
        text = traceback.format_exc()
    assert VALUE not in text
    with caplog.at_level(logging.INFO):
        logging.getLogger("redline.test").info("token %s", secret)
    assert caplog.records and VALUE not in caplog.text


def test_reveal_is_the_one_way_out() -> None:
    assert Secret(VALUE).reveal() == VALUE


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (VALUE, True),
        (VALUE.encode(), True),
        (VALUE + "x", False),
        (VALUE[:-1], False),
        ("", False),
        (None, False),
        ("Hunter2-very-secret", False),
        (b"\xff\xfe", False),
    ],
)
def test_matches(given: str | bytes | None, expected: bool) -> None:
    assert Secret(VALUE).matches(given) is expected


def test_non_ascii_secrets_match_their_utf8_bytes() -> None:
    assert Secret("pässwörd").matches("pässwörd".encode())
    assert not Secret("pässwörd").matches("passwort")


def test_matches_compares_in_constant_time() -> None:
    # Timing is not measurable reliably in a unit test; the comparison must be the
    # constant-time one, never `==` on the strings.
    source = inspect.getsource(Secret.matches)
    assert "hmac.compare_digest(" in source
    assert "==" not in source


def test_truthiness_is_whether_it_is_set() -> None:
    assert Secret(VALUE)
    assert not Secret("")
