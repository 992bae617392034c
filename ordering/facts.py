"""What the ordering needs to know about one changed file: its kind, what its changed code
defines and uses, and what it imports. Pure values, computed per language."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

FileKind = Literal["code", "test", "config", "doc", "generated", "mechanical"]


@dataclass(frozen=True)
class OrderInput:
    """One changed file as the ordering sees it."""

    path: str
    language: str
    text: str | None  # post-image, or None (deleted, binary or unreadable)
    changed_lines: frozenset[int]  # new-side lines added (or next to removals)
    risk: float = 0.0  # highest hunk risk
    mechanical: bool = False  # every hunk is skim
    generated: str | None = None  # "lockfile: generated", "vendored code", ... if so
    status: str = "modified"
    hunk_spans: tuple[tuple[int, int], ...] = ()  # new-side (start, end) per hunk, diff order
    old_path: str | None = None  # where a renamed file came from


@dataclass(frozen=True)
class Binding:
    """What a name imported into a file refers to: `module` (absolute, dotted) itself when
    `name` is None (`import a.b as m`), else the name `name` in it (`from a.b import name`)."""

    module: str
    name: str | None
    line: int = 0


@dataclass(frozen=True)
class FileFacts:
    path: str
    kind: FileKind
    module: str | None = None  # dotted Python module, or a package path for other languages
    defines: frozenset[str] = frozenset()  # top-level names whose definition the change touches
    uses: frozenset[str] = frozenset()  # names the changed lines use (the heads of `refs`)
    imports: frozenset[str] = frozenset()  # modules/paths imported (resolved where possible)
    bindings: Mapping[str, Binding] = field(default_factory=dict)  # Python: imported names
    stars: tuple[str, ...] = ()  # Python: modules imported with `*`
    refs: tuple[tuple[int, tuple[str, ...]], ...] = ()  # (line, dotted chain) on changed lines
    bases: frozenset[tuple[str, tuple[str, ...]]] = frozenset()  # (changed class, base chain)
    hunk_defines: tuple[frozenset[str], ...] = ()
    hunk_uses: tuple[frozenset[str], ...] = ()
    parse_note: str | None = None  # set when part of the file does not parse


_TEST_PATH = re.compile(
    r"(^|/)(tests?|__tests__|spec)/|(^|/)test_[^/]*$|_test\.\w+$|\.(test|spec)\.\w+$|"
    r"(^|/)conftest\.py$|Tests?\.java$"
)
_CONFIG_EXT = (
    ".toml",
    ".yaml",
    ".yml",
    ".json",
    ".ini",
    ".cfg",
    ".conf",
    ".env",
    ".sql",
    ".graphql",
    ".proto",
    ".xsd",
)
_DOC_EXT = (".md", ".rst", ".txt", ".adoc")


def file_kind(item: OrderInput) -> FileKind:
    if item.generated:
        return "generated"
    if item.mechanical:
        return "mechanical"
    path = item.path
    if _TEST_PATH.search(path):
        return "test"
    lower = path.lower()
    if "/migrations/" in f"/{lower}" or "/alembic/versions/" in f"/{lower}":
        return "config"
    if lower.endswith(_CONFIG_EXT) or lower.rsplit("/", 1)[-1] in ("dockerfile", "makefile"):
        return "config"
    if lower.endswith(_DOC_EXT) or lower.startswith("docs/"):
        return "doc"
    return "code"


def python_module(path: str) -> str:
    """`src/pkg/mod.py` -> `pkg.mod`; `pkg/__init__.py` -> `pkg`."""
    parts = path[:-3].split("/") if path.endswith(".py") else path.split("/")
    if parts and parts[0] in ("src", "lib") and len(parts) > 1:
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def stem(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return name.split(".", 1)[0]


def test_target_stems(path: str) -> tuple[str, ...]:
    """Names a test file's subject would have: test_foo.py -> foo; FooTest.java -> Foo."""
    name = stem(path)
    out = []
    for prefix in ("test_", "tests_"):
        if name.startswith(prefix):
            out.append(name[len(prefix) :])
    for suffix in ("_test", "_tests", "Test", "Tests", "_spec"):
        if name.endswith(suffix) and len(name) > len(suffix):
            out.append(name[: -len(suffix)])
    full = path.rsplit("/", 1)[-1]
    match = re.match(r"(.+)\.(test|spec)\.\w+$", full)
    if match:
        out.append(match.group(1))
    return tuple(out)
