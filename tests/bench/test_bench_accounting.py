"""The pure accounting of the other benches on hand-made inputs: reading-order faults, the rule
pack's annotations and scores, the scale bench's percentiles and per-PR tally, the verify
bench's mutants, and the attention confusion summary."""

from __future__ import annotations

import ast
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bot.bench.mutants import mutants
from bot.bench.ordering import forward_refs, has_cycle, misplaced_tests, split_groups
from bot.bench.ordering_real import Tally as AttentionTally
from bot.bench.ordering_real import _forward
from bot.bench.rules import _starts, labels, score_annotated, score_files
from bot.bench.scale import completions, percentile, tally


def test_forward_references_count_uses_read_before_their_definitions() -> None:
    edges = {("defs.py", "use.py"), ("base.py", "defs.py"), ("x.py", "missing.py")}
    assert forward_refs(["base.py", "defs.py", "use.py"], edges) == 0
    assert forward_refs(["use.py", "defs.py", "base.py"], edges) == 2
    assert forward_refs(["defs.py", "base.py", "use.py"], edges) == 1
    assert _forward(["use.py", "defs.py", "base.py"], frozenset(edges)) == 2


def test_split_groups_counts_units_not_read_together() -> None:
    units = [{"a.py", "b.py"}, {"c.py"}, {"d.py", "e.py"}]
    assert split_groups(["a.py", "b.py", "c.py", "d.py", "e.py"], units) == 0
    assert split_groups(["a.py", "c.py", "b.py", "d.py", "x.py", "e.py"], units) == 2


def test_a_test_is_misplaced_unless_it_comes_right_after_its_code() -> None:
    tests = {"test_a.py": {"a.py"}, "test_a2.py": {"a.py"}}
    assert misplaced_tests(["a.py", "test_a.py", "test_a2.py", "b.py"], tests) == 0
    assert misplaced_tests(["test_a.py", "a.py", "test_a2.py"], tests) == 1  # before its code
    assert misplaced_tests(["a.py", "b.py", "test_a.py", "test_a2.py"], tests) == 2


@pytest.mark.parametrize(
    ("edges", "cyclic"),
    [
        (set(), False),
        ({("a", "b"), ("b", "c")}, False),
        ({("a", "b"), ("b", "c"), ("c", "a")}, True),
        ({("a", "a")}, True),
        ({("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")}, False),  # a diamond is no cycle
        ({("x", "y"), ("a", "b"), ("b", "a")}, True),
    ],
)
def test_cycles_in_the_definition_graph(edges: set[tuple[str, str]], cyclic: bool) -> None:
    assert has_cycle(edges) is cyclic


def test_annotations_label_their_own_line_or_the_next_code_line() -> None:
    text = (
        "x = eval(s)  # ruleid: no-eval\n"  # 1: labels itself
        "# ok: no-eval\n"  # 2: labels the next code line (4)
        "\n"
        "y = ast.literal_eval(s)\n"
        "# todoruleid: no-eval\n"  # 5: a known miss, not scored
        "z = eval(t)\n"
        "// ruleid: js-eval\n"  # 7: JavaScript comments too
        "// another comment\n"
        "eval(u);\n"
    )
    must, must_not = labels(text)
    assert must == {1, 9} and must_not == {4}


def test_a_line_labelled_both_ways_must_be_flagged() -> None:
    must, must_not = labels("# ruleid: a\n# ok: b\nx = 1\n")
    assert must == {3} and must_not == set()


def test_the_annotated_score_is_recall_and_false_alarms_per_class() -> None:
    files = {
        "eval.py": "eval(a)  # ruleid: r\neval(b)  # ruleid: r\nok(c)  # ok: r\n",
        "pickle.py": "loads(a)  # ruleid: r\nsafe(b)  # ok: r\n",
    }
    ours = {"eval.py": {1, 2}, "pickle.py": {2}}
    theirs = {"eval.py": {1, 3}}
    score = score_annotated(files, ours, theirs)
    total = score["total"]
    assert (total["must_flag"], total["must_not_flag"]) == (3, 2)
    assert (total["redline_caught"], total["bandit_caught"]) == (2, 1)
    assert total["redline_recall"] == round(2 / 3, 3) and total["bandit_recall"] == round(1 / 3, 3)
    assert total["redline_false_alarm_rate"] == 0.5 and total["bandit_false_alarm_rate"] == 0.5
    assert score["classes"]["eval"]["redline_recall"] == 1.0
    assert score["classes"]["pickle"]["redline_recall"] == 0.0


def test_a_class_with_nothing_to_flag_has_no_rate() -> None:
    score = score_annotated({"clean.py": "x = 1\n"}, {}, {})
    assert score["total"]["redline_recall"] is None


def test_dangerous_files_are_scored_by_whether_they_are_flagged_at_all() -> None:
    files = {"a.py": "", "b.py": "", "c.py": ""}
    result = score_files(files, {"a.py": {3}, "b.py": set()}, {"b.py": {1}, "c.py": {2}})
    assert result == {
        "files": 3,
        "redline_files_flagged": 1,
        "bandit_files_flagged": 2,
        "redline_missed": ["b.py", "c.py"],
    }


def test_a_multi_line_finding_counts_once() -> None:
    assert _starts({3, 4, 5, 9, 11, 12}) == {3, 9, 11}


def test_percentiles_are_nearest_rank() -> None:
    values = [5.0, 1.0, 3.0, 2.0, 4.0]
    assert percentile(values, 0.5) == 3.0
    assert percentile(values, 0.95) == 5.0
    assert percentile(values, 0.0) == 1.0
    assert percentile(values, 0.2) == 1.0 and percentile(values, 0.21) == 2.0
    assert percentile([], 0.5) == 0.0


def test_completions_are_counted_from_the_workers_logs(tmp_path: Path) -> None:
    first, second = tmp_path / "w1.log", tmp_path / "w2.log"
    first.write_text(
        '{"msg": "job done", "job": 1}\nplain text line\n{"msg": "claimed", "job": 2}\n'
        '{"msg": "job done", "job": 2}\n'
    )
    second.write_text('{"msg": "job done", "job": 1}\n')
    assert completions([first, second, tmp_path / "absent.log"]) == Counter({1: 2, 2: 1})


def _status(pr: int, at: float, state: str) -> dict[str, Any]:
    return {"pr": pr, "at": at, "kind": "status", "state": state}


def test_the_tally_finds_duplicates_lost_and_dead_jobs_and_the_waits() -> None:
    jobs = {
        1: {"state": "done", "created_at": 10.0},
        2: {"state": "done", "created_at": 11.0},
        3: {"state": "dead", "created_at": 12.0},
        4: {"state": "queued", "created_at": 13.0},
    }
    prs = {1: 101, 2: 102, 3: 103, 4: 104}
    host_log = [
        _status(101, 12.0, "in_progress"),
        _status(101, 15.0, "success"),
        {"pr": 101, "at": 14.0, "kind": "summary"},
        {"pr": 101, "at": 14.5, "kind": "review", "fingerprints": ["f1", "f2"]},
        _status(102, 11.5, "in_progress"),
        _status(102, 20.0, "failure"),
        {"pr": 102, "at": 13.0, "kind": "summary"},
        {"pr": 102, "at": 16.0, "kind": "summary"},  # summarised twice
        {"pr": 102, "at": 17.0, "kind": "review", "fingerprints": ["f3", "f3"]},  # posted twice
        _status(103, 13.0, "in_progress"),
    ]
    done = Counter({1: 2, 2: 1})  # job 1 completed twice
    result = tally(jobs, prs, host_log, done)
    assert result.duplicates == 3
    assert (result.lost, result.dead) == (2, 1)
    assert result.queue_waits == [2.0, 0.5]
    assert result.review_walls == [3.0, 8.5]
    assert (result.first_enqueued, result.last_finished) == (10.0, 20.0)


SOURCE = '''def clamp(xs, lo):
    """Doc."""
    if not xs:
        return []
    return [x for x in xs[1:] if x > lo]


class Box:
    def size(self, n):
        total = n + 1
        return total * 2
'''


def test_mutants_change_one_site_in_the_body_and_still_parse() -> None:
    found = mutants(SOURCE, ["clamp", "Box.size"], 5, "seed")
    assert [m.function for m in found] == ["clamp", "Box.size"]
    for mutant in found:
        assert mutant.source != ast.unparse(ast.parse(SOURCE))
        ast.parse(mutant.source)
    # The hand-written patterns come first where they apply: the empty case goes.
    clamp = found[0]
    assert clamp.operator in ("missed-empty-case", "slice-off-by-one")
    assert '"""Doc."""' in clamp.source or "'Doc.'" in clamp.source  # the docstring stays


def test_mutants_are_reproducible_and_limited_per_file() -> None:
    assert mutants(SOURCE, ["clamp", "Box.size"], 5, "s") == mutants(
        SOURCE, ["clamp", "Box.size"], 5, "s"
    )
    assert len(mutants(SOURCE, ["clamp", "Box.size"], 1, "s")) == 1
    assert mutants(SOURCE, ["other"], 5, "s") == []


def test_an_arithmetic_mutant_flips_the_operator() -> None:
    source = "def f(n):\n    return n + 1\n"
    (mutant,) = mutants(source, ["f"], 1, "x")
    assert mutant.line == 2
    assert mutant.source.strip().endswith(("n - 1", "n + 2"))


def test_the_attention_summary_is_precision_and_recall_of_skimming() -> None:
    summary = AttentionTally()
    summary.confusion["mechanical"].update({"skim": 6, "read": 2})
    summary.confusion["other"].update({"skim": 2, "read": 10})
    summary.confusion["control"].update({"skim": 1})
    summary.counts.update({"relations": 4, "confirmed": 3, "commits": 7})
    figures = summary.summary()
    attention = figures["attention"]
    assert attention["skim_precision"] == 0.75 and attention["skim_recall"] == 0.75
    assert attention["control_hunks_skimmed"] == 1
    assert figures["relations"]["precision"] == 0.75 and figures["commits"] == 7
    empty = AttentionTally().summary()
    assert empty["attention"]["skim_precision"] is None
    assert empty["relations"]["precision"] is None
    json.dumps(figures)  # the bench writes it as JSON
