"""The bug injector: every family produces code that parses and differs from the original in
the intended way, with type-plausible replacements."""

from __future__ import annotations

import ast
import random
import re

import pytest

from review_models.facts import functions, module_facts
from review_models.inject import mutate
from review_models.labels import FAMILIES, FAMILY_WEIGHTS

SOURCE = """
import os


class Store:
    def __init__(self, root, limit=10):
        self.root = root
        self.limit = limit
        self.items = []

    def add(self, name, size, verbose=False):
        path = os.path.join(self.root, name)
        total = len(self.items) + 1
        if total > self.limit and not verbose:
            raise ValueError("full")
        if size >= 0 or name in self.items:
            self.items.append(path.strip().lower())
        count = sorted(self.items, reverse=verbose)
        if verbose:
            print(count)
        ratio = size * 2 - total // 3
        flags = True
        self.limit += 1
        return min(count[0], path), ratio, flags, max(size, total)


def load(store, names, strict=True):
    result = []
    for index in range(len(names)):
        item = names[index]
        if index > 0:
            continue
        if item is not None and strict:
            result.append(store.add(item, index, verbose=strict))
        elif not strict:
            result.append(os.path.basename(item.strip()))
    return result
"""


def _mutations(family: str, tries: int = 60) -> list[tuple[str, object]]:
    module = ast.parse(SOURCE)
    facts = module_facts(module, SOURCE)
    rng = random.Random(family)
    out = []
    for func in functions(module) * 8:
        mutation = mutate(SOURCE, facts, func, rng, family=family)
        if mutation is not None:
            start = min([func.lineno, *(d.lineno for d in func.decorator_list)])
            original = "".join(SOURCE.splitlines(keepends=True)[start - 1 : func.end_lineno])
            out.append((original, mutation))
        if len(out) >= tries:
            break
    return out


def test_weights_are_the_real_world_frequencies() -> None:
    assert FAMILY_WEIGHTS["wrong-identifier"] == 237 and FAMILY_WEIGHTS["swapped-arguments"] == 8
    assert set(FAMILIES) >= {
        "condition-clause-dropped",
        "condition-clause-added",
        "negation",
        "wrong-comparison",
        "missing-method-call",
        "wrong-caller",
    }


CHECKS = {
    "wrong-identifier": lambda o, b: (
        re.fullmatch(r"[A-Za-z_]\w*", o) and re.fullmatch(r"[A-Za-z_]\w*", b)
    ),
    "wrong-operand": lambda o, b: re.fullmatch(r"[\w.]+", o) and re.fullmatch(r"[\w.]+", b),
    "missing-argument": lambda o, b: b == "" and o.strip(", "),
    "extra-argument": lambda o, b: o == "" and b.startswith(", "),
    "wrong-function": lambda o, b: re.fullmatch(r"\w+", o) and re.fullmatch(r"\w+", b),
    "missing-wrapping-call": lambda o, b: o.endswith(")") and b in o and "(" in o,
    "wrong-attribute": lambda o, b: re.fullmatch(r"\w+", o) and re.fullmatch(r"\w+", b),
    "wrong-literal": lambda o, b: o.isdigit() and b.isdigit(),
    "condition-clause-dropped": lambda o, b: b == "" and (" and " in o or " or " in o),
    "condition-clause-added": lambda o, b: o == "" and re.match(r" (and|or) ", b),
    "missing-method-call": lambda o, b: o.startswith(b) and o.endswith("()"),
    "wrong-boolean": lambda o, b: {o, b} == {"True", "False"},
    "wrong-operator": lambda o, b: o != b and set(o + b) <= set("+-*/%&|^<>=!"),
    "wrong-caller": lambda o, b: re.fullmatch(r"\w+", o) and re.fullmatch(r"\w+", b),
    "wrong-keyword": lambda o, b: re.fullmatch(r"\w+", o) and re.fullmatch(r"\w+", b),
    "negation": lambda o, b: "not" in (o + b),
    "swapped-arguments": lambda o, b: sorted(o.split(", ")) == sorted(b.split(", ")),
    "wrong-comparison": lambda o, b: (
        o != b and o in ("<", "<=", ">", ">=", "==", "!=", "is", "is not", "in", "not in")
    ),
}


@pytest.mark.parametrize("family", FAMILIES)
def test_each_family_parses_and_differs_as_intended(family: str) -> None:
    found = _mutations(family)
    assert found, f"no {family} site in the fixture"
    for original, mutation in found:
        assert mutation.family == family  # type: ignore[attr-defined]
        mutated = mutation.source  # type: ignore[attr-defined]
        assert mutated != original
        ast.parse("if True:\n" + mutated if mutated.startswith(" ") else mutated)
        # Only the intended span changed.
        start, end = mutation.start, mutation.end  # type: ignore[attr-defined]
        assert mutated[:start] == original[:start]
        assert mutated[end:] == original[start + len(mutation.original) :]  # type: ignore
        assert mutated[start:end] == mutation.buggy  # type: ignore[attr-defined]
        assert CHECKS[family](mutation.original, mutation.buggy), (  # type: ignore
            family,
            mutation.original,
            mutation.buggy,
        )  # type: ignore[attr-defined]


def test_replacement_identifiers_are_in_scope() -> None:
    for original, mutation in _mutations("wrong-identifier"):
        function = ast.parse("if True:\n" + original if original.startswith(" ") else original)
        bound = {n.id for n in ast.walk(function) if isinstance(n, ast.Name)} | {
            a.arg for a in ast.walk(function) if isinstance(a, ast.arg)
        }
        assert mutation.buggy in bound  # type: ignore[attr-defined]


def test_replacement_attributes_exist_in_the_module() -> None:
    attributes = {n.attr for n in ast.walk(ast.parse(SOURCE)) if isinstance(n, ast.Attribute)}
    for _, mutation in _mutations("wrong-attribute"):
        assert mutation.buggy in attributes  # type: ignore[attr-defined]
