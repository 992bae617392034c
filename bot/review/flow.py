"""The pull-request flow, over the ports: read the policy at the base, fetch the diff, review,
plan against what was already posted, post once, re-plan what the host refused, set the gate
status. The worker (bot/service) wraps this with claiming, heartbeats and retries."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.core.diff import parse_diff
from bot.core.host import PullRequest, ReviewPost
from bot.core.markers import scope_of
from bot.core.model import Review
from bot.core.policy import Config, parse_config
from bot.core.ports import Analyzer, GitHost, ReviewStore
from bot.render.document import to_document
from bot.review.pipeline import review
from bot.review.plan import plan, with_moved

CONFIG_NAME = ".redline.toml"


class HostTree:
    """A `Tree` over one commit of a pull request, read lazily through the host."""

    def __init__(self, host: GitHost, pr: PullRequest, sha: str) -> None:
        self.host, self.pr, self.sha = host, pr, sha
        self._cache: dict[str, bytes | None] = {}

    def read(self, path: str) -> bytes | None:
        if path not in self._cache:
            self._cache[path] = self.host.fetch_file(self.pr, path, self.sha)
        return self._cache[path]

    def size(self, path: str) -> int | None:
        data = self.read(path)
        return None if data is None else len(data)


@dataclass(frozen=True)
class Reviewed:
    review: Review
    review_id: int


def policy(host: GitHost, pr: PullRequest) -> Config:
    """Policy comes from the base branch, never from the pull request's head."""
    data = host.fetch_file(pr, CONFIG_NAME, pr.base_sha)
    if data is None:
        return Config()
    return parse_config(data.decode("utf-8", "replace"), f"{CONFIG_NAME} (base)")


def review_pull_request(
    host: GitHost,
    pr: PullRequest,
    config: Config,
    analyzers: Sequence[Analyzer],
    reviews: ReviewStore,
    link: Callable[[int], str] | None = None,
) -> Reviewed:
    fetched = host.fetch_diff(pr)
    diff = parse_diff(fetched.text)
    result = review(
        diff,
        HostTree(host, pr, pr.head_sha),
        config,
        analyzers,
        base=HostTree(host, pr, pr.base_sha),
    )
    # Stored first (with the code lines, for the review page), so the summary can link to it.
    document = to_document(result, lines=True)
    if fetched.truncated:
        document["coverage"]["truncated"] = fetched.truncated
    review_id = reviews.save_review(
        host.name, pr.repo, pr.number, pr.head_sha, result.gate.failed, document
    )
    posted = host.posted_fingerprints(pr) | reviews.fingerprints(host.name, pr.repo, pr.number)
    planned = plan(
        result,
        diff,
        config.max_inline_comments,
        posted,
        fetched.truncated,
        link=link(review_id) if link is not None else None,
        marks=host.marks,
        scope=scope_of(pr.host, pr.repo, pr.number),
    )
    outcome = host.post_review(pr, planned.post)
    if outcome.moved_to_summary:
        # The host refused some anchors: list those findings in the summary instead.
        planned = with_moved(
            planned,
            result,
            outcome.moved_to_summary,
            "refused inline by the host",
            fetched.truncated,
        )
        host.post_review(pr, ReviewPost((), planned.post.summary, planned.post.summary_marker))
    reviews.record_comments(host.name, pr.repo, pr.number, [(fp, None) for fp in outcome.posted])
    host.set_status(pr, planned.status)
    return Reviewed(result, review_id)
