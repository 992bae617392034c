"""The enclosing function of changed lines, found by indentation: fast, and robust on code that
does not parse (a file mid-edit, a Python 2 module)."""

from __future__ import annotations

import re

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
