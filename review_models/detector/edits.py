"""A hunk seen as an edit: its change blocks (runs of removed and added lines), the removed and
added tokens of each block aligned, and the enclosing function on both sides. Pure: the lexer
and the diff values only.

The detector reads edits, not new code: whether a change introduces a bug is a question about
what was there and what replaced it (a `<` that became `<=`, a guard that went away)."""

from __future__ import annotations

import difflib
import functools
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.model import FileDiff, Hunk
from review_models.detector.regions import enclosing_region
from review_models.lexer import Token, lex


@dataclass(frozen=True)
class Op:
    """One aligned difference: `removed` tokens (old side) replaced by `added` (new side)."""

    tag: str  # replace | delete | insert
    removed: tuple[Token, ...]
    added: tuple[Token, ...]
    line: int  # the new-side line it belongs to (for a deletion: the line at its gap)
    new_line_text: str  # that line's text on the new side ("" when unknown)
    old_line_text: str  # the first removed line's text ("" for an insertion)


@dataclass(frozen=True)
class Block:
    removed: tuple[tuple[int, str], ...]  # (old line, text)
    added: tuple[tuple[int, str], ...]  # (new line, text)
    anchor: int  # the new-side line a pure deletion sits at
    ops: tuple[Op, ...]


@dataclass(frozen=True)
class Region:
    """Lines of the enclosing function on one side (tokenized only when a feature asks)."""

    lines: tuple[str, ...] = ()
    first: int = 1

    @functools.cached_property
    def tokens(self) -> tuple[Token, ...]:
        if not self.lines:
            return ()
        return tuple(lex("\n".join(self.lines), first_line=self.first, layout=False))


@dataclass(frozen=True)
class Edit:
    path: str
    blocks: tuple[Block, ...]
    old_region: Region  # the enclosing function, old side (may be empty)
    new_region: Region  # the enclosing function, new side
    changed_lines: frozenset[int]  # new-side lines the hunk touches

    @property
    def old_function(self) -> tuple[Token, ...]:
        return self.old_region.tokens

    @property
    def new_function(self) -> tuple[Token, ...]:
        return self.new_region.tokens

    @property
    def removed_count(self) -> int:
        return sum(len(b.removed) for b in self.blocks)

    @property
    def added_count(self) -> int:
        return sum(len(b.added) for b in self.blocks)


def _blocks(hunk: Hunk) -> list[tuple[list[tuple[int, str]], list[tuple[int, str]], int]]:
    """Runs of changed lines with the new-side line each run's deletions sit at."""
    out: list[tuple[list[tuple[int, str]], list[tuple[int, str]], int]] = []
    removed: list[tuple[int, str]] = []
    added: list[tuple[int, str]] = []
    last_new = max(hunk.new_start - 1, 1)
    for line in (*hunk.lines, None):
        if line is not None and line.kind == "del":
            removed.append((line.old_no or 0, line.text))
            continue
        if line is not None and line.kind == "add":
            added.append((line.new_no or 0, line.text))
            continue
        if removed or added:
            gap = added[0][0] if added else (line.new_no if line is not None else last_new)
            out.append((removed, added, max(1, gap or last_new)))
            removed, added = [], []
        if line is not None and line.new_no is not None:
            last_new = line.new_no
    return out


def _side_tokens(lines: Sequence[tuple[int, str]]) -> list[Token]:
    """Tokens of consecutive lines, numbered by their own side's lines."""
    if not lines:
        return []
    return lex("\n".join(text for _, text in lines), first_line=lines[0][0], layout=False)


def _align(
    removed: list[tuple[int, str]], added: list[tuple[int, str]], anchor: int
) -> tuple[Op, ...]:
    old = _side_tokens(removed)
    new = _side_tokens(added)
    old_text = {n: t for n, t in removed}
    new_text = {n: t for n, t in added}
    matcher = difflib.SequenceMatcher(None, [t.text for t in old], [t.text for t in new], False)
    ops = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if j2 > j1:
            line = new[j1].line
        elif j1 < len(new):
            line = new[j1].line  # deleted before this new token: its line
        elif new:
            line = new[-1].line
        else:
            line = anchor
        first_old = old[i1].line if i2 > i1 else None
        ops.append(
            Op(
                tag,
                tuple(old[i1:i2]),
                tuple(new[j1:j2]),
                line,
                new_text.get(line, ""),
                old_text.get(first_old, "") if first_old is not None else "",
            )
        )
    return tuple(ops)


def _function_region(lines: list[str] | None, first: int, last: int) -> Region:
    if not lines or first < 1 or first > len(lines):
        return Region()
    start, end = enclosing_region(lines, first, min(last, len(lines)))
    if end - start > 400:  # a module-level region: keep a window around the change
        start, end = max(start, first - 40), min(end, last + 40)
    return Region(tuple(lines[start - 1 : end]), start)


def edit_of(
    path: str, hunk: Hunk, new_lines: list[str] | None, old_lines: list[str] | None
) -> Edit:
    """The edit one hunk makes; the files' lines (either may be None) give the functions."""
    blocks = []
    for removed, added, anchor in _blocks(hunk):
        blocks.append(Block(tuple(removed), tuple(added), anchor, _align(removed, added, anchor)))
    touched = hunk.touched_new_lines
    new_first = min(touched, default=hunk.new_start)
    new_last = max(touched, default=hunk.new_start)
    old_numbers = [n for b in blocks for n, _ in b.removed] or [max(1, hunk.old_start)]
    return Edit(
        path,
        tuple(blocks),
        _function_region(old_lines, min(old_numbers), max(old_numbers)),
        _function_region(new_lines, new_first, new_last),
        touched,
    )


def pre_image(new_lines: list[str], file: FileDiff) -> list[str]:
    """The old side of a file from its new side and its hunks (hunks reversed)."""
    out: list[str] = []
    cursor = 1  # next new-side line not yet copied
    for hunk in file.hunks:
        start = hunk.new_start if hunk.new_lines else hunk.new_start + 1
        out.extend(new_lines[cursor - 1 : start - 1])
        out.extend(line.text for line in hunk.lines if line.kind != "add")
        cursor = start + hunk.new_lines
    out.extend(new_lines[cursor - 1 :])
    return out
