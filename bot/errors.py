"""redline's own exceptions. Adapters translate foreign errors into these at the boundary."""

from __future__ import annotations


class RedlineError(Exception):
    """Base of every error redline raises on purpose."""


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
    """An invalid `.redline.toml` or setting."""


class GitError(UsageError):
    """A git command failed (bad range, not a repository)."""


class AnalyzerError(RedlineError):
    """An analyzer could not complete; the review records it and goes on."""


class AnalyzerUnavailable(RedlineError):
    """An analyzer that cannot run here (no weights, no binary): reported as skipped."""
