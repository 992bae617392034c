"""The figures of `redline bench verify --corpus`, from records: a buggy version counts as
found only by a refutation the original did not have, refutations on the originals are
listed, held-out repositories are figured apart, and the table shows CrossHair beside."""

from __future__ import annotations

from typing import Any

from bot.bench.verify_corpus import HELD_OUT, sample
from bot.bench.verify_figures import figures, summary


def _verdict(function: str, status: str, construct: str | None = None) -> dict[str, Any]:
    return {
        "function": function,
        "kind": "post",
        "condition": "__return__ >= 0",
        "line": 3,
        "status": status,
        "reason": "time budget exhausted" if status == "unknown" else "",
        "counterexample": None,
        "construct": construct,
    }


def _record(repo: str, held_out: bool) -> dict[str, Any]:
    return {
        "repo": repo,
        "path": "m.py",
        "held_out": held_out,
        "constructs": {"f": ["loops"], "g": ["plain"], "h": ["plain"]},
        "redline": [
            _verdict("f", "proved"),
            _verdict("g", "unknown", "budget:time"),
            _verdict("h", "refuted"),
        ],
        "redline_s": 1.5,
        "crosshair": {"proved": 1, "refuted": ["h"], "seconds": 10.0},
        "mutants": [
            {  # found: f was proved, its buggy version refuted
                "function": "f",
                "operator": "comparison",
                "line": 4,
                "redline": [_verdict("f", "refuted")],
                "redline_s": 0.5,
                "crosshair": {"refuted": ["h", "f"], "seconds": 5.0},
            },
            {  # not found: h was refuted on the original already
                "function": "h",
                "operator": "constant",
                "line": 9,
                "redline": [_verdict("h", "refuted")],
                "redline_s": 0.5,
                "crosshair": {"refuted": ["h"], "seconds": 5.0},
            },
        ],
    }


def test_found_false_alarms_and_the_peer_per_split() -> None:
    out = figures([_record("a/held", True), _record("b/tuned", False)], peer=True)
    assert set(out) == {"held_out", "tuning"}
    held = out["held_out"]
    assert held["mutants"]["total"] == 2 and held["mutants"]["found_by_redline"] == 1
    assert held["mutants"]["found_by_crosshair"] == 1
    assert [a["function"] for a in held["refutations_on_originals"]] == ["h"]
    assert held["redline"]["proved"] == 1 and held["redline"]["seconds"] == 2.5
    assert held["crosshair"]["seconds"] == 20.0 and held["crosshair"]["proved"] == 1
    assert held["unknown_table"] == {"budget:time": 1}
    assert held["functions"]["all_conditions_decided"] == 2  # f and h; g is unknown
    assert held["per_construct"]["loops"] == {"functions": 1, "decided": 1, "share": 1.0}
    text = summary(out)
    assert "== held_out" in text and "== tuning" in text
    found_row = next(line for line in text.splitlines() if "buggy versions found" in line)
    assert found_row.split()[-2:] == ["1", "1"]  # redline, CrossHair side by side
    assert "budget:time" in text


def test_the_sample_keeps_held_out_repositories_apart_and_caps_files() -> None:
    held = sorted(HELD_OUT)[0]
    index = [
        {"repo": "x/tuned", "path": f"m{i}.py", "functions_with_contracts": 1} for i in range(5)
    ]
    index += [
        {"repo": held, "path": "h.py", "functions_with_contracts": 2},
        {"repo": held, "path": "t.py", "functions_with_contracts": 2, "is_test": True},
        {"repo": held, "path": "n.py", "functions_with_contracts": 0},
    ]
    assert [e["path"] for e in sample(index, "held-out", 8)] == ["h.py"]
    tuned = sample(index, "tuning", 2)
    assert len(tuned) == 2 and {e["repo"] for e in tuned} == {"x/tuned"}
    assert tuned == sample(index, "tuning", 2)  # the same files every run
    assert len(sample(index, "all", 8)) == 6
