"""Hunk scores from every analyzer merged into one per hunk, its attention level and note,
and what the reading order needs to know about each file.

The mechanical classes are decided here, structurally, before any entropy is looked at
(bot/review/mechanical.py); the note a hunk shows is the classifier's, never an analyzer's
guess that the code is "boilerplate"."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.core.errors import RedlineError
from bot.core.model import Diff, FileDiff, Finding, Hunk, HunkScore, ScoredHunk
from bot.core.policy import Config
from bot.core.ports import Analyzer, AnalyzerOutput, Tree
from bot.review import attention
from bot.review.mechanical import Mechanical, classify_diff
from ordering import OrderInput

Parts = dict[tuple[str, int], list[HunkScore]]
SUPPORT_FILES = 32  # unchanged package __init__.py files read to resolve re-exports
SUPPORT_BYTES = 256 * 1024


@dataclass(frozen=True)
class Scored:
    hunks: dict[str, tuple[ScoredHunk, ...]]  # by path, in diff order
    order_inputs: tuple[OrderInput, ...]


def collect(outputs: Iterable[tuple[Analyzer, AnalyzerOutput]], config: Config) -> Parts:
    """Each hunk's scores from the analyzers not disabled for its path."""
    parts: Parts = defaultdict(list)
    for analyzer, output in outputs:
        for score in output.scores:
            if analyzer.name not in config.disabled_for(score.path):
                parts[(score.path, score.hunk)].append(score)
    return parts


def _flagged(hunk: Hunk, findings: Iterable[Finding]) -> bool:
    """Whether a finding lies on the hunk's lines (new side, or old side for removed lines)."""
    for finding in findings:
        if finding.side == "old":
            numbers = {line.old_no for line in hunk.lines if line.kind == "del"}
        else:
            numbers = {line.new_no for line in hunk.lines if line.new_no is not None}
        if any(finding.line <= n <= finding.end_line for n in numbers if n is not None):
            return True
    return False


def _file_hunks(
    file: FileDiff,
    parts: Parts,
    skipped: bool,
    mechanical: Mapping[tuple[str, int], Mechanical],
    findings: Iterable[Finding],
) -> tuple[ScoredHunk, ...]:
    hunks: list[ScoredHunk] = []
    findings = list(findings)
    for hunk in file.hunks:
        key = (file.path, hunk.index)
        merged = attention.merge(file.path, hunk.index, parts.get(key, []))
        found = None if skipped else mechanical.get(key)
        flagged = _flagged(hunk, findings)
        level = attention.attention_for(merged, skipped, found, flagged)
        note = found.note if found is not None else None
        if found is not None and found.skim and level != "skim":
            note = f"{found.note}; but flagged, so read it"
        hunks.append(
            ScoredHunk(
                hunk,
                merged.risk,
                merged.entropy,
                level,
                note,
                merged.line_heat,
                merged.reasons,
                found.repeat_of if found is not None else None,
            )
        )
    return tuple(hunks)


def _order_input(
    file: FileDiff, hunks: tuple[ScoredHunk, ...], text: str | None, skip: str | None
) -> OrderInput:
    return OrderInput(
        path=file.path,
        language=file.language,
        text=text,
        changed_lines=frozenset(n for h in file.hunks for n in h.touched_new_lines),
        risk=max((h.risk or 0.0 for h in hunks), default=0.0),
        mechanical=bool(hunks) and all(h.attention == "skim" for h in hunks),
        generated=skip,
        status=file.status,
        old_path=file.old_path,
        hunk_spans=tuple((h.new_start, h.new_start + max(h.new_lines, 1) - 1) for h in file.hunks),
    )


def score_files(
    diff: Diff,
    parts: Parts,
    texts: Mapping[str, str],
    skipped: Mapping[str, str],
    findings: Iterable[Finding] = (),
) -> Scored:
    """`findings`: what the analyzers reported (a hunk with a finding is never skim)."""
    reviewed = Diff(tuple(f for f in diff.files if f.path not in skipped))
    mechanical = classify_diff(reviewed, texts)
    by_path: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_path[finding.path].append(finding)
    hunks: dict[str, tuple[ScoredHunk, ...]] = {}
    inputs = []
    for file in diff.files:
        skip = skipped.get(file.path)
        hunks[file.path] = _file_hunks(
            file, parts, skip is not None, mechanical, by_path.get(file.path, ())
        )
        inputs.append(_order_input(file, hunks[file.path], texts.get(file.path), skip))
    return Scored(hunks, tuple(inputs))


def support(diff: Diff, post: Tree) -> dict[str, str]:
    """The unchanged `__init__.py` of the packages holding changed Python files, nearest
    first: the reading order resolves `from pkg import Name` through them. Bounded in count
    and size (a PR controls how many packages it touches); one that cannot be read is left
    out, which only leaves its names unresolved."""
    changed = {f.path for f in diff.files}
    by_depth: dict[str, int] = {}
    for file in diff.files:
        if not file.path.endswith(".py"):
            continue
        parts = file.path.split("/")[:-1]
        for depth in range(len(parts), 0, -1):
            candidate = "/".join(parts[:depth]) + "/__init__.py"
            if candidate not in changed:
                distance = len(parts) - depth
                by_depth[candidate] = min(by_depth.get(candidate, distance), distance)
    wanted = sorted(by_depth, key=lambda p: (by_depth[p], p))[:SUPPORT_FILES]
    out: dict[str, str] = {}
    for path in wanted:
        try:
            size = post.size(path)
            data = post.read(path) if size is not None and size <= SUPPORT_BYTES else None
        except RedlineError:
            continue
        if data is not None:
            out[path] = data.decode("utf-8", "replace")
    return out
