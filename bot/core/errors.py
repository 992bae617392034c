"""redline's own exceptions: the one tree. Adapters translate foreign errors into these once, at
their boundary (`raise X from exc`); nothing above an adapter sees a library's exception.

    RedlineError
    ├── UsageError                 bad command-line usage or input: the CLI exits 2
    │   ├── DiffParseError         a diff that cannot be parsed (names the line)
    │   ├── UnsafePathError        a path that would escape the repository
    │   ├── ConfigError            an invalid `.redline.toml`, setting or option
    │   └── GitError               a git command failed (bad range, not a repository)
    ├── PayloadError               a webhook payload that lacks what we need (answered 400)
    ├── AnalyzerError              an analyzer could not complete (recorded, the review goes on)
    ├── AnalyzerUnavailable        an analyzer that cannot run here (no binary, no weights)
    │   └── ModelMissing           a model's weights are missing or from another version
    ├── HostError                  a Git host call failed; `transient` says if retrying can help
    │   ├── RateLimited            the host asked us to slow down
    │   └── NotFound               the object does not exist (never transient)
    ├── StoreError                 the store cannot be reached or migrated (transient)
    │   └── StoreRejected          the store refused one record (bad data; not transient)
    └── EngineError                the fix engine's backend failed or is not configured

Retry policy reads `transient` (an attribute of the error class or instance); anything that is
not a `RedlineError` is a bug, recorded with its traceback and not retried.
"""

from __future__ import annotations


class RedlineError(Exception):
    """Base of every error redline raises on purpose."""

    transient: bool = False


class UsageError(RedlineError):
    """Bad command-line usage or bad input: the CLI exits 2."""


class DiffParseError(UsageError):
    """A diff that cannot be parsed; `line` is the 1-based line of the diff at fault."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(f"malformed diff at line {line}: {message}")
        self.line = line


class UnsafePathError(UsageError):
    """A path in the diff that would escape the repository directory."""


class ConfigError(UsageError):
    """An invalid `.redline.toml`, setting or option."""


class GitError(UsageError):
    """A git command failed (bad range, not a repository)."""


class PayloadError(RedlineError):
    """A webhook payload that lacks a field we need: the delivery is answered 400."""


class AnalyzerError(RedlineError):
    """An analyzer could not complete; the review records it and goes on."""


class AnalyzerUnavailable(RedlineError):
    """An analyzer that cannot run here (no weights, no binary): reported as skipped."""


class ModelMissing(AnalyzerUnavailable):
    """A model's weights are missing, or were exported by another version of the code."""


class HostError(RedlineError):
    """A host call failed. `transient` says whether trying again later can help."""

    def __init__(
        self, message: str, transient: bool = True, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.transient = transient
        self.retry_after = retry_after


class RateLimited(HostError):
    """The host asked us to slow down (primary or secondary rate limit)."""


class NotFound(HostError):
    def __init__(self, message: str) -> None:
        super().__init__(message, transient=False)


class StoreError(RedlineError):
    """The store could not be reached or migrated."""

    transient = True


class StoreRejected(StoreError):
    """The store refused a record (a value it cannot hold): retrying it will not help."""

    transient = False


class EngineError(RedlineError):
    """The fix engine's inference backend failed, is unreachable, or is not configured."""
