"""Syntax-tree comparisons for the mechanical classifier (bot/review/mechanical.py): the
pre-image rebuilt from the post-image and the diff, the innermost statements around a hunk,
and the comparison of those statements before and after the hunk alone (equal; equal modulo
import order, a renaming, version strings; and whether a condition or a control statement
changed). Every walk is iterative: a PR controls the depth of its trees."""

from __future__ import annotations

import ast
import bisect
import itertools
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from bot.core import pysyntax
from bot.core.model import FileDiff, Hunk

IMPORT_LINE = re.compile(r"^\s*(import\s+\S|from\s+\S+\s+import\b)")
VERSION = re.compile(r"""^['"]?v?\d+(\.\d+)+([-.+]?\w+)?['"]?$""")
VERSION_LINE = re.compile(r"version|release|[=~<>!]=", re.IGNORECASE)
_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError)
_CONTROL_NODES = (
    ast.If, ast.For, ast.AsyncFor, ast.While, ast.Try, ast.With, ast.AsyncWith, ast.Return,
    ast.Raise, ast.Break, ast.Continue, ast.Assert, ast.Match, ast.BoolOp, ast.Compare,
    ast.IfExp, ast.comprehension, ast.Yield, ast.YieldFrom, ast.Await, ast.ExceptHandler,
)  # fmt: skip
_NAME_FIELDS = frozenset({"id", "attr", "arg", "name", "asname"})
_CONDITION_FIELDS = frozenset({"test", "ifs", "guard", "exc", "cause"})
MAX_REGION_LINES = 4000  # a statement longer than this is compared by its tokens


def pre_image(post: str, file: FileDiff) -> list[str] | None:
    """The file before the change, rebuilt by reversing the hunks on the post-image (None
    when the post-image does not match the diff)."""
    lines = post.split("\n")
    out: list[str] = []
    cursor = 1
    for hunk in sorted(file.hunks, key=lambda h: h.new_start):
        start = hunk.new_start if hunk.new_lines else hunk.new_start + 1
        if start < cursor:
            return None
        out.extend(lines[cursor - 1 : start - 1])
        for line in hunk.lines:
            if line.kind == "ctx" and (
                line.new_no is None
                or line.new_no > len(lines)
                or lines[line.new_no - 1] != line.text
            ):
                return None
            if line.kind != "add":
                out.append(line.text)
        cursor = start + hunk.new_lines
    out.extend(lines[cursor - 1 :])
    return out


def span(node: ast.stmt) -> tuple[int, int]:
    start = node.lineno
    for decorator in getattr(node, "decorator_list", ()):
        start = min(start, decorator.lineno)
    return start, node.end_lineno or node.lineno


def _blocks(node: ast.stmt) -> Iterator[list[ast.stmt]]:
    for name in ("body", "orelse", "finalbody"):
        value = getattr(node, name, None)
        if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
            yield value
    for handler in getattr(node, "handlers", ()):
        yield handler.body
    for case in getattr(node, "cases", ()):
        yield case.body


def region(tree: ast.Module, first: int, last: int, deep: bool = True) -> tuple[int, int]:
    """The innermost run of whole statements covering lines first..last: descend while one
    statement's block holds the range (a loop, as deep as the code nests); only the
    top-level statements when not `deep`."""
    body: list[ast.stmt] = tree.body
    while True:
        # Statements in a block follow each other: a binary search finds the first one that
        # ends at or after `first` (a scan per hunk was quadratic on a mass reformat).
        index = bisect.bisect_left(body, first, key=lambda n: span(n)[1])
        following = itertools.islice(body, index, None)
        overlapping = list(itertools.takewhile(lambda n: span(n)[0] <= last, following))
        if not overlapping:
            return first, last
        if len(overlapping) == 1:
            node = overlapping[0]
            inner = next(
                (
                    block
                    for block in _blocks(node)
                    if span(block[0])[0] <= first and span(block[-1])[1] >= last
                ),
                None,
            )
            if inner is not None and deep:
                body = inner
                continue
        return (
            min(first, span(overlapping[0])[0]),
            max(last, span(overlapping[-1])[1]),
        )


def _parse_block(lines: Sequence[str]) -> ast.Module | None:
    """Statements cut out of a file at any indentation, parsed as they stand."""
    if len(lines) > MAX_REGION_LINES:
        return None
    code = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    indented = bool(code) and all(line[:1] in (" ", "\t") for line in code)
    text = ("if 1:\n" if indented else "") + "\n".join(lines)
    try:
        tree = pysyntax.parse(text)
    except _ERRORS:
        return None
    if indented:
        if len(tree.body) != 1 or not isinstance(tree.body[0], ast.If):
            return None  # the lines leave the block they were cut from: compare wider
        tree.body = tree.body[0].body
    return tree


def walk(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node, iteratively (ast.walk is iterative too; this keeps the order stable)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _describe(
    node: ast.AST,
    side: list[object] | None = None,
    names: bool = False,
    values: bool = False,
    children: list[ast.AST] | None = None,
) -> str:
    """One node without its position or children (their counts stand for them); with names
    or constant values blanked into `side`, and its children, in field order, into
    `children` (one pass over the fields serves the walk too: this is the hot path)."""
    parts = [type(node).__name__]
    for field in node._fields:  # ast.iter_fields, without a generator per node
        if not hasattr(node, field):
            continue
        value = getattr(node, field)
        if isinstance(value, ast.AST) or (
            isinstance(value, list) and value and isinstance(value[0], ast.AST)
        ):
            parts.append(f"{field}#{len(value) if isinstance(value, list) else 1}")
            if children is not None:
                if isinstance(value, ast.AST):
                    children.append(value)
                else:
                    children.extend(v for v in value if isinstance(v, ast.AST))
            continue
        if children is not None and isinstance(value, list):
            children.extend(v for v in value if isinstance(v, ast.AST))
        blank_name = names and field in _NAME_FIELDS and isinstance(value, str)
        blank_value = values and isinstance(node, ast.Constant) and field == "value"
        if side is not None and (blank_name or blank_value):
            side.append(value)
            value = "_"
        elif isinstance(value, list):
            value = tuple(value)
        parts.append(f"{field}={value!r}")
    return " ".join(parts)


def shape(
    tree: ast.AST, blank_names: bool = False, blank_values: bool = False
) -> tuple[list[str], list[object]]:
    """The tree as a flat pre-order list of node descriptions (no positions), iteratively;
    with names or constant values blanked and returned on the side."""
    side: list[object] = []
    out: list[str] = []
    stack = [tree]
    while stack:  # the pre-order of `walk`, children gathered while describing
        node = stack.pop()
        children: list[ast.AST] = []
        out.append(_describe(node, side, blank_names, blank_values, children))
        stack.extend(reversed(children))
    return out, side


def _control(tree: ast.AST) -> list[str]:
    """The control statements and every node of every condition, in order, in one pass
    (conditions nest: a chain of 2,000 ternaries must not cost 2,000 walks)."""
    out = []
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, inside = stack.pop()
        inside = inside or isinstance(node, ast.BoolOp | ast.Compare | ast.IfExp)
        if inside:
            out.append(_describe(node))
        elif isinstance(node, _CONTROL_NODES):
            out.append(type(node).__name__)
        children: list[tuple[ast.AST, bool]] = []
        for field, value in ast.iter_fields(node):
            condition = inside or field in _CONDITION_FIELDS
            values = value if isinstance(value, list) else [value]
            children.extend((v, condition) for v in values if isinstance(v, ast.AST))
        stack.extend(reversed(children))
    return out


def _imports(tree: ast.AST) -> Counter[tuple[object, ...]]:
    out: Counter[tuple[object, ...]] = Counter()
    for node in walk(tree):
        if isinstance(node, ast.Import):
            out.update(("import", a.name, a.asname) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            out.update((node.level, node.module, a.name, a.asname) for a in node.names)
    return out


@dataclass(frozen=True)
class Compared:
    kind: str | None  # formatting | imports | rename | version | None (a real change)
    note: str
    control: bool  # the hunk changes a condition or a control statement


def compare_trees(before: ast.Module, after: ast.Module, hunk: Hunk) -> Compared:
    shape_before, _ = shape(before)
    shape_after, _ = shape(after)
    if shape_before == shape_after:
        return Compared("formatting", "formatting or comments only: the code is unchanged", False)
    # Only a change of the code can change its control (after the cheap formatting check:
    # most hunks a review greys out are formatting, and this walk costs as much as a shape).
    control = _control(before) != _control(after)
    changed = [line.text for line in hunk.lines if line.kind != "ctx" and line.text.strip()]
    if (
        changed
        and all(IMPORT_LINE.match(text) for text in changed)
        and _imports(before) == _imports(after)
    ):
        return Compared("imports", "imports re-sorted: the same imports in another order", False)
    names_shape_b, names_b = shape(before, blank_names=True)
    names_shape_a, names_a = shape(after, blank_names=True)
    if names_shape_b == names_shape_a and len(names_b) == len(names_a):
        mapping: dict[object, object] = {}
        if all(mapping.setdefault(b, a) == a for b, a in zip(names_b, names_a, strict=True)):
            renamed = [(b, a) for b, a in mapping.items() if b != a]
            if renamed and len(set(mapping.values())) == len(mapping):
                pairs = ", ".join(f"`{b}` → `{a}`" for b, a in renamed[:3])
                return Compared("rename", f"renames {pairs}", control)
    values_shape_b, values_b = shape(before, blank_values=True)
    values_shape_a, values_a = shape(after, blank_values=True)
    if values_shape_b == values_shape_a and len(values_b) == len(values_a):
        differ = [a for b, a in zip(values_b, values_a, strict=True) if b != a]
        text = " ".join(changed)
        if differ and all(VERSION.match(str(a)) for a in differ) and VERSION_LINE.search(text):
            return Compared("version", "version bump", False)
    return Compared(None, "", control)


class PythonFile:
    """A Python file's pre-image and its syntax tree, for comparing its hunks one by one;
    the post-image's tree is parsed only if a hunk needs it (a move)."""

    def __init__(self, pre: list[str], tree: ast.Module, post: str) -> None:
        self.pre = pre
        self.tree = tree
        self.post = post
        self._post_tree: ast.Module | bool | None = False

    @property
    def post_tree(self) -> ast.Module | None:
        if self._post_tree is False:
            try:
                self._post_tree = pysyntax.parse(self.post)
            except _ERRORS:
                self._post_tree = None
        return self._post_tree if isinstance(self._post_tree, ast.Module) else None

    def compare(self, hunk: Hunk) -> Compared | None:
        """The hunk alone, applied to the innermost statements around it; to the top-level
        statements when its lines leave that block."""
        first = hunk.old_start if hunk.old_lines else hunk.old_start + 1
        last = max(first, hunk.old_start + hunk.old_lines - 1)
        new_side = [line.text for line in hunk.lines if line.kind != "del"]
        for deep in (True, False):
            lo, hi = region(self.tree, first, last, deep)
            after = (
                self.pre[lo - 1 : first - 1] + new_side + self.pre[first - 1 + hunk.old_lines : hi]
            )
            before_tree = _parse_block(self.pre[lo - 1 : hi])
            after_tree = _parse_block(after)
            if before_tree is not None and after_tree is not None:
                return compare_trees(before_tree, after_tree, hunk)
        return None


def python_file(file: FileDiff, post: str | None) -> PythonFile | None:
    if post is None or file.language != "python" or file.status == "deleted":
        return None
    pre = pre_image(post, file)
    if pre is None:
        return None
    try:
        tree = pysyntax.parse("\n".join(pre))
    except _ERRORS:
        return None
    return PythonFile(pre, tree, post)
