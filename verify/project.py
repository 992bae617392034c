"""What the other files of a project say about the names a file imports: the classes they
define (so `isinstance(Foo(...), Foo)` holds for an imported `Foo`), and the classes that
are str or int in all but name. Read from their source, never imported."""

from __future__ import annotations

import ast
from collections.abc import Mapping

from bot.core import pysyntax
from verify.check import Project
from verify.state import atomic_aliases


def scan(sources: Mapping[str, str]) -> Project:
    classes: set[str] = set()
    aliases: dict[str, str] = {}
    for source in sources.values():
        try:
            tree = pysyntax.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        classes.update(n.name for n in tree.body if isinstance(n, ast.ClassDef))
        aliases.update(atomic_aliases(tree))
    return Project(frozenset(classes), tuple(sorted(aliases.items())))
