"""The detector bench's figures on tiny hand-made rankings with known answers: ROC-AUC with
ties at half, hit@1 and hit@k with ties at their expected value, the real-fixes table, the
mixed pull requests, and the candidates a blind read scores."""

from __future__ import annotations

import difflib
import math

import pytest

from bot.bench.detector import (
    MIXED_UNRELATED,
    Cases,
    FileCase,
    _sampled,
    added_file,
    code_lines,
    hit_at_1,
    hit_at_k,
    mixed_figures,
    real_fixes_figures,
    reversed_case,
    roc_auc,
)
from bot.core.diff import parse_diff
from bot.core.model import FileDiff


def test_roc_auc_of_perfect_inverted_and_tied_rankings() -> None:
    assert roc_auc([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0]) == 1.0
    assert roc_auc([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0]) == 0.0
    assert roc_auc([0.5] * 4, [1, 0, 1, 0]) == 0.5
    # Three of the four positive-negative pairs ordered, one tied: (3 + 0.5) / 4.
    assert roc_auc([0.9, 0.4, 0.4, 0.1], [1, 1, 0, 0]) == 0.875
    assert roc_auc([0.123456, 0.1], [1, 0]) == 1.0  # rounded to four places


def test_hit_at_1_counts_a_tie_at_its_expected_value() -> None:
    assert hit_at_1([0.9, 0.5, 0.1], [1, 0, 0]) == 1.0
    assert hit_at_1([0.9, 0.5, 0.1], [0, 1, 0]) == 0.0
    assert hit_at_1([0.7, 0.7, 0.1], [1, 0, 1]) == 0.5
    assert hit_at_1([0.3, 0.3, 0.3, 0.3], [1, 0, 0, 0]) == 0.25


def test_hit_at_k_with_ties_broken_at_random() -> None:
    scores = {"a": 0.9, "b": 0.5, "c": 0.5, "d": 0.5, "e": 0.1}
    assert hit_at_k(scores, {"a"}, 1) == 1.0
    assert hit_at_k(scores, {"e"}, 4) == 0.0
    assert hit_at_k(scores, {"e"}, 5) == 1.0
    # One of the tied three is good, two of them get in: 1 - C(2,2)/C(3,2) = 2/3.
    assert math.isclose(hit_at_k(scores, {"c"}, 3), 2 / 3)
    assert math.isclose(hit_at_k(dict.fromkeys("abcd", 0.0), {"a"}, 1), 1 / 4)
    assert hit_at_k({}, {"a"}, 5) == 0.0


def _file(path: str, old: str, new: str) -> FileDiff:
    patch = "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}"
        )
    )
    return parse_diff(f"diff --git a/{path} b/{path}\n{patch}").files[0]


OLD = "".join(f"v{i} = {i}\n" for i in range(1, 41))


def _case(
    source: str, record: str, changes: dict[int, str], bugs: frozenset[int] = frozenset()
) -> FileCase:
    new = "".join(changes.get(i, f"v{i} = {i}\n") for i in range(1, 41))
    file = _file("pkg/m.py", OLD, new)
    return FileCase("proj", source, "pkg/m.py", new, OLD, file, bugs, record)


def test_hunk_labels_say_which_hunks_touch_a_bug_line() -> None:
    case = _case("fix-reversed", "r1", {3: "v3 = 4\n", 30: "v30 = 31\n"}, frozenset({30}))
    assert len(case.file.hunks) == 2
    assert case.hunk_labels() == [0, 1]


def test_a_reversed_case_is_the_fix_as_made_with_no_bug_lines() -> None:
    case = _case("fix-reversed", "r1", {3: "v3 = 4\n"}, frozenset({3}))
    back = reversed_case(case)
    assert back.source == "fix-original" and back.bug_lines == frozenset()
    assert (back.new_text, back.old_text) == (case.old_text, case.new_text)
    (hunk,) = back.file.hunks
    assert [line.text for line in hunk.lines if line.kind == "add"] == ["v3 = 3"]


def _scores(case: FileCase, risks: list[float]) -> list[tuple[float, dict[int, float]]]:
    return [
        (risk, dict.fromkeys(h.touched_new_lines, risk))
        for risk, h in zip(risks, case.file.hunks, strict=True)
    ]


def test_the_real_fixes_table_separates_each_kind_of_negative() -> None:
    fix = _case("fix-reversed", "r1", {3: "v3 = 4\n", 30: "v30 = 31\n"}, frozenset({30}))
    original = _case("fix-original", "r1", {30: "v30 = 29\n"})
    commit = _case("commit", "c1", {10: "v10 = 0\n"})
    cases = Cases([fix], [original], [commit])
    scored = {
        id(fix): _scores(fix, [0.2, 0.9]),  # the bug hunk is the riskiest
        id(original): _scores(original, [0.5]),
        id(commit): _scores(commit, [0.95]),  # a real commit riskier than the bug
    }
    figures = real_fixes_figures(cases, scored)
    assert figures["bug_hunks"] == 1
    assert (figures["commit_hunks"], figures["fix-original_hunks"], figures["fix-other_hunks"]) == (
        1,
        1,
        1,
    )
    assert figures["auc_vs_commit"] == 0.0
    assert figures["auc_vs_fix-original"] == 1.0
    assert figures["auc_vs_fix-other"] == 1.0
    assert figures["auc"] == round(2 / 3, 4)


def test_mixed_prs_score_the_bug_among_unrelated_hunks() -> None:
    fix = _case("fix-reversed", "r1", {3: "v3 = 4\n"}, frozenset({3}))
    commits = [
        _case("commit", f"c{i}", {5 + 6 * i: "changed = 0\n"}) for i in range(MIXED_UNRELATED)
    ]
    cases = Cases([fix], [], commits)
    top = {id(fix): _scores(fix, [0.9]), **{id(c): _scores(c, [0.1]) for c in commits}}
    figures = mixed_figures(cases, top)
    assert figures["prs"] == 1 and figures["unrelated_hunks_each"] == MIXED_UNRELATED
    assert figures["hunk_hit@1"] == 1.0 and figures["line_hit@5"] == 1.0
    assert figures["random_hunk_hit@1"] == round(1 / (MIXED_UNRELATED + 1), 3)
    bottom = {id(fix): _scores(fix, [0.0]), **{id(c): _scores(c, [0.5]) for c in commits}}
    figures = mixed_figures(cases, bottom)
    assert figures["hunk_hit@1"] == 0.0 and figures["line_hit@5"] == 0.0
    # The same cases, the same unrelated draw: the random baseline does not move.
    assert figures["random_line_hit@5"] == mixed_figures(cases, top)["random_line_hit@5"]


def test_a_program_read_blind_is_one_added_hunk() -> None:
    file = added_file("p.py", "a = 1\nb = 2\n")
    assert (file.path, file.status) == ("p.py", "added")
    (hunk,) = file.hunks
    assert sorted(hunk.touched_new_lines) == [1, 2]


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("x = 1\n\n# note\ny = 2\n", [1, 4]),
        ('def f():\n    """One line."""\n    return 1\n', [1, 3]),
        ('def f():\n    """\n    Text.\n    """\n    return 1\n', [1, 5]),
        # A docstring that closes at the end of its text (the bug: all that followed was lost).
        ('"""Module.\n\nMore text."""\nimport os\n\n\ndef f():\n    return os\n', [4, 7, 8]),
        ("def f():\n    '''Text\n    more.'''\n    return 2\n", [1, 4]),
    ],
)
def test_code_lines_skip_blanks_comments_and_docstrings(text: str, lines: list[int]) -> None:
    assert code_lines(text) == lines


def test_sampling_by_commit_hash_is_deterministic_and_one_in_every() -> None:
    shas = [f"{i:040x}" for i in range(3000)]
    kept = [s for s in shas if _sampled(s, 10)]
    assert kept == [s for s in shas if _sampled(s, 10)]
    assert 200 < len(kept) < 400
    assert all(_sampled(s, 1) for s in shas[:10])
