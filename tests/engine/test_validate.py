"""Shadow validation's own checks, one by one (the fix changes something, stays in its region,
keeps a parsing file parsing), their order and failing closed; and how a model's answer
becomes a candidate or the reason it does not."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bot.core.errors import EngineError
from bot.core.model import Finding
from engine.backends.base import Completion, Cost
from engine.fixer import Options, fit_to_finding, model_candidate, prompt_for, rule_candidate
from engine.prompt import FixPrompt, render
from engine.suggest import token_suggestion
from engine.validate import (
    BUILTIN_CHECKS,
    Candidate,
    Check,
    Shadow,
    apply,
    parses,
    run_checks,
    shadow,
    validate,
)

TEXT = "def f(a, b):\n    if a < b:\n        return a\n    return b\n\n\nX = 1\n"


def _finding(
    line: int, end: int | None = None, suggestion: str | None = None, source: str = "detector"
) -> Finding:
    return Finding("m.py", line, end or line, "warning", source, "cmp", "looks off", 0.9,
                   suggestion=suggestion, fingerprint=f"fp{line}")  # fmt: skip


def _candidate(
    start: int, end: int, replacement: str, region: tuple[int, int] = (1, 4)
) -> Candidate:
    original = "".join(TEXT.splitlines(keepends=True)[start - 1 : end])
    return Candidate(_finding(start, end), start, end, replacement, original, "model", region)


def _reasons(
    *candidates: Candidate, checks: Sequence[Check] = (), python: bool = True
) -> list[str | None]:
    shadows = [shadow(c, TEXT, python) for c in candidates]
    return [o.reason for o in run_checks(shadows, checks)]


def test_a_good_fix_passes_every_builtin_check_in_order() -> None:
    (outcome,) = run_checks([shadow(_candidate(2, 2, "    if a <= b:\n"), TEXT, True)], ())
    assert outcome.reason is None
    assert outcome.passed == tuple(c.name for c in BUILTIN_CHECKS)
    assert outcome.shadow.after == TEXT.replace("a < b", "a <= b")
    assert (outcome.shadow.start, outcome.shadow.end) == (2, 2)


def test_a_fix_that_changes_nothing_is_rejected() -> None:
    assert _reasons(_candidate(2, 2, "    if a < b:\n")) == ["the fix changes nothing"]


def test_a_fix_outside_its_region_is_rejected() -> None:
    (reason,) = _reasons(_candidate(7, 7, "X = 2\n", region=(1, 4)))
    assert reason == "the fix touches lines 7-7, outside its region 1-4"
    (reason,) = _reasons(_candidate(3, 5, "        return b\n", region=(1, 4)))
    assert reason is not None and "outside its region" in reason


def test_a_fix_that_breaks_the_parse_is_rejected_only_where_it_parsed() -> None:
    assert _reasons(_candidate(2, 2, "    if a < b\n")) == ["the patched file does not parse"]
    # Not Python: the parse is not the engine's business.
    assert _reasons(_candidate(2, 2, "    if a < b\n"), python=False) == [None]
    broken = "def f(:\n    return 1\n"
    candidate = Candidate(_finding(2), 2, 2, "    return 2\n", "    return 1\n", "model", (1, 2))
    (outcome,) = run_checks([shadow(candidate, broken, True)], ())
    assert outcome.reason is None


def test_a_deletion_shadow_ends_before_it_starts() -> None:
    deleted = shadow(_candidate(7, 7, "", region=(5, 7)), TEXT, True)
    assert (deleted.start, deleted.end) == (7, 6)
    assert deleted.after == TEXT.replace("X = 1\n", "")


def test_passed_in_checks_run_after_the_builtins_on_the_survivors_only() -> None:
    seen: list[int] = []

    def first_line_only(items: Sequence[Shadow]) -> list[str | None]:
        seen.extend(s.candidate.start for s in items)
        return [None if s.candidate.start == 2 else "not line 2" for s in items]

    reasons = _reasons(
        _candidate(2, 2, "    if a <= b:\n"),
        _candidate(3, 3, "        return a\n"),  # no change: stops at the built-ins
        _candidate(4, 4, "    return a\n"),
        checks=[Check("line-two", first_line_only)],
    )
    assert reasons == [None, "the fix changes nothing", "not line 2"]
    assert seen == [2, 4]


def test_a_check_that_raises_or_miscounts_fails_closed() -> None:
    def broken(items: Sequence[Shadow]) -> list[str | None]:
        raise RuntimeError("analyzer crashed")

    def short(items: Sequence[Shadow]) -> list[str | None]:
        return []

    good = _candidate(2, 2, "    if a <= b:\n")
    (reason,) = _reasons(good, checks=[Check("semgrep", broken)])
    assert reason == "the semgrep check failed: RuntimeError: analyzer crashed"
    (reason,) = _reasons(good, checks=[Check("ruff", short)])
    assert reason == "the ruff check answered for the wrong number of fixes"


def test_the_quick_validation_of_a_line_replacement() -> None:
    assert validate(TEXT, 2, 2, "    if a <= b:\n").ok
    assert validate(TEXT, 2, 2, "    if a < b:\n") == validate(TEXT, 2, 2, "    if a < b:\n")
    assert validate(TEXT, 2, 2, "    if a < b:\n").reason == "the replacement changes nothing"
    assert validate(TEXT, 2, 2, "    if a <\n").reason == "the replacement does not parse"
    assert validate(TEXT, 0, 1, "x\n").reason == "lines 0-1 are outside the file"
    assert validate(TEXT, 2, 2, "    if a <\n", python=False).ok
    assert apply("a\nb\nc", 2, 2, "B\n") == "a\nB\nc"
    assert parses(TEXT) and not parses("def (")


def test_a_token_suggestion_is_the_whole_line_with_the_token_swapped() -> None:
    col = TEXT.split("\n")[1].index("<")
    assert token_suggestion(TEXT, 2, col, col + 1, "<=") == "    if a <= b:\n"
    assert token_suggestion(TEXT, 2, col, col + 1, "<") is None  # no change
    assert token_suggestion(TEXT, 2, col, col + 1, "<<<") is None  # does not parse
    assert token_suggestion(TEXT, 99, 0, 1, "x") is None
    assert token_suggestion(TEXT, 2, 0, 500, "x") is None


def test_a_change_inside_the_findings_lines_is_widened_to_them() -> None:
    text = "a\nb\nc\nd\n"
    finding = _finding(2, 3)
    assert fit_to_finding(finding, 3, 3, "C", text) == (2, 3, "b\nC\n")
    assert fit_to_finding(finding, 2, 1, "x\n", text) == (2, 3, "x\nb\nc\n")
    # Outside the finding: left as it is (a patch, not a suggestion).
    assert fit_to_finding(finding, 4, 4, "D\n", text) == (4, 4, "D\n")


def test_a_findings_own_suggestion_is_its_candidate() -> None:
    assert rule_candidate(_finding(2), TEXT) is None
    rule = rule_candidate(_finding(2, suggestion="    if a <= b:\n", source="semgrep"), TEXT)
    assert rule is not None and rule.origin == "rule" and rule.original == "    if a < b:\n"
    repair = rule_candidate(_finding(2, suggestion="    if a <= b:\n"), TEXT)
    assert repair is not None and repair.origin == "detector" and repair.region == (2, 2)


def _answer(text: str, finish: str = "stop") -> Completion:
    return Completion(text, finish, Cost(generated_tokens=12, wall_s=0.25))  # type: ignore[arg-type]


@pytest.fixture
def task() -> FixPrompt:
    return prompt_for(_finding(2), TEXT, True, Options())


def test_a_model_answer_becomes_the_smallest_change_in_the_findings_lines(task: FixPrompt) -> None:
    assert (task.start, task.end) == (1, 4)
    candidate = model_candidate(_finding(2), task, _answer(task.region.replace("<", "<=")))
    assert isinstance(candidate, Candidate)
    assert (candidate.start, candidate.end, candidate.replacement) == (2, 2, "    if a <= b:\n")
    assert candidate.region == (1, 4) and candidate.tokens == 12 and candidate.ms == 250


@pytest.mark.parametrize(
    ("answer", "finish", "reason"),
    [
        ("whatever", "length", "did not end within 12 tokens"),
        ("  \n", "stop", "the model returned nothing"),
        ("def f(a, b):\x00\n", "stop", "garbage"),
        (None, "stop", "the model changed nothing"),
        ("RUNS_PAST", "stop", "rewrote the lines after it"),
    ],
)
def test_bad_model_answers_are_reasons(
    task: FixPrompt, answer: str | None, finish: str, reason: str
) -> None:
    if answer is None:
        answer = task.region + "\n"  # a trailing blank line is not a change
    elif answer == "RUNS_PAST":
        answer = task.region.replace("<", "<=") + "\n\nX = 1\n"
    made = model_candidate(_finding(2), task, _answer(answer, finish))
    assert isinstance(made, str) and reason in made


def test_a_region_too_large_for_the_backend_is_an_engine_error() -> None:
    task = FixPrompt("m.py", TEXT, 1, 4, "x")
    with pytest.raises(EngineError, match="does not fit"):
        render(task, 10, len)
