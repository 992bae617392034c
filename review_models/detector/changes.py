"""Change features of an edit, each one a reviewer can check: which comparison, operator,
constant or boolean changed, which name was swapped for which, which guard, handler, `not` or
clause went away, what kind of statement was touched. Every feature carries the new-side line
it sits on and, where it names a concrete change, the reason a review shows for it.

Features are strings; the model hashes them (no vocabulary to build or ship)."""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from review_models.detector.edits import Block, Edit, Op
from review_models.lexer import Token

COMPARISONS = frozenset({"<", "<=", ">", ">=", "==", "!=", "is", "in", "not"})
ARITHMETIC = frozenset({"+", "-", "*", "/", "//", "%", "**", "<<", ">>", "&", "|", "^", "@"})
AUGMENTED = frozenset(op + "=" for op in ARITHMETIC)
BOOL_OPS = frozenset({"and", "or"})
CONSTANTS = frozenset({"True", "False", "None"})
STATEMENTS = frozenset(
    {
        "if",
        "elif",
        "else",
        "while",
        "for",
        "return",
        "raise",
        "try",
        "except",
        "finally",
        "with",
        "assert",
        "break",
        "continue",
        "yield",
        "del",
        "import",
        "from",
        "def",
        "class",
        "pass",
        "global",
        "nonlocal",
        "lambda",
        "await",
    }
)
_EXITS = frozenset({"raise", "return", "continue", "break"})
_BUILTINS = frozenset(dir(builtins))


@dataclass(frozen=True)
class Feature:
    key: str
    line: int
    reason: str | None = None  # what a review says when this feature drives the risk


def _abstract(token: Token) -> str:
    if token.kind == "name":
        return token.text if token.text in _BUILTINS else "N"
    if token.kind == "string":
        return "S"
    if token.kind == "number":
        return token.text if token.text in ("0", "1", "2", "-1") else "#"
    return token.text


def _shape(tokens: tuple[Token, ...]) -> str:
    return " ".join(_abstract(t) for t in tokens[:4]) + (" …" if len(tokens) > 4 else "")


def _text(tokens: tuple[Token, ...]) -> str:
    return " ".join(t.text for t in tokens)


def _bucket(count: int) -> str:
    for limit, name in ((0, "0"), (1, "1"), (2, "2"), (5, "3-5"), (12, "6-12")):
        if count <= limit:
            return name
    return "13+"


def _context(line_text: str) -> str:
    """What kind of statement a changed line is: the place a change matters."""
    stripped = line_text.strip()
    first = stripped.split(None, 1)[0].rstrip(":") if stripped else ""
    if first in ("if", "elif", "while", "assert"):
        return "cond"
    if first == "for" or "range(" in stripped:
        return "loop"
    if first in ("return", "yield"):
        return "return"
    if first in ("raise", "except", "try", "finally"):
        return "error"
    if first in ("def", "class") or stripped.startswith("@"):
        return "signature"
    if first in ("import", "from"):
        return "import"
    if "=" in stripped.replace("==", "").replace("!=", "").replace("<=", "").replace(">=", ""):
        return "assign"
    if "(" in stripped:
        return "call"
    return "other"


def _place(op: Op) -> str:
    return {
        "cond": " in a condition",
        "loop": " at a loop bound",
        "return": " in a return value",
        "assign": " in an assignment",
    }.get(_context(op.new_line_text or op.old_line_text), "")


def _names(tokens: tuple[Token, ...]) -> set[str]:
    return {t.text for t in tokens if t.kind == "name"}


def _replace_features(op: Op, edit: Edit) -> Iterator[Feature]:
    a, b = op.removed, op.added
    place = _place(op)
    ctx = _context(op.new_line_text or op.old_line_text)
    line = op.line
    if len(a) == 1 and len(b) == 1:
        x, y = a[0], b[0]
        if {x.text, y.text} <= COMPARISONS | {"not"}:
            yield Feature(
                f"cmp:{x.text}>{y.text}@{ctx}",
                line,
                f"comparison `{x.text}` changed to `{y.text}`{place}",
            )
            yield Feature("cmp:any", line)
            return
        if {x.text, y.text} <= ARITHMETIC | AUGMENTED:
            yield Feature(
                f"arith:{x.text}>{y.text}",
                line,
                f"operator `{x.text}` changed to `{y.text}`{place}",
            )
            yield Feature(f"arith:any@{ctx}", line)
            return
        if {x.text, y.text} <= BOOL_OPS:
            yield Feature(
                f"boolop:{x.text}>{y.text}", line, f"`{x.text}` changed to `{y.text}`{place}"
            )
            return
        if {x.text, y.text} <= CONSTANTS:
            yield Feature(
                f"const:{x.text}>{y.text}", line, f"`{x.text}` changed to `{y.text}`{place}"
            )
            return
        if x.kind == "number" and y.kind == "number":
            yield from _number(x, y, line, ctx, place)
            return
        if x.kind == "name" and y.kind == "name":
            yield from _name_swap(x, y, op, edit, ctx)
            return
        if x.kind == "string" and y.kind == "string":
            yield Feature("str>str", line)
            return
    yield Feature(f"rep:{_shape(a)}>{_shape(b)}", line)
    yield Feature(f"rep-size:{_bucket(len(a))}>{_bucket(len(b))}@{ctx}", line)
    if all(t.kind == "string" for t in a + b):
        yield Feature("rep:strings-only", line)


def _number(x: Token, y: Token, line: int, ctx: str, place: str) -> Iterator[Feature]:
    try:
        delta = float(y.text.replace("_", "")) - float(x.text.replace("_", ""))
    except ValueError:
        delta = 0.0
    kind = "+1" if delta == 1 else "-1" if delta == -1 else "other"
    yield Feature(f"num:{kind}@{ctx}", line, f"constant `{x.text}` changed to `{y.text}`{place}")


def _name_swap(x: Token, y: Token, op: Op, edit: Edit, ctx: str) -> Iterator[Feature]:
    line = op.line
    old_names = _names(edit.old_function)
    new_names = [t.text for t in edit.new_function if t.kind == "name"]
    role = "name"
    if op.new_line_text:
        at = op.new_line_text.find(y.text, max(0, y.col - 1))
        before = op.new_line_text[:at].rstrip() if at >= 0 else ""
        after = op.new_line_text[at + len(y.text) :].lstrip() if at >= 0 else ""
        if before.endswith("."):
            role = "attr"
        elif after.startswith("("):
            role = "call"
        elif after.startswith("=") and not after.startswith("=="):
            role = "target"
    known = "known" if y.text in old_names else "new"
    orphan = x.text in old_names and new_names.count(x.text) == 0
    same_family = x.text.lower().rstrip("s_0123456789") == y.text.lower().rstrip("s_0123456789")
    what = {"attr": "attribute", "call": "call to", "target": "assignment to"}.get(role, "name")
    dot = "." if role == "attr" else ""
    reason = f"{what} `{dot}{x.text}` replaced by `{dot}{y.text}`"
    if known == "known":
        reason += f" (`{y.text}` is already used here)"
    yield Feature(f"swap:{role}:{known}@{ctx}", line, reason)
    if orphan:
        yield Feature(
            f"swap:orphan:{role}",
            line,
            f"`{x.text}` is no longer used after it was replaced by `{y.text}`",
        )
    if same_family:
        yield Feature("swap:similar-spelling", line)
    if y.text in _BUILTINS or x.text in _BUILTINS:
        left = x.text if x.text in _BUILTINS else "N"
        right = y.text if y.text in _BUILTINS else "N"
        yield Feature(f"swap:builtin:{left}>{right}", line)


def _delete_features(op: Op, removed: bool) -> Iterator[Feature]:
    """A deletion (removed=True) or an insertion of tokens inside a line."""
    tokens = op.removed if removed else op.added
    sign = "del" if removed else "ins"
    ctx = _context(op.new_line_text or op.old_line_text)
    place = _place(op)
    shape = _shape(tokens)
    text = _text(tokens)
    reason = None
    if len(tokens) <= 4:
        reason = f"`{text}` {'removed' if removed else 'added'}{place}"
    yield Feature(f"{sign}:{shape}@{ctx}", op.line, reason)
    yield Feature(f"{sign}-size:{_bucket(len(tokens))}", op.line)
    for token in tokens:
        if token.kind in ("keyword", "op") and token.text not in (",", ".", "(", ")", ":"):
            yield Feature(f"{sign}tok:{token.text}", op.line)
        elif token.kind == "name" and token.text in _BUILTINS:
            yield Feature(f"{sign}tok:{token.text}()", op.line)


def _first_word(text: str) -> str:
    stripped = text.strip()
    if not stripped:
        return "blank"
    if stripped.startswith("#"):
        return "comment"
    if stripped.startswith(("'", '"', 'f"', "f'", 'r"', "r'")):
        return "string"
    if stripped.startswith("@"):
        return "decorator"
    word = stripped.split(None, 1)[0].rstrip(":")
    word = word.split("(", 1)[0]
    return word if word in STATEMENTS else "expr"


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" \t"))


def _guards(lines: tuple[tuple[int, str], ...], anchor: int, removed: bool) -> Iterator[Feature]:
    """A condition whose block exits (raise/return/continue/break), or an except handler,
    removed or added whole."""
    sign = "removed" if removed else "added"
    for index, (number, text) in enumerate(lines):
        word = _first_word(text)
        line = anchor if removed else number
        if word in ("if", "elif") and index + 1 < len(lines):
            following = lines[index + 1][1]
            if _indent(following) > _indent(text) and _first_word(following) in _EXITS:
                yield Feature(
                    f"guard-{sign}",
                    line,
                    f"guard `{text.strip()[:60]}` {sign} (it ended in `{_first_word(following)}`)",
                )
        elif word == "except":
            yield Feature(f"except-{sign}", line, f"handler `{text.strip()[:60]}` {sign}")
        elif word == "if" and text.rstrip().endswith(":"):
            yield Feature(f"cond-{sign}", line, f"condition `{text.strip()[:60]}` {sign}")


def _block_features(block: Block) -> Iterator[Feature]:
    removed_words = [_first_word(t) for _, t in block.removed]
    added_words = [_first_word(t) for _, t in block.added]
    anchor = block.added[0][0] if block.added else block.anchor
    for word in set(removed_words):
        yield Feature(f"line-:{word}", anchor)
    for number, text in block.added:
        yield Feature(f"line+:{_first_word(text)}", number)
    shape = "insert" if not block.removed else "delete" if not block.added else "replace"
    yield Feature(
        f"block:{shape}:{_bucket(len(block.removed))}>{_bucket(len(block.added))}", anchor
    )
    yield from _guards(block.removed, block.anchor, removed=True)
    yield from _guards(block.added, anchor, removed=False)
    if not block.ops and (block.removed or block.added):
        yield Feature("block:same-tokens", anchor)
    elif block.ops and all(
        t.kind == "string" for op in block.ops for t in (*op.removed, *op.added)
    ):
        yield Feature("block:strings-only", anchor)
    removed_exits = sum(w in _EXITS for w in removed_words)
    added_exits = sum(w in _EXITS for w in added_words)
    if removed_exits > added_exits:
        yield Feature("exits:fewer", anchor)
    elif added_exits > removed_exits:
        yield Feature("exits:more", anchor)
    if block.removed and block.added:
        indents_old = [_indent(t) for _, t in block.removed if t.strip()]
        indents_new = [_indent(t) for _, t in block.added if t.strip()]
        if indents_old and indents_new and min(indents_old) != min(indents_new):
            yield Feature("block:reindented", anchor)


def features(edit: Edit) -> list[Feature]:
    """All features of one hunk's edit."""
    out: list[Feature] = []
    lines = {n for b in edit.blocks for n, _ in b.added}
    out.append(Feature(f"hunk:add:{_bucket(edit.added_count)}", min(lines, default=0)))
    out.append(Feature(f"hunk:del:{_bucket(edit.removed_count)}", min(lines, default=0)))
    out.append(Feature(f"hunk:blocks:{_bucket(len(edit.blocks))}", min(lines, default=0)))
    if edit.path.rsplit("/", 1)[-1].startswith("test") or "/tests/" in f"/{edit.path}":
        out.append(Feature("path:test", 0))
    ops = [op for b in edit.blocks for op in b.ops]
    out.append(Feature(f"hunk:ops:{_bucket(len(ops))}", 0))
    for block in edit.blocks:
        out.extend(_block_features(block))
    for op in ops:
        if op.tag == "replace":
            out.extend(_replace_features(op, edit))
        else:
            out.extend(_delete_features(op, removed=op.tag == "delete"))
    out.append(Feature("bias", 0))
    return out


def line_features(
    keys: Sequence[str], lines: Sequence[int], changed: Sequence[int]
) -> list[list[str]]:
    """The features of each changed line of a hunk (in `changed` order), for the line model."""
    by_line: dict[int, list[str]] = {n: [] for n in changed}
    for key, line in zip(keys, lines, strict=True):
        if line in by_line and not key.startswith(("hunk:", "bias")):
            by_line[line].append(key)
    out = []
    for rank, line in enumerate(changed):
        own = by_line[line]
        position = "first" if rank == 0 else "last" if rank == len(changed) - 1 else "mid"
        out.append([*own, f"pos:{position}", f"has-features:{min(len(own), 3)}", "bias"])
    return out
