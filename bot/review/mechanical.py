"""Mechanical hunks, decided structurally and before any entropy: a reformat, an import re-sort,
a move, a consistent rename, a version bump, or an edit that repeats an earlier one.

For Python with a post-image, each hunk is compared on syntax trees: the pre-image is rebuilt
by reversing the diff, and the innermost statements around the hunk are parsed before and
after the hunk alone. A reformat leaves the tree equal; a re-sort leaves the set of imports
equal; a rename leaves it equal modulo one consistent substitution of identifiers; a version
bump modulo version strings. Elsewhere (other languages, no post-image, code that does not
parse) the same questions are asked of the tokens.

A hunk that changes a condition or a control statement is never skim here: a rename inside an
`if` stays "read", and so does every repeat of an edit when any repeat touches a condition.
Everything runs in time linear in the diff: a mass reformat has thousands of hunks, and the
syntax trees are compared by an iterative walk (a PR controls their depth)."""

from __future__ import annotations

import ast
import difflib
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.core.model import Diff, Hunk
from bot.review.shapes import (
    IMPORT_LINE,
    VERSION,
    VERSION_LINE,
    Compared,
    python_file,
    shape,
    span,
)
from review_models.lexer import lex

_IDENT = re.compile(r"^[A-Za-z_]\w*$")
_DEFINITION = re.compile(r"^\s*(?:@|(?:async\s+)?def\s|class\s)")
_CONTROL_WORDS = frozenset(
    [
        "if",
        "elif",
        "else",
        "while",
        "for",
        "return",
        "raise",
        "throw",
        "break",
        "continue",
        "try",
        "except",
        "catch",
        "finally",
        "assert",
        "and",
        "or",
        "not",
        "is",
        "in",
        "match",
        "case",
        "switch",
        "yield",
        "await",
        "with",
        "goto",
    ]
)
_CONDITION_LINES = frozenset(
    ["if", "elif", "else", "while", "for", "assert", "except", "catch", "case", "match", "switch"]
)
_CONTROL_OPS = frozenset(["&&", "||", "!", "==", "!=", "===", "!==", "<", ">", "<=", ">=", "?"])
MATCH_CELLS = 64 * 64  # removed x added tokens aligned by SequenceMatcher, at most


@dataclass(frozen=True)
class HunkText:
    key: tuple[str, int]
    removed: tuple[str, ...]
    added: tuple[str, ...]


@dataclass(frozen=True)
class Mechanical:
    kind: str  # formatting | imports | moved | rename | version | repeated
    note: str
    skim: bool = True  # False: worth reading (a repeat that touches a condition)
    repeat_of: tuple[str, int] | None = None  # the first hunk of its repeated edit


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


def edit_signature(removed: list[str], added: list[str]) -> tuple[tuple[str, ...], ...] | None:
    """What the edit does, independent of where: the token-level changes in order.

    SequenceMatcher is cubic in the worst case (an 800-term sum whose names all change took
    minutes), so past MATCH_CELLS the common ends are cut off, and a middle still too large
    is one change: two such hunks repeat each other only when their whole edits are equal."""
    if len(removed) * len(added) > MATCH_CELLS:
        start = 0
        while start < min(len(removed), len(added)) and removed[start] == added[start]:
            start += 1
        end = 0
        limit = min(len(removed), len(added)) - start
        while end < limit and removed[-1 - end] == added[-1 - end]:
            end += 1
        removed = removed[start : len(removed) - end]
        added = added[start : len(added) - end]
        if len(removed) * len(added) > MATCH_CELLS:
            return ((*removed, "→", *added),)
    matcher = difflib.SequenceMatcher(a=removed, b=added, autojunk=False)
    changes = tuple(
        (*removed[i1:i2], "→", *added[j1:j2])
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    )
    return changes or None


def touches_control(signature: tuple[tuple[str, ...], ...] | None, lines: Sequence[str]) -> bool:
    """By the tokens: the edit changes a control keyword, a comparison or a boolean operator,
    or a line that is itself a condition."""
    if signature is not None:
        for change in signature:
            if any(t in _CONTROL_WORDS or t in _CONTROL_OPS for t in change):
                return True
    for line in lines:
        first = line.split(None, 1)[0] if line.strip() else ""
        if first.rstrip(":(") in _CONDITION_LINES:
            return True
    return False


# --- tokens, where there is no tree -----------------------------------------------------


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


def _is_version(token: str, lines: Sequence[str]) -> bool:
    """A version string, or a number on a line that names a version or pins one. A bare
    number elsewhere (a threshold, a budget, a limit) is code, not a version bump."""
    if not VERSION.match(token):
        return False
    if token[:1] in "'\"" and token.count(".") >= 2:
        return True
    return any(VERSION_LINE.search(line) for line in lines)


def _by_tokens(removed: list[str], added: list[str]) -> Compared:
    removed_tokens, added_tokens = _tokens(removed), _tokens(added)
    signature = edit_signature(removed_tokens, added_tokens)
    changed = [x for x in (*removed, *added) if x.strip()]
    control = touches_control(signature, changed)
    if removed_tokens == added_tokens and not _reindented(removed, added):
        return Compared("formatting", "formatting only: the tokens are unchanged", False)
    if (
        any(x.strip() for x in removed)
        and all(IMPORT_LINE.match(x) for x in changed)
        and sorted(removed_tokens) == sorted(added_tokens)
    ):
        return Compared("imports", "imports re-sorted: the same imports in another order", False)
    differ = set(removed_tokens) ^ set(added_tokens)
    if differ and all(_is_version(t, changed) for t in differ):
        return Compared("version", "version bump", False)
    mapping = _rename_map(removed_tokens, added_tokens)
    if mapping is not None:
        pairs = ", ".join(f"`{a}` → `{b}`" for a, b in list(mapping.items())[:3])
        return Compared("rename", f"renames {pairs}", control)
    return Compared(None, "", control)


# --- the diff as a whole ----------------------------------------------------------------


@dataclass
class _Record:
    key: tuple[str, int]
    where: str  # "path:line" of the hunk's first change
    removed: list[str]
    added: list[str]
    compared: Compared
    move_in: str | None = None  # the shape of whole definitions the hunk adds
    move_out: str | None = None  # ... or removes


def _where(path: str, hunk: Hunk) -> str:
    for line in hunk.lines:
        if line.kind != "ctx":
            return f"{path}:{line.new_no or line.old_no}"
    return f"{path}:{hunk.new_start}"


def _definitions(tree: ast.Module | None, lines: set[int]) -> str | None:
    """The shape of the module- or class-level definitions lying wholly on `lines`, when
    they cover every one of them (a moved function, class or constant)."""
    if tree is None or not lines:
        return None
    found: list[str] = []
    covered: set[int] = set()
    pending: list[ast.stmt] = list(tree.body)
    low, high = min(lines), max(lines)
    while pending:
        node = pending.pop(0)
        start, end = span(node)
        if end < low or start > high:
            continue
        if all(n in lines for n in range(start, end + 1)):
            kinds = (
                ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Assign | ast.AnnAssign
            )
            if not isinstance(node, kinds):
                return None
            found.extend(shape(node)[0])
            covered.update(range(start, end + 1))
        elif isinstance(node, ast.ClassDef):
            pending.extend(node.body)
        else:
            return None
    return "\n".join(found) if found and covered >= lines else None


def _line_shape(lines: Sequence[str]) -> str | None:
    """Without a tree: a block of at least two lines that starts a definition."""
    kept = [_norm(x) for x in lines if x.strip()]
    if len(kept) < 2 or not _DEFINITION.match(next(x for x in lines if x.strip())):
        return None
    return "\n".join(kept)


def _consistent(compared: Compared, pre: str, post: str) -> bool:
    """A rename is mechanical when it renames: the old name is gone from the file and the
    new one was not there before. Calling another existing function is a real change."""
    for old, new in re.findall(r"`([^`]+)` → `([^`]+)`", compared.note):
        if re.search(rf"\b{re.escape(old)}\b", post) or re.search(rf"\b{re.escape(new)}\b", pre):
            return False
    return True


def _records(diff: Diff, texts: Mapping[str, str]) -> list[_Record]:
    records = []
    for file in diff.files:
        post = texts.get(file.path)
        python = python_file(file, post)
        pre_text = "\n".join(python.pre) if python is not None else None
        for hunk in file.hunks:
            removed = [line.text for line in hunk.removed]
            added = [line.text for line in hunk.added]
            compared = python.compare(hunk) if python is not None else None
            if compared is None:
                compared = _by_tokens(removed, added)
            renamed = compared.kind == "rename" and pre_text is not None and post is not None
            if renamed and not _consistent(compared, pre_text or "", post or ""):
                compared = Compared(None, "", compared.control)
            record = _Record(
                (file.path, hunk.index), _where(file.path, hunk), removed, added, compared
            )
            pure_add = bool(added) and not any(x.strip() for x in removed)
            pure_del = bool(removed) and not any(x.strip() for x in added)
            if compared.kind is None and python is not None:
                if pure_add:
                    numbers = {x.new_no for x in hunk.added if x.text.strip() and x.new_no}
                    record.move_in = _definitions(python.post_tree, numbers)
                elif pure_del:
                    numbers = {x.old_no for x in hunk.removed if x.text.strip() and x.old_no}
                    record.move_out = _definitions(python.tree, numbers)
            elif compared.kind is None:
                if pure_add:
                    record.move_in = _line_shape(added)
                elif pure_del:
                    record.move_out = _line_shape(removed)
            records.append(record)
    return records


def _moves(records: list[_Record], out: dict[tuple[str, int], Mechanical]) -> None:
    """Pair the blocks a hunk adds with the same blocks another hunk removes."""
    removed_at: dict[str, list[_Record]] = defaultdict(list)
    for record in records:
        if record.move_out is not None:
            removed_at[record.move_out].append(record)
    for record in records:
        if record.move_in is None or not removed_at.get(record.move_in):
            continue
        source = removed_at[record.move_in].pop(0)
        out[record.key] = Mechanical("moved", f"moved from {source.where} unchanged")
        out[source.key] = Mechanical("moved", f"moved to {record.where} unchanged")


def _repeats(records: list[_Record], out: dict[tuple[str, int], Mechanical]) -> None:
    """Hunks making the same token edit: the first stays to be read; the others are skim
    when no hunk of the group touches a condition, and read, with a note, when one does."""
    groups: dict[object, list[_Record]] = defaultdict(list)
    for record in records:
        if record.key in out or record.compared.kind is not None:
            continue
        signature = edit_signature(_tokens(record.removed), _tokens(record.added))
        if signature is not None:
            groups[signature].append(record)
    for members in groups.values():
        if len(members) < 2:
            continue
        first = members[0]
        others = len(members) - 1
        control = any(m.compared.control for m in members)
        plural = "s" if others != 1 else ""
        if control:
            out[first.key] = Mechanical(
                "repeated",
                f"the same edit repeats in {others} other hunk{plural}; it touches a "
                "condition: read each",
                skim=False,
            )
        for member in members[1:]:
            note = f"repeats the edit at {first.where} ({len(members)} in all)"
            if control:
                note += "; it touches a condition: read it"
            out[member.key] = Mechanical("repeated", note, skim=not control, repeat_of=first.key)


def classify_diff(diff: Diff, texts: Mapping[str, str]) -> dict[tuple[str, int], Mechanical]:
    """Mechanical hunks of a diff, by key (path, hunk index). `texts` holds post-images."""
    records = _records(diff, texts)
    out: dict[tuple[str, int], Mechanical] = {}
    for record in records:
        compared = record.compared
        if compared.kind == "formatting" and not any(
            x.strip() for x in (*record.removed, *record.added)
        ):
            out[record.key] = Mechanical("formatting", "blank lines only")
            continue
        if compared.kind is None:
            continue
        if compared.control:
            out[record.key] = Mechanical(
                compared.kind, f"{compared.note}; in a condition: read it", skim=False
            )
        else:
            out[record.key] = Mechanical(compared.kind, compared.note)
    _moves(records, out)
    _repeats(records, out)
    return out


def classify(hunks: Sequence[HunkText]) -> dict[tuple[str, int], Mechanical]:
    """The same decisions from the hunks' text alone (no trees): for callers without the
    post-images."""
    records = []
    for hunk in hunks:
        removed, added = list(hunk.removed), list(hunk.added)
        record = _Record(
            hunk.key, f"{hunk.key[0]}#{hunk.key[1]}", removed, added, _by_tokens(removed, added)
        )
        if record.compared.kind is None:
            if added and not any(x.strip() for x in removed):
                record.move_in = _line_shape(added)
            elif removed and not any(x.strip() for x in added):
                record.move_out = _line_shape(removed)
        records.append(record)
    out: dict[tuple[str, int], Mechanical] = {}
    for record in records:
        if not any(x.strip() for x in (*record.removed, *record.added)):
            out[record.key] = Mechanical("formatting", "blank lines only")
        elif record.compared.kind is not None:
            skim = not record.compared.control
            note = record.compared.note + ("" if skim else "; in a condition: read it")
            out[record.key] = Mechanical(record.compared.kind, note, skim=skim)
    _moves(records, out)
    _repeats(records, out)
    return out
