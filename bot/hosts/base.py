"""The Git host interface: one small seam for GitHub, GitLab and the file-backed demo host.

The review is planned once, as a value, by pure code (bot.plan); an adapter only fetches and
posts, translating its client's errors into the `HostError` family."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from bot.errors import RedlineError


class HostError(RedlineError):
    """A host call failed. `retryable` says whether trying again later can help."""

    def __init__(
        self, message: str, retryable: bool = True, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class RateLimited(HostError):
    """The host asked us to slow down (primary or secondary rate limit)."""


class NotFound(HostError):
    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


@dataclass(frozen=True)
class PullRequest:
    """A pull/merge request resolved on its host."""

    host: str
    repo: str
    number: int
    head_sha: str
    base_sha: str
    start_sha: str | None = None  # GitLab's diff_refs.start_sha
    fork: bool = False
    draft: bool = False
    installation_id: int | None = None
    project_id: int | None = None


@dataclass(frozen=True)
class FetchedDiff:
    text: str  # unified diff
    truncated: str | None = None  # why part of the change is missing, if it is


@dataclass(frozen=True)
class InlineComment:
    path: str
    line: int  # last line of the range
    side: Literal["RIGHT", "LEFT"]
    body: str
    fingerprint: str
    start_line: int | None = None  # first line of a multi-line range
    old_line: int | None = None  # for GitLab positions on context lines
    new_line: int | None = None


@dataclass(frozen=True)
class Annotation:
    path: str
    start_line: int
    end_line: int
    level: Literal["failure", "warning", "notice"]
    title: str
    message: str


@dataclass(frozen=True)
class GateStatus:
    state: Literal["in_progress", "success", "failure", "neutral", "error"]
    title: str
    summary: str
    annotations: tuple[Annotation, ...] = ()


@dataclass(frozen=True)
class ReviewPost:
    """One review: inline comments (already planned and anchored) and the summary body."""

    comments: tuple[InlineComment, ...]
    summary: str  # Markdown, carries the hidden summary marker
    summary_marker: str
    event: Literal["COMMENT", "REQUEST_CHANGES"] = "COMMENT"


@dataclass(frozen=True)
class PostResult:
    posted: tuple[str, ...] = ()  # fingerprints of comments now on the host
    moved_to_summary: tuple[str, ...] = ()  # rejected by the host, listed in the summary
    notes: tuple[str, ...] = field(default_factory=tuple)


class GitHost(Protocol):
    name: str

    def pull_request(
        self,
        repo: str,
        number: int,
        head_sha: str | None = None,
        installation_id: int | None = None,
        project_id: int | None = None,
    ) -> PullRequest: ...

    def fetch_diff(self, pr: PullRequest) -> FetchedDiff: ...

    def fetch_file(self, pr: PullRequest, path: str, sha: str) -> bytes | None: ...

    def posted_fingerprints(self, pr: PullRequest) -> set[str]: ...

    def post_review(self, pr: PullRequest, review: ReviewPost) -> PostResult: ...

    def set_status(self, pr: PullRequest, status: GateStatus) -> None: ...
