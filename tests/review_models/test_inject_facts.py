"""The injector's labels and the scope facts it draws from: the labelled line holds the bug,
a seed gives the same bug, and the facts are what the module really says."""

from __future__ import annotations

import ast
import random

from review_models.facts import Offsets, functions, module_facts, scope_for
from review_models.inject import mutate
from review_models.labels import FAMILIES

SOURCE = '''import os


def area(width, height, scale=1):
    """The area, scaled."""
    if width < 0 or height < 0:
        raise ValueError("negative")
    total = width * height
    return round(total * scale, 2)


class Box:
    def grow(self, by):
        if by > self.size:
            by = self.size
        self.size = self.size + by
        names = os.path.join("a", "b")
        return names.strip()


def tiny():
    return 1
'''
MODULE = ast.parse(SOURCE)
FACTS = module_facts(MODULE, SOURCE)


def _function(name: str) -> ast.FunctionDef:
    return next(n for n in ast.walk(MODULE) if isinstance(n, ast.FunctionDef) and n.name == name)


def test_the_labelled_line_holds_the_buggy_text_and_the_rest_is_untouched() -> None:
    seen = set()
    for seed in range(40):
        for func in functions(MODULE):
            mutation = mutate(SOURCE, FACTS, func, random.Random(seed))
            if mutation is None:
                continue
            seen.add(mutation.family)
            lines = mutation.source.split("\n")
            assert mutation.line == mutation.source.count("\n", 0, mutation.start) + 1
            line_start = mutation.source.rfind("\n", 0, mutation.start) + 1
            line_text = lines[mutation.line - 1]
            assert mutation.buggy in line_text[mutation.start - line_start :] or not mutation.buggy
            # The snippet is the whole function with one edit: the repair gives it back.
            start = min([func.lineno, *(d.lineno for d in func.decorator_list)])
            original = "".join(SOURCE.splitlines(keepends=True)[start - 1 : func.end_lineno])
            repaired = (
                mutation.source[: mutation.start]
                + mutation.original
                + mutation.source[mutation.end :]
            )
            assert repaired == original
            assert mutation.family in FAMILIES
    assert len(seen) >= 6, seen


def test_the_same_seed_gives_the_same_bug() -> None:
    func = _function("area")
    first = mutate(SOURCE, FACTS, func, random.Random(7))
    again = mutate(SOURCE, FACTS, func, random.Random(7))
    assert first is not None and first == again


def test_a_family_without_a_site_gives_no_mutation() -> None:
    # `tiny` has no comparison, no boolean and no call.
    func = _function("tiny")
    for family in (
        "wrong-comparison",
        "wrong-boolean",
        "missing-argument",
        "condition-clause-dropped",
    ):
        assert mutate(SOURCE, FACTS, func, random.Random(0), family=family) is None


def test_module_facts_are_the_calls_attributes_literals_and_conditions() -> None:
    assert FACTS.called_names[1] >= {"ValueError"}
    assert FACTS.called_names[2] >= {"round"}
    assert FACTS.called_methods[2] == {"join"} and FACTS.called_methods[0] == {"strip"}
    assert FACTS.attributes >= {"path", "join", "size", "strip"}
    assert FACTS.self_attributes == {"size"}
    assert FACTS.int_literals == {0, 1, 2}
    # Simple conditions only: a comparison, not a clause of `or`.
    assert FACTS.conditions == ["by > self.size"]


def test_names_in_scope_are_the_parameters_then_what_was_assigned_before_the_line() -> None:
    func = _function("area")
    scope = scope_for(FACTS, func)
    assert scope.params == ["width", "height", "scale"]
    assert scope.assigned == {"total": 8}
    assert scope.names_at(8) == ["width", "height", "scale"]
    assert scope.names_at(9) == ["width", "height", "scale", "total"]


def test_functions_are_kept_by_their_size() -> None:
    names = [f.name for f in functions(MODULE)]
    assert names == ["area", "grow"]
    assert [f.name for f in functions(MODULE, min_lines=1)] == ["area", "tiny", "grow"]


def test_offsets_turn_utf8_byte_columns_into_characters() -> None:
    source = 's = "é"; t = 1\n'
    node = ast.parse(source).body[1]
    offsets = Offsets(source)
    assert offsets.text(node) == "t = 1"
    assert offsets.span(node) == (source.index("t"), source.index("t") + 5)
