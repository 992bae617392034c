"""Fixes applied to text, and fixes as a unified diff (the patch `redline fix` prints, that a
fork's summary carries, that a suggested commit is built from). Pure functions."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence

from bot.core.errors import EngineError
from bot.core.model import Fix


def apply_lines(text: str, start: int, end: int, replacement: str) -> str:
    """`text` with lines start..end (1-based, inclusive; end = start - 1 inserts before
    `start`) replaced by `replacement` (whole lines)."""
    lines = text.splitlines(keepends=True)
    if not 1 <= start <= len(lines) + 1 or not start - 1 <= end <= len(lines):
        raise EngineError(f"lines {start}-{end} are outside the file ({len(lines)} lines)")
    new = replacement.splitlines(keepends=True)
    if new and not new[-1].endswith("\n") and end < len(lines):
        new[-1] += "\n"
    return "".join(lines[: start - 1] + new + lines[end:])


def non_overlapping(fixes: Iterable[Fix]) -> list[Fix]:
    """The fixes in file order, dropping any that overlaps one before it (first wins)."""
    kept: list[Fix] = []
    for fix in sorted(fixes, key=lambda f: (f.path, f.start, f.end)):
        last = next((k for k in reversed(kept) if k.path == fix.path), None)
        if last is not None and fix.start <= last.end:
            continue
        kept.append(fix)
    return kept


def apply_fixes(texts: Mapping[str, str], fixes: Sequence[Fix]) -> dict[str, str]:
    """The new text of every file a fix touches. Raises EngineError when a fix's lines no
    longer hold the text it was made for (the file moved on since)."""
    out: dict[str, str] = {}
    for fix in sorted(non_overlapping(fixes), key=lambda f: (f.path, -f.start)):
        text = out.get(fix.path, texts.get(fix.path))
        if text is None:
            raise EngineError(f"{fix.path}: no text to apply the fix to")
        current = "".join(text.splitlines(keepends=True)[fix.start - 1 : fix.end])
        if current.rstrip("\n") != fix.original.rstrip("\n"):
            raise EngineError(f"{fix.path}:{fix.start}: the lines changed since the fix was made")
        out[fix.path] = apply_lines(text, fix.start, fix.end, fix.replacement)
    return out


def unified_diff(texts: Mapping[str, str], fixes: Sequence[Fix], context: int = 3) -> str:
    """The fixes as one unified diff (`git apply` / `patch -p1` format), files in order."""
    patched = apply_fixes(texts, fixes)
    chunks = []
    for path in sorted(patched):
        before = texts[path].splitlines(keepends=True)
        after = patched[path].splitlines(keepends=True)
        lines = list(difflib.unified_diff(before, after, f"a/{path}", f"b/{path}", n=context))
        if not lines:
            continue
        body = []
        for line in lines:
            body.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
        chunks.append(f"diff --git a/{path} b/{path}\n" + "".join(body))
    return "".join(chunks)
