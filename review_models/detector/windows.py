"""From a changed hunk to model windows: the enclosing function (found by indentation, fast and
robust on code that does not parse) tokenized, with the changed lines marked."""

from __future__ import annotations

import re
from collections.abc import Iterable

from review_models.detector.features import MAX_LEN, Window, crop
from review_models.lexer import lex

_DEF = re.compile(r"^([ \t]*)(?:async[ \t]+)?(?:def|class)[ \t]")
_DECORATOR = re.compile(r"^[ \t]*@")
CONTEXT_LINES = 12  # around changes outside any function


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def enclosing_region(lines: list[str], first: int, last: int) -> tuple[int, int]:
    """1-based inclusive line range of the innermost def/class around lines first..last."""
    target = min(
        (
            _indent(lines[n - 1])
            for n in range(first, last + 1)
            if 0 < n <= len(lines) and lines[n - 1].strip()
        ),
        default=0,
    )
    start = None
    number = min(first, len(lines))
    while number >= 1:
        line = lines[number - 1]
        match = _DEF.match(line)
        if match and (len(match.group(1)) < target or number == first):
            start = number
            while start > 1 and _DECORATOR.match(lines[start - 2]):
                start -= 1
            break
        if (
            line.strip()
            and _indent(line) == 0
            and number < first
            and not line.startswith((")", "]", "}", "#"))
        ):
            break  # a top-level statement that is not a def: no enclosing function
        number -= 1
    if start is None:
        return max(1, first - CONTEXT_LINES), min(len(lines), last + CONTEXT_LINES)
    def_line = start
    while _DECORATOR.match(lines[def_line - 1]):
        def_line += 1
    base = _indent(lines[def_line - 1])
    end = max(last, def_line)
    number = def_line + 1
    while number <= len(lines):
        line = lines[number - 1]
        if (
            line.strip()
            and _indent(line) <= base
            and not line.lstrip().startswith((")", "]", "}", "#"))
        ):
            break
        if line.strip():
            end = max(end, number)
        number += 1
    return start, max(end, last)


def windows_for(
    text_lines: list[str], changed: Iterable[int], region: tuple[int, int] | None = None
) -> list[Window]:
    """Windows covering the changed lines (new-side numbers) of one hunk."""
    changed_set = {n for n in changed if 0 < n <= len(text_lines)}
    if not changed_set:
        return []
    first, last = min(changed_set), max(changed_set)
    start, end = region or enclosing_region(text_lines, first, last)
    source = "\n".join(text_lines[start - 1 : end]) + "\n"
    tokens = lex(source, first_line=start)
    flags = [t.line in changed_set for t in tokens]
    out = []
    marked = [i for i, f in enumerate(flags) if f]
    # Changes longer than a window are split into chunks that each fit with some context.
    chunk = MAX_LEN - 64
    pieces = [marked[i : i + chunk] for i in range(0, len(marked), chunk)] or [[]]
    for piece in pieces:
        if not piece:
            continue
        local = [False] * len(tokens)
        for index in piece:
            local[index] = True
        lo, hi = crop(tokens, local)
        out.append(Window(tuple(tokens[lo:hi]), tuple(local[lo:hi]), start))
    return out
