"""The review document: valid against the shipped JSON Schema in every shape, its keys as
docs/review-json.md names them, and numbers rounded as documented."""

from __future__ import annotations

import json
from dataclasses import replace

import jsonschema
import pytest

from bot import __version__
from bot.core.model import AnalyzerRun, FileDiff, ReviewFile
from bot.render.document import (
    VERSION,
    dumps,
    finding_dict,
    fix_dict,
    heat_clamp,
    schema,
    to_document,
)
from tests.render.review_samples import DROPPED, FINDING, FIX, clean, pipeline_review, sample

VALIDATOR = jsonschema.Draft202012Validator(schema())


def test_the_schema_itself_is_valid() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())
    assert schema() is schema()  # read once


@pytest.mark.parametrize("lines", [False, True])
@pytest.mark.parametrize(
    "review",
    [
        sample(),
        clean(),
        sample(fixes=(FIX,), fixes_dropped=(DROPPED,)),
        sample(analyzers=(AnalyzerRun("engine", "1", 3, "ok"),)),
        sample(verdicts=()),
    ],
    ids=["sample", "clean", "fixes", "engine-ran", "no-verdicts"],
)
def test_every_shape_validates(review: object, lines: bool) -> None:
    document = json.loads(dumps(review, lines=lines))  # type: ignore[arg-type]
    errors = sorted(VALIDATOR.iter_errors(document), key=str)
    assert errors == []


def test_the_schema_refuses_what_the_contract_forbids() -> None:
    document = to_document(sample())
    broken = json.loads(json.dumps(document))
    broken["findings"][0]["severity"] = "fatal"
    assert not VALIDATOR.is_valid(broken)
    missing = json.loads(json.dumps(document))
    del missing["gate"]
    assert not VALIDATOR.is_valid(missing)


def test_top_level_keys() -> None:
    document = to_document(sample())
    assert document["version"] == VERSION == 1
    assert document["tool"] == {"name": "redline", "version": __version__}
    assert document["paranoia"] == "high"
    assert set(document) == {
        "version",
        "tool",
        "paranoia",
        "files",
        "groups",
        "findings",
        "gate",
        "coverage",
        "analyzers",
        "verification",
    }


def test_files_in_reading_order_with_their_facts() -> None:
    files = to_document(sample())["files"]
    assert [f["path"] for f in files] == ["pkg/run.py", "pkg/new.py", "logo.png"]
    run, new, logo = files
    assert run["reason"] == "runs the commands `go` is given" and run["group"] == "runner"
    assert "old_path" not in run and "skipped" not in run
    assert (new["status"], new["old_path"]) == ("renamed", "pkg/old.py")
    assert logo["skipped"] == "binary" and logo["hunks"] == []


def test_hunk_keys_and_rounding() -> None:
    hunk = to_document(sample())["files"][0]["hunks"][0]
    assert hunk == {
        "old_start": 1,
        "old_lines": 4,
        "new_start": 1,
        "new_lines": 5,
        "risk": 0.835,  # 3 places
        "entropy": 3.14,  # 2 places
        "attention": "scrutinize",
        "reasons": ["comparison `<` changed", "shell=True"],
        "section": "def go(cmd):",
    }
    skim = to_document(sample())["files"][0]["hunks"][1]
    assert skim["note"] == "import re-sort" and skim["risk"] is None and skim["entropy"] is None
    assert "section" not in skim


def test_lines_add_heat_and_the_hunks_code() -> None:
    hunk = to_document(sample(), lines=True)["files"][0]["hunks"][0]
    # Heat is surprisal clamped at the document's 95th percentile, as a share of it.
    assert hunk["lines"] == [
        {"line": 2, "surprisal": 4.0, "heat": 0.32},
        {"line": 3, "surprisal": 12.5, "heat": 1.0},
    ]
    assert hunk["diff"][:3] == [
        {"kind": "ctx", "old": 1, "new": 1, "text": "import subprocess"},
        {"kind": "del", "old": 2, "new": None, "text": "x = 1"},
        {"kind": "add", "old": None, "new": 2, "text": "x = 2"},
    ]
    assert "lines" not in to_document(sample())["files"][0]["hunks"][0]


def test_heat_clamp_is_the_95th_percentile() -> None:
    assert heat_clamp(clean()) == 1.0
    heat = tuple((n, float(n)) for n in range(1, 101))
    hunk = replace(sample().files[0].hunks[0], line_heat=heat)
    review = sample(files=(replace(sample().files[0], hunks=(hunk,)),))
    assert heat_clamp(review) == 96.0
    zero = replace(hunk, line_heat=((1, 0.0),))
    assert heat_clamp(sample(files=(replace(sample().files[0], hunks=(zero,)),))) > 0


def test_copied_and_mode_changes() -> None:
    copy = FileDiff("b.py", "added", old_path="a.py", copied=True)
    chmod = FileDiff("run.sh", "modified", old_mode="100644", new_mode="100755")
    same = FileDiff("same.sh", "modified", old_mode="100755", new_mode="100755")
    files = tuple(ReviewFile(f, "r", ()) for f in (copy, chmod, same))
    out = to_document(sample(files=files, groups=()))["files"]
    assert (out[0]["copied"], out[0]["old_path"]) == (True, "a.py")
    assert out[1]["mode_change"] == "100644 -> 100755"
    assert "mode_change" not in out[2] and "copied" not in out[1]


def test_finding_keys_and_score_rounding() -> None:
    assert finding_dict(FINDING) == {
        "path": "pkg/run.py",
        "line": 3,
        "end_line": 3,
        "side": "new",
        "severity": "error",
        "source": "semgrep",
        "rule": "subprocess-shell-true",
        "message": "`subprocess.call` with `shell=True`. Pass a list instead",
        "score": 0.912,
        "fingerprint": "f" * 32,
        "suggestion": "y = subprocess.call(cmd)\n",
    }
    assert [f["score"] for f in to_document(sample())["findings"]] == [0.912, 0.61, 0.555]


def test_gate_coverage_and_analyzers() -> None:
    document = to_document(sample())
    assert document["gate"] == {
        "failed": True,
        "reasons": ["semgrep: subprocess-shell-true at pkg/run.py:3"],
        "fail_on": "error",
    }
    coverage = document["coverage"]
    assert coverage["files_reviewed"] == 2
    assert coverage["files_skipped"] == [{"path": "logo.png", "reason": "binary"}]
    assert coverage["notes"] == [
        {"path": "pkg/new.py", "note": "post-image not found: context from the diff only"}
    ]
    assert coverage["findings_below_threshold"] == 4
    assert coverage["suppressions"] == [
        {
            "path": "pkg/run.py",
            "line": 3,
            "marker": "# nosemgrep",
            "rule": None,
            "honoured": False,
            "reason": "added by the change",
        }
    ]
    assert "fixes_dropped" not in coverage and "fixes" not in document
    runs = {r["name"]: r for r in document["analyzers"]}
    assert runs["detector"] == {"name": "detector", "version": "1.0", "ms": 12, "status": "ok"}
    assert runs["entropy"]["detail"] == "exceeded its 5 s budget"


def test_verification_counts_and_conditions() -> None:
    verification = to_document(sample())["verification"]
    assert (verification["proved"], verification["refuted"], verification["unknown"]) == (1, 1, 1)
    refuted = verification["conditions"][1]
    assert refuted["counterexample"] == {"cmd": ""} and refuted["reason"] == "cmd = ''"
    assert "verification" not in to_document(sample(verdicts=()))


def test_fixes_when_there_are_any_or_the_engine_ran() -> None:
    document = to_document(sample(fixes=(FIX,), fixes_dropped=(DROPPED,)))
    assert document["fixes"] == [fix_dict(FIX)]
    assert fix_dict(FIX)["checks"] == ["parses", "semgrep"]
    assert document["coverage"]["fixes_dropped"] == [
        {
            "path": "pkg/run.py",
            "line": 2,
            "rule": "detector:x",
            "origin": "model",
            "reason": "did not parse",
        }
    ]
    ran = to_document(sample(analyzers=(AnalyzerRun("engine", "1", 3, "ok"),)))
    assert ran["fixes"] == [] and ran["coverage"]["fixes_dropped"] == []


def test_dumps_is_utf8_json_with_a_final_newline() -> None:
    review = sample(files=(ReviewFile(FileDiff("ü.py", "added"), "new", ()),), groups=())
    text = dumps(review)
    assert text.endswith("}\n") and "ü.py" in text
    assert json.loads(text) == to_document(review)


def test_read_hunk_of_the_renamed_file() -> None:
    hunk = to_document(sample())["files"][1]["hunks"][0]
    assert (hunk["attention"], hunk["risk"], hunk["old_start"], hunk["new_lines"]) == (
        "read",
        0.2,
        3,
        2,
    )


def test_render_dispatches_json() -> None:
    from bot.render import render

    assert render(sample(), "json") == dumps(sample())
    assert render(sample(), "json", lines=True) == dumps(sample(), lines=True)


@pytest.mark.parametrize("lines", [False, True])
def test_documents_of_real_reviews_validate(lines: bool) -> None:
    document = to_document(pipeline_review(), lines=lines)
    assert sorted(VALIDATOR.iter_errors(document), key=str) == []
    by_path = {f["path"]: f for f in document["files"]}
    assert by_path["moved.py"]["old_path"] == "old.py"
    assert by_path["run.sh"]["mode_change"] == "100644 -> 100755"
    assert {f["side"] for f in document["findings"]} == {"new", "old"}
