"""Host values: plain, frozen, hashable, with the defaults the adapters rely on."""

from __future__ import annotations

import dataclasses

import pytest

from bot.core.host import (
    Annotation,
    FetchedDiff,
    GateStatus,
    InlineComment,
    PostResult,
    PullRequest,
    ReviewPost,
)


def test_pull_request_defaults_and_identity() -> None:
    pr = PullRequest("github", "octo/repo", 7, "h" * 40, "b" * 40)
    assert (pr.start_sha, pr.fork, pr.draft) == (None, False, False)
    assert (pr.installation_id, pr.project_id) == (None, None)
    same = PullRequest("github", "octo/repo", 7, "h" * 40, "b" * 40)
    assert pr == same and {pr: 1}[same] == 1  # usable as a key (caches by pull request)
    assert dataclasses.replace(pr, head_sha="c" * 40) != pr


def test_values_are_frozen() -> None:
    pr = PullRequest("gitlab", "g/r", 1, "h", "b", project_id=3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        pr.head_sha = "x"  # type: ignore[misc]
    comment = InlineComment("a.py", 3, "RIGHT", "body", "fp")
    with pytest.raises(dataclasses.FrozenInstanceError):
        comment.body = "edited"  # type: ignore[misc]


def test_inline_comment_is_single_line_unless_a_range_is_given() -> None:
    comment = InlineComment("a.py", 3, "LEFT", "body", "fp")
    assert (comment.start_line, comment.old_line, comment.new_line) == (None, None, None)
    ranged = InlineComment("a.py", 5, "RIGHT", "body", "fp", start_line=3)
    assert ranged.start_line == 3 and ranged.line == 5


def test_fetched_diff_is_whole_unless_it_says_why_not() -> None:
    assert FetchedDiff("diff").truncated is None
    assert FetchedDiff("diff", "over 3000 files").truncated == "over 3000 files"


def test_review_post_comments_by_default() -> None:
    post = ReviewPost((), "summary", "<!-- m -->")
    assert post.event == "COMMENT"
    assert post.comments == ()


def test_gate_status_and_post_result_defaults() -> None:
    status = GateStatus("success", "No findings", "Gate passed.")
    assert status.annotations == ()
    note = Annotation("a.py", 1, 2, "failure", "semgrep/r", "message")
    assert GateStatus("failure", "t", "s", (note,)).annotations[0].level == "failure"
    result = PostResult()
    assert (result.posted, result.moved_to_summary, result.notes) == ((), (), ())
