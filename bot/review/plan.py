"""Plan what to post for a review, as a value: inline comments anchored only on lines the
diff shows, suggestions only where the replacement covers exactly the commented lines, no
comment posted twice, overflow and unanchorable findings in the summary, and the gate status.
Hosts then apply the plan; nothing here does I/O."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from bot.core.host import Annotation, GateStatus, InlineComment, ReviewPost
from bot.core.markers import SUMMARY_MARKER, Marks
from bot.core.model import SEVERITY_ICON, Diff, Finding, Review
from bot.render import escape
from bot.render import markdown as md
from bot.review.delivery import Delivery, Outcome

SUMMARY_LIMIT = 60_000  # below GitHub's 65,536-character body limit, with room to spare
PREVIEW = Marks(b"public key: plans that are never posted")
_LEVEL = {"error": "failure", "warning": "warning", "note": "notice"}


@dataclass(frozen=True)
class Anchor:
    line: int
    side: str  # RIGHT | LEFT
    start_line: int | None
    old_line: int | None
    new_line: int | None


@dataclass(frozen=True)
class Plan:
    post: ReviewPost
    status: GateStatus
    inline: tuple[Finding, ...]
    in_summary: tuple[tuple[Finding, str], ...]  # findings listed in the summary, and why
    resolved: tuple[str, ...]  # fingerprints posted before that no longer apply
    skipped_as_posted: int
    link: str | None = None  # the signed link to this review's page, shown in the summary
    # Findings whose inline comment carries a one-click suggestion (posted now or before).
    suggested: tuple[str, ...] = ()
    fixes: tuple[str, ...] = ()  # the summary's section on fixes (rendered by fixes_section)


class _DiffIndex:
    """Which lines of which file the diff shows, per side, and in which hunk."""

    def __init__(self, diff: Diff) -> None:
        self.new: dict[str, dict[int, tuple[int, int | None]]] = {}
        self.old: dict[str, dict[int, int]] = {}
        for file in diff.files:
            new = self.new.setdefault(file.path, {})
            old = self.old.setdefault(file.path, {})
            for hunk in file.hunks:
                for line in hunk.lines:
                    if line.new_no is not None:
                        new[line.new_no] = (hunk.index, line.old_no)
                    elif line.old_no is not None:
                        old[line.old_no] = hunk.index

    def anchor(self, finding: Finding) -> Anchor | None:
        if finding.side == "old":
            hunk = self.old.get(finding.path, {}).get(finding.line)
            if hunk is None:
                return None
            return Anchor(finding.line, "LEFT", None, finding.line, None)
        lines = self.new.get(finding.path, {})
        end = lines.get(finding.end_line)
        start = lines.get(finding.line)
        if end is None:
            return None
        if start is None or start[0] != end[0] or finding.line == finding.end_line:
            return Anchor(finding.end_line, "RIGHT", None, end[1], finding.end_line)
        # A multi-line comment must stay within one hunk, every line shown.
        if any(n not in lines for n in range(finding.line, finding.end_line + 1)):
            return Anchor(finding.end_line, "RIGHT", None, end[1], finding.end_line)
        return Anchor(finding.end_line, "RIGHT", finding.line, end[1], finding.end_line)


def carries_suggestion(finding: Finding, anchor: Anchor) -> bool:
    """A suggestion is offered only where the comment covers exactly the lines it replaces."""
    return (
        finding.suggestion is not None
        and anchor.side == "RIGHT"
        and (anchor.start_line or anchor.line) == finding.line
        and anchor.line == finding.end_line
    )


def comment_body(finding: Finding, anchor: Anchor, mark: str) -> str:
    """One inline comment: everything from the PR escaped, the suggestion in a fence it
    cannot close, and the signed fingerprint marker."""
    lines = [
        f"{SEVERITY_ICON[finding.severity]} **{escape.ident(finding.source)}/"
        f"{escape.ident(finding.rule)}** (score {finding.score:.2f})",
        "",
        escape.message(finding.message),
    ]
    if carries_suggestion(finding, anchor):
        assert finding.suggestion is not None
        body = finding.suggestion.rstrip("\n")
        fence = escape.fence_for(body)
        lines += ["", f"{fence}suggestion", body, fence]
    lines += ["", mark]
    return "\n".join(lines)


def _inline_comment(finding: Finding, anchor: Anchor, mark: str) -> InlineComment:
    return InlineComment(
        path=finding.path,
        line=anchor.line,
        side=anchor.side,  # type: ignore[arg-type]
        body=comment_body(finding, anchor, mark),
        fingerprint=finding.fingerprint,
        start_line=anchor.start_line,
        old_line=anchor.old_line,
        new_line=anchor.new_line,
    )


def plan(
    review: Review,
    diff: Diff,
    max_inline: int,
    posted: Iterable[str] = (),
    truncated: str | None = None,
    event_on_failure: bool = False,
    link: str | None = None,
    *,
    marks: Marks | None = None,
    scope: str = "",
) -> Plan:
    """`marks` signs each comment's fingerprint marker for the pull request `scope` (the flow
    passes the server's; a plan that is never posted may use the public `PREVIEW` key, whose
    markers no host adapter believes)."""
    marks = marks or PREVIEW
    already = set(posted)
    index = _DiffIndex(diff)
    inline: list[tuple[Finding, Anchor]] = []
    in_summary: list[tuple[Finding, str]] = []
    skipped = 0
    suggested: list[str] = []
    for finding in review.findings:  # highest score first
        anchor = index.anchor(finding)
        if anchor is None:
            in_summary.append((finding, "outside the diff"))
        elif finding.fingerprint in already:
            skipped += 1
            if carries_suggestion(finding, anchor):
                suggested.append(finding.fingerprint)
        elif len(inline) >= max_inline:
            in_summary.append((finding, f"over the {max_inline} inline comments per review"))
        else:
            inline.append((finding, anchor))
    current = {f.fingerprint for f in review.findings}
    resolved = tuple(sorted(fp for fp in already if fp not in current))
    comments = tuple(_inline_comment(f, a, marks.mark(scope, f.fingerprint)) for f, a in inline)
    suggested += [f.fingerprint for f, a in inline if carries_suggestion(f, a)]
    summary = summary_body(review, in_summary, resolved, truncated, link)
    event = "REQUEST_CHANGES" if event_on_failure and review.gate.failed else "COMMENT"
    return Plan(
        post=ReviewPost(comments, summary, SUMMARY_MARKER, event),  # type: ignore[arg-type]
        status=gate_status(review),
        inline=tuple(f for f, _ in inline),
        in_summary=tuple(in_summary),
        resolved=resolved,
        skipped_as_posted=skipped,
        link=link,
        suggested=tuple(suggested),
    )


def with_moved(
    plan_value: Plan, review: Review, moved: Iterable[str], why: str, truncated: str | None = None
) -> Plan:
    """The plan again after the host refused some comments: those go to the summary."""
    moved_set = set(moved)
    keep = tuple(c for c in plan_value.post.comments if c.fingerprint not in moved_set)
    in_summary = list(plan_value.in_summary) + [
        (f, why) for f in plan_value.inline if f.fingerprint in moved_set
    ]
    summary = summary_body(
        review, in_summary, plan_value.resolved, truncated, plan_value.link, plan_value.fixes
    )
    post = ReviewPost(keep, summary, SUMMARY_MARKER, plan_value.post.event)
    return Plan(
        post,
        plan_value.status,
        tuple(f for f in plan_value.inline if f.fingerprint not in moved_set),
        tuple(in_summary),
        plan_value.resolved,
        plan_value.skipped_as_posted,
        plan_value.link,
        tuple(fp for fp in plan_value.suggested if fp not in moved_set),
        plan_value.fixes,
    )


def with_fixes(
    plan_value: Plan, review: Review, fixes: Sequence[str], truncated: str | None = None
) -> Plan:
    """The plan with the summary's section on fixes (the suggested commit, or the patch)."""
    summary = summary_body(
        review,
        list(plan_value.in_summary),
        plan_value.resolved,
        truncated,
        plan_value.link,
        tuple(fixes),
    )
    post = ReviewPost(plan_value.post.comments, summary, SUMMARY_MARKER, plan_value.post.event)
    return dataclasses.replace(plan_value, post=post, fixes=tuple(fixes))


def summary_body(
    review: Review,
    in_summary: list[tuple[Finding, str]],
    resolved: tuple[str, ...],
    truncated: str | None,
    link: str | None = None,
    fixes: Sequence[str] = (),
) -> str:
    head = [SUMMARY_MARKER, "## redline review", "", md.gate_line(review), ""]
    if link:
        head += [
            f"**[Open the guided review page]({link})**: the files in reading order, "
            "predictable hunks collapsed, risky lines underlined (keys: `j`/`k`, `n`/`p`, `?`).",
            "",
        ]
    parts = [list(fixes)] if fixes else []
    parts += [md.reading_order(review), md.attention_map(review)]
    if in_summary:
        parts.append(_not_inline(in_summary))
    parts.append(md.findings_table(review.findings, "All findings"))
    if resolved:
        parts.append(
            [
                f"### Resolved since the last review ({len(resolved)})",
                "",
                *(f"- {escape.code(fp[:12])}: no longer found" for fp in resolved),
                "",
            ]
        )
    parts.append(md.verification(review))
    extra = [f"**truncated**: {escape.message(truncated)}"] if truncated else ["nothing truncated"]
    footer = md.coverage_footer(review, extra)
    body = head
    budget = SUMMARY_LIMIT - sum(len(x) + 1 for x in head + footer) - 200
    for part in parts:
        size = sum(len(x) + 1 for x in part)
        if size <= budget:
            body += part
            budget -= size
        else:
            cut: list[str] = []
            for line in part:
                if len(line) + 1 > budget - 80:
                    break
                cut.append(line)
                budget -= len(line) + 1
            body += [*cut, "", "_(cut to fit the host's length limit)_", ""]
            budget -= 60
    return "\n".join(body + footer)


def _not_inline(in_summary: list[tuple[Finding, str]]) -> list[str]:
    rows = [
        "### Findings not shown inline",
        "",
        "| | Location | Rule | Why here | Message |",
        "|---|---|---|---|---|",
    ]
    for f, why in in_summary:
        rows.append(
            f"| {SEVERITY_ICON[f.severity]} | {escape.code(f'{f.path}:{f.line}', table=True)} "
            f"| {escape.code(f'{f.source}/{f.rule}', table=True)} | {escape.cell(why)} "
            f"| {escape.cell(f.message)} |"
        )
    return [*rows, ""]


def gate_status(review: Review) -> GateStatus:
    counts = {"error": 0, "warning": 0, "note": 0}
    for f in review.findings:
        counts[f.severity] += 1
    title = (
        f"{counts['error']} errors, {counts['warning']} warnings, {counts['note']} notes"
        if review.findings
        else "No findings"
    )
    if review.gate.failed:
        state = "failure"
        summary = "Gate failed: " + "; ".join(review.gate.reasons[:20])
    else:
        state = "success"
        summary = f"Gate passed (fail-on {review.gate.fail_on})."
    annotations = tuple(
        Annotation(
            f.path,
            f.line if f.side == "new" else 1,
            f.end_line if f.side == "new" else 1,
            _LEVEL[f.severity],  # type: ignore
            f"{f.source}/{f.rule}",
            f.message,
        )
        for f in review.findings
    )
    return GateStatus(state, title, summary[:60_000], annotations)  # type: ignore[arg-type]


def error_status(reason: str, fail_closed: bool) -> GateStatus:
    """A review that could not run fails the gate (it could not look: fail closed), unless
    the base's policy says `fail-closed = "off"`; then it is neutral, and says so."""
    if fail_closed:
        return GateStatus("failure", "Review could not run", f"Failing closed: {reason}")
    return GateStatus("neutral", "Review could not run", f"{reason} (fail-closed is off)")


PATCH_LIMIT = 20_000  # characters of a patch shown in the summary; longer ones are named


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _patch_block(delivery: Delivery) -> list[str]:
    """The patch in a fence it cannot close, its invisible characters shown (so the code reads
    as it is; `redline fix` prints the exact bytes)."""
    if len(delivery.patch) > PATCH_LIMIT:
        return [
            f"The patch ({len(delivery.patch) // 1000} kB) is too long for this comment: "
            "`redline fix --range <base>...<head>` prints it.",
            "",
        ]
    body, hidden = shown_patch(delivery.patch.rstrip("\n"))
    fence = escape.fence_for(body)
    note = (
        [
            "",
            f"_{_count(hidden, 'invisible character')} shown as `<U+…>`: "
            "`redline fix` prints the exact patch._",
        ]
        if hidden
        else []
    )
    return [f"{fence}diff", body, fence, *note, ""]


def shown_patch(patch: str) -> tuple[str, int]:
    """`patch` with control, bidirectional and zero-width characters (other than tabs) shown
    as `<U+XXXX>`, and how many there were."""
    hidden = 0

    def show(match: re.Match[str]) -> str:
        nonlocal hidden
        hidden += 1
        return f"<U+{ord(match.group(0)):04X}>"

    return _HIDDEN.sub(show, patch), hidden


_HIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u0085\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
)


def _commit_line(outcome: Outcome) -> str:
    delivery, request = outcome.delivery, outcome.request
    assert request is not None
    files = _count(len(delivery.files), "file")
    what = _count(len(delivery.commit), "fix", "fixes")
    url = request.url if request.url.startswith(("https://", "http://")) else ""
    link = f"[Suggested commit]({_link_target(url)})" if url else "Suggested commit"
    state = {
        "create": "new",
        "replace": "updated",
        "reuse": "unchanged",
    }.get(outcome.action, "unchanged")
    return (
        f"**{link}** ({state}): {what} in {files} on branch {escape.code(delivery.branch)}, "
        f"offered as {delivery.ref(request.number)}. "
        "Merging it applies them to this pull request's branch."
    )


def _link_target(url: str) -> str:
    """`url` as a Markdown link destination that nothing in it can end early: parentheses,
    spaces, angle brackets and control characters percent-encoded."""
    return quote(url, safe=":/?#[]@!$&'*+,;=%~")


_WHY = {
    "fork": "This pull request comes from a fork: redline pushes nothing to it.",
    "unsupported": "This host takes no suggested commits from redline.",
    "fix-branch": "This pull request is a suggested commit itself: no commit on top of it.",
}


def fixes_section(outcome: Outcome) -> list[str]:
    """The summary's section on the head's validated fixes: the one-click suggestions, the
    link to the suggested commit, or the patch where no commit could be made."""
    delivery = outcome.delivery
    if not delivery.one_click and not delivery.commit and not outcome.closed:
        return []
    lines = ["### Fixes", ""]
    if delivery.one_click:
        lines.append(
            f"- {_count(len(delivery.one_click), 'one-click suggestion')} in the inline "
            "comments (validated: the finding is gone and nothing new appears)."
        )
    if outcome.kind == "commit" and outcome.request is not None:
        lines.append("- " + _commit_line(outcome))
    if outcome.closed:
        closed = ", ".join(delivery.ref(n) for n in outcome.closed)
        lines.append(f"- Closed the suggested commit of an earlier head: {closed}.")
    if delivery.left_out:
        lines.append(
            f"- {_count(len(delivery.left_out), 'fix', 'fixes')} left out: "
            + "; ".join(
                f"{escape.code(f'{f.path}:{f.start}')} {escape.text(why)}"
                for f, why in delivery.left_out[:5]
            )
        )
    lines.append("")
    if outcome.patch_instead:
        if outcome.kind == "foreign":
            why = (
                f"The branch {escape.code(delivery.branch)} already holds commits redline did "
                "not make: it was left alone."
            )
        elif outcome.kind == "failed":
            why = f"The suggested commit could not be made ({escape.text(outcome.detail)})."
        else:
            why = _WHY[outcome.kind]
        what = _count(len(delivery.commit), "fix", "fixes")
        lines += [f"{why} The {what} as a patch (`git apply`):", "", *_patch_block(delivery)]
    return lines


def request_title(delivery: Delivery) -> str:
    what = _count(len(delivery.commit), "suggested fix", "suggested fixes")
    return f"redline: {what} for {delivery.ref()} at {delivery.head_sha[:7]}"


def request_body(delivery: Delivery, target: str) -> str:
    """The description of the pull/merge request that offers the suggested commit."""
    lines = [
        f"Suggested by redline for {delivery.ref()} at {escape.code(delivery.head_sha[:7])}: "
        f"{_count(len(delivery.commit), 'validated fix', 'validated fixes')}. Merging this "
        f"into {escape.code(target)} applies them.",
        "",
        "| Location | Rule | From | Checks passed |",
        "|---|---|---|---|",
    ]
    for fix in delivery.commit[:100]:
        lines.append(
            f"| {escape.code(f'{fix.path}:{fix.start}', table=True)} "
            f"| {escape.code(fix.rule, table=True)} | {fix.origin} "
            f"| {escape.cell(', '.join(fix.checks))} |"
        )
    if len(delivery.commit) > 100:
        lines.append(f"| and {len(delivery.commit) - 100} more | | | |")
    lines += [
        "",
        "<sub>One suggested commit per head: redline closes this one when the pull request's "
        "head moves on, and leaves the branch alone once someone else commits to it.</sub>",
    ]
    return "\n".join(lines)


def stale_note(head_sha: str, replacement: int | None, sigil: str = "#") -> str:
    """Said on a suggested commit of an earlier head, as it is closed."""
    where = (
        f"its fixes are in {sigil}{replacement}" if replacement else "it needs none of these fixes"
    )
    return (
        f"Closed by redline: the pull request's head moved on to {escape.code(head_sha[:7])}, "
        f"and {where}."
    )
