"""Planning what to post, as a value: anchors only on lines of the diff, suggestions only
for exact ranges, no comment twice, overflow to the summary, length limits, gate status."""

from __future__ import annotations

from bot.core.diff import parse_diff
from bot.core.markers import Marks
from bot.core.model import Finding, Gate, Review
from bot.review.plan import PREVIEW, SUMMARY_LIMIT, SUMMARY_MARKER, error_status, plan

DIFF = parse_diff(
    "--- a/m.py\n+++ b/m.py\n@@ -1,4 +1,5 @@\n a = 1\n-b = 2\n+b = 3\n+c = 4\n d = 5\n e = 6\n"
)


def finding(
    line: int,
    end: int | None = None,
    side: str = "new",
    fp: str = "f",
    suggestion: str | None = None,
    severity: str = "error",
    score: float = 0.9,
) -> Finding:
    return Finding(
        "m.py",
        line,
        end or line,
        severity,
        "semgrep",
        "rule",
        "message",
        score,
        side,
        suggestion,
        fp,
    )  # type: ignore[arg-type]


def review(*findings: Finding, failed: bool = True) -> Review:
    return Review(
        (),
        findings,
        Gate(failed, ("semgrep: rule at m.py:2",) if failed else (), "error"),
        1,
        (),
        (),
    )


def test_anchors_right_side_left_side_and_ranges() -> None:
    planned = plan(
        review(
            finding(2, fp="a"),
            finding(2, 3, fp="b"),
            finding(2, side="old", fp="c"),
            finding(4, fp="d"),
        ),
        DIFF,
        15,
    )
    by_fp = {c.fingerprint: c for c in planned.post.comments}
    assert (by_fp["a"].side, by_fp["a"].line, by_fp["a"].start_line) == ("RIGHT", 2, None)
    assert (by_fp["b"].line, by_fp["b"].start_line) == (3, 2)
    assert (by_fp["c"].side, by_fp["c"].line) == ("LEFT", 2)
    assert by_fp["d"].old_line == 3 and by_fp["d"].new_line == 4  # a context line: both


def test_lines_outside_the_diff_go_to_the_summary() -> None:
    planned = plan(review(finding(40, fp="far")), DIFF, 15)
    assert planned.post.comments == ()
    assert [why for _, why in planned.in_summary] == ["outside the diff"]
    assert "outside the diff" in planned.post.summary


def test_suggestion_only_for_the_exact_commented_lines() -> None:
    exact = plan(review(finding(2, suggestion="b = 2\n", fp="x")), DIFF, 15)
    assert "```suggestion\nb = 2\n```" in exact.post.comments[0].body
    # A range that reaches a line outside the hunk is narrowed: no suggestion then.
    partial = plan(review(finding(5, 9, suggestion="e = 7\n", fp="y")), DIFF, 15)
    assert partial.post.comments == () or "```suggestion" not in partial.post.comments[0].body


def test_already_posted_findings_are_skipped_and_vanished_ones_resolved() -> None:
    planned = plan(
        review(finding(2, fp="new"), finding(3, fp="old")), DIFF, 15, posted={"old", "gone"}
    )
    assert [c.fingerprint for c in planned.post.comments] == ["new"]
    assert planned.resolved == ("gone",) and "Resolved since the last review" in (
        planned.post.summary
    )
    assert PREVIEW.read("", planned.post.comments[0].body) == "new"


def test_at_most_max_inline_comments() -> None:
    many = [finding(2 + i % 2, fp=f"f{i}") for i in range(20)]
    planned = plan(review(*many), DIFF, 3)
    assert len(planned.post.comments) == 3
    assert sum(1 for _, why in planned.in_summary if "over the 3 inline" in why) == 17


def test_summary_stays_within_the_host_limit() -> None:
    many = [
        Finding("m.py", 2, 2, "warning", "detector", "r", "x" * 400, 0.5, "new", None, f"fp{i}")
        for i in range(2000)
    ]
    planned = plan(review(*many), DIFF, 15)
    assert len(planned.post.summary) <= SUMMARY_LIMIT
    assert planned.post.summary.startswith(SUMMARY_MARKER)
    assert "cut to fit" in planned.post.summary and "Coverage:" in planned.post.summary


def test_gate_status_and_error_status() -> None:
    assert plan(review(finding(2)), DIFF, 15).status.state == "failure"
    assert plan(review(finding(2), failed=False), DIFF, 15).status.state == "success"
    assert error_status("host down", fail_closed=False).state == "neutral"
    assert error_status("host down", fail_closed=True).state == "failure"


KEY = Marks(b"k" * 32)


def test_markers_are_signed_for_the_pull_request_and_cannot_be_forged() -> None:
    planned = plan(review(finding(2, fp="abc123abc123")), DIFF, 15, marks=KEY, scope="gh:o/r#1")
    body = planned.post.comments[0].body
    assert KEY.read("gh:o/r#1", body) == "abc123abc123"
    # The same marker means nothing on another pull request, or under another key...
    assert KEY.read("gh:o/r#2", body) is None
    assert Marks(b"x" * 32).read("gh:o/r#1", body) is None
    # ...and a hand-written one (the fingerprint can be computed offline) is not believed.
    assert KEY.read("gh:o/r#1", "<!-- redline:fp=abc123abc123 -->") is None
    assert KEY.read("gh:o/r#1", "<!-- redline:fp=abc123abc123:0000000000000000 -->") is None


def test_pr_text_in_a_comment_is_escaped_and_cannot_forge_a_heading() -> None:
    hostile = (
        "evil\n\n## ✅ Gate passed <!-- redline:summary --> [x](javascript:alert(1)) @org/team"
    )
    path = "x.py\n\n## Gate passed"
    f = Finding(path, 2, 2, "error", "semgrep", "rule", f"{hostile} and `{hostile}`", 0.9)
    planned = plan(review(f), DIFF.__class__(), 15)
    summary = planned.post.summary
    assert "\n## ✅ Gate passed" not in summary and "\n## Gate passed" not in summary
    assert summary.count("<!-- redline:summary -->") == 1  # only the bot's own marker
    prose = summary.split(" and ")[0]
    assert "](javascript:" not in prose and "\\]\\(javascript:" in prose
    assert "@org" not in prose
