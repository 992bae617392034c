"""Python facts with `ast`, parsed only where the change is: the top-level statements that
overlap changed lines, plus the file's imports. Parsing whole files would cost ~3 ms per
800-line module, too slow for a 300-file PR; the touched statements are usually a few percent.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterable

from ordering.facts import FileFacts, FileKind, OrderInput, python_module

# A top-level statement starts at column 0 with something other than a comment, a closing
# bracket or a clause keyword that continues the previous statement.
_TOP = re.compile(r"^(?![\s#)\]}]|else\b|elif\b|except\b|finally\b|case\b)(.)", re.M)
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


def _statement_starts(text: str) -> list[int]:
    """1-based line numbers where top-level statements start (decorators join their def)."""
    starts: list[int] = []
    line = 1
    pos = 0
    previous_decorator = False
    for match in _TOP.finditer(text):
        line += text.count("\n", pos, match.start())
        pos = match.start()
        if not previous_decorator:
            starts.append(line)
        previous_decorator = match.group(1) == "@"
    return starts


def _spans_for(starts: list[int], total: int, lines: Iterable[int]) -> list[tuple[int, int]]:
    wanted = set()
    for number in lines:
        index = bisect.bisect_right(starts, number) - 1
        if index >= 0:
            wanted.add(index)
    spans = []
    for index in sorted(wanted):
        end = starts[index + 1] - 1 if index + 1 < len(starts) else total
        spans.append((starts[index], end))
    return spans


def _parse_snippet(lines: list[str], start: int, end: int) -> ast.Module | None:
    snippet = "\n".join(lines[start - 1 : end])
    try:
        tree = ast.parse(snippet)
    except (SyntaxError, ValueError):
        return None
    ast.increment_lineno(tree, start - 1)
    return tree


class _Collector(ast.NodeVisitor):
    """Collects defs touching changed lines, and names used on changed lines."""

    def __init__(self, changed: frozenset[int], module: str, is_package: bool) -> None:
        self.changed = changed
        self.module = module
        self.is_package = is_package
        self.defines: set[str] = set()
        self.uses: set[str] = set()
        self.bases: set[tuple[str, str]] = set()
        self.strings: set[str] = set()
        self.imports: set[str] = set()
        self.imported_names: set[tuple[str, str]] = set()
        self.def_lines: list[tuple[int, str]] = []  # (line, symbol) of changed defs
        self.use_lines: list[tuple[int, str]] = []
        self._scope: list[str] = []

    def _touches(self, node: ast.AST) -> bool:
        start = getattr(node, "lineno", 0)
        end = getattr(node, "end_lineno", start) or start
        decorators = getattr(node, "decorator_list", [])
        if decorators:
            start = min(start, *(d.lineno for d in decorators))
        return any(start <= number <= end for number in self.changed) if self.changed else False

    def _define(self, node: ast.AST, name: str) -> None:
        qualified = ".".join([*self._scope, name])
        if self._touches(node):
            self.defines.add(qualified)
            if self._scope:
                self.defines.add(name)
            self.def_lines.append((getattr(node, "lineno", 0), name))

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._define(node, node.name)
        self._scope.append(node.name)
        self.generic_visit(node)
        self._scope.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        # A class counts as changed when its own lines change, not only a method inside it.
        nested = [
            (child.lineno, child.end_lineno or child.lineno)
            for child in node.body
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        ]
        own = frozenset(
            n
            for n in self.changed
            if node.lineno <= n <= (node.end_lineno or node.lineno)
            and not any(a <= n <= b for a, b in nested)
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
        if len(self._scope) <= 1:  # module constants and class attributes
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self._define(node, target.id)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if len(self._scope) <= 1 and isinstance(node.target, ast.Name):
            self._define(node, node.target.id)
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.imports.add(alias.name)

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
    starts = _statement_starts(text)
    spans = _spans_for(starts, len(lines), item.changed_lines)
    import_lines = [text.count("\n", 0, m.start()) + 1 for m in _IMPORT.finditer(text)]
    top_import_spans = _spans_for(starts, len(lines), import_lines)
    trees: list[ast.Module] = []
    for start, end in sorted(set(spans) | set(top_import_spans)):
        tree = _parse_snippet(lines, start, end)
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
