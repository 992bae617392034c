"""Fingerprints: the same finding keeps its fingerprint when lines move or whitespace changes,
so a re-run never posts it twice; identical findings are told apart by occurrence."""

from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.model import Finding
from bot.review.fingerprint import assign, fingerprint, normalize

BASE = Finding("app.py", 10, 10, "error", "semgrep", "eval", "eval of input", 0.9)


def test_normalize_collapses_whitespace() -> None:
    assert normalize("  x =\t eval( y )\n") == "x = eval( y )"


def test_stable_across_line_shifts_and_reindentation() -> None:
    moved = replace(BASE, line=42, end_line=43, message="reworded", score=0.1)
    assert fingerprint(BASE, "x = eval(y)", 0) == fingerprint(moved, "    x  =  eval(y)", 0)


def test_what_changes_the_fingerprint() -> None:
    original = fingerprint(BASE, "x = eval(y)", 0)
    assert fingerprint(BASE, "x = eval(z)", 0) != original  # the flagged code
    assert fingerprint(replace(BASE, path="other.py"), "x = eval(y)", 0) != original
    assert fingerprint(replace(BASE, rule="exec"), "x = eval(y)", 0) != original
    assert fingerprint(replace(BASE, source="markers"), "x = eval(y)", 0) != original
    assert fingerprint(BASE, "x = eval(y)", 1) != original  # the second occurrence


def test_shape() -> None:
    value = fingerprint(BASE, "x", 0)
    assert len(value) == 32 and all(c in "0123456789abcdef" for c in value)


def test_fields_cannot_run_into_each_other() -> None:
    # "a" + "b/c" and "a/b" + "c" must not hash alike.
    one = fingerprint(replace(BASE, path="a", source="b/c"), "x", 0)
    two = fingerprint(replace(BASE, path="a/b", source="c"), "x", 0)
    assert one != two


def test_non_utf8_text_is_fingerprinted() -> None:
    assert fingerprint(BASE, "bad \udcff byte", 0) != fingerprint(BASE, "bad byte", 0)


def test_assign_counts_identical_findings_in_line_order() -> None:
    first = replace(BASE, line=5, end_line=5)
    second = replace(BASE, line=50, end_line=50)
    other = replace(BASE, line=7, end_line=7)
    out = assign([(second, "x = eval(y)"), (first, "x = eval(y)"), (other, "z = eval(w)")])
    by_line = {f.line: f.fingerprint for f in out}
    assert by_line[5] == fingerprint(first, "x = eval(y)", 0)
    assert by_line[50] == fingerprint(second, "x = eval(y)", 1)
    assert by_line[7] == fingerprint(other, "z = eval(w)", 0)
    assert len(set(by_line.values())) == 3
    assert [f.line for f in out] == [5, 7, 50]  # by path, side and line


def test_assign_survives_a_shift_of_every_line() -> None:
    before = assign([(replace(BASE, line=n, end_line=n), "eval(q)") for n in (3, 9)])
    after = assign([(replace(BASE, line=n + 20, end_line=n + 20), "eval(q)") for n in (3, 9)])
    assert [f.fingerprint for f in before] == [f.fingerprint for f in after]


def test_old_side_findings_count_apart_from_new_side_ones() -> None:
    new = replace(BASE, line=5)
    old = replace(BASE, line=5, side="old")
    out = assign([(old, "eval(q)"), (new, "eval(q)")])
    assert [f.side for f in out] == ["new", "old"]
    assert out[0].fingerprint == fingerprint(new, "eval(q)", 0)
    assert out[1].fingerprint == fingerprint(old, "eval(q)", 1)


FLAGGED = st.lists(
    st.tuples(st.integers(1, 50), st.sampled_from(["eval(q)", "exec(q)", "  eval( q )"])),
    max_size=8,
    unique_by=lambda pair: pair[0],
)


@settings(max_examples=50, deadline=None)
@given(FLAGGED, st.integers(0, 1000), st.randoms())
def test_fingerprints_survive_shifts_and_input_order(
    flagged: list[tuple[int, str]], shift: int, rng: random.Random
) -> None:
    def run(pairs: list[tuple[int, str]]) -> list[str]:
        out = assign([(replace(BASE, line=n, end_line=n), text) for n, text in pairs])
        return [f.fingerprint for f in sorted(out, key=lambda f: f.line)]

    shuffled = list(flagged)
    rng.shuffle(shuffled)
    moved = [(n + shift, text) for n, text in flagged]
    assert run(flagged) == run(shuffled) == run(moved)
    assert len(set(run(flagged))) == len(flagged)  # never two alike in one review
