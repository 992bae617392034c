"""Prompts laid out for caching and fitted to the budget by priority, saying what they cut."""

from __future__ import annotations

import pytest

from bot.core.errors import EngineError
from engine.fixer import warm
from engine.prompt import INSTRUCTIONS, FixPrompt, render, shared_prefix
from tests.engine.scripted import says

LINES = [f"def f{i}(x):\n    return x + {i}\n\n" for i in range(60)]
TEXT = "".join(LINES)


def count(text: str) -> int:
    return len(text.split()) + text.count("\n")


def task(start: int, end: int, rules: tuple[str, ...] = ()) -> FixPrompt:
    return FixPrompt("m.py", TEXT, start, end, "looks wrong", "detector:x", rules)


def test_a_file_that_fits_is_the_shared_prefix_of_every_finding() -> None:
    a, b = render(task(2, 2), 10_000, count), render(task(50, 50), 10_000, count)
    assert a.prefix == b.prefix and a.shared_prefix and not a.cuts
    assert a.prefix.startswith(INSTRUCTIONS) and TEXT in a.prefix
    assert "looks wrong" in a.suffix and "looks wrong" not in a.prefix
    assert shared_prefix("m.py", TEXT, (), 10_000, count) == a.prefix


def test_cutting_keeps_the_region_and_says_what_went() -> None:
    budget = 400
    rendered = render(task(89, 90, ("never use eval",)), budget, count)
    assert rendered.tokens <= budget and count(rendered.prefix + rendered.suffix) <= budget
    assert not rendered.shared_prefix
    assert "the file far from the region" in rendered.cuts
    assert "def f29(x):\n    return x + 29\n" in rendered.prefix  # the region's own function
    assert "lines 1-" in rendered.prefix and "cut" in rendered.prefix
    tight = render(task(89, 90, ("never use eval",)), 150, count)
    assert "the repository rules" in tight.cuts and "never use eval" not in tight.prefix
    assert shared_prefix("m.py", TEXT, (), budget, count) is None


def test_a_region_too_large_for_the_budget_is_an_engine_error() -> None:
    with pytest.raises(EngineError, match="does not fit"):
        render(task(1, 170), 100, count)
    with pytest.raises(EngineError, match="outside"):
        render(task(500, 501), 1000, count)


def test_warming_sends_each_files_shared_prefix() -> None:
    backend = says("x")
    assert warm(backend, {"m.py": TEXT, "b.bin": None}) == 1
    (prefix,) = backend.warmed
    assert prefix == render(task(2, 2), backend.context_window, backend.count_tokens).prefix
