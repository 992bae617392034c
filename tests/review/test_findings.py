"""From every analyzer's findings to the review's list: per-path disables by analyzer or rule,
each analyzer's own paranoia thresholds, one finding per place and rule (the best score), a
fingerprint each, highest score first."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pytest

from bot.core.diff import parse_diff
from bot.core.model import Finding
from bot.core.policy import Config, parse_config
from bot.core.ports import AnalysisRequest, AnalyzerOutput
from bot.review.findings import DEFAULT_THRESHOLDS, flagged_text, select, threshold
from bot.review.fingerprint import fingerprint

DIFF = parse_diff(
    "--- a/app.py\n+++ b/app.py\n@@ -1,3 +1,3 @@\n keep = 1\n-old = eval(x)\n+new = eval(y)\n"
    " end = 2\n"
)
TEXTS = {"app.py": "keep = 1\nnew = eval(y)\nend = 2\n"}


class Fake:
    """An analyzer whose findings are given; its thresholds as configured."""

    version = "1"
    default_budget = 1.0

    def __init__(self, name: str, thresholds: Mapping[str, float] | None = None) -> None:
        self.name = name
        self.thresholds: Mapping[str, float] = thresholds or {}

    def analyze(self, request: AnalysisRequest, deadline: float) -> AnalyzerOutput:
        return AnalyzerOutput()


def finding(
    source: str = "semgrep",
    rule: str = "eval",
    score: float = 0.8,
    line: int = 2,
    severity: str = "error",
    path: str = "app.py",
    side: str = "new",
) -> Finding:
    return Finding(path, line, line, severity, source, rule, f"{rule} here", score, side)  # type: ignore[arg-type]


def out(*findings: Finding) -> AnalyzerOutput:
    return AnalyzerOutput(findings=findings)


def test_default_thresholds_per_level() -> None:
    assert DEFAULT_THRESHOLDS == {"low": 0.9, "default": 0.5, "high": 0.3, "max": 0.0}
    assert threshold(None, "default") == 0.5
    assert threshold(Fake("x"), "high") == 0.3  # no table of its own: the defaults


def test_an_analyzers_own_thresholds_and_the_defaults_for_the_rest() -> None:
    detector = Fake("detector", {"default": 0.7})
    assert threshold(detector, "default") == 0.7
    assert threshold(detector, "low") == 0.9


@pytest.mark.parametrize(
    ("level", "shown"),
    [
        ("low", [0.95]),
        ("default", [0.95, 0.6]),
        ("high", [0.95, 0.6, 0.35]),
        ("max", [0.95, 0.6, 0.35, 0.05]),
    ],
)
def test_paranoia_levels(level: str, shown: list[float]) -> None:
    findings = [finding(rule=f"r{i}", score=s) for i, s in enumerate([0.95, 0.6, 0.35, 0.05])]
    selected = select(
        [(Fake("semgrep"), out(*findings))], parse_config(f'paranoia = "{level}"'), DIFF, TEXTS
    )
    assert [f.score for f in selected.findings] == shown
    assert selected.below_threshold == 4 - len(shown)


def test_thresholds_are_the_raising_analyzers() -> None:
    strict = Fake("detector", {"default": 0.9})
    loose = Fake("semgrep")
    selected = select(
        [(strict, out(finding("detector", "d", 0.8))), (loose, out(finding("semgrep", "s", 0.8)))],
        Config(),
        DIFF,
        TEXTS,
    )
    assert [f.source for f in selected.findings] == ["semgrep"]
    assert selected.below_threshold == 1


def test_a_finding_is_judged_by_its_source_when_another_analyzer_reports_it() -> None:
    # The fixes analyzer re-reports semgrep findings: semgrep's thresholds apply.
    semgrep = Fake("semgrep", {"default": 0.95})
    relay = Fake("fixes", {"default": 0.0})
    selected = select(
        [(semgrep, out()), (relay, out(finding("semgrep", "s", 0.8)))], Config(), DIFF, TEXTS
    )
    assert selected.findings == () and selected.below_threshold == 1


def test_paranoia_per_path_from_overrides() -> None:
    config = parse_config('paranoia = "low"\n[[overrides]]\npaths = ["src/**"]\nparanoia = "max"')
    findings = [finding(score=0.1, path="src/a.py"), finding(score=0.1, path="app.py")]
    selected = select([(Fake("semgrep"), out(*findings))], config, DIFF, TEXTS)
    assert [f.path for f in selected.findings] == ["src/a.py"]


def test_disables_by_analyzer_and_by_rule_per_path() -> None:
    config = parse_config(
        'disable = ["noisy-rule"]\n[[overrides]]\npaths = ["tests/**"]\ndisable = ["markers"]'
    )
    findings = [
        finding("semgrep", "noisy-rule", path="app.py"),
        finding("semgrep", "eval", path="app.py"),
        finding("markers", "dangerous", path="tests/test_a.py"),
        finding("markers", "dangerous", path="app.py"),
    ]
    selected = select([(Fake("semgrep"), out(*findings))], config, DIFF, TEXTS)
    assert sorted((f.source, f.rule, f.path) for f in selected.findings) == [
        ("markers", "dangerous", "app.py"),
        ("semgrep", "eval", "app.py"),
    ]
    assert selected.below_threshold == 0  # disabled is not "below the threshold"


def test_one_finding_per_place_and_rule_keeps_the_best_score() -> None:
    first, second = Fake("a"), Fake("b")
    selected = select(
        [
            (first, out(finding("semgrep", "eval", 0.6))),
            (second, out(finding("semgrep", "eval", 0.9), finding("semgrep", "eval", 0.7))),
        ],
        Config(),
        DIFF,
        TEXTS,
    )
    assert [f.score for f in selected.findings] == [0.9]


def test_same_rule_elsewhere_is_another_finding() -> None:
    findings = [
        finding(line=2),
        finding(line=3),
        finding(line=2, side="old"),
        finding(rule="other"),
    ]
    selected = select([(Fake("semgrep"), out(*findings))], Config(), DIFF, TEXTS)
    assert len(selected.findings) == 4


def test_order_score_then_severity_then_place() -> None:
    findings = [
        finding(rule="c", score=0.7, severity="warning", line=1),
        finding(rule="b", score=0.7, severity="error", line=3),
        finding(rule="a", score=0.7, severity="error", line=1),
        finding(rule="z", score=0.99, severity="note", line=3),
        finding(rule="d", score=0.7, severity="error", line=1, path="a.py"),
    ]
    selected = select([(Fake("semgrep"), out(*findings))], Config(), DIFF, TEXTS)
    assert [(f.rule, f.path, f.line) for f in selected.findings] == [
        ("z", "app.py", 3),
        ("d", "a.py", 1),
        ("a", "app.py", 1),
        ("b", "app.py", 3),
        ("c", "app.py", 1),
    ]


def test_fingerprints_come_from_the_flagged_code() -> None:
    selected = select([(Fake("semgrep"), out(finding()))], Config(), DIFF, TEXTS)
    found = selected.findings[0]
    assert found.fingerprint == fingerprint(found, "new = eval(y)", 0)


def test_flagged_text_new_side_from_the_text_old_side_from_the_diff() -> None:
    assert flagged_text(finding(line=2), DIFF, TEXTS) == "new = eval(y)"
    assert flagged_text(replace(finding(line=1), end_line=3), DIFF, TEXTS) == (
        "keep = 1\nnew = eval(y)\nend = 2"
    )
    assert flagged_text(finding(line=2, side="old"), DIFF, TEXTS) == "old = eval(x)"
    # No post-image: the lines the hunks show.
    assert flagged_text(finding(line=2), DIFF, {}) == "new = eval(y)"
    # Past the end of the file: nothing, never an error.
    assert flagged_text(finding(line=40), DIFF, TEXTS) == ""


def test_no_outputs_no_findings() -> None:
    selected = select([], Config(), DIFF, TEXTS)
    assert selected.findings == () and selected.below_threshold == 0
