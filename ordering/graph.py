"""The relation graph over changed files: who defines what the others use, class hierarchy,
imports, tests to their code, config and schema to the code that reads them.

An edge `src -> dst` means "read src first". Strong edges (definitions, bases, config, tests)
decide the order; weak ones (plain imports, path neighbours) only group and break ties.
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

EdgeKind = Literal["defines", "subclass", "imports", "config", "tests", "path"]

# Names too common to link two files on their own (without an import between them).
_COMMON = frozenset(
    {
        "self",
        "cls",
        "args",
        "kwargs",
        "data",
        "value",
        "name",
        "result",
        "main",
        "run",
        "get",
        "set",
        "update",
        "items",
        "keys",
        "values",
        "append",
        "format",
        "join",
        "path",
        "config",
        "test",
        "setup",
        "init",
        "close",
        "open",
        "read",
        "write",
        "start",
        "stop",
        "log",
        "logger",
    }
)


# When two relations link the same pair, the more specific one names the edge.
_PRIORITY = {"path": 0, "imports": 1, "config": 2, "defines": 3, "subclass": 4, "tests": 5}


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    kind: EdgeKind
    symbols: tuple[str, ...] = ()

    @property
    def strong(self) -> bool:
        return self.kind in ("defines", "subclass", "config", "tests")


class _Links:
    """Which changed files each file can see through its imports (or its package)."""

    def __init__(self, items: Sequence[OrderInput], facts: Sequence[FileFacts]) -> None:
        self.modules: dict[str, str] = {}
        self.dirs: dict[str, list[str]] = defaultdict(list)
        self.language = {i.path: i.language for i in items}
        for fact in facts:
            if fact.module:
                self.modules.setdefault(fact.module, fact.path)
            self.dirs[posixpath.dirname(fact.path)].append(fact.path)

    def owners(self, user: FileFacts) -> set[str]:
        language = self.language[user.path]
        found: set[str] = set()
        if language == "python":
            for module in user.imports:
                if module in self.modules:
                    found.add(self.modules[module])
            for module, _ in user.imported_names:
                if module in self.modules:
                    found.add(self.modules[module])
        elif language in ("javascript", "typescript"):
            found.update(p for p in user.imports if p in self.language)
        elif language == "go":
            for imp in user.imports:
                for directory, paths in self.dirs.items():
                    if directory and (imp == directory or imp.endswith("/" + directory)):
                        found.update(p for p in paths if self.language[p] == "go")
            found.update(
                p for p in self.dirs[posixpath.dirname(user.path)] if self.language[p] == "go"
            )
        elif language == "java":
            for module in user.imports:
                if module in self.modules:
                    found.add(self.modules[module])
            found.update(
                p for p in self.dirs[posixpath.dirname(user.path)] if self.language[p] == "java"
            )
        found.discard(user.path)
        return found


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


def _binds(user: FileFacts, name: str, items: dict[str, OrderInput]) -> bool:
    """Whether `user` defines or imports `name` itself (then a use is not of another file's)."""
    if name in user.bound:
        return True
    text = items[user.path].text or ""
    if name not in text:
        return False
    word = re.escape(name)
    pattern = rf"(?m)^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+{word}\b|^{word}[ \t]*[:=]"
    return re.search(pattern, text) is not None


def build_edges(items: Sequence[OrderInput], facts: Sequence[FileFacts]) -> list[Edge]:
    items_by_path = {i.path: i for i in items}
    edges: dict[tuple[str, str], Edge] = {}

    def add(src: str, dst: str, kind: EdgeKind, symbols: tuple[str, ...] = ()) -> None:
        if src == dst:
            return
        old = edges.get((src, dst))
        if old is None or _PRIORITY[kind] > _PRIORITY[old.kind]:
            edges[(src, dst)] = Edge(src, dst, kind, symbols)
        elif old.kind == kind and symbols:
            merged = tuple(dict.fromkeys(old.symbols + symbols))
            edges[(src, dst)] = Edge(src, dst, kind, merged)

    definers: dict[str, list[FileFacts]] = defaultdict(list)
    for fact in facts:
        for symbol in fact.defines:
            definers[symbol].append(fact)

    links = _Links(items, facts)
    linked_by_path = {f.path: links.owners(f) for f in facts}
    code_like = [f for f in facts if f.kind in ("code", "test")]
    kinds = {f.path: f.kind for f in facts}
    for user in code_like:
        linked_owners = linked_by_path[user.path]
        found: dict[str, list[str]] = defaultdict(list)
        for name in sorted(user.uses):
            owners = [o for o in definers.get(name, ()) if o.path != user.path]
            for owner in owners:
                linked = owner.path in linked_owners
                unique = (
                    len(owners) == 1
                    and name not in _COMMON
                    and len(name) > 2
                    and not _binds(user, name, items_by_path)  # its own name, not theirs
                    and not (name.startswith("__") and name.endswith("__"))
                )
                if linked or unique:
                    found[owner.path].append(name)
        for owner_path, names in found.items():
            add(owner_path, user.path, "defines", tuple(names))
        for _cls, base in sorted(user.bases):
            pattern = re.compile(rf"\bclass\s+{re.escape(base)}\b")
            for owner in facts:
                if owner.path == user.path:
                    continue
                text = items_by_path[owner.path].text or ""
                if base in owner.defines or ("class " + base in text and pattern.search(text)):
                    add(owner.path, user.path, "subclass", (base,))
        for owner_path in linked_owners:
            if kinds[owner_path] in ("code", "test"):
                add(owner_path, user.path, "imports")

    # Tests after the code they exercise.
    code_by_stem: dict[str, list[FileFacts]] = defaultdict(list)
    for fact in facts:
        if fact.kind == "code":
            code_by_stem[stem(fact.path)].append(fact)
    for test in (f for f in facts if f.kind == "test"):
        for target_stem in test_target_stems(test.path):
            for code in code_by_stem.get(target_stem, ()):
                add(code.path, test.path, "tests")
        for owner_path in linked_by_path[test.path]:
            if kinds[owner_path] == "code":
                add(owner_path, test.path, "tests")
    for (src, dst), edge in list(edges.items()):
        if kinds[dst] == "test" and kinds[src] == "code" and edge.kind in ("defines", "imports"):
            edges[(src, dst)] = Edge(src, dst, "tests", edge.symbols)

    # Config, schema and migrations before the code that reads them.
    for config in (i for i in items if kinds[i.path] == "config"):
        keys = _config_keys(config)
        for user in code_like:
            text = items_by_path[user.path].text or ""
            hits = tuple(sorted(k for k in keys if k in text))
            if hits:
                add(config.path, user.path, "config", hits)

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
                    add(header, other, "defines", ())
        rest = sorted(p for p in paths if p not in headers)
        for first, second in itertools.pairwise(rest):
            add(first, second, "path")
    return sorted(edges.values(), key=lambda e: (e.src, e.dst))
