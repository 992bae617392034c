"""The shipped language model's scores on small diffs: surprisal in bits, the same every time,
counted over exactly the changed content tokens, and cheap for the second and later sites of a
mechanical change."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bot.core.errors import ModelMissing
from review_models.lexer import lex
from review_models.lm.score import (
    EntropyModel,
    FileInput,
    HunkEntropy,
    HunkInput,
    _changed,
    _replaced,
    _summarize,
    shared_model,
)

TEXT = """import os


def area(w, h):
    return w * h


def volume(w, h, d):
    return w * h * d


def perimeter(w, h):
    return 2 * (w + h)
"""


def _hunk(path: str, index: int, line: int, removed: str) -> HunkInput:
    return HunkInput((path, index), line, line, frozenset({line}), (removed,))


def _renamed(path: str = "m.py") -> tuple[FileInput, tuple[HunkInput, HunkInput]]:
    """`w` renamed to `width` in the first two return statements."""
    text = TEXT.replace("return w * h", "return width * h")
    hunks = (_hunk(path, 0, 5, "    return w * h"), _hunk(path, 1, 9, "    return w * h * d"))
    return FileInput(path, text, hunks), hunks


@pytest.fixture(scope="module")
def model() -> EntropyModel:
    return shared_model()


def test_scores_are_bits_and_the_same_every_time(model: EntropyModel) -> None:
    file, _ = _renamed()
    first = model.score_files([file])
    assert model.score_files([file]) == first
    for result in first.values():
        assert math.isfinite(result.entropy) and result.entropy >= 0
        assert all(math.isfinite(bits) and bits >= 0 for _, bits in result.line_heat)


def test_the_counts_are_the_changed_content_tokens_and_the_hunks_range(
    model: EntropyModel,
) -> None:
    file, (first, second) = _renamed()
    scores = model.score_files([file])
    # Only `width` is new on each line; the range is every token of the line with its layout.
    assert scores[first.key].tokens == 1 and scores[second.key].tokens == 1
    line_tokens = [t for t in lex(file.text) if t.line == 5]
    assert scores[first.key].scored == len(line_tokens)
    assert [line for line, _ in scores[first.key].line_heat] == [5]
    assert [line for line, _ in scores[second.key].line_heat] == [9]


def test_the_second_site_of_a_rename_is_predictable_after_the_first(
    model: EntropyModel,
) -> None:
    file, (first, second) = _renamed()
    scores = model.score_files([file])
    assert scores[first.key].entropy > 3 * model.predictable
    assert scores[second.key].entropy < model.predictable
    # The same edit made only there is as surprising as a first site.
    alone = TEXT.replace("return w * h * d", "return width * h * d")
    scores = model.score_files([FileInput(file.path, alone, (second,))])
    assert scores[second.key].entropy > 3 * model.predictable


def test_a_repeated_edit_in_another_file_is_cheap_too(model: EntropyModel) -> None:
    one, (a, _) = _renamed("one.py")
    two, (b, _) = _renamed("two.py")
    scores = model.score_files(
        [FileInput(one.path, one.text, (a,)), FileInput(two.path, two.text, (b,))]
    )
    assert scores[b.key].entropy < scores[a.key].entropy / 4


def test_a_hunk_outside_the_text_is_not_scored(model: EntropyModel) -> None:
    hunk = HunkInput(("m.py", 0), 100, 101, frozenset({100}), ())
    assert model.score_files([FileInput("m.py", TEXT, (hunk,))]) == {}


def test_a_long_hunk_is_scored_in_pieces_over_all_its_tokens(model: EntropyModel) -> None:
    body = "".join(f"    value_{i} = compute(value_{i - 1}, {i})\n" for i in range(1, 40))
    text = "def long():\n    value_0 = 0\n" + body
    last = text.count("\n")
    hunk = HunkInput(("l.py", 0), 3, last, frozenset(range(3, last + 1)), ())
    result = model.score_files([FileInput("l.py", text, (hunk,))])[hunk.key]
    in_range = [t for t in lex(text) if 3 <= t.line <= last]
    assert len(in_range) > model.config.context  # more than one window
    assert result.scored == len(in_range)
    assert [line for line, _ in result.line_heat] == list(range(3, last + 1))


def test_missing_weights_are_model_missing(tmp_path: Path) -> None:
    with pytest.raises(ModelMissing, match="redline train lm"):
        EntropyModel.load(tmp_path)


def test_replaced_tokens_are_paired_with_what_they_replaced() -> None:
    assert _replaced(["x = foo(a)"], ["x", "bar", "a"]) == [None, "foo", None]
    assert _replaced([], ["x"]) == [None]
    # Two tokens for one: both stand for the one they replaced.
    assert _replaced(["y = a"], ["y", "b", "c"]) == [None, "a", "a"]


def test_changed_marks_only_the_new_tokens_of_a_rewritten_line() -> None:
    assert _changed(["x = foo(a)"], ["x", "bar", "a"]) == [False, True, False]
    assert _changed([], ["x", "y"]) == [True, True]
    assert _changed(["x = y"], ["x", "y"]) == [False, False]


def test_the_summary_is_the_mean_over_changed_tokens_or_all_added_ones() -> None:
    values = [
        (3, 1.0, True, True),
        (3, 5.0, True, True),
        (3, 9.0, True, False),
        (4, 2.0, False, True),
    ]
    only_new = _summarize(values, [False, True])
    assert only_new == HunkEntropy(5.0, 1, 4, ((3, 3.0),))
    # Nothing new (a reorder): every added content token counts.
    assert _summarize(values, [False, False]).entropy == 3.0
    # A line without content tokens is heated by all its tokens.
    layout = [(7, 4.0, True, False), (7, 6.0, True, False)]
    assert _summarize(layout, []) == HunkEntropy(5.0, 0, 2, ((7, 5.0),))
    assert _summarize([], []) == HunkEntropy(0.0, 0, 0, ())
