"""Mechanical hunks, recognised structurally: formatting-only edits, import reorderings, moved
blocks, consistent renames, version bumps, and edits that repeat an earlier one. Pure code over
the diff's text; the entropy scorer adds what structure cannot see (boilerplate)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from review_models.lexer import lex

_IMPORT = re.compile(r"^\s*(import\s+\S|from\s+\S+\s+import\b)")
_VERSION = re.compile(r"""^['"]?v?\d+(\.\d+)+([-.]?\w+)?['"]?$""")
_IDENT = re.compile(r"^[A-Za-z_]\w*$")
_VERSION_LINE = re.compile(r"version|release|[=~<>!]=", re.IGNORECASE)


@dataclass(frozen=True)
class HunkText:
    key: tuple[str, int]
    removed: tuple[str, ...]
    added: tuple[str, ...]


@dataclass(frozen=True)
class Mechanical:
    kind: str  # formatting | imports | moved | rename | version | repeated
    note: str


def _tokens(lines: Sequence[str]) -> list[str]:
    return [t.text for t in lex("\n".join(lines), layout=False)]


def _reindented(removed: Sequence[str], added: Sequence[str]) -> bool:
    """A line kept word for word but moved to another indentation: in Python that moves it
    into or out of a block, which is not formatting."""

    def indents(lines: Sequence[str]) -> dict[str, Counter[int]]:
        out: dict[str, Counter[int]] = {}
        for line in lines:
            if line.strip():
                out.setdefault(line.strip(), Counter())[len(line) - len(line.lstrip())] += 1
        return out

    before, after = indents(removed), indents(added)
    return any(before[key] != after[key] for key in before.keys() & after.keys())


def formatting_only(removed: Sequence[str], added: Sequence[str]) -> bool:
    """True when an edit leaves the tokens and the block structure as they were."""
    return _tokens(removed) == _tokens(added) and not _reindented(removed, added)


def _norm(line: str) -> str:
    return " ".join(line.split())


def _rename_map(removed: list[str], added: list[str]) -> dict[str, str] | None:
    """The consistent identifier substitution turning removed into added, if that is all."""
    if len(removed) != len(added) or not removed:
        return None
    mapping: dict[str, str] = {}
    for old, new in zip(removed, added, strict=True):
        if old == new:
            continue
        if not (_IDENT.match(old) and _IDENT.match(new)):
            return None
        if mapping.setdefault(old, new) != new:
            return None
    return mapping or None


def edit_signature(removed: list[str], added: list[str]) -> tuple[tuple[str, ...], ...] | None:
    """What the edit does, independent of where: the token-level changes in order."""
    import difflib

    matcher = difflib.SequenceMatcher(a=removed, b=added, autojunk=False)
    changes = tuple(
        (*removed[i1:i2], "→", *added[j1:j2])
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    )
    return changes or None


def _is_version(token: str, hunk: HunkText) -> bool:
    """A version string, or a number on a line that names a version or pins one. A bare
    number elsewhere (a threshold, a budget, a limit) is code, not a version bump."""
    if not _VERSION.match(token):
        return False
    if token[:1] in "'\"" and token.count(".") >= 2:
        return True
    return any(_VERSION_LINE.search(line) for line in (*hunk.removed, *hunk.added))


def classify(hunks: Sequence[HunkText]) -> dict[tuple[str, int], Mechanical]:
    """Mechanical hunks of a diff, in diff order (repeats refer to the first occurrence)."""
    out: dict[tuple[str, int], Mechanical] = {}
    removed_lines = Counter(_norm(line) for h in hunks for line in h.removed if line.strip())
    added_lines = Counter(_norm(line) for h in hunks for line in h.added if line.strip())
    seen: dict[object, int] = {}
    signatures: dict[tuple[str, int], object] = {}
    for hunk in hunks:
        removed_tokens = _tokens(hunk.removed)
        added_tokens = _tokens(hunk.added)
        removed_norm = [_norm(x) for x in hunk.removed if x.strip()]
        added_norm = [_norm(x) for x in hunk.added if x.strip()]
        if not removed_norm and not added_norm:
            out[hunk.key] = Mechanical("formatting", "blank lines only")
            continue
        if removed_tokens == added_tokens and not _reindented(hunk.removed, hunk.added):
            out[hunk.key] = Mechanical("formatting", "formatting only: the tokens are unchanged")
            continue
        if (
            removed_norm
            and all(_IMPORT.match(x) for x in hunk.removed if x.strip())
            and all(_IMPORT.match(x) for x in hunk.added if x.strip())
            and sorted(removed_tokens) == sorted(added_tokens)
        ):
            out[hunk.key] = Mechanical("imports", "imports reordered")
            continue
        if (
            len(added_norm) >= 2
            and not removed_norm
            and all(removed_lines[x] > 0 for x in added_norm)
        ):
            out[hunk.key] = Mechanical("moved", f"{len(added_norm)} lines moved here unchanged")
            continue
        if (
            len(removed_norm) >= 2
            and not added_norm
            and all(added_lines[x] > 0 for x in removed_norm)
        ):
            out[hunk.key] = Mechanical("moved", f"{len(removed_norm)} lines moved elsewhere")
            continue
        changed = [t for t in (set(removed_tokens) ^ set(added_tokens))]
        if changed and all(_is_version(t, hunk) for t in changed):
            out[hunk.key] = Mechanical("version", "version bump")
            continue
        signature = edit_signature(removed_tokens, added_tokens)
        if signature is not None:
            signatures[hunk.key] = signature
            if signature in seen:
                seen_count = seen[signature] + 1
                seen[signature] = seen_count
                out[hunk.key] = Mechanical("repeated", "repeats an earlier edit")
                continue
            seen[signature] = 0
        mapping = _rename_map(removed_tokens, added_tokens)
        if mapping is not None:
            pairs = ", ".join(f"`{a}` → `{b}`" for a, b in list(mapping.items())[:3])
            out[hunk.key] = Mechanical("rename", f"renames {pairs}")
    # Notes on the repeats: "N repeated edits like the one above".
    totals = Counter(signatures[k] for k, m in out.items() if m.kind == "repeated")
    for key, mechanical in list(out.items()):
        if mechanical.kind == "repeated":
            count = totals[signatures[key]]
            out[key] = Mechanical(
                "repeated", f"{count} repeated edit{'s' if count != 1 else ''} like the one above"
            )
    return out
