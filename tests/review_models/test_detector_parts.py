"""The detector's parts on hand-made inputs: the enclosing function by indentation, hashed
weights, inference with known weights (probability, line shares, reasons), the figures' AUC,
and the project splits that keep held-out code out of training."""

from __future__ import annotations

import difflib
import math

import numpy as np
import pytest

from bot.core.diff import parse_diff
from bot.core.model import Hunk
from review_models import labels
from review_models.corpus import is_test_path
from review_models.corpus import split_of as corpus_split
from review_models.detector.build import (
    CALIB_PROJECTS,
    TEST_PROJECTS,
    Example,
    project_of,
    reverse,
    split_of,
)
from review_models.detector.calibration import Calibration
from review_models.detector.edits import Edit, edit_of
from review_models.detector.fit import auc, by_split
from review_models.detector.infer import MAX_REASONS, DetectorModel, _rule_of
from review_models.detector.linear import BUCKETS, Weights, bucket, buckets
from review_models.detector.regions import CONTEXT_LINES, enclosing_region

SOURCE = """import os


class A:
    @property
    @cache
    def f(self):
        x = 1
        return x

    def g(self):
        pass


X = 1
Y = 2
""".splitlines()


@pytest.mark.parametrize(
    ("first", "last", "region"),
    [
        (8, 8, (5, 9)),  # a method with its decorators
        (11, 12, (11, 12)),  # the def line itself
        (7, 9, (5, 9)),
        (4, 4, (4, 12)),  # the class statement: the whole class
    ],
)
def test_the_enclosing_function_is_found_by_indentation(
    first: int, last: int, region: tuple[int, int]
) -> None:
    assert enclosing_region(SOURCE, first, last) == region


def test_changes_outside_any_function_get_lines_of_context() -> None:
    assert enclosing_region(SOURCE, 15, 15) == (15 - CONTEXT_LINES, len(SOURCE))
    assert enclosing_region(SOURCE, 1, 1) == (1, 1 + CONTEXT_LINES)


def test_the_region_survives_code_that_does_not_parse() -> None:
    broken = ["def f(x:", "    if x", "        return (", "    y = [", "", "z = 1"]
    assert enclosing_region(broken, 3, 3) == (1, 4)


def test_buckets_are_stable_and_a_feature_counts_once() -> None:
    assert bucket("cmp:any") == bucket("cmp:any") and 0 <= bucket("cmp:any") < BUCKETS
    assert buckets(["a", "b", "a"]).tolist() == sorted({bucket("a"), bucket("b")})


def _weights(hunk: dict[str, float], line: dict[str, float], bias: float = 0.0) -> Weights:
    dense_hunk = np.zeros(BUCKETS, dtype=np.float32)
    dense_line = np.zeros(BUCKETS, dtype=np.float32)
    for key, value in hunk.items():
        dense_hunk[bucket(key)] = value
    for key, value in line.items():
        dense_line[bucket(key)] = value
    return Weights(dense_hunk, dense_line, Calibration(bias=bias), {"version": "hand-made"})


def _edit(old: str, new: str) -> tuple[Hunk, Edit]:
    patch = "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), "a/m.py", "b/m.py"
        )
    )
    file = parse_diff(f"diff --git a/m.py b/m.py\n{patch}").files[0]
    return file.hunks[0], edit_of("m.py", file.hunks[0], new.split("\n"), old.split("\n"))


OLD = "def f(a, b):\n    if a < b:\n        return a\n    c = a + b\n    return c\n"
NEW = OLD.replace("a < b", "a <= b").replace("a + b", "a - b")


def test_a_hunk_logit_sums_the_weights_of_its_features() -> None:
    weights = _weights({"cmp:<><=@cond": 1.5, "arith:+>-": 0.5, "bias": -1.0}, {})
    _, edit = _edit(OLD, NEW)
    result = DetectorModel(weights).score(edit)
    assert math.isclose(result.logit, 1.0, abs_tol=1e-6)
    assert math.isclose(result.probability, 1 / (1 + math.exp(-1.0)), rel_tol=1e-6)
    assert (
        result.probability
        > DetectorModel(weights).score(_edit(OLD, OLD.replace("a + b", "a - b"))[1]).probability
    )
    assert DetectorModel(weights).version == "hand-made"


def test_the_line_model_shares_the_risk_between_the_changed_lines() -> None:
    weights = _weights({}, {"arith:+>-": 2.0})
    _, edit = _edit(OLD, NEW)
    result = DetectorModel(weights).score(edit)
    assert set(result.line_shares) == {2, 4}
    assert math.isclose(sum(result.line_shares.values()), 1.0)
    assert result.top_line == 4
    assert math.isclose(result.line_shares[4], math.exp(2) / (1 + math.exp(2)), rel_tol=1e-6)


def test_reasons_come_from_the_strongest_features_above_the_minimum() -> None:
    weights = _weights({"cmp:<><=@cond": 0.4, "arith:+>-": 0.9}, {})
    _, edit = _edit(OLD, NEW)
    result = DetectorModel(weights).score(edit)
    assert result.reasons[0] == "operator `+` changed to `-` in an assignment"
    assert result.reasons[1].startswith("comparison `<` changed to `<=`")
    assert result.rule == "operator-changed"
    # A weight under the minimum explains nothing.
    weak = DetectorModel(_weights({"cmp:<><=@cond": 0.1}, {})).score(edit)
    assert weak.reasons == () and weak.rule == "risky-edit"


def test_no_more_than_the_maximum_of_reasons_are_given() -> None:
    old = "x = a + b\ny = c < d\nz = e and f\nw = True\nv = 3\n"
    new = "x = a - b\ny = c <= d\nz = e or f\nw = False\nv = 4\n"
    _, edit = _edit(old, new)
    strong = {"arith:+>-": 1.0, "cmp:<><=@assign": 1.0, "boolop:and>or": 1.0,
              "const:True>False": 1.0, "num:+1@assign": 1.0}  # fmt: skip
    result = DetectorModel(_weights(strong, {})).score(edit)
    assert len(result.reasons) == MAX_REASONS


@pytest.mark.parametrize(
    ("key", "rule"),
    [
        ("cmp:<><=@cond", "comparison-changed"),
        ("swap:call:new@assign", "name-swapped"),
        ("guard-removed", "guard-removed"),
        ("except-removed", "handler-removed"),
        ("deltok:return", "code-removed"),
        ("ins:, #@assign", "code-added"),
        ("line+:if", "risky-edit"),
    ],
)
def test_a_feature_key_names_its_rule(key: str, rule: str) -> None:
    assert _rule_of(key) == rule


def test_thresholds_are_read_from_the_weights_meta() -> None:
    weights = _weights({}, {})
    model = DetectorModel(Weights(weights.hunk, weights.line, weights.calibration,
                                  {"thresholds": {"default": 0.3, "paranoid": 0.1}}))  # fmt: skip
    assert model.thresholds == {"default": 0.3, "paranoid": 0.1}
    assert DetectorModel(weights).thresholds == {}


def test_auc_is_the_share_of_correctly_ordered_pairs_with_ties_at_half() -> None:
    assert auc(np.array([0.9, 0.8, 0.1]), np.array([1, 1, 0])) == 1.0
    assert auc(np.array([0.1, 0.2, 0.9]), np.array([1, 1, 0])) == 0.0
    assert auc(np.array([0.5, 0.5, 0.5, 0.5]), np.array([1, 0, 1, 0])) == 0.5
    # Positives 0.8 and 0.3 against negatives 0.5 and 0.3: 2.5 of the 4 pairs ordered.
    assert auc(np.array([0.8, 0.3, 0.5, 0.3]), np.array([1, 1, 0, 0])) == pytest.approx(
        (1 + 1 + 0 + 0.5) / 4
    )
    assert math.isnan(auc(np.array([0.3]), np.array([1])))


def test_projects_not_records_are_held_out() -> None:
    assert project_of("psf/Requests") == "requests"
    assert all(split_of(p) == "test" for p in TEST_PROJECTS)
    assert all(split_of(p) == "calib" for p in CALIB_PROJECTS)
    assert split_of("django") == "train"
    assert not TEST_PROJECTS & CALIB_PROJECTS


def _example(project: str, source: str, label: int) -> Example:
    return Example(project, source, label, ("bias",), (0,), (1,), (1,) if label else (), "r")


def test_injected_bugs_train_and_never_measure() -> None:
    examples = [
        _example("django", "injected", 1),
        _example("requests", "injected", 1),
        _example("jinja", "injected", 1),
        _example("requests", "fix-reversed", 1),
        _example("jinja", "commit", 0),
    ]
    split = by_split(examples)
    assert [(e.project, e.source) for e in split["train"]] == [("django", "injected")]
    assert [(e.project, e.source) for e in split["test"]] == [("requests", "fix-reversed")]
    assert [(e.project, e.source) for e in split["calib"]] == [("jinja", "commit")]


def test_an_example_round_trips_through_its_json_line() -> None:
    example = Example("click", "commit", 0, ("a", "b"), (1, 2), (1, 2), (), "sha:p.py:0")
    assert Example.from_json(example.to_json()) == example


def test_a_reversed_hunk_swaps_its_sides_and_reverses_back() -> None:
    hunk, _ = _edit(OLD, NEW)
    back = reverse(hunk)
    assert (back.old_start, back.new_start) == (hunk.new_start, hunk.old_start)
    assert [ln.kind for ln in back.lines] == [
        {"add": "del", "del": "add", "ctx": "ctx"}[ln.kind] for ln in hunk.lines
    ]
    assert reverse(back) == hunk


@pytest.mark.parametrize(
    ("path", "is_test"),
    [
        ("tests/test_a.py", True),
        ("pkg/testing/util.py", True),
        ("pkg/test_util.py", True),
        ("pkg/util_test.py", True),
        ("conftest.py", True),
        ("pkg\\tests\\x.py", True),
        ("pkg/contest.py", False),
        ("pkg/attest/x.py", False),
    ],
)
def test_the_corpus_test_path_rule(path: str, is_test: bool) -> None:
    assert is_test_path(path) is is_test


def test_the_corpus_split_is_by_package_and_stable() -> None:
    splits = {corpus_split(f"package{i}") for i in range(200)}
    assert splits == {"train", "val", "test"}
    assert corpus_split("requests") == corpus_split("requests")
    shares = [corpus_split(f"package{i}") for i in range(2000)]
    assert 0.02 < shares.count("test") / 2000 < 0.09


def test_the_labels_are_the_weighted_families_and_token_repairs_among_them() -> None:
    assert tuple(labels.FAMILY_WEIGHTS) == labels.FAMILIES
    assert set(labels.FAMILIES) > labels.TOKEN_REPAIR
    assert all(weight > 0 for weight in labels.FAMILY_WEIGHTS.values())
    # Argument and clause families are repaired by more than one token.
    assert (
        not {"missing-argument", "swapped-arguments", "condition-clause-dropped"}
        & labels.TOKEN_REPAIR
    )
