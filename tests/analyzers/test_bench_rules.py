"""`redline bench rules` scoring: annotations label the right lines, and recall and false alarms
are counted per class for both tools (the scans themselves are the bench's, not the suite's)."""

from __future__ import annotations

from bot.bench.rules import labels, score_annotated, score_files

TEXT = """import os
# ruleid: a
os.system(x)
# ok: a
os.system("ls")

# ruleid: b
# a comment between
eval(y)
run(z)  # ruleid: c
# todoruleid: d
later()
# ok
plain()
"""


def test_annotations_label_the_next_code_line_or_their_own() -> None:
    must, must_not = labels(TEXT)
    assert must == {3, 9, 10}
    assert must_not == {5, 14}


def test_recall_and_false_alarms_per_class() -> None:
    files = {"cmd.py": TEXT}
    figures = score_annotated(files, {"cmd.py": {3, 5, 9}}, {"cmd.py": {3, 10, 14}})
    row = figures["classes"]["cmd"]
    assert (row["must_flag"], row["redline_caught"], row["bandit_caught"]) == (3, 2, 2)
    assert (row["must_not_flag"], row["redline_false_alarms"], row["bandit_false_alarms"]) == (
        2,
        1,
        1,
    )
    assert figures["total"]["redline_recall"] == 0.667
    assert figures["total"]["bandit_false_alarm_rate"] == 0.5


def test_example_files_are_scored_per_file() -> None:
    files = {"a.py": "x\n", "b.py": "y\n"}
    figures = score_files(files, {"a.py": {1}, "b.py": set()}, {"a.py": {1}, "b.py": {1}})
    assert figures == {
        "files": 2,
        "redline_files_flagged": 1,
        "bandit_files_flagged": 2,
        "redline_missed": ["b.py"],
    }
