"""Host values: a pull/merge request as resolved on its host, what is fetched, and what is posted.
Host-neutral; each adapter translates these to and from its client's objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


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


@dataclass(frozen=True)
class BranchTip:
    """The commit a branch points at, as a suggested-commit deliverer needs to judge it."""

    sha: str
    parents: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class SuggestedRequest:
    """The pull/merge request a suggested commit is offered through."""

    number: int
    url: str
    created: bool  # False: an open one from the same branch was found and reused
