"""From findings to validated fixes, and every bad input the engine meets: a backend that
fails or answers nothing, garbage or too much, a region that moved, a fix reaching outside its
region, a file that is not text."""

from __future__ import annotations

import pytest

from bot.core.errors import EngineError
from bot.core.model import Finding
from engine.backends.base import Completion, Cost
from engine.fixer import propose
from engine.patch import apply_fixes, unified_diff
from engine.prompt import END_MARK
from engine.validate import Check
from tests.engine.scripted import Scripted, says

TEXT = (
    "import os\n"
    "\n"
    "\n"
    "def total(items):\n"
    "    result = 0\n"
    "    for item in items:\n"
    "        result -= item\n"
    "    return result\n"
    "\n"
    "\n"
    "def other():\n"
    "    return 1\n"
)
FIXED_REGION = (
    "def total(items):\n"
    "    result = 0\n"
    "    for item in items:\n"
    "        result += item\n"
    "    return result\n"
)


def finding(
    line: int = 7, end: int | None = None, suggestion: str | None = None, source: str = "detector"
) -> Finding:
    return Finding(
        "calc.py",
        line,
        end or line,
        "warning",
        source,
        "wrong-operator",
        "`-=` looks like the wrong operator.",
        0.9,
        suggestion=suggestion,
        fingerprint=f"fp{line}",
    )


def test_a_model_fix_of_one_line_is_a_one_click_suggestion() -> None:
    backend = says(FIXED_REGION)
    result = propose([finding()], {"calc.py": TEXT}, backend, [])
    assert not result.dropped
    (fix,) = result.fixes
    assert (fix.start, fix.end, fix.replacement) == (7, 7, "        result += item\n")
    assert fix.original == "        result -= item\n"
    assert fix.suggestion and fix.origin == "model" and fix.finding == "fp7"
    assert fix.checks == ("changes", "in-region", "utf-8", "parses")
    request = backend.requests[0]
    assert request.draft.startswith("def total(items):") and request.stop == (END_MARK,)
    assert "calc.py" in request.prefix and "wrong operator" in request.suffix
    assert "wrong operator" not in request.prefix  # the finding is in the variable suffix


def test_the_prefix_is_shared_by_every_finding_of_a_file() -> None:
    backend = says(FIXED_REGION)
    propose([finding(7), finding(12)], {"calc.py": TEXT}, backend, [])
    first, second = backend.requests
    assert first.prefix == second.prefix and first.suffix != second.suffix


def test_a_rule_fix_needs_no_backend() -> None:
    result = propose(
        [finding(suggestion="        result += item\n", source="semgrep")],
        {"calc.py": TEXT},
        None,
        [],
    )
    (fix,) = result.fixes
    assert fix.origin == "rule" and fix.suggestion
    assert apply_fixes({"calc.py": TEXT}, result.fixes)["calc.py"].count("result += item") == 1


@pytest.mark.parametrize(
    ("backend", "reason"),
    [
        (says(""), "returned nothing"),
        (says("   \n"), "returned nothing"),
        (says("def total(items:\n    ))(\n"), "does not parse"),
        (says("\x00\x01garbage"), "garbage"),
        (says(FIXED_REGION * 40, finish="length"), "did not end within"),
        (says(FIXED_REGION.replace("+=", "-=")), "changed nothing"),
        (says(FIXED_REGION + "\n\ndef other():\n    return 1\n"), "outside its region"),
        (
            Scripted(lambda r: EngineError("connection refused")),
            "backend failed: connection refused",
        ),
    ],
)
def test_bad_answers_are_dropped_with_their_reason(backend: Scripted, reason: str) -> None:
    result = propose([finding()], {"calc.py": TEXT}, backend, [])
    assert not result.fixes
    (dropped,) = result.dropped
    assert reason in dropped.reason
    assert dropped.rule == "detector:wrong-operator" and dropped.line == 7


def test_a_region_that_moved_since_the_finding_is_dropped() -> None:
    result = propose([finding(40)], {"calc.py": TEXT}, says(FIXED_REGION), [])
    assert "moved on" in result.dropped[0].reason


def test_binary_or_non_utf8_files_are_skipped() -> None:
    result = propose([finding()], {"calc.py": None}, says(FIXED_REGION), [])
    assert "not UTF-8" in result.dropped[0].reason


def test_no_backend_and_no_rule_is_recorded() -> None:
    result = propose([finding()], {"calc.py": TEXT}, None, [])
    assert "no model is configured" in result.dropped[0].reason


def test_passed_in_checks_run_batched_and_a_failing_check_fails_closed() -> None:
    seen: list[int] = []

    def reject_all(items):
        seen.append(len(items))
        return ["semgrep raises eval-exec on the fixed lines"] * len(items)

    result = propose(
        [finding(7), finding(12)],
        {"calc.py": TEXT},
        says(FIXED_REGION),
        [Check("semgrep", reject_all)],
    )
    assert seen == [2]  # one call for both candidates
    assert {d.reason for d in result.dropped} >= {"semgrep raises eval-exec on the fixed lines"}

    def broken(items):
        raise RuntimeError("boom")

    result = propose([finding()], {"calc.py": TEXT}, says(FIXED_REGION), [Check("ruff", broken)])
    assert not result.fixes and "the ruff check failed" in result.dropped[0].reason


def test_fixes_become_a_patch_and_a_moved_file_is_refused() -> None:
    result = propose([finding()], {"calc.py": TEXT}, says(FIXED_REGION), [])
    patch = unified_diff({"calc.py": TEXT}, result.fixes)
    assert patch.startswith("diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ ")
    assert "-        result -= item\n+        result += item\n" in patch
    with pytest.raises(EngineError, match="changed since"):
        apply_fixes({"calc.py": TEXT.replace("result -= item", "result *= item")}, result.fixes)


def test_cost_adds_up_over_answers() -> None:
    backend = Scripted(
        lambda r: Completion(
            FIXED_REGION, "stop", Cost(generated_tokens=10, forward_passes=3, wall_s=0.5)
        )
    )
    result = propose([finding(7), finding(5)], {"calc.py": TEXT}, backend, [])
    assert result.cost.generated_tokens == 20 and result.cost.forward_passes == 6
