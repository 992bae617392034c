"""The detector analyzer on real code (the standard library): each Python hunk scored as an
edit, with its reasons on the hunk and in the finding; a reformat carries no risk; a
non-Python file is skipped and noted."""

from __future__ import annotations

import difflib
import sysconfig
import time
from pathlib import Path

from bot.analyzers.detector import DetectorAnalyzer
from bot.core.diff import parse_diff
from bot.core.policy import Config
from bot.core.ports import AnalysisRequest

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def _patch(path: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}"
    )
    return f"diff --git a/{path} b/{path}\n" + "".join(lines)


def test_hunks_are_scored_as_edits_with_reasons_and_reformats_carry_no_risk() -> None:
    old = (STDLIB / "bisect.py").read_text(encoding="utf-8")
    new = old.replace("lo = mid + 1", "lo = mid", 1)
    new = new.replace("if lo < 0:", "if lo  <  0:", 1)  # whitespace only
    diff = parse_diff(_patch("bisect.py", old, new) + _patch("README.md", "a\n", "b\n"))
    texts = {"bisect.py": new, "README.md": "b\n"}
    output = DetectorAnalyzer().analyze(
        AnalysisRequest(diff, texts, Config()), time.monotonic() + 60
    )
    by_hunk = {s.hunk: s for s in output.scores}
    assert len(by_hunk) == 2
    reformat = min(by_hunk.values(), key=lambda s: s.risk or 0.0)
    bug = max(by_hunk.values(), key=lambda s: s.risk or 0.0)
    assert reformat.risk == 0.0 and reformat.reasons == ()
    assert bug.risk is not None and bug.risk > 0.0
    assert any("`+ 1` removed" in r for r in bug.reasons), bug.reasons
    [finding] = output.findings
    assert finding.source == "detector" and finding.suggestion is None
    assert "`+ 1` removed" in finding.message and "bug detector: risk" in finding.message
    assert new.split("\n")[finding.line - 1].strip() == "lo = mid"
    assert "1 non-Python file(s) skipped" in (output.detail or "")
