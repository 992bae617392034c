"""The one exception tree: every error redline raises on purpose is a `RedlineError`, the CLI's
bad-input errors are `UsageError`s, and `transient` says what a retry can help."""

from __future__ import annotations

import inspect

import pytest

from bot.core import errors
from bot.core.errors import (
    AnalyzerError,
    AnalyzerUnavailable,
    ConfigError,
    DiffParseError,
    EngineError,
    GitError,
    HostError,
    ModelMissing,
    NotFound,
    PayloadError,
    RateLimited,
    RedlineError,
    StoreError,
    StoreRejected,
    UnsafePathError,
    UsageError,
)

CLASSES = [
    obj
    for _, obj in inspect.getmembers(errors, inspect.isclass)
    if issubclass(obj, BaseException) and obj.__module__ == errors.__name__
]


def test_every_error_is_a_redline_error() -> None:
    assert len(CLASSES) >= 16
    assert all(issubclass(cls, RedlineError) for cls in CLASSES)


def test_the_docstring_draws_every_class() -> None:
    doc = errors.__doc__ or ""
    assert [cls.__name__ for cls in CLASSES if cls.__name__ not in doc] == []


@pytest.mark.parametrize(
    ("cls", "parent"),
    [
        (DiffParseError, UsageError),
        (UnsafePathError, UsageError),
        (ConfigError, UsageError),
        (GitError, UsageError),
        (ModelMissing, AnalyzerUnavailable),
        (RateLimited, HostError),
        (NotFound, HostError),
        (StoreRejected, StoreError),
    ],
)
def test_the_tree(cls: type[RedlineError], parent: type[RedlineError]) -> None:
    assert issubclass(cls, parent)


@pytest.mark.parametrize(
    "cls", [PayloadError, AnalyzerError, AnalyzerUnavailable, HostError, StoreError, EngineError]
)
def test_what_is_not_bad_usage(cls: type[RedlineError]) -> None:
    # Only UsageError makes the CLI exit 2; a host or store failure is not the user's input.
    assert not issubclass(cls, UsageError)


def test_no_error_is_a_builtin_value_or_runtime_error() -> None:
    # Callers catch ours by our names; a `except ValueError` elsewhere must not swallow them.
    assert all(not issubclass(cls, ValueError | RuntimeError | OSError) for cls in CLASSES)


def test_diff_parse_error_names_the_line() -> None:
    error = DiffParseError("bad hunk header", 12)
    assert error.line == 12
    assert str(error) == "malformed diff at line 12: bad hunk header"


def test_transient_by_class_and_by_instance() -> None:
    assert RedlineError.transient is False
    assert UsageError("x").transient is False
    assert StoreError("down").transient is True
    assert StoreRejected("bad row").transient is False
    assert HostError("502").transient is True
    assert HostError("422", transient=False).transient is False
    limited = RateLimited("slow down", retry_after=30.0)
    assert limited.transient is True and limited.retry_after == 30.0
    assert HostError("x").retry_after is None


def test_not_found_is_never_transient() -> None:
    error = NotFound("no such pull request")
    assert error.transient is False
    assert str(error) == "no such pull request"


def test_chained_from_the_foreign_error() -> None:
    try:
        try:
            raise KeyError("missing")
        except KeyError as exc:
            raise PayloadError("payload lacks `number`") from exc
    except RedlineError as caught:
        assert isinstance(caught.__cause__, KeyError)
