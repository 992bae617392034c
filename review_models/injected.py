"""Bugs injected into a real file's functions, each as the whole file with the bug in it: what
the detector's training data and the fixer's held-out pairs are both made of."""

from __future__ import annotations

import ast
import random
from collections.abc import Iterator
from dataclasses import dataclass

from bot.core import pysyntax
from review_models.facts import functions, module_facts
from review_models.inject import Mutation, mutate


@dataclass(frozen=True)
class InjectedFile:
    mutation: Mutation
    function: ast.FunctionDef | ast.AsyncFunctionDef
    lines: list[str]  # the file with the bug, split at "\n" like the original
    first: int  # 1-based line where the mutated function (its first decorator) starts
    bug_line: int  # 1-based line of the bug in the file


def injected_files(source: str, rng: random.Random, per_file: int) -> Iterator[InjectedFile]:
    """Up to `per_file` of the file's functions (in `rng`'s order), each with one bug. A file
    that does not parse gives none. The draws from `rng` are those the training data was built
    with: changing their order changes every trained figure."""
    try:
        module = pysyntax.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return
    facts = module_facts(module, source)
    candidates = functions(module)
    rng.shuffle(candidates)
    old = source.split("\n")
    for func in candidates[:per_file]:
        mutation = mutate(source, facts, func, rng)
        if mutation is None:
            continue
        first = min([func.lineno, *(d.lineno for d in func.decorator_list)])
        end = func.end_lineno or func.lineno
        snippet = mutation.source.split("\n")
        if snippet and snippet[-1] == "":
            snippet = snippet[:-1]
        lines = old[: first - 1] + snippet + old[end:]
        yield InjectedFile(mutation, func, lines, first, first + mutation.line - 1)
