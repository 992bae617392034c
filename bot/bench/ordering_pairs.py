"""Def-use ground truth for `redline bench ordering`, computed apart from the ordering: a
file U uses a changed definition of a file O when a name in U, free in its scope by Python's
own `symtable`, resolves through U's imports (absolute, relative, aliased, package `__init__`
re-exports, star imports) to a module-level definition of O whose statement the change
touches. Locals, parameters, builtins and names that lead outside the commit do not count.
Pairs are kept in two tiers: the use is on a line the change touches, or anywhere."""

from __future__ import annotations

import ast
import posixpath
import symtable
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from bot.core import pysyntax
from ordering.facts import python_module
from ordering.python import resolve_relative

_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError)


@dataclass
class _Module:
    path: str
    tree: ast.Module
    bindings: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    stars: list[str] = field(default_factory=list)
    defined: set[str] = field(default_factory=set)
    exported: set[str] | None = None


def _names_bound(node: ast.stmt) -> Iterator[str]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        yield node.name
    elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Name):
                    yield sub.id


def _module_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Module-level statements, including those under `if`/`try`/`with` at module level."""
    pending = list(reversed(body))
    while pending:
        node = pending.pop()
        yield node
        if isinstance(node, ast.If | ast.Try | ast.With):
            inner: list[ast.stmt] = [*node.body, *getattr(node, "orelse", [])]
            inner += getattr(node, "finalbody", [])
            for handler in getattr(node, "handlers", []):
                inner += handler.body
            pending.extend(reversed(inner))


def span(node: ast.stmt) -> tuple[int, int]:
    start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    return start, node.end_lineno or node.lineno


def _load(path: str, text: str) -> _Module | None:
    try:
        tree = pysyntax.parse(text)
    except _ERRORS:
        return None
    module = _Module(path, tree)
    is_package = path.endswith("__init__.py")
    own = python_module(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    module.bindings[alias.asname] = (alias.name, None)
                else:
                    head = alias.name.split(".")[0]
                    module.bindings.setdefault(head, (head, None))
        elif isinstance(node, ast.ImportFrom):
            base = (
                resolve_relative(own, node.level, node.module, is_package)
                if node.level
                else node.module or ""
            )
            for alias in node.names:
                if alias.name == "*":
                    module.stars.append(base)
                else:
                    module.bindings[alias.asname or alias.name] = (base, alias.name)
    for node in _module_statements(tree.body):
        module.defined.update(_names_bound(node))
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
            and isinstance(node.value, ast.List | ast.Tuple)
        ):
            module.exported = {
                e.value
                for e in node.value.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            }
    return module


class Universe:
    """The commit's post-images as Python would import them."""

    def __init__(self, modules: dict[str, _Module]) -> None:
        self.modules = modules
        self.by_module: dict[str, list[str]] = defaultdict(list)
        for path in modules:
            parts = path[:-3].split("/")
            if parts[-1] == "__init__":
                parts = parts[:-1]
            for i in range(len(parts)):
                self.by_module[".".join(parts[i:])].append(path)
            canonical = python_module(path)
            if canonical not in (".".join(parts[i:]) for i in range(len(parts))):
                self.by_module[canonical].append(path)

    def find(self, module: str, importer: str) -> str | None:
        exact = [p for p in self.by_module.get(module, []) if python_module(p) == module]
        if exact:
            return sorted(exact)[0]
        directory = posixpath.dirname(importer)
        for path in sorted(self.by_module.get(module, []), key=len, reverse=True):
            rel = module.replace(".", "/")
            root = path[: -len(rel + ("/__init__.py" if path.endswith("__init__.py") else ".py"))]
            root = root.rstrip("/")
            if not root or directory == root or directory.startswith(root + "/"):
                return path
        return None

    def lookup(
        self, module: str, name: str, importer: str, depth: int = 0, trail: list[str] | None = None
    ) -> tuple[str, str] | None:
        """(defining file, name) for `name` taken from `module`, following re-exports; the
        re-exporting files passed on the way are appended to `trail`."""
        if depth > 20:
            return None
        path = self.find(module, importer)
        if path is None:
            return None
        if trail is not None:
            trail.append(path)
        found = self.modules[path]
        if name in found.defined:
            return path, name
        bound = found.bindings.get(name)
        if bound is not None and bound[1] is not None:
            return self.lookup(bound[0], bound[1], path, depth + 1, trail)
        for star in found.stars:
            target = self.find(star, path)
            if target is None:
                continue
            exported = self.modules[target].exported
            if (exported is None and not name.startswith("_")) or (exported and name in exported):
                result = self.lookup(star, name, path, depth + 1, trail)
                if result is not None:
                    return result
        return None

    def resolve(
        self, user: _Module, chain: tuple[str, ...], trail: list[str] | None = None
    ) -> tuple[str, str] | None:
        head = chain[0]
        bound = user.bindings.get(head)
        if bound is None:
            for star in user.stars:
                result = self.lookup(star, head, user.path, 0, trail)
                if result is not None:
                    return result
            return None
        module, name = bound
        rest = list(chain[1:])
        if name is not None:
            result = self.lookup(module, name, user.path, 0, trail)
            if result is not None:
                return result
            module = f"{module}.{name}"  # `from pkg import submodule`
        while rest:
            attr = rest.pop(0)
            if self.find(f"{module}.{attr}", user.path) is not None or any(
                key.startswith(f"{module}.{attr}.") for key in self.by_module
            ):
                module = f"{module}.{attr}"
                continue
            return self.lookup(module, attr, user.path, 0, trail)
        return None


_COMPREHENSION_SCOPES: dict[type[ast.AST], str] = {
    ast.ListComp: "listcomp",
    ast.SetComp: "setcomp",
    ast.DictComp: "dictcomp",
    ast.GeneratorExp: "genexpr",
}


def _child_tables(
    table: symtable.SymbolTable,
) -> dict[tuple[str, int], list[symtable.SymbolTable]]:
    """Every nested symbol table by (name, line), to pair each scope node with its table."""
    children: dict[tuple[str, int], list[symtable.SymbolTable]] = defaultdict(list)

    def index(scope: symtable.SymbolTable) -> None:
        for child in scope.get_children():
            children[(child.get_name(), child.get_lineno())].append(child)
            index(child)

    index(table)
    return children


def _scope_name(node: ast.AST, stack: list[ast.AST]) -> str | None:
    """The symbol-table name of a node that opens a scope, None for any other node.

    A definition's decorators, bases, keywords and defaults are evaluated in the enclosing
    scope, so they go back on that scope's stack."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        stack.extend(node.decorator_list)
        if isinstance(node, ast.ClassDef):
            stack.extend(node.bases)
            stack.extend(k.value for k in node.keywords)
        else:
            stack.extend(d for d in node.args.defaults if d is not None)
            stack.extend(d for d in node.args.kw_defaults if d is not None)
        return node.name
    if isinstance(node, ast.Lambda):
        return "lambda"
    return _COMPREHENSION_SCOPES.get(type(node))


def _scope_table(
    node: ast.AST, name: str, children: dict[tuple[str, int], list[symtable.SymbolTable]]
) -> symtable.SymbolTable | None:
    """The node's own table; a decorated definition's table may be keyed by either line."""
    lineno = getattr(node, "lineno", 0)
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        lineno = span(node)[0]
    found = children.get((name, lineno)) or children.get((name, getattr(node, "lineno", 0)))
    return found.pop(0) if found else None


def _is_free(scope: symtable.SymbolTable, name: str) -> bool | None:
    """Whether a loaded name resolves outside its scope; None when the table does not know it."""
    try:
        symbol = scope.lookup(name)
    except KeyError:
        return None
    local = symbol.is_local() and not symbol.is_imported()
    if scope.get_type() == "module":
        local = False  # module-level names resolve through the module's imports
    return not local and not symbol.is_free() and not symbol.is_parameter()


def _free_uses(module: _Module, text: str) -> Iterator[tuple[int, tuple[str, ...]]]:
    """(line, dotted chain) for every name the file loads that is not local to its scope."""
    try:
        table = symtable.symtable(text, module.path, "exec")
    except _ERRORS:
        return
    children = _child_tables(table)
    scopes: list[tuple[ast.AST, symtable.SymbolTable]] = [(module.tree, table)]
    while scopes:
        root, scope = scopes.pop()
        stack = list(ast.iter_child_nodes(root))
        while stack:
            node = stack.pop()
            name = _scope_name(node, stack)
            if name is not None:
                # A nested scope is walked later against its own table.
                found = _scope_table(node, name, children)
                if found is not None:
                    scopes.append((node, found))
                continue
            chain: list[str] = []
            current: ast.AST = node
            while isinstance(current, ast.Attribute):
                chain.append(current.attr)
                current = current.value
            if isinstance(current, ast.Name) and isinstance(current.ctx, ast.Load):
                if _is_free(scope, current.id):
                    yield getattr(node, "lineno", 0), (current.id, *reversed(chain))
                continue
            stack.extend(ast.iter_child_nodes(node))


def changed_definitions(module: _Module, touched: set[int], renamed: bool) -> set[str]:
    out: set[str] = set()
    for node in _module_statements(module.tree.body):
        if isinstance(node, ast.If | ast.Try | ast.With):
            continue
        start, end = span(node)
        if renamed or any(start <= n <= end for n in touched):
            out.update(_names_bound(node))
            if isinstance(node, ast.Import | ast.ImportFrom):
                out.update(a.asname or a.name.split(".")[0] for a in node.names if a.name != "*")
    return out


@dataclass(frozen=True)
class Pairs:
    changed: frozenset[tuple[str, str]]  # the use is on a line the change touches
    anywhere: frozenset[tuple[str, str]]  # the use is anywhere in the user file
    symbols: dict[tuple[str, str], frozenset[str]]  # (definer, user) -> names
    # user -> every (file, name) its names resolve to, changed or not, re-exporters included
    resolved: dict[str, frozenset[tuple[str, str]]] = field(default_factory=dict)


def def_use_pairs(files: dict[str, str], touched: dict[str, set[int]], renamed: set[str]) -> Pairs:
    modules = {}
    for path, text in files.items():
        if path.endswith(".py"):
            loaded = _load(path, text)
            if loaded is not None:
                modules[path] = loaded
    universe = Universe(modules)
    changed = {
        p: changed_definitions(m, touched.get(p, set()), p in renamed) for p, m in modules.items()
    }
    strict: set[tuple[str, str]] = set()
    loose: set[tuple[str, str]] = set()
    symbols: dict[tuple[str, str], set[str]] = defaultdict(set)
    resolved: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for path, module in modules.items():
        lines = touched.get(path, set())
        uses = list(_free_uses(module, files[path]))
        uses += [(0, (alias,)) for alias in module.bindings]
        for line, chain in uses:
            trail: list[str] = []
            found = universe.resolve(module, chain, trail)
            if found is not None:
                resolved[path].add(found)
                resolved[path].update((hop, chain[0]) for hop in trail)
                resolved[path].update((hop, found[1]) for hop in trail)
            if line == 0 or found is None or found[0] == path or found[1] not in changed[found[0]]:
                continue
            pair = (found[0], path)
            loose.add(pair)
            symbols[pair].add(found[1])
            if line in lines:
                strict.add(pair)
        # An import of a changed name is a use of it, wherever the name is used later.
        for alias, (source, name) in module.bindings.items():
            if name is None:
                continue
            found = universe.resolve(module, (alias,))
            if found is not None and found[0] != path and found[1] in changed[found[0]]:
                loose.add((found[0], path))
                symbols[(found[0], path)].add(found[1])
            del source
    return Pairs(
        frozenset(strict),
        frozenset(loose),
        {k: frozenset(v) for k, v in symbols.items()},
        {k: frozenset(v) for k, v in resolved.items()},
    )
