"""The rule pack against its own annotated test files (tests/rules, semgrep's test format): every
`ruleid:` line flagged by its rule, no `ok:` line flagged, every rule file with a test file, and
every `fix:` turning the test file into its `.fixed.py` twin, which must be valid Python."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.analyzers import semgrep_run
from bot.analyzers.semgrep import builtin_rules_dir

PROJECT = Path(__file__).resolve().parents[2]
RULE_TESTS = PROJECT / "tests" / "rules"


def _semgrep_test(folder: Path) -> dict[str, object]:
    """`semgrep test` (the native engine) over one folder holding rules and tests side by side."""
    semgrep = semgrep_run.locate()
    proc = subprocess.run(
        semgrep.argv(["test", "--experimental", "--json", str(folder)]),
        executable=semgrep.executable,
        env=semgrep_run.environment(semgrep, folder.parent),
        capture_output=True,
        timeout=300,
        check=False,
    )
    data: dict[str, object] = json.loads(proc.stdout)
    return data


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("pack") / "pack"
    folder.mkdir()
    for rule_file in builtin_rules_dir().glob("*.yml"):
        shutil.copy(rule_file, folder / rule_file.name)
    for test_file in RULE_TESTS.iterdir():
        shutil.copy(test_file, folder / test_file.name)
    return _semgrep_test(folder)


def test_every_annotated_line_is_right(outcome: dict[str, object]) -> None:
    results = outcome["results"]
    assert isinstance(results, dict) and results
    failures = [
        f"{rule}: {path}: expected {lines['expected_lines']}, got {lines['reported_lines']}"
        for checks in results.values()
        for rule, check in checks["checks"].items()
        if not check["passed"]
        for path, lines in check["matches"].items()
        if lines["expected_lines"] != lines["reported_lines"]
    ]
    assert failures == []
    assert outcome["config_with_errors"] == []


def test_every_rule_file_has_tests_and_every_rule_a_case(outcome: dict[str, object]) -> None:
    assert outcome["config_missing_tests"] == []
    tested = {rule for checks in outcome["results"].values() for rule in checks["checks"]}  # type: ignore[union-attr]
    declared = {
        line.split("id:", 1)[1].strip()
        for rule_file in builtin_rules_dir().glob("*.yml")
        for line in rule_file.read_text(encoding="utf-8").splitlines()
        if line.startswith("  - id:")
    }
    assert declared - tested == set()


def test_every_fix_gives_the_fixed_file(outcome: dict[str, object]) -> None:
    fixes = outcome["fixtest_results"]
    assert isinstance(fixes, dict) and len(fixes) >= 5
    assert all(result["passed"] for result in fixes.values()), fixes


def test_fixed_files_are_valid_python() -> None:
    fixed = sorted(RULE_TESTS.glob("*.fixed.py"))
    assert fixed
    for path in fixed:
        ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_every_rule_says_its_class_cwe_confidence_and_test_treatment() -> None:
    for rule_file in builtin_rules_dir().glob("*.yml"):
        blocks = rule_file.read_text(encoding="utf-8").split("\n  - id: ")[1:]
        assert blocks, rule_file.name
        for block in blocks:
            rule = block.split("\n", 1)[0]
            for key in ("class", "cwe", "confidence", "tests", "severity"):
                # Block style (`      key: ...`) or flow style (`{..., key: ...}`).
                assert any(f"{lead}{key}: " in block for lead in ("\n      ", " ", "{")), (
                    rule,
                    key,
                )
