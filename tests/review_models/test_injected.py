"""Injected files: the bug sits inside its function, the rest of the file is untouched, and the
same seed gives the same bugs (the training data depends on it)."""

from __future__ import annotations

import random

from review_models.injected import injected_files

SOURCE = '''import os


def total(items, limit):
    """Sum the items under the limit."""
    result = 0
    for item in items:
        if item < limit:
            result += item
    return result


@staticmethod
def name_of(path):
    base = os.path.basename(path)
    if base.endswith(".py"):
        return base[:-3]
    return base
'''


def test_each_bug_is_inside_its_function_and_nothing_else_changes() -> None:
    old = SOURCE.split("\n")
    found = list(injected_files(SOURCE, random.Random(3), per_file=2))
    assert found
    for injected in found:
        func = injected.function
        assert injected.first == min([func.lineno, *(d.lineno for d in func.decorator_list)])
        grown = len(injected.lines) - len(old)
        end = (func.end_lineno or func.lineno) + grown
        assert injected.first <= injected.bug_line <= end
        assert injected.lines[: injected.first - 1] == old[: injected.first - 1]
        assert injected.lines[end:] == old[(func.end_lineno or func.lineno) :]
        assert injected.lines != old


def test_the_same_seed_gives_the_same_bugs() -> None:
    def run(seed: int) -> list[tuple[str, int, list[str]]]:
        return [
            (i.mutation.family, i.bug_line, i.lines)
            for i in injected_files(SOURCE, random.Random(seed), per_file=2)
        ]

    assert run(11) == run(11)


def test_a_file_that_does_not_parse_gives_none() -> None:
    assert list(injected_files("def broken(:\n", random.Random(0), per_file=3)) == []
