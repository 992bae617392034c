"""Python facts with `ast`, parsed only where the change is: the top-level statements that
overlap changed lines, plus the file's imports. Parsing whole files would cost ~3 ms per
800-line module, too slow for a 300-file PR; the touched statements are usually a few percent.
"""

from __future__ import annotations

import ast
import bisect
import contextlib
import re
from collections.abc import Iterable

from ordering.facts import FileFacts, FileKind, OrderInput, python_module

# A top-level statement starts at column 0 with something other than a comment, a closing
# bracket or a clause keyword that continues the previous statement.
_NOT_TOP = frozenset(" \t#)]}\r\f")
_CONTINUES = re.compile(r"(else|elif|except|finally|case)\b")
_IMPORT_AT = re.compile(
    r"[ \t]*((?:from[ \t]+[\w.]+[ \t]+import[ \t]*(?:\([^)]*\)|(?:[^\n\\]|\\[\s\S])*))"
    r"|import[ \t]+(?:[^\n\\]|\\[\s\S])*)"
)
_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+[\w.]+[ \t]+import\b|import[ \t]+\w)", re.M)
_IDENT = re.compile(r"[A-Za-z_]\w*")


def resolve_relative(module: str, level: int, name: str | None, is_package: bool) -> str:
    parts = module.split(".") if module else []
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
    if name:
        parts.append(name)
    return ".".join(parts)


def _import_statements(text: str) -> str:
    """All import statements of the file, dedented, as one module to parse once."""
    out = []
    pos = text.find("import")
    while pos >= 0:
        line_start = text.rfind("\n", 0, pos) + 1
        match = _IMPORT_AT.match(text, line_start)
        if match is not None and match.end() > pos:
            out.append(" ".join(match.group(1).replace("\\\n", " ").split()))
            pos = text.find("import", match.end())
        else:
            pos = text.find("import", pos + 6)
    return "\n".join(out)


def _is_top(line: str) -> bool:
    first = line[:1]
    return (
        bool(first)
        and first not in _NOT_TOP
        and not (first in "efc" and _CONTINUES.match(line) is not None)
    )


def _spans_for(lines: list[str], changed: Iterable[int]) -> list[tuple[int, int]]:
    """The top-level statements (1-based inclusive spans) that contain the changed lines,
    found by scanning around each change instead of the whole file."""
    spans: list[tuple[int, int]] = []
    total = len(lines)
    for number in sorted(changed):
        if number < 1 or number > total or (spans and spans[-1][0] <= number <= spans[-1][1]):
            continue
        start = number
        while start > 1 and not _is_top(lines[start - 1]):
            start -= 1
        while start > 1 and lines[start - 2].startswith("@"):
            start -= 1  # decorators belong to the definition below them
        end = number
        while end < total:
            following = lines[end]
            if _is_top(following) and not lines[end - 1].startswith("@"):
                break
            end += 1
        spans.append((start, end))
    return spans


def _only_touched_members(
    lines: list[str], start: int, end: int, changed: frozenset[int]
) -> list[str]:
    """For a class, blank the members no changed line touches: parsing a whole class for one
    changed method costs as much as the rest of the ordering. Line numbers stay put."""
    first = start
    while first <= end and lines[first - 1].lstrip().startswith("@"):
        first += 1
    if first > end or not lines[first - 1].startswith("class "):
        return lines
    header_end = first
    depth = 0
    for number in range(first, end + 1):
        text = lines[number - 1]
        depth += text.count("(") + text.count("[") - text.count(")") - text.count("]")
        if depth <= 0 and text.rstrip().endswith(":"):
            header_end = number
            break
    body = [
        n
        for n in range(header_end + 1, end + 1)
        if lines[n - 1].strip() and not lines[n - 1].lstrip().startswith("#")
    ]
    if not body:
        return lines
    indent = len(lines[body[0] - 1]) - len(lines[body[0] - 1].lstrip())
    members: list[tuple[int, int]] = []
    for number in body:
        text = lines[number - 1]
        level = len(text) - len(text.lstrip())
        starts = (
            level == indent
            and text.lstrip()[:1] not in ")]}"
            and not (_CONTINUES.match(text.lstrip()))
        )
        if starts and not (
            members
            and lines[members[-1][1] - 1].lstrip().startswith("@")
            and members[-1][1] == number - 1
        ):
            members.append((number, number))
        elif members:
            members[-1] = (members[-1][0], number)
    kept = [(a, b) for a, b in members if any(a <= n <= b for n in changed)]
    if len(kept) == len(members):
        return lines
    out = list(lines)
    for a, b in members:
        if (a, b) not in kept:
            for number in range(a, b + 1):
                out[number - 1] = ""
    if not kept:
        out[members[0][0] - 1] = " " * indent + "pass"
    return out


def _parse_snippet(lines: list[str], start: int, end: int) -> ast.Module | None:
    # Leading newlines put the snippet at its real line numbers (cheaper than renumbering).
    snippet = "\n" * (start - 1) + "\n".join(lines[start - 1 : end])
    try:
        return ast.parse(snippet)
    except (SyntaxError, ValueError, RecursionError):
        return None


class _Collector(ast.NodeVisitor):
    """Collects defs touching changed lines, and names used on changed lines."""

    def __init__(self, changed: frozenset[int], module: str, is_package: bool) -> None:
        self.changed = changed
        self._sorted = sorted(changed)
        self.module = module
        self.is_package = is_package
        self.defines: set[str] = set()
        self.uses: set[str] = set()
        self.bases: set[tuple[str, str]] = set()
        self.strings: set[str] = set()
        self.imports: set[str] = set()
        self.imported_names: set[tuple[str, str]] = set()
        self.bound: set[str] = set()
        self.def_lines: list[tuple[int, str]] = []  # (line, symbol) of changed defs
        self.use_lines: list[tuple[int, str]] = []
        self._scope: list[str] = []
        self._in_function = 0  # assignments inside functions are locals, not definitions
        self.prune = True  # off for the file's import statements (their lines are renumbered)

    def _touches(self, node: ast.AST) -> bool:
        start = getattr(node, "lineno", 0)
        end = getattr(node, "end_lineno", start) or start
        decorators = getattr(node, "decorator_list", [])
        if decorators:
            start = min(start, *(d.lineno for d in decorators))
        return self._any_between(start, end)

    def _any_between(self, start: int, end: int) -> bool:
        index = bisect.bisect_left(self._sorted, start)
        return index < len(self._sorted) and self._sorted[index] <= end

    def generic_visit(self, node: ast.AST) -> None:
        # Statements that no changed line touches can neither define nor use anything the
        # change touched: skip them without walking their subtrees.
        for _, value in ast.iter_fields(node):
            if isinstance(value, list):
                for item in value:
                    if self.prune and isinstance(item, ast.stmt) and not self._touches(item):
                        continue
                    if isinstance(item, ast.AST):
                        self.visit(item)
            elif isinstance(value, ast.AST):
                self.visit(value)

    def _define(self, node: ast.AST, name: str) -> None:
        qualified = ".".join([*self._scope, name])
        if self._touches(node):
            self.defines.add(qualified)
            if self._scope:
                self.defines.add(name)
            self.def_lines.append((getattr(node, "lineno", 0), name))

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if not self._touches(node):
            return  # nothing changed inside: its body cannot define or use anything changed
        self._define(node, node.name)
        self._scope.append(node.name)
        self._in_function += 1
        self.generic_visit(node)
        self._in_function -= 1
        self._scope.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if not self._touches(node):
            return
        # A class counts as changed when its own lines change, not only a method inside it.
        nested = [
            (child.lineno, child.end_lineno or child.lineno)
            for child in node.body
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        ]
        end = node.end_lineno or node.lineno
        own = frozenset(
            n
            for n in self._sorted[
                bisect.bisect_left(self._sorted, node.lineno) : bisect.bisect_right(
                    self._sorted, end
                )
            ]
            if not any(a <= n <= b for a, b in nested)
        )
        if own:
            self.defines.add(".".join([*self._scope, node.name]))
            self.def_lines.append((node.lineno, node.name))
            for base in node.bases:
                name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", None)
                if name:
                    self.bases.add((node.name, name))
        self._scope.append(node.name)
        self.generic_visit(node)
        self._scope.pop()

    def visit_Assign(self, node: ast.Assign) -> None:
        if not self._in_function:  # module constants and class attributes
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self._define(node, target.id)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if not self._in_function and isinstance(node.target, ast.Name):
            self._define(node, node.target.id)
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.imports.add(alias.name)
            self.bound.add(alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = (
            resolve_relative(self.module, node.level, node.module, self.is_package)
            if node.level
            else node.module or ""
        )
        if base:
            self.imports.add(base)
        for alias in node.names:
            if alias.name != "*":
                self.bound.add(alias.asname or alias.name)
                self.imported_names.add((base, alias.name))
                # `from pkg import mod` imports a module too.
                self.imports.add(f"{base}.{alias.name}" if base else alias.name)
            if node.lineno in self.changed:
                self.uses.add(alias.name)
                self.use_lines.append((node.lineno, alias.name))

    def visit_Name(self, node: ast.Name) -> None:
        if node.lineno in self.changed:
            self.uses.add(node.id)
            self.use_lines.append((node.lineno, node.id))

    def visit_Attribute(self, node: ast.Attribute) -> None:
        line = getattr(node, "end_lineno", node.lineno) or node.lineno
        if line in self.changed or node.lineno in self.changed:
            self.uses.add(node.attr)
            self.use_lines.append((node.lineno, node.attr))
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and node.lineno in self.changed and len(node.value) < 200:
            self.strings.add(node.value)


def python_facts(item: OrderInput, kind: FileKind) -> FileFacts:
    module = python_module(item.path)
    is_package = item.path.endswith("__init__.py")
    text = item.text
    if text is None:
        return FileFacts(item.path, kind, module)
    lines = text.split("\n")
    collector = _Collector(item.changed_lines, module, is_package)
    spans = _spans_for(lines, item.changed_lines)
    imports = _import_statements(text)
    collector.prune = False
    try:
        collector.visit(ast.parse(imports))
    except (SyntaxError, ValueError):
        for statement in imports.split("\n"):  # one odd statement must not hide the rest
            with contextlib.suppress(SyntaxError, ValueError):
                collector.visit(ast.parse(statement))
    collector.prune = True
    trees: list[ast.Module] = []
    for start, end in spans:
        tree = _parse_snippet(
            _only_touched_members(lines, start, end, item.changed_lines), start, end
        )
        if tree is None:
            tree = _parse_snippet(lines, 1, len(lines))  # an unusual layout: parse it all
            trees = [tree] if tree is not None else []
            break
        trees.append(tree)
    if not trees:
        return _fallback_facts(item, kind, module, lines)
    for tree in trees:
        collector.visit(tree)
    hunk_defines, hunk_uses = _per_hunk(item, collector)
    return FileFacts(
        item.path,
        kind,
        module,
        defines=frozenset(collector.defines),
        uses=frozenset(collector.uses),
        imports=frozenset(collector.imports),
        imported_names=frozenset(collector.imported_names),
        bound=frozenset(collector.bound),
        bases=frozenset(collector.bases),
        strings=frozenset(collector.strings),
        hunk_defines=hunk_defines,
        hunk_uses=hunk_uses,
    )


def _per_hunk(
    item: OrderInput, collector: _Collector
) -> tuple[tuple[frozenset[str], ...], tuple[frozenset[str], ...]]:
    defines = []
    uses = []
    for start, end in item.hunk_spans:
        defines.append(frozenset(n for line, n in collector.def_lines if start <= line <= end))
        uses.append(frozenset(n for line, n in collector.use_lines if start <= line <= end))
    return tuple(defines), tuple(uses)


_DEF = re.compile(r"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)")
_FROM = re.compile(r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+\(?([\w, \t]+)")
_IMP = re.compile(r"^[ \t]*import[ \t]+([\w.]+)")


def _fallback_facts(item: OrderInput, kind: FileKind, module: str, lines: list[str]) -> FileFacts:
    """A file that does not parse: line patterns, so it still takes part in the order."""
    defines: set[str] = set()
    uses: set[str] = set()
    imports: set[str] = set()
    names: set[tuple[str, str]] = set()
    for number, line in enumerate(lines, start=1):
        match = _FROM.match(line)
        if match:
            base = (
                resolve_relative(
                    module,
                    len(match.group(1)),
                    match.group(2) or None,
                    item.path.endswith("__init__.py"),
                )
                if match.group(1)
                else match.group(2)
            )
            imports.add(base)
            for name in match.group(3).replace(" ", "").split(","):
                if name:
                    names.add((base, name))
                    imports.add(f"{base}.{name}")
        elif (imp := _IMP.match(line)) is not None:
            imports.add(imp.group(1))
        if number in item.changed_lines:
            definition = _DEF.match(line)
            if definition:
                defines.add(definition.group(1))
            uses.update(_IDENT.findall(line))
    return FileFacts(
        item.path,
        kind,
        module,
        frozenset(defines),
        frozenset(uses - defines),
        frozenset(imports),
        frozenset(names),
    )
