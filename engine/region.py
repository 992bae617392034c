"""Which lines a fix rewrites, and how a rewrite is trimmed back to the lines it changes.

The region is the enclosing function when it is short (the model sees and rewrites a whole
unit, and speculative edits copy the unchanged lines at many tokens per pass), otherwise the
finding's lines with a little context. Training uses the same policy as inference.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from bot.core import pysyntax

MAX_FUNCTION_LINES = 30
CONTEXT_LINES = 2


def _functions(text: str) -> list[tuple[int, int]]:
    try:
        tree = pysyntax.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return []
    spans = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            spans.append((first, node.end_lineno or node.lineno))
    return spans


def region_for(text: str, start: int, end: int, python: bool = True) -> tuple[int, int]:
    """The lines (1-based, inclusive) a fix of lines start..end rewrites."""
    total = len(text.splitlines())
    if python:
        around = [
            (a, b)
            for a, b in _functions(text)
            if a <= start and end <= b and b - a + 1 <= MAX_FUNCTION_LINES
        ]
        if around:
            return min(around, key=lambda span: span[1] - span[0])
    return max(1, start - CONTEXT_LINES), max(min(total, end + CONTEXT_LINES), start)


@dataclass(frozen=True, slots=True)
class Change:
    """Lines start..end (1-based, inclusive; end = start - 1 for a pure insertion before
    `start`) replaced by `replacement` (whole lines)."""

    start: int
    end: int
    replacement: str


def trim(original: str, rewritten: str, start: int) -> Change | None:
    """The smallest line change that turns `original` (lines from `start`) into `rewritten`,
    or None when they are the same."""
    old = original.splitlines(keepends=True)
    new = rewritten.splitlines(keepends=True)
    if old and not old[-1].endswith("\n"):
        old[-1] += "\n"
    if new and not new[-1].endswith("\n"):
        new[-1] += "\n"
    if old == new:
        return None
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while (
        tail < min(len(old), len(new)) - head
        and old[len(old) - 1 - tail] == new[len(new) - 1 - tail]
    ):
        tail += 1
    return Change(start + head, start + len(old) - tail - 1, "".join(new[head : len(new) - tail]))
