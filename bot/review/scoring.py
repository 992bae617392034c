"""Hunk scores from every analyzer merged into one per hunk, its attention level and note,
and what the reading order needs to know about each file."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.core.model import Diff, FileDiff, HunkScore, ScoredHunk
from bot.core.policy import Config
from bot.core.ports import Analyzer, AnalyzerOutput
from bot.review import attention
from ordering import OrderInput

Parts = dict[tuple[str, int], list[HunkScore]]


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


def _file_hunks(file: FileDiff, parts: Parts, skipped: bool) -> tuple[ScoredHunk, ...]:
    hunks: list[ScoredHunk] = []
    for hunk in file.hunks:
        merged = attention.merge(file.path, hunk.index, parts.get((file.path, hunk.index), []))
        level = attention.attention_for(merged, generated=skipped)
        note = merged.mechanical
        if merged.repeats and not note:
            note = f"{merged.repeats} repeated edits like this one"
        hunks.append(
            ScoredHunk(
                hunk, merged.risk, merged.entropy, level, note, merged.line_heat, merged.reasons
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
        hunk_spans=tuple((h.new_start, h.new_start + max(h.new_lines, 1) - 1) for h in file.hunks),
    )


def score_files(
    diff: Diff, parts: Parts, texts: Mapping[str, str], skipped: Mapping[str, str]
) -> Scored:
    hunks: dict[str, tuple[ScoredHunk, ...]] = {}
    inputs = []
    for file in diff.files:
        skip = skipped.get(file.path)
        hunks[file.path] = _file_hunks(file, parts, skip is not None)
        inputs.append(_order_input(file, hunks[file.path], texts.get(file.path), skip))
    return Scored(hunks, tuple(inputs))
