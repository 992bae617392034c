"""Name resolution across the changed Python files: what a dotted reference in one file refers
to, through its imports (`from x import y as z`, `import x.y as m`, relative imports), package
`__init__` re-exports and star imports, the way Python itself would find it.

Only the changed files (and any support files the caller adds, such as unchanged package
`__init__.py` files) are known: a name that leads anywhere else does not resolve, and a name
that does not resolve makes no relation. Every walk here is bounded: a PR can write import
cycles and re-export chains of any length."""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ordering.facts import Binding, FileFacts
from ordering.python import defined_at_top, top_level

MAX_HOPS = 16  # re-export hops followed before a name counts as unresolvable
MAX_CHAIN = 8  # attributes followed after a module name in the text


@dataclass(frozen=True)
class Target:
    """A resolved reference: the file that defines it and the top-level name there (None
    when the reference is the module itself); `via` lists the re-exporting files passed on
    the way, nearest first; `rest` the attributes left after the name (`Box.size`)."""

    path: str
    name: str | None
    via: tuple[tuple[str, str], ...] = ()  # (path, name as re-exported there)
    rest: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Module:
    name: str


def module_names(path: str) -> list[str]:
    """The dotted names a file can be imported by, most specific first: its package path
    from the repository root, and the same without leading folders (`src/`, a test folder
    or a script folder on `sys.path`)."""
    parts = path[:-3].split("/") if path.endswith(".py") else path.split("/")
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return [".".join(parts[i:]) for i in range(len(parts)) if parts[i:]]


class Resolver:
    def __init__(self, facts: Iterable[FileFacts], texts: Mapping[str, str | None]) -> None:
        self.texts = texts
        self._tops: dict[str, tuple[frozenset[str], frozenset[str], tuple[str, ...] | None]] = {}
        self.facts: dict[str, FileFacts] = {}
        self.exact: dict[str, str] = {}
        self.by_name: dict[str, list[str]] = defaultdict(list)
        self.packages: set[str] = set()
        for fact in facts:
            if not fact.path.endswith(".py"):
                continue
            self.facts[fact.path] = fact
            if fact.module:
                self.exact.setdefault(fact.module, fact.path)
            for name in module_names(fact.path):
                self.by_name[name].append(fact.path)
                parts = name.split(".")
                for i in range(1, len(parts)):
                    self.packages.add(".".join(parts[:i]))
        for paths in self.by_name.values():
            paths.sort()

    def module_path(self, module: str, importer: str) -> str | None:
        """The known file an absolute import of `module` from `importer` finds."""
        found = self.exact.get(module)
        if found is not None:
            return found
        candidates = self.by_name.get(module)
        if not candidates:
            return None
        # As with `sys.path` holding the importer's folder and its parents (pytest's
        # rootdir insertion, scripts): the candidate under the nearest such folder wins.
        directory = posixpath.dirname(importer)
        relative = module.replace(".", "/")
        best: tuple[int, str] | None = None
        for candidate in candidates:
            tail = relative + ("/__init__.py" if candidate.endswith("/__init__.py") else ".py")
            folder = candidate[: -len(tail)].rstrip("/")
            if folder and not (directory == folder or directory.startswith(folder + "/")):
                continue
            depth = folder.count("/") + 1 if folder else 0
            if best is None or depth > best[0]:
                best = (depth, candidate)
        return best[1] if best else None

    def is_module(self, module: str, importer: str) -> bool:
        return module in self.packages or self.module_path(module, importer) is not None

    def _top(self, path: str) -> tuple[frozenset[str], frozenset[str], tuple[str, ...] | None]:
        """A file's top-level names, classes and `__all__`, read on first need (most files
        are never asked)."""
        found = self._tops.get(path)
        if found is None:
            found = top_level(self.texts.get(path) or "")
            self._tops[path] = found
        return found

    def defines(self, path: str, name: str) -> bool:
        """Whether the file defines `name` at its top level (not only imports it)."""
        if path in self._tops:
            return name in self._tops[path][0]
        return defined_at_top(self.texts.get(path) or "", name)

    def is_class(self, path: str, name: str) -> bool:
        return defined_at_top(self.texts.get(path) or "", name, ("class",))

    def star_names(self, path: str) -> frozenset[str]:
        """What `from module import *` takes from a file: `__all__`, or its public names."""
        names, _, exported = self._top(path)
        if exported is not None:
            return frozenset(exported)
        return frozenset(n for n in names if not n.startswith("_"))

    def resolve(self, user: str, chain: tuple[str, ...]) -> Target | None:
        """What `chain` (a dotted reference free in `user`) refers to among the known files."""
        fact = self.facts.get(user)
        if fact is None or not chain:
            return None
        head = chain[0]
        binding = fact.bindings.get(head)
        if binding is not None:
            return self._walk(self._bound(binding, user), chain[1:], user)
        if not fact.stars or self.defines(user, head):
            return None  # a builtin, a local, the file's own name, or unknown
        for star in fact.stars:
            found = self._from_star(star, head, user, 0)
            if found is not None:
                return self._walk(found, chain[1:], user)
        return None

    def _bound(self, binding: Binding, user: str) -> Target | _Module | None:
        if binding.name is None:
            return _Module(binding.module)
        return self._in_module(binding.module, binding.name, user, 0)

    def _walk(
        self, current: Target | _Module | None, rest: tuple[str, ...], user: str
    ) -> Target | None:
        for index, attr in enumerate(rest):
            if isinstance(current, Target):
                return Target(current.path, current.name, current.via, rest[index:])
            if current is None:
                return None
            current = self._in_module(current.name, attr, user, 0)
        if isinstance(current, _Module):
            path = self.module_path(current.name, user)
            return Target(path, None) if path is not None else None
        return current

    def _in_module(
        self, module: str, name: str, importer: str, hops: int
    ) -> Target | _Module | None:
        """`name` looked up in `module`: a definition there, a re-export, or a submodule."""
        if hops > MAX_HOPS:
            return None
        path = self.module_path(module, importer)
        submodule = f"{module}.{name}"
        if path is None:
            return _Module(submodule) if self.is_module(submodule, importer) else None
        if self.defines(path, name):
            return Target(path, name)
        binding = self.facts[path].bindings.get(name)
        if binding is not None:
            if binding.name is None:
                return _Module(binding.module)
            found = self._in_module(binding.module, binding.name, path, hops + 1)
            if isinstance(found, Target):
                return Target(found.path, found.name, ((path, name), *found.via))
            if found is not None:
                return found
        if self.is_module(submodule, importer):
            return _Module(submodule)
        if name.startswith("_"):
            return None
        for star in self.facts[path].stars:
            found = self._from_star(star, name, path, hops + 1)
            if isinstance(found, Target):
                return Target(found.path, found.name, ((path, name), *found.via))
        return None

    def _from_star(self, star: str, name: str, importer: str, hops: int) -> Target | None:
        """`name` as `from star import *` in `importer` binds it, if it does."""
        path = self.module_path(star, importer)
        if path is None or hops > MAX_HOPS:
            return None
        exported = self._top(path)[2]
        if (exported is None and name.startswith("_")) or (
            exported is not None and name not in exported
        ):
            return None
        found = self._in_module(star, name, importer, hops)
        return found if isinstance(found, Target) else None


def text_references(text: str, alias: str) -> set[tuple[str, ...]]:
    """Dotted chains taken from `alias` anywhere in a file's text (`alias.a.b`): how a
    module imported under a name is used on lines the change did not touch."""
    pattern = re.compile(rf"(?<![\w.]){re.escape(alias)}((?:\.[A-Za-z_]\w*){{1,{MAX_CHAIN}}})")
    return {(alias, *match.group(1)[1:].split(".")) for match in pattern.finditer(text)}


def changed_target(target: Target, facts: Mapping[str, FileFacts]) -> str | None:
    """The changed definition a target names (`Box.size` when that member changed, else
    `Box`), or None when the target's definition is not part of the change."""
    if target.name is None:
        return None
    fact = facts.get(target.path)
    if fact is None or target.name not in fact.defines:
        return None
    if target.rest:
        member = f"{target.name}.{target.rest[0]}"
        if member in fact.defines:
            return member
    return target.name
