"""SARIF 2.1.0 for code scanning: valid against the SARIF schema (a copy in tests/samples), one
rule per rule id, results with relative physical locations and partial fingerprints, findings
on removed lines anchored where the lines were, and analyzers that could not run reported."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bot import __version__
from bot.render.sarif import SCHEMA, dumps, to_sarif
from tests.render.review_samples import FINDING, NOTE, OLD_SIDE, clean, pipeline_review, sample

SARIF_SCHEMA = json.loads(
    (Path(__file__).parents[1] / "samples" / "sarif" / "sarif-2.1.0.json").read_text("utf-8")
)
VALIDATOR = jsonschema.Draft202012Validator(SARIF_SCHEMA)


def run_of(log: dict[str, Any]) -> dict[str, Any]:
    (run,) = log["runs"]
    return run


@pytest.mark.parametrize(
    "review",
    [
        sample(),
        clean(),
        sample(findings=(replace(FINDING, suggestion=None),)),
        sample(analyzers=()),
    ],
    ids=["sample", "clean", "no-suggestion", "all-ok"],
)
def test_valid_against_the_sarif_schema(review: object) -> None:
    log = json.loads(dumps(review))  # type: ignore[arg-type]
    assert sorted(VALIDATOR.iter_errors(log), key=str) == []


def test_the_schema_catches_a_broken_log() -> None:
    # The schema copy really checks: a result without a message is refused.
    log = to_sarif(sample())
    del run_of(log)["results"][0]["message"]
    assert not VALIDATOR.is_valid(log)


def test_header_and_tool() -> None:
    log = to_sarif(sample())
    assert log["$schema"] == SCHEMA and log["version"] == "2.1.0"
    driver = run_of(log)["tool"]["driver"]
    assert (driver["name"], driver["version"], driver["semanticVersion"]) == (
        "redline",
        __version__,
        __version__,
    )
    assert driver["informationUri"].startswith("https://")
    assert run_of(log)["columnKind"] == "unicodeCodePoints"


def test_one_rule_per_rule_id_and_results_point_at_theirs() -> None:
    again = replace(FINDING, line=4, end_line=4, fingerprint="a" * 32, score=0.3)
    run = run_of(to_sarif(sample(findings=(FINDING, again, NOTE))))
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["semgrep/subprocess-shell-true", "entropy/dense"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    assert [r["ruleIndex"] for r in run["results"]] == [0, 0, 1]


def test_rule_metadata() -> None:
    rule = run_of(to_sarif(sample()))["tool"]["driver"]["rules"][0]
    assert rule["name"] == "SemgrepSubprocessShellTrue"
    assert rule["shortDescription"] == {"text": "semgrep: subprocess-shell-true"}
    assert rule["fullDescription"] == {"text": "`subprocess.call` with `shell=True`."}
    assert rule["help"] == {"text": FINDING.message}
    assert rule["defaultConfiguration"] == {"level": "error"}
    assert rule["properties"] == {"tags": ["semgrep"], "precision": "very-high"}


@pytest.mark.parametrize(
    ("score", "precision"),
    [(0.95, "very-high"), (0.9, "very-high"), (0.8, "high"), (0.6, "medium"), (0.1, "low")],
)
def test_precision_from_the_score(score: float, precision: str) -> None:
    rule = run_of(to_sarif(sample(findings=(replace(FINDING, score=score),))))["tool"]["driver"][
        "rules"
    ][0]
    assert rule["properties"]["precision"] == precision


def test_result_location_fingerprint_and_level() -> None:
    result = run_of(to_sarif(sample()))["results"][0]
    assert result["level"] == "error"
    assert result["message"] == {"text": FINDING.message}
    (location,) = result["locations"]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "pkg/run.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 3, "endLine": 3},
    }
    assert result["partialFingerprints"] == {"redline/v1": "f" * 32}
    assert result["properties"] == {"score": 0.912, "source": "semgrep", "side": "new"}


def test_a_suggestion_is_a_fix() -> None:
    (fix,) = run_of(to_sarif(sample()))["results"][0]["fixes"]
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "pkg/run.py"
    assert change["replacements"] == [
        {
            "deletedRegion": {"startLine": 3, "endLine": 3},
            "insertedContent": {"text": "y = subprocess.call(cmd)\n"},
        }
    ]


def test_a_finding_on_a_removed_line_is_anchored_where_it_was() -> None:
    run = run_of(to_sarif(sample(findings=(replace(OLD_SIDE, suggestion="x\n"),))))
    (result,) = run["results"]
    # pkg/old.py line 4 was removed after new line 3: the result sits on line 3.
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 3, "endLine": 3}
    assert result["properties"]["side"] == "old"
    assert "fixes" not in result  # a replacement for lines that are gone cannot apply


def test_a_removed_line_outside_the_diff_falls_back_to_line_one() -> None:
    lost = replace(OLD_SIDE, line=99, end_line=99)
    result = run_of(to_sarif(sample(findings=(lost,))))["results"][0]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 1


def test_a_range_keeps_its_end() -> None:
    wide = replace(FINDING, line=2, end_line=4)
    region = run_of(to_sarif(sample(findings=(wide,))))["results"][0]["locations"][0]
    assert region["physicalLocation"]["region"] == {"startLine": 2, "endLine": 4}


def test_analyzers_that_could_not_run_are_notifications() -> None:
    (invocation,) = run_of(to_sarif(sample()))["invocations"]
    assert invocation["executionSuccessful"] is True
    assert invocation["toolExecutionNotifications"] == [
        {
            "level": "error",
            "message": {"text": "analyzer entropy: timeout (exceeded its 5 s budget)"},
        },
        {
            "level": "warning",
            "message": {"text": "analyzer verify: skipped (disabled in .redline.toml)"},
        },
    ]
    (quiet,) = run_of(to_sarif(sample(analyzers=())))["invocations"]
    assert "toolExecutionNotifications" not in quiet


def test_a_clean_review_has_no_results() -> None:
    run = run_of(to_sarif(clean()))
    assert run["results"] == [] and run["tool"]["driver"]["rules"] == []


def test_dumps_ends_with_a_newline_and_keeps_unicode() -> None:
    text = dumps(sample(findings=(replace(FINDING, message="é not escaped"),)))
    assert text.endswith("}\n") and "é not escaped" in text


def test_render_dispatches_sarif() -> None:
    from bot.render import render

    assert render(sample(), "sarif") == dumps(sample())


def test_sarif_of_a_real_review_validates() -> None:
    log = to_sarif(pipeline_review())
    assert sorted(VALIDATOR.iter_errors(log), key=str) == []
    regions = [r["locations"][0]["physicalLocation"]["region"] for r in run_of(log)["results"]]
    assert regions and all(r["startLine"] >= 1 and r["endLine"] >= r["startLine"] for r in regions)
