"""A fix is validated before it is offered: it must change something, stay within the flagged
lines, and leave a Python file that parsed still parsing. Nothing is executed."""

from __future__ import annotations

import ast
from dataclasses import dataclass


@dataclass(frozen=True)
class Validation:
    ok: bool
    reason: str = ""


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return False
    return True


def apply(text: str, start: int, end: int, replacement: str) -> str:
    """`text` with lines start..end (1-based, inclusive) replaced by `replacement`."""
    lines = text.split("\n")
    new = replacement[:-1] if replacement.endswith("\n") else replacement
    return "\n".join(lines[: start - 1] + new.split("\n") + lines[end:])


def validate(text: str, start: int, end: int, replacement: str, python: bool = True) -> Validation:
    lines = text.split("\n")
    if not 1 <= start <= end <= len(lines):
        return Validation(False, f"lines {start}-{end} are outside the file")
    original = "\n".join(lines[start - 1 : end]) + "\n"
    if replacement == original:
        return Validation(False, "the replacement changes nothing")
    if python and _parses(text) and not _parses(apply(text, start, end, replacement)):
        return Validation(False, "the replacement does not parse")
    return Validation(True)
