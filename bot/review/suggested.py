"""The suggested commit, over the host's optional `SuggestedCommits` capability: judge the
branch that may exist, create, replace or reuse redline's commit on it, find or open the
pull/merge request that offers it, and close the ones of older heads.

Never on forks, never on a branch holding commits redline did not make, never on top of a
suggested commit. What the host refuses becomes the outcome's detail (the summary shows the
patch instead): delivering fixes never fails a review."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from bot.core.errors import HostError
from bot.core.host import PullRequest
from bot.core.model import Fix
from bot.core.ports import GitHost, SuggestedCommits
from bot.review.delivery import (
    HEAD_TRAILER,
    Delivery,
    Outcome,
    branch_prefix,
    decide,
    is_fix_branch,
    judge,
    plan_delivery,
    trailers,
)
from bot.review.plan import request_body, request_title, stale_note


def deliver(
    host: GitHost,
    pr: PullRequest,
    fixes: Sequence[Fix],
    texts: Mapping[str, str],
    raw: Mapping[str, bytes | None],
    one_click: Iterable[str],
    everything: bool = False,
) -> Outcome:
    """Deliver the head's validated fixes (made on `texts`; `raw`: the head's bytes of the
    files they touch): `one_click` are the findings whose inline comment carries their fix;
    `everything` (`/redline fix`) puts every fix in the commit."""
    clicked = tuple(one_click)
    sigil = host.request_sigil if isinstance(host, SuggestedCommits) else "#"
    delivery = plan_delivery(
        fixes, texts, raw, clicked, pr.number, pr.head_sha, everything, sigil=sigil
    )
    if pr.fork:
        return Outcome("fork", delivery)
    if not isinstance(host, SuggestedCommits):
        return Outcome("unsupported", delivery)
    try:
        target = host.head_branch(pr)
        if is_fix_branch(target):
            return Outcome("fix-branch", delivery)
        if not delivery.commit:
            closed = close_stale(host, pr, None, stale_note(pr.head_sha, None, sigil))
            return Outcome("none", delivery, closed=tuple(closed))
        return _commit(host, pr, target, delivery, (fixes, texts, raw, clicked))
    except HostError as exc:
        return Outcome("failed", delivery, detail=str(exc))


def _commit(
    host: SuggestedCommits,
    pr: PullRequest,
    target: str,
    delivery: Delivery,
    inputs: tuple[Sequence[Fix], Mapping[str, str], Mapping[str, bytes | None], tuple[str, ...]],
) -> Outcome:
    branch = delivery.branch
    tip = host.branch_tip(pr, branch)
    existing = judge(tip, pr.head_sha)
    action = decide(existing, delivery)
    if action == "foreign":
        return Outcome("foreign", delivery, action=action)
    if action == "replace" and existing.state == "ours":
        # redline's commit lacks some of these fixes: one commit with both (never shrunk).
        fixes, texts, raw, clicked = inputs
        delivery = plan_delivery(
            fixes,
            texts,
            raw,
            clicked,
            pr.number,
            pr.head_sha,
            delivery.everything,
            existing.names,
            delivery.sigil,
        )
    if action in ("create", "replace"):
        replaced = tip.sha if action == "replace" and tip is not None else None
        host.push_commit(pr, branch, dict(delivery.files), delivery.message(), replaced)
    request = host.open_request(pr, branch, request_title(delivery), request_body(delivery, target))
    closed = close_stale(host, pr, branch, stale_note(pr.head_sha, request.number, delivery.sigil))
    return Outcome("commit", delivery, request, action, closed=tuple(closed))


def close_stale(host: SuggestedCommits, pr: PullRequest, keep: str | None, note: str) -> list[int]:
    """Close redline's suggested commits of this PR's earlier heads (all but `keep`); their
    branches are deleted when they still hold only redline's commit."""
    closed = []
    for number, branch in host.own_requests(pr, branch_prefix(pr.number)):
        if branch == keep:
            continue
        tip = host.branch_tip(pr, branch)
        own = tip is not None and judge(tip, trailers(tip.message).get(HEAD_TRAILER, "")).state
        host.close_request(pr, number, note, branch if own == "ours" else None)
        closed.append(number)
    return closed
