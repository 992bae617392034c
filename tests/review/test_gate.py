"""The merge gate as a pure decision: findings at or above `fail-on` (per path, overrides
included) fail it; an analyzer that could not run, or a file the rules could not read, fails
it too unless the base's policy says `fail-closed = "off"`."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.model import AnalyzerRun, Finding, Skipped
from bot.core.policy import Config, parse_config
from bot.review.gate import decide


def finding(severity: str, path: str = "app.py", line: int = 3) -> Finding:
    return Finding(path, line, line, severity, "semgrep", "rule-x", "message", 0.9)  # type: ignore[arg-type]


def run(name: str, status: str, detail: str | None = None) -> AnalyzerRun:
    return AnalyzerRun(name, "1", 5, status, detail)  # type: ignore[arg-type]


OK_RUNS = [run("semgrep", "ok"), run("entropy", "ok")]


@pytest.mark.parametrize(
    ("fail_on", "failing"),
    [
        ("error", {"error"}),
        ("warning", {"error", "warning"}),
        ("never", set()),
    ],
)
def test_fail_on_levels(fail_on: str, failing: set[str]) -> None:
    config = parse_config(f'fail-on = "{fail_on}"')
    for severity in ("error", "warning", "note"):
        gate = decide([finding(severity)], OK_RUNS, config)
        assert gate.failed is (severity in failing), severity
        assert gate.fail_on == fail_on


def test_reasons_name_source_rule_and_place() -> None:
    gate = decide([finding("error", "pkg/a.py", 12)], OK_RUNS, Config())
    assert gate.reasons == ("semgrep: rule-x at pkg/a.py:12",)


def test_no_findings_and_every_analyzer_ok_passes() -> None:
    gate = decide([], OK_RUNS, Config())
    assert not gate.failed and gate.reasons == ()


def test_overrides_set_fail_on_per_path() -> None:
    config = parse_config(
        'fail-on = "error"\n'
        '[[overrides]]\npaths = ["tests/**"]\nfail-on = "never"\n'
        '[[overrides]]\npaths = ["src/auth/**"]\nfail-on = "warning"\n'
    )
    assert not decide([finding("error", "tests/test_a.py")], OK_RUNS, config).failed
    assert decide([finding("warning", "src/auth/login.py")], OK_RUNS, config).failed
    assert not decide([finding("warning", "src/other.py")], OK_RUNS, config).failed
    assert decide([finding("error", "src/other.py")], OK_RUNS, config).failed


@pytest.mark.parametrize("status", ["error", "timeout"])
@pytest.mark.parametrize(
    ("mode", "rule_pack_fails", "other_fails"),
    [("rules", True, False), ("all", True, True), ("off", False, False)],
)
def test_fail_closed_on_analyzers_that_could_not_run(
    mode: str, rule_pack_fails: bool, other_fails: bool, status: str
) -> None:
    config = parse_config(f'fail-closed = "{mode}"')
    for name in ("semgrep", "markers"):
        gate = decide([], [run(name, status, "boom")], config)
        assert gate.failed is rule_pack_fails, (name, mode)
        if rule_pack_fails:
            assert gate.reasons == (f"{name}: could not run ({status}: boom)",)
    gate = decide([], [run("entropy", status)], config)
    assert gate.failed is other_fails
    if other_fails:
        assert gate.reasons == (f"entropy: could not run ({status}: no detail)",)


@pytest.mark.parametrize(
    ("mode", "rule_pack_fails", "other_fails"),
    [("rules", True, False), ("all", True, True), ("off", False, False)],
)
def test_fail_closed_on_unavailable_analyzers(
    mode: str, rule_pack_fails: bool, other_fails: bool
) -> None:
    config = parse_config(f'fail-closed = "{mode}"')
    semgrep = run("semgrep", "skipped", "semgrep is not installed")
    assert decide([], [semgrep], config).failed is rule_pack_fails
    detector = run("detector", "skipped", "no weights")
    assert decide([], [detector], config).failed is other_fails


@pytest.mark.parametrize("mode", ["rules", "all", "off"])
def test_disabled_analyzers_never_fail_the_gate(mode: str) -> None:
    # The base's own choice to switch an analyzer off is not a failure to look.
    config = parse_config(f'fail-closed = "{mode}"')
    runs = [
        run("semgrep", "skipped", "disabled in .redline.toml"),
        run("entropy", "skipped", "disabled in .redline.toml"),
    ]
    assert not decide([], runs, config).failed


@pytest.mark.parametrize(("mode", "fails"), [("rules", True), ("all", True), ("off", False)])
def test_unscanned_files_fail_closed(mode: str, fails: bool) -> None:
    config = parse_config(f'fail-closed = "{mode}"')
    unscanned = [Skipped("big.py", "larger than 16384 KiB")]
    gate = decide([], OK_RUNS, config, unscanned)
    assert gate.failed is fails
    if fails:
        assert gate.reasons == ("coverage: big.py not read by the rules (larger than 16384 KiB)",)


def test_fail_on_never_does_not_fail_closed() -> None:
    config = parse_config('fail-on = "never"\nfail-closed = "all"')
    gate = decide(
        [finding("error")], [run("semgrep", "error")], config, [Skipped("a.py", "too big")]
    )
    assert not gate.failed and gate.reasons == ()


def test_every_reason_is_listed_in_order() -> None:
    config = parse_config('fail-closed = "all"')
    gate = decide(
        [finding("error", "a.py", 1), finding("error", "b.py", 2)],
        [run("semgrep", "timeout", "exceeded"), run("entropy", "ok"), run("static", "error")],
        config,
        [Skipped("c.py", "too big")],
    )
    assert gate.reasons == (
        "semgrep: rule-x at a.py:1",
        "semgrep: rule-x at b.py:2",
        "semgrep: could not run (timeout: exceeded)",
        "static: could not run (error: no detail)",
        "coverage: c.py not read by the rules (too big)",
    )


def test_a_detail_that_only_mentions_disabling_is_not_disabled() -> None:
    # Only the pipeline's own wording marks a disabled analyzer; an analyzer's error text
    # cannot pass for it.
    config = Config()
    forged = run("semgrep", "skipped", "rules failed: disabled in .redline.toml")
    assert decide([], [forged], config).failed


SEVERITIES = st.lists(st.sampled_from(["error", "warning", "note"]), max_size=6)
STATUSES = st.lists(st.sampled_from(["ok", "error", "timeout", "skipped"]), max_size=3)


@settings(max_examples=50, deadline=None)
@given(
    SEVERITIES,
    STATUSES,
    st.sampled_from(["rules", "all", "off"]),
    st.sampled_from(["error", "warning", "never"]),
    st.sampled_from(["error", "warning", "note"]),
)
def test_more_findings_never_pass_a_failed_gate(
    severities: list[str], statuses: list[str], mode: str, fail_on: str, extra: str
) -> None:
    config = parse_config(f'fail-closed = "{mode}"\nfail-on = "{fail_on}"')
    runs = [
        run(name, status)
        for name, status in zip(("semgrep", "entropy", "static"), statuses, strict=False)
    ]
    before = decide([finding(s) for s in severities], runs, config)
    after = decide([finding(s) for s in [*severities, extra]], runs, config)
    assert before.failed is bool(before.reasons)
    assert after.failed >= before.failed
    if mode == "off" or fail_on == "never":
        assert not any("could not run" in r for r in after.reasons)
    if fail_on == "never":
        assert not after.failed
