"""The ports: one small interface per outside system. Adapters (bot/sources, bot/hosts,
bot/store, bot/analyzers) implement them; the review core only ever sees these.

- `Tree`: read-only file access at one revision (a directory, a git commit, a host's API).
- `Analyzer`: parsed diff + file context in, hunk scores / findings / verdicts out, by a deadline.
- `GitHost`: fetch a pull request's diff and files, post a planned review, set the gate status.
  Optional capabilities (`HostPermissions`, `SuggestedCommits`) are separate protocols that an
  adapter may also implement; callers check with `isinstance`.
- `DeliveryStore`, `JobQueue`, `ReviewStore`: the three aggregates of the durable store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from bot.core.host import (
    BranchTip,
    FetchedDiff,
    GateStatus,
    PostResult,
    PullRequest,
    ReviewPost,
    SuggestedRequest,
)
from bot.core.jobs import Accepted, Job, JobSpec
from bot.core.markers import Marks
from bot.core.model import Diff, Finding, HunkScore, Review, Suppression, Verdict
from bot.core.policy import Config
from bot.core.trees import EmptyTree


class Tree(Protocol):
    """Read-only file access by repository-relative path."""

    def size(self, path: str) -> int | None: ...

    def read(self, path: str) -> bytes | None: ...


@dataclass(frozen=True)
class AnalysisRequest:
    diff: Diff  # only the files that are reviewed
    texts: Mapping[str, str]  # post-image text by path; absent when the file could not be read
    config: Config
    base: Tree = field(default_factory=EmptyTree)  # the base tree: rule files come from here

    def text(self, path: str) -> str | None:
        return self.texts.get(path)


@dataclass(frozen=True)
class AnalyzerOutput:
    scores: tuple[HunkScore, ...] = ()
    findings: tuple[Finding, ...] = ()
    verdicts: tuple[Verdict, ...] = ()
    suppressions: tuple[Suppression, ...] = ()
    detail: str | None = None


class Analyzer(Protocol):
    name: str
    default_budget: float  # seconds

    # Read-only: an analyzer in the model worker asks the worker for them.
    @property
    def version(self) -> str: ...

    @property
    def thresholds(self) -> Mapping[str, float]:
        """Score threshold per paranoia level for this analyzer's findings; empty: defaults."""
        ...

    def analyze(self, request: AnalysisRequest, deadline: float) -> AnalyzerOutput:
        """Analyze; `deadline` is a `time.monotonic()` value to finish by."""
        ...


class GitHost(Protocol):
    name: str
    marks: Marks  # signs and reads the fingerprint markers in the bot's own comments

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


class DeliveryStore(Protocol):
    """Webhook deliveries, recorded with their job in one transaction."""

    def accept_many(
        self, items: Sequence[tuple[str, str, str, str | None, JobSpec | None, str]]
    ) -> list[Accepted]: ...

    def record_installation(
        self, host: str, installation_id: int, account: str | None, action: str
    ) -> None: ...


class JobQueue(Protocol):
    """Jobs under leases: claim, heartbeat, complete, retry with backoff or dead-letter."""

    def claim(self, worker: str, lease: float, job_id: int | None = None) -> Job | None: ...

    def extend(self, job_id: int, worker: str, lease: float) -> bool: ...

    def complete(self, job_id: int, worker: str) -> bool: ...

    def fail(
        self, job_id: int, worker: str, error: str, max_attempts: int, base_seconds: float
    ) -> str: ...

    def supersede_if_stale(self, job: Job) -> bool: ...

    def counts(self) -> dict[str, int]: ...


class ReviewStore(Protocol):
    """Stored review documents and the fingerprints of comments already posted."""

    def save_review(
        self,
        host: str,
        repo: str,
        pr: int,
        head_sha: str,
        gate_failed: bool,
        document: dict[str, Any],
    ) -> int: ...

    def review(self, review_id: int) -> dict[str, Any] | None: ...

    def fingerprints(self, host: str, repo: str, pr: int) -> set[str]: ...

    def record_comments(
        self, host: str, repo: str, pr: int, posted: list[tuple[str, str | None]]
    ) -> None: ...


class ServiceStore(Protocol):
    """The store as the service sees it: its three aggregates and a health check."""

    @property
    def deliveries(self) -> DeliveryStore: ...

    @property
    def queue(self) -> JobQueue: ...

    @property
    def reviews(self) -> ReviewStore: ...

    def ping(self) -> bool: ...


@runtime_checkable
class HostPermissions(Protocol):
    """Optional host capability: may this user trigger a review (write access or better)?"""

    def can_trigger(self, pr: PullRequest, login: str, user_id: int | None = None) -> bool: ...


@runtime_checkable
class SuggestedCommits(Protocol):
    """Optional host capability: a branch with fixes on top of a pull request's head, and the
    pull/merge request from it into the PR's head branch. Never used for forks."""

    request_sigil: str  # how the host refers to a pull/merge request: "#" (GitHub), "!" (GitLab)

    def head_branch(self, pr: PullRequest) -> str:
        """The branch the pull request's head is on (in the PR's own repository)."""
        ...

    def branch_tip(self, pr: PullRequest, branch: str) -> BranchTip | None:
        """Where `branch` points now; None when it does not exist."""
        ...

    def push_commit(
        self,
        pr: PullRequest,
        branch: str,
        files: Mapping[str, str],
        message: str,
        replace: str | None,
    ) -> str:
        """One commit on top of `pr.head_sha` with `files` (path -> new text) on `branch`:
        created, or moved there from `replace`, the commit the branch held when it was judged
        (a branch that moved since is left alone: HostError). Returns the commit's sha."""
        ...

    def open_request(self, pr: PullRequest, branch: str, title: str, body: str) -> SuggestedRequest:
        """The open pull/merge request from `branch` into the PR's head branch: found (its
        description brought up to date), or created."""
        ...

    def own_requests(self, pr: PullRequest, prefix: str) -> list[tuple[int, str]]:
        """The bot's own open requests from branches named `prefix...` into the PR's head
        branch, as (number, branch)."""
        ...

    def close_request(
        self, pr: PullRequest, number: int, note: str, delete_branch: str | None
    ) -> None:
        """Close request `number` with `note`, and delete `delete_branch` when given."""
        ...


class Fixer(Protocol):
    """The fix engine as the pull-request flow sees it (built once per process)."""

    def warm(self, texts: Mapping[str, str | None]) -> None:
        """Fill the backend's prompt cache for these files (before the findings are ready)."""
        ...

    def attach(self, review: Review, request: AnalysisRequest) -> Review:
        """`review` with validated fixes and the engine's run among its analyzers."""
        ...
