"""The relation graph over changed files: who defines what the others use, class hierarchy,
imports, tests to their code, config and schema to the code that reads them.

An edge `src -> dst` means "read src first". In Python every name is resolved through the
user's imports (ordering/resolve.py): a relation exists only when the name resolves to a
definition the change touches, so a bare name match never links two files. Each edge has a
weight: when the edges form a cycle, the order gives up the lightest ones.
"""

from __future__ import annotations

import itertools
import posixpath
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ordering.facts import FileFacts, OrderInput, stem, test_target_stems
from ordering.resolve import Resolver, Target, changed_target, text_references

EdgeKind = Literal[
    "defines", "needs", "reexports", "subclass", "imports", "config", "tests", "path"
]

# When two relations link the same pair, the more specific one names the edge.
_PRIORITY = {
    "path": 0,
    "imports": 1,
    "config": 2,
    "needs": 3,
    "defines": 4,
    "reexports": 5,
    "subclass": 6,
    "tests": 7,
}
# How much it costs to read dst before src: the order cuts the cheapest edges of a cycle.
# A use on a changed line weighs most; an import with no changed name in it least.
WEIGHT = {
    "path": 1,
    "imports": 2,
    "config": 6,
    "needs": 6,
    "tests": 8,
    "reexports": 9,
    "defines": 10,
    "subclass": 10,
}


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    kind: EdgeKind
    symbols: tuple[str, ...] = ()
    changed_lines: bool = True  # the use is on a line the change touches

    @property
    def strong(self) -> bool:
        return self.kind in ("defines", "needs", "reexports", "subclass", "config", "tests")

    @property
    def weight(self) -> int:
        return WEIGHT[self.kind]


class _Edges:
    def __init__(self) -> None:
        self.edges: dict[tuple[str, str], Edge] = {}

    def add(
        self,
        src: str,
        dst: str,
        kind: EdgeKind,
        symbols: tuple[str, ...] = (),
        changed: bool = True,
    ) -> None:
        if src == dst:
            return
        old = self.edges.get((src, dst))
        if old is None or _PRIORITY[kind] > _PRIORITY[old.kind]:
            merged = symbols if old is None else tuple(dict.fromkeys(symbols + old.symbols))
            self.edges[(src, dst)] = Edge(src, dst, kind, merged, changed)
        elif symbols or (changed and not old.changed_lines):
            merged = tuple(dict.fromkeys(old.symbols + symbols))
            self.edges[(src, dst)] = Edge(src, dst, old.kind, merged, old.changed_lines or changed)


def _link(
    edges: _Edges, target: Target, user: str, facts: dict[str, FileFacts], changed: bool
) -> bool:
    """Edges for one resolved use: its definition, and each changed re-export on the way."""
    name = changed_target(target, facts)
    hops = [(path, alias) for path, alias in target.via if alias in facts[path].defines]
    if name is None and not hops:
        return False
    reader = user
    for path, alias in hops:  # nearest first: user <- init <- ... <- definition
        edges.add(path, reader, "defines" if changed else "needs", (alias,), changed)
        reader = path
    if name is not None:
        kind: EdgeKind = "reexports" if hops else ("defines" if changed else "needs")
        edges.add(target.path, reader, kind, (name,), changed)
    return True


def python_edges(edges: _Edges, facts: Sequence[FileFacts], items: dict[str, OrderInput]) -> None:
    by_path = {f.path: f for f in facts}
    resolver = Resolver(facts, {path: item.text for path, item in items.items()})
    for user in facts:
        if not user.path.endswith(".py") or user.kind in ("doc", "generated"):
            continue
        text = items[user.path].text or ""
        for _, chain in user.refs:
            target = resolver.resolve(user.path, chain)
            if target is not None and target.path != user.path:
                _link(edges, target, user.path, by_path, True)
        linked: set[str] = set()
        for alias, binding in user.bindings.items():
            target = resolver.resolve(user.path, (alias,))
            if target is None or target.path == user.path:
                continue
            linked.add(target.path)
            if target.name is not None:
                _link(edges, target, user.path, by_path, False)
            del binding
        for alias, binding in user.bindings.items():
            module = binding.module if binding.name is None else f"{binding.module}.{binding.name}"
            if not resolver.is_module(module, user.path):
                continue
            # A module under a name: what the file takes from it anywhere in its text.
            for chain in sorted(text_references(text, alias)):
                found = resolver.resolve(user.path, chain)
                if found is not None and found.path != user.path:
                    linked.add(found.path)
                    _link(edges, found, user.path, by_path, False)
        for module in sorted(user.imports):
            path = resolver.module_path(module, user.path)
            if path is not None and path != user.path:
                linked.add(path)
        for star in user.stars:
            path = resolver.module_path(star, user.path)
            if path is not None:
                linked.add(path)
        for _cls, chain in sorted(user.bases):
            target = resolver.resolve(user.path, chain)
            if target is None or target.path == user.path or target.name is None:
                continue
            if resolver.is_class(target.path, target.name):
                edges.add(target.path, user.path, "subclass", (target.name,))
        for path in sorted(linked):
            if by_path[path].kind in ("code", "test", "mechanical"):
                edges.add(path, user.path, "imports")


class _Links:
    """Which changed files each non-Python file can see through its imports (or package)."""

    def __init__(self, items: Sequence[OrderInput], facts: Sequence[FileFacts]) -> None:
        self.modules: dict[str, str] = {}
        self.dirs: dict[str, list[str]] = defaultdict(list)
        self.language = {i.path: i.language for i in items}
        for fact in facts:
            if fact.module:
                self.modules.setdefault(fact.module, fact.path)
            self.dirs[posixpath.dirname(fact.path)].append(fact.path)
        self.go_dirs = {
            d: [p for p in paths if self.language[p] == "go"] for d, paths in self.dirs.items()
        }

    def owners(self, user: FileFacts) -> set[str]:
        language = self.language[user.path]
        found: set[str] = set()
        if language in ("javascript", "typescript"):
            found.update(p for p in user.imports if p in self.language)
        elif language == "go":
            for imp in user.imports:
                parts = imp.split("/")
                for i in range(len(parts)):  # the import path's tail is the folder
                    found.update(self.go_dirs.get("/".join(parts[i:]), ()))
            found.update(self.go_dirs.get(posixpath.dirname(user.path), ()))
        elif language == "java":
            found.update(self.modules[m] for m in user.imports if m in self.modules)
            found.update(
                p for p in self.dirs[posixpath.dirname(user.path)] if self.language[p] == "java"
            )
        found.discard(user.path)
        return found


def pattern_edges(edges: _Edges, items: Sequence[OrderInput], facts: Sequence[FileFacts]) -> None:
    """JavaScript/TypeScript, Go, Java: a name links two files only through an import (or,
    in Go and Java, the shared package) between them."""
    links = _Links(items, facts)
    by_path = {f.path: f for f in facts}
    for user in facts:
        if user.path.endswith(".py") or user.kind in ("doc", "generated"):
            continue
        if links.language[user.path] not in ("javascript", "typescript", "go", "java"):
            continue
        for owner_path in sorted(links.owners(user)):
            owner = by_path[owner_path]
            names = tuple(sorted(user.uses & owner.defines))
            if names:
                edges.add(owner_path, user.path, "defines", names)
            elif (
                owner_path in user.imports or links.language[user.path] == "java"
            ) and owner.kind in ("code", "test"):
                edges.add(owner_path, user.path, "imports")


_TABLE = re.compile(
    r"""(?:CREATE\s+TABLE(?:\s+IF\s+NOT\s+EXISTS)?\s+[`"]?(\w+)|"""
    r"""(?:create_table|add_column|alter_column|drop_column)\(\s*['"](\w+))""",
    re.I,
)


def _config_keys(item: OrderInput) -> set[str]:
    name = item.path.rsplit("/", 1)[-1]
    keys = {name}
    if item.text:
        keys.update(match.group(1) or match.group(2) for match in _TABLE.finditer(item.text))
    return {k for k in keys if k and len(k) >= 3}


def _quoted(text: str, key: str) -> bool:
    """Whether `key` appears inside a string literal: a file or table named in code."""
    if key not in text:
        return False
    pattern = rf"""['"][^'"\n]*(?<![\w.]){re.escape(key)}(?![\w])[^'"\n]*['"]"""
    return re.search(pattern, text) is not None


def build_edges(items: Sequence[OrderInput], facts: Sequence[FileFacts]) -> list[Edge]:
    items_by_path = {i.path: i for i in items}
    edges = _Edges()
    python_edges(edges, facts, items_by_path)
    pattern_edges(edges, items, facts)
    kinds = {f.path: f.kind for f in facts}

    # Tests after the code they exercise: by name, or by what they import.
    code_by_stem: dict[str, list[FileFacts]] = defaultdict(list)
    for fact in facts:
        if fact.kind == "code":
            code_by_stem[stem(fact.path)].append(fact)
    for test in (f for f in facts if f.kind == "test"):
        for target_stem in test_target_stems(test.path):
            for code in code_by_stem.get(target_stem, ()):
                edges.add(code.path, test.path, "tests")
    for (src, dst), edge in list(edges.edges.items()):
        if (
            kinds[dst] == "test"
            and kinds[src] == "code"
            and edge.kind in ("defines", "needs")  # importing an exception is no test of it
        ):
            edges.edges[(src, dst)] = Edge(src, dst, "tests", edge.symbols, edge.changed_lines)

    # Config, schema and migrations before the code that reads them (named in a string).
    code_like = [f for f in facts if f.kind in ("code", "test", "mechanical")]
    for config in (i for i in items if kinds[i.path] == "config"):
        keys = _config_keys(config)
        for user in code_like:
            text = items_by_path[user.path].text or ""
            hits = tuple(sorted(k for k in keys if _quoted(text, k)))
            if hits:
                edges.add(config.path, user.path, "config", hits)

    # Path heuristics for the rest: a C header before its source; same-stem neighbours.
    by_dir_stem: dict[tuple[str, str], list[str]] = defaultdict(list)
    for item in items:
        by_dir_stem[(posixpath.dirname(item.path), stem(item.path))].append(item.path)
    for paths in by_dir_stem.values():
        if len(paths) < 2:
            continue
        headers = [p for p in paths if p.endswith((".h", ".hpp", ".pyi", ".d.ts"))]
        for header in headers:
            for other in paths:
                if other not in headers:
                    edges.add(header, other, "defines", ())
        rest = sorted(p for p in paths if p not in headers)
        for first, second in itertools.pairwise(rest):
            edges.add(first, second, "path")
    return sorted(edges.edges.values(), key=lambda e: (e.src, e.dst))
