"""The pull-request flow, over the ports: read the policy at the base, fetch the diff, review,
plan against what was already posted, post once, re-plan what the host refused, set the gate
status. The worker (bot/service) wraps this with claiming, heartbeats and retries."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.core.diff import parse_diff
from bot.core.host import PullRequest, ReviewPost
from bot.core.markers import scope_of
from bot.core.model import Diff, Review
from bot.core.policy import Config, parse_config
from bot.core.ports import AnalysisRequest, Analyzer, Fixer, GitHost, ReviewStore
from bot.render.document import to_document
from bot.review.intake import take_in
from bot.review.pipeline import review
from bot.review.plan import Plan, fixes_section, plan, with_fixes, with_moved
from bot.review.suggested import deliver

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
    fixer: Fixer | None = None,
    fix_all: bool = False,
) -> Reviewed:
    """`fixer`: validated fixes are attached and delivered (one-click suggestions, the
    suggested commit or the patch); `fix_all` (`/redline fix`): every fix in the commit."""
    fetched = host.fetch_diff(pr)
    diff = parse_diff(fetched.text)
    head, base = HostTree(host, pr, pr.head_sha), HostTree(host, pr, pr.base_sha)
    result, texts = _review(diff, head, base, config, analyzers, fixer)
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
    if fixer is not None:
        planned = _deliver(host, pr, head, result, texts, planned, fix_all, fetched.truncated)
    outcome = host.post_review(pr, planned.post)
    if outcome.moved_to_summary:
        # The host refused some anchors: list those findings in the summary instead.
        suggested = planned.suggested
        planned = with_moved(
            planned,
            result,
            outcome.moved_to_summary,
            "refused inline by the host",
            fetched.truncated,
        )
        if fixer is not None and planned.suggested != suggested:
            # Their one-click suggestions went with them: those fixes join the commit.
            planned = _deliver(host, pr, head, result, texts, planned, fix_all, fetched.truncated)
        host.post_review(pr, ReviewPost((), planned.post.summary, planned.post.summary_marker))
    reviews.record_comments(host.name, pr.repo, pr.number, [(fp, None) for fp in outcome.posted])
    host.set_status(pr, planned.status)
    return Reviewed(result, review_id)


def _review(
    diff: Diff,
    head: HostTree,
    base: HostTree,
    config: Config,
    analyzers: Sequence[Analyzer],
    fixer: Fixer | None,
) -> tuple[Review, Mapping[str, str]]:
    """The review, with validated fixes when there is a fixer; and the texts they were made on."""
    if fixer is None:
        return review(diff, head, config, analyzers, base=base), {}
    intake = take_in(diff, head, config, base)
    # The prompt cache fills while the analyzers run (a no-op for backends without one).
    warming = threading.Thread(target=fixer.warm, args=(intake.texts,), daemon=True)
    warming.start()
    result = review(diff, head, config, analyzers, base=base)
    warming.join()
    request = AnalysisRequest(intake.reviewed, intake.texts, config, base)
    return fixer.attach(result, request), intake.texts


def _deliver(
    host: GitHost,
    pr: PullRequest,
    head: HostTree,
    result: Review,
    texts: Mapping[str, str],
    planned: Plan,
    fix_all: bool,
    truncated: str | None,
) -> Plan:
    """The fixes delivered (suggested commit, or the patch) and said in the summary."""
    raw = {path: head.read(path) for path in sorted({f.path for f in result.fixes})}
    delivered = deliver(host, pr, result.fixes, texts, raw, planned.suggested, fix_all)
    return with_fixes(planned, result, fixes_section(delivered), truncated)
