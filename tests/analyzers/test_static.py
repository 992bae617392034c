"""Differential static analysis with the real ruff and mypy: only diagnostics new on changed
lines, a moved diagnostic matched by its fingerprint, nothing from the change executed, and
each bad input degrading with a reason (a broken or refused type-checker configuration, a file
that does not parse, a non-Python file, a type checker cut off by the budget)."""

from __future__ import annotations

import difflib
import time
from pathlib import Path

from bot.analyzers.static import StaticAnalyzer
from bot.core.diff import parse_diff
from bot.core.model import Diff
from bot.core.policy import Config
from bot.core.ports import AnalysisRequest, AnalyzerOutput
from bot.core.trees import MemoryTree

BASE = """import os


def area(width: int, height: int) -> int:
    return width * height


def label(name: str) -> str:
    return name.title()
"""
# A changed line the type checker objects to (an int returned where a str is promised).
BAD_RETURN = ("return name.title()", "return len(name)")


def _patch(path: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}"
    )
    return f"diff --git a/{path} b/{path}\n" + "".join(lines)


def _request(
    changes: dict[str, tuple[str, str]], base_files: dict[str, str] | None = None
) -> AnalysisRequest:
    diff = parse_diff("".join(_patch(p, old, new) for p, (old, new) in changes.items()))
    texts = {p: new for p, (_, new) in changes.items()}
    base = {p: old for p, (old, _) in changes.items()} | (base_files or {})
    return AnalysisRequest(diff, texts, Config(), MemoryTree(base))


def _run(
    request: AnalysisRequest, checker: str | None = "mypy", budget: float = 60
) -> AnalyzerOutput:
    return StaticAnalyzer(type_checker=checker).analyze(request, time.monotonic() + budget)


def test_only_diagnostics_new_on_changed_lines_are_reported() -> None:
    # `os` was already unused in the base (F401 there too): not this change's doing, even
    # though a new first line moves it down. The undefined name and the bad return are new.
    new = "# a header line moves everything down\n" + BASE.replace(
        "return width * height", "return width * heigth"
    ).replace(*BAD_RETURN)
    output = _run(_request({"geo.py": (BASE, new)}))
    rules = sorted(f.rule for f in output.findings)
    assert rules == ["F821", "mypy:return-value"], [f.message for f in output.findings]
    undefined = next(f for f in output.findings if f.rule == "F821")
    assert (
        undefined.line == 6 and "heigth" in undefined.message and "ruff F821" in undefined.message
    )
    ret = next(f for f in output.findings if f.rule == "mypy:return-value")
    assert "Incompatible return value" in ret.message and ret.line == 10
    reasons = [r for s in output.scores for r in s.reasons]
    assert any(r.startswith("ruff F821: Undefined name `heigth`") for r in reasons), reasons
    assert any(r.startswith("mypy [return-value]") for r in reasons), reasons


def test_nothing_from_the_change_is_executed(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    new = BASE + f"\nopen({str(marker)!r}, 'w').write('x')\nraise SystemExit(3)\n"
    output = _run(_request({"geo.py": (BASE, new)}))
    assert not marker.exists()
    assert "1 module(s)" in (output.detail or "")


def test_a_broken_type_checker_configuration_degrades_and_says_why() -> None:
    new = BASE.replace(*BAD_RETURN)
    broken = {"pyproject.toml": "[tool.mypy\nstrict = true\n"}
    output = _run(_request({"geo.py": (BASE, new)}, broken))
    assert "the mypy configuration in pyproject.toml cannot be read" in (output.detail or "")
    assert "mypy ran with its defaults" in (output.detail or "")
    assert [f.rule for f in output.findings] == ["mypy:return-value"]


def test_options_mypy_cannot_use_are_reported_and_the_rest_still_runs() -> None:
    new = BASE.replace(*BAD_RETURN)
    refused = {"mypy.ini": "[mypy]\npython_version = banana\n"}
    output = _run(_request({"geo.py": (BASE, new)}, refused))
    assert "mypy ignored part of the base's configuration" in (output.detail or "")
    assert "banana" in (output.detail or "")
    assert [f.rule for f in output.findings] == ["mypy:return-value"]


def test_a_file_that_does_not_parse_is_a_syntax_finding_and_is_not_type_checked() -> None:
    new = BASE.replace("return name.title()", "return name.title(")
    output = _run(_request({"geo.py": (BASE, new)}))
    assert "geo.py does not parse (line" in (output.detail or "")
    assert "not type-checked" in (output.detail or "")
    syntax = [f for f in output.findings if f.rule == "syntax-error"]
    assert syntax and syntax[0].severity == "error"


def test_a_non_python_file_is_skipped_and_noted() -> None:
    output = _run(_request({"README.md": ("# Title\n", "# Title\n\nMore.\n")}), checker=None)
    assert output.findings == ()
    assert "1 non-Python file(s) skipped" in (output.detail or "")


def test_a_type_checker_past_the_budget_is_cut_off_and_the_review_says_so() -> None:
    new = BASE.replace("return width * height", "return width * heigth")
    request = _request({"geo.py": (BASE, new)})
    analyzer = StaticAnalyzer(type_checker="mypy")
    # ruff answers within milliseconds; mypy needs far longer than a 0.3 s budget.
    output = analyzer.analyze(request, time.monotonic() + 0.3)
    detail = output.detail or ""
    if "ruff did not finish" in detail:  # a machine too loaded for even ruff: still said
        return
    assert "mypy did not finish within the analyzer's budget" in detail
    assert [f.rule for f in output.findings] == ["F821"]


def test_an_added_file_has_no_base_and_every_diagnostic_on_it_is_new() -> None:
    text = "import os\n\n\ndef f(x=[]):\n    return y\n"
    diff = parse_diff(
        "diff --git a/new.py b/new.py\nnew file mode 100644\n--- /dev/null\n+++ b/new.py\n"
        "@@ -0,0 +1,5 @@\n" + "".join(f"+{line}\n" for line in text.split("\n")[:5])
    )
    request = AnalysisRequest(diff, {"new.py": text}, Config(), MemoryTree({}))
    rules = sorted(f.rule for f in _run(request, checker=None).findings)
    assert rules == ["B006", "F401", "F821"]


def test_an_empty_diff_reports_nothing() -> None:
    request = AnalysisRequest(Diff(), {}, Config())
    assert _run(request).findings == ()
