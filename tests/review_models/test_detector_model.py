"""The detector's weights on disk and the shipped model's behaviour on real code: the weights
round-trip, a missing or foreign weights file is `ModelMissing`, and the model reads edits
(what changed, in which direction), with reasons a reviewer can check."""

from __future__ import annotations

import difflib
import json
import sysconfig
from pathlib import Path

import numpy as np
import pytest

from bot.core.diff import parse_diff
from bot.core.errors import ModelMissing
from review_models.detector.build import reverse
from review_models.detector.calibration import Calibration
from review_models.detector.edits import edit_of
from review_models.detector.infer import DetectorModel, shared_model
from review_models.detector.linear import BUCKETS, FORMAT, Weights, bucket

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def _weights() -> Weights:
    hunk = np.zeros(BUCKETS, np.float32)
    line = np.zeros(BUCKETS, np.float32)
    hunk[bucket("bias")] = -1.5
    line[bucket("pos:first")] = 0.25
    return Weights(hunk, line, Calibration(0.9, 0.1, -2.0), {"version": "t", "thresholds": {}})


def test_weights_round_trip_through_their_files(tmp_path: Path) -> None:
    weights = _weights()
    weights.save(tmp_path)
    loaded = Weights.load(tmp_path)
    assert loaded.calibration == weights.calibration
    assert loaded.hunk[bucket("bias")] == pytest.approx(-1.5, abs=1e-3)
    assert loaded.line[bucket("pos:first")] == pytest.approx(0.25, abs=1e-3)
    assert json.loads((tmp_path / "detector.json").read_text())["format"] == FORMAT


def test_missing_weights_are_model_missing(tmp_path: Path) -> None:
    with pytest.raises(ModelMissing, match="not found"):
        DetectorModel.load(tmp_path)


def test_weights_from_another_version_are_model_missing(tmp_path: Path) -> None:
    _weights().save(tmp_path)
    meta = json.loads((tmp_path / "detector.json").read_text())
    meta["format"] = 1  # the transformer detector's weights, say
    (tmp_path / "detector.json").write_text(json.dumps(meta))
    with pytest.raises(ModelMissing, match="format 1"):
        DetectorModel.load(tmp_path)


def test_a_corrupt_weights_file_is_model_missing(tmp_path: Path) -> None:
    _weights().save(tmp_path)
    (tmp_path / "detector.npz").write_bytes(b"not an archive")
    with pytest.raises(ModelMissing, match="cannot be read"):
        DetectorModel.load(tmp_path)


def _edit_risk(old: str, new: str, path: str = "bisect.py") -> tuple[float, tuple[str, ...]]:
    patch = "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}"
        )
    )
    file = parse_diff(f"diff --git a/{path} b/{path}\n{patch}").files[0]
    assert len(file.hunks) == 1
    result = shared_model().score(edit_of(path, file.hunks[0], new.split("\n"), old.split("\n")))
    assert 0.0 <= result.probability <= 1.0
    assert abs(sum(result.line_shares.values()) - 1.0) < 1e-6
    return result.probability, result.reasons


def test_a_bug_introducing_edit_is_riskier_than_its_fix_and_than_a_docstring_edit() -> None:
    old = (STDLIB / "bisect.py").read_text(encoding="utf-8")
    buggy = old.replace("lo = mid + 1", "lo = mid", 1)
    introduce, reasons = _edit_risk(old, buggy)
    fix, _ = _edit_risk(buggy, old)
    docs, _ = _edit_risk(old, old.replace("Return the index where", "Give the index where", 1))
    assert introduce > fix
    assert introduce > docs
    assert reasons and any("+ 1" in r for r in reasons), reasons


def test_a_reversed_hunk_scores_the_other_direction() -> None:
    old = (STDLIB / "bisect.py").read_text(encoding="utf-8")
    new = old.replace("while lo < hi:", "while lo <= hi:", 1)
    patch = "".join(
        difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True))
    )
    hunk = (
        parse_diff(
            f"diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n{patch[patch.index('@@') :]}"
        )
        .files[0]
        .hunks[0]
    )
    forward = shared_model().score(edit_of("x.py", hunk, new.split("\n"), old.split("\n")))
    backward = shared_model().score(
        edit_of("x.py", reverse(hunk), old.split("\n"), new.split("\n"))
    )
    assert any("`<` changed to `<=`" in r for r in forward.reasons), forward.reasons
    # Loosening a loop bound is how off-by-ones come in; tightening it is how they are fixed.
    assert forward.probability > backward.probability
