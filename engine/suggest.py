"""Suggestions from token-level repairs: the replacement text for exactly the flagged line."""

from __future__ import annotations

from engine.validate import validate


def replace_tokens(line: str, col: int, end_col: int, text: str) -> str:
    return line[:col] + text + line[end_col:]


def token_suggestion(
    source: str, line_no: int, col: int, end_col: int, text: str, python: bool = True
) -> str | None:
    """The replacement for line `line_no` with columns col..end_col swapped for `text`, or None
    if the result does not validate."""
    lines = source.split("\n")
    if not 0 < line_no <= len(lines):
        return None
    line = lines[line_no - 1]
    if end_col > len(line) or col < 0:
        return None
    replacement = replace_tokens(line, col, end_col, text) + "\n"
    if not validate(source, line_no, line_no, replacement, python).ok:
        return None
    return replacement
