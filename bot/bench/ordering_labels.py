"""Mechanical ground truth for `redline bench ordering`, computed apart from the classifier
it judges, from full parses of the pre-image (rebuilt from the diff) and the post-image.

A hunk is mechanical when, applied on its own to the pre-image, it leaves the syntax tree equal
(formatting, comments), equal modulo the order of the imports (re-sort), modulo a consistent
renaming of identifiers that renames (the old name gone from the file, the new one new), or
modulo version strings (version bump); or when it adds (removes) whole definitions that
another hunk removes (adds) unchanged (move); or when it is the same token edit as an earlier
hunk and no hunk of the group touches a condition (repeated edit). A hunk changes control
flow when, applied alone, it changes a condition or a control statement."""

from __future__ import annotations

import ast
import difflib
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from bot.bench.ordering_pairs import span as _span
from bot.core import pysyntax
from bot.core.model import FileDiff, Hunk
from bot.review import shapes

_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError)
_TOKEN = re.compile(
    r"""[rRbBuUfF]{0,2}(?:'[^'\n]*'|"[^"\n]*")|\d[\w.]*|[A-Za-z_]\w*|==|!=|<=|>=|->|\*\*|//|\S"""
)
_CONTROL = (
    ast.If, ast.For, ast.AsyncFor, ast.While, ast.Try, ast.With, ast.AsyncWith, ast.Return,
    ast.Raise, ast.Break, ast.Continue, ast.Assert, ast.Match,
)  # fmt: skip
_CONDITIONS = (ast.BoolOp, ast.Compare, ast.IfExp)
_VERSION_VALUE = re.compile(r"^v?\d+(\.\d+)+([-.+]?\w+)*$")


def pre_image(post: str, file: FileDiff) -> str | None:
    """The file before the change, rebuilt by reversing the hunks on the post-image (the
    review's own rebuild: a label judged on another pre-image would measure the rebuild)."""
    lines = shapes.pre_image(post, file)
    return None if lines is None else "\n".join(lines)


def _apply_one(pre: list[str], hunk: Hunk) -> list[str]:
    start = hunk.old_start if hunk.old_lines else hunk.old_start + 1
    new = [line.text for line in hunk.lines if line.kind != "del"]
    return pre[: start - 1] + new + pre[start - 1 + hunk.old_lines :]


def _region(tree: ast.Module, first: int, last: int, deep: bool) -> tuple[int, int]:
    """Lines of the statements overlapping first..last: the top-level ones, or (`deep`) the
    innermost block's, descending while a single statement's block holds the range."""
    body = tree.body
    while True:
        hits = [n for n in body if _span(n)[1] >= first - 1 and _span(n)[0] <= last + 1]
        if not hits:
            return first, last
        if deep and len(hits) == 1:
            blocks = [
                getattr(hits[0], f)
                for f in ("body", "orelse", "finalbody")
                if isinstance(getattr(hits[0], f, None), list) and getattr(hits[0], f)
            ]
            inner = next(
                (b for b in blocks if _span(b[0])[0] <= first and _span(b[-1])[1] >= last), None
            )
            if inner is not None and isinstance(inner[0], ast.stmt):
                body = inner
                continue
        return min(first, _span(hits[0])[0]), max(last, _span(hits[-1])[1])


def _parse_region(lines: list[str]) -> ast.Module | None:
    """A run of statements at any indentation, wrapped in `if 1:` when indented."""
    code = [x for x in lines if x.strip() and not x.lstrip().startswith("#")]
    if not code or not all(x[:1] in " \t" for x in code):
        return _parse_lines(lines)
    tree = _parse_lines(["if 1:", *lines])
    if tree is None or len(tree.body) != 1 or not isinstance(tree.body[0], ast.If):
        return None
    tree.body = tree.body[0].body
    return tree


def _dump(nodes: Sequence[ast.AST]) -> str:
    return "\n".join("\n".join(_flat(n)[0]) for n in nodes)


def _parse_lines(lines: list[str]) -> ast.Module | None:
    try:
        return pysyntax.parse("\n".join(lines))
    except _ERRORS:
        return None


_NAME_FIELDS = frozenset({"id", "attr", "arg", "name", "asname"})


def _flat(
    tree: ast.AST, names: bool = False, values: bool = False
) -> tuple[list[str], list[object]]:
    """The tree level by level, each node with its scalar fields and child counts (which
    determine the tree), positions left out; names or constants blanked onto the side."""
    shape: list[str] = []
    side: list[object] = []
    for node in ast.walk(tree):
        row = [type(node).__name__]
        for name, value in ast.iter_fields(node):
            if isinstance(value, ast.AST):
                row.append(name)
                continue
            if isinstance(value, list):
                if value and isinstance(value[0], ast.AST):
                    row.append(f"{name}#{len(value)}")
                    continue
                value = tuple(value)
            if (names and name in _NAME_FIELDS and isinstance(value, str)) or (
                values and isinstance(node, ast.Constant) and name == "value"
            ):
                side.append(value)
                value = "_"
            row.append(f"{name}={value!r}")
        shape.append(" ".join(row))
    return shape, side


def _skeleton(tree: ast.AST) -> list[str]:
    """Control statements and every node inside a condition, in one pass."""
    out: list[str] = []
    pending: list[tuple[ast.AST, bool]] = [(tree, False)]
    while pending:
        node, inside = pending.pop()
        inside = inside or isinstance(node, _CONDITIONS)
        if inside:
            out.append(_flat_node(node))
        elif isinstance(node, _CONTROL):
            out.append(type(node).__name__)
        for name, value in ast.iter_fields(node):
            condition = inside or name in ("test", "ifs", "guard", "exc")
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.AST):
                    pending.append((child, condition))
    return out


def _flat_node(node: ast.AST) -> str:
    row = [type(node).__name__]
    for name, value in ast.iter_fields(node):
        if not isinstance(value, ast.AST | list):
            row.append(f"{name}={value!r}")
    return " ".join(row)


@dataclass(frozen=True)
class HunkLabel:
    kind: str | None  # formatting | imports | rename | version | moved | repeated | None
    control: bool  # applied alone, the hunk changes a condition or a control statement


def _tokens(lines: Sequence[str]) -> list[str]:
    out = []
    for line in lines:
        out.extend(
            _TOKEN.findall(line.split("#", 1)[0] if "'" not in line and '"' not in line else line)
        )
    return out


def edit_of(hunk: Hunk) -> tuple[tuple[str, ...], ...] | None:
    removed = _tokens([line.text for line in hunk.removed])
    added = _tokens([line.text for line in hunk.added])
    matcher = difflib.SequenceMatcher(a=removed, b=added, autojunk=False)
    changes = tuple(
        (*removed[i1:i2], "→", *added[j1:j2])
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    )
    return changes or None


def _whole_definitions(tree: ast.Module | None, lines: set[int]) -> list[ast.stmt] | None:
    """The module- or class-level definitions lying wholly on `lines`, if they cover them."""
    if tree is None or not lines:
        return None
    found: list[ast.stmt] = []
    covered: set[int] = set()
    pending = list(tree.body)
    while pending:
        node = pending.pop(0)
        start, end = _span(node)
        if all(n in lines for n in range(start, end + 1)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Assign):
                found.append(node)
                covered.update(range(start, end + 1))
        elif isinstance(node, ast.ClassDef) and start <= max(lines) and end >= min(lines):
            pending.extend(node.body)
    return found if found and covered >= lines else None


def _label_alone(
    pre_lines: list[str], pre_tree: ast.Module, hunk: Hunk, post_whole: str = ""
) -> tuple[str | None, bool, bool]:
    """(kind from comparing trees, control changed, applied alone parses)."""
    after = _apply_one(pre_lines, hunk)
    first = hunk.old_start if hunk.old_lines else hunk.old_start + 1
    last = max(first, hunk.old_start + hunk.old_lines - 1)
    delta = hunk.new_lines - hunk.old_lines
    before_tree = after_tree = None
    for deep in (True, False):
        lo, hi = _region(pre_tree, first, last, deep)
        before_tree = _parse_region(pre_lines[lo - 1 : hi])
        after_tree = _parse_region(after[lo - 1 : hi + delta])
        if before_tree is not None and after_tree is not None:
            break
    if before_tree is None or after_tree is None:
        before_tree, after_tree = pre_tree, _parse_lines(after)
        if after_tree is None:
            return None, True, False
    control = _skeleton(before_tree) != _skeleton(after_tree)
    if _flat(before_tree)[0] == _flat(after_tree)[0]:
        return "formatting", False, True
    changed = [line.text for line in hunk.lines if line.kind != "ctx" and line.text.strip()]
    imports_only = changed and all(re.match(r"\s*(import|from)\s", t) for t in changed)
    if imports_only and _imported(before_tree) == _imported(after_tree):
        return "imports", False, True
    blank_b, names_b = _flat(before_tree, names=True)
    blank_a, names_a = _flat(after_tree, names=True)
    if blank_b == blank_a and len(names_b) == len(names_a):
        # The names that differ, position by position, map one to one: a rename...
        mapping: dict[object, object] = {}
        differ = [(b, a) for b, a in zip(names_b, names_a, strict=True) if b != a]
        consistent = all(mapping.setdefault(b, a) == a for b, a in differ)
        if differ and consistent and len(set(mapping.values())) == len(mapping):
            # ... and it renames: each old name is gone from the file, each new one is new.
            pre_text = "\n".join(pre_lines)
            if all(
                not re.search(rf"\b{re.escape(str(b))}\b", post_whole)
                and not re.search(rf"\b{re.escape(str(a))}\b", pre_text)
                for b, a in mapping.items()
            ):
                return "rename", control, True
    const_b, values_b = _flat(before_tree, values=True)
    const_a, values_a = _flat(after_tree, values=True)
    if const_b == const_a and len(values_b) == len(values_a):
        differ_values = [(b, a) for b, a in zip(values_b, values_a, strict=True) if b != a]
        text = " ".join(changed).lower()
        if (
            differ_values
            and all(_VERSION_VALUE.match(str(a)) for _, a in differ_values)
            and "version" in text
        ):
            return "version", False, True
    return None, control, True


def _imported(tree: ast.Module) -> Counter[tuple[object, ...]]:
    """Every imported name with where it comes from, in no order."""
    out: Counter[tuple[object, ...]] = Counter()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(("import", a.name, a.asname) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            out.update((node.level, node.module, a.name, a.asname) for a in node.names)
    return out


def mechanical_labels(
    files: dict[str, str], diffs: Sequence[FileDiff]
) -> dict[tuple[str, int], HunkLabel]:
    """A label for every hunk of a Python file whose pre-image could be rebuilt and parsed."""
    labels: dict[tuple[str, int], HunkLabel] = {}
    moved_in: dict[str, list[tuple[str, int]]] = defaultdict(list)
    moved_out: dict[str, list[tuple[str, int]]] = defaultdict(list)
    edits: dict[tuple[str, int], tuple[tuple[str, ...], ...] | None] = {}
    order: list[tuple[str, int]] = []
    for file in diffs:
        post = files.get(file.path)
        if not file.path.endswith(".py") or post is None or file.status == "deleted":
            continue
        pre = pre_image(post, file)
        if pre is None:
            continue
        try:
            pre_tree = pysyntax.parse(pre)
            post_tree = pysyntax.parse(post)
        except _ERRORS:
            continue
        pre_lines = pre.split("\n")
        for hunk in file.hunks:
            key = (file.path, hunk.index)
            kind, control, _ = _label_alone(pre_lines, pre_tree, hunk, post)
            labels[key] = HunkLabel(kind, control)
            order.append(key)
            edits[key] = edit_of(hunk)
            if hunk.added and not hunk.removed:
                defs = _whole_definitions(
                    post_tree, {ln.new_no for ln in hunk.added if ln.text.strip() and ln.new_no}
                )
                if defs:
                    moved_in[_dump(defs)].append(key)
            elif hunk.removed and not hunk.added:
                defs = _whole_definitions(
                    pre_tree, {ln.old_no for ln in hunk.removed if ln.text.strip() and ln.old_no}
                )
                if defs:
                    moved_out[_dump(defs)].append(key)
    for dump, keys in moved_in.items():
        if dump in moved_out:
            for key in (*keys, *moved_out[dump]):
                if labels[key].kind is None:
                    labels[key] = HunkLabel("moved", False)
    groups: dict[object, list[tuple[str, int]]] = defaultdict(list)
    for key in order:
        if labels[key].kind is None and edits[key] is not None:
            groups[edits[key]].append(key)
    for keys in groups.values():
        if len(keys) < 2 or any(labels[k].control for k in keys):
            continue
        for key in keys[1:]:
            labels[key] = HunkLabel("repeated", False)
    return labels
