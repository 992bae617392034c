"""The size limits of issue 12: no module over 600 lines, no function over 60 without a reason.

A function may stay longer than the limit when its docstring says why, on a line that starts
with ``Long:`` (a reference implementation kept as a plain loop, a frozen migration). The
checker reads the source with ``ast`` only, so it imports nothing of the packages it walks.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "webhooks", "review_models", "ordering", "verify", "engine")
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 60
REASON_PREFIX = "Long:"

_Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Oversize:
    """One module or function over its limit, as the failure message lists it."""

    where: str
    name: str
    lines: int
    limit: int

    def __str__(self) -> str:
        return f"{self.where}: {self.name} is {self.lines} lines (limit {self.limit})"


def _has_reason(node: _Function) -> bool:
    """Whether the docstring states why the function is long (a line starting ``Long:``)."""
    doc = ast.get_docstring(node) or ""
    return any(line.strip().startswith(REASON_PREFIX) for line in doc.splitlines())


def _qualified_functions(tree: ast.AST) -> list[tuple[str, _Function]]:
    """Every function and method with a dotted name (``Class.method``, ``outer.inner``)."""
    found: list[tuple[str, _Function]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                found.append((name, child))
                visit(child, f"{name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def oversized(source: str, where: str) -> list[Oversize]:
    """The module and function limits that ``source`` breaks, reasons taken into account.

    A function's length runs from its ``def`` line to its last line (decorators excluded), so a
    docstring counts, as it does for the reader scrolling past it.
    """
    found: list[Oversize] = []
    module_lines = len(source.splitlines())
    if module_lines > MAX_MODULE_LINES:
        found.append(Oversize(where, "module", module_lines, MAX_MODULE_LINES))
    for name, node in _qualified_functions(ast.parse(source)):
        end = node.end_lineno if node.end_lineno is not None else node.lineno
        length = end - node.lineno + 1
        if length > MAX_FUNCTION_LINES and not _has_reason(node):
            found.append(Oversize(f"{where}:{node.lineno}", name, length, MAX_FUNCTION_LINES))
    return found


def _package_modules() -> list[Path]:
    modules: list[Path] = []
    for package in PACKAGES:
        modules.extend(sorted((ROOT / package).rglob("*.py")))
    return modules


def test_the_packages_are_found() -> None:
    # A renamed package would make the limits pass vacuously.
    for package in PACKAGES:
        assert (ROOT / package / "__init__.py").is_file(), package


def test_no_module_or_function_is_over_its_limit() -> None:
    found: list[Oversize] = []
    for path in _package_modules():
        where = path.relative_to(ROOT).as_posix()
        found.extend(oversized(path.read_text(encoding="utf-8"), where))
    assert not found, "over the size limits (split, or state a `Long:` reason):\n" + "\n".join(
        str(item) for item in found
    )


def _function_source(body_lines: int, docstring: str) -> str:
    """A function of exactly ``2 + body_lines`` lines: its def, a docstring line, the body."""
    body = "\n".join(f"    x{i} = {i}" for i in range(body_lines))
    return f"def long_one():\n    {docstring!r}\n{body}\n"


def test_the_checker_reports_a_61_line_function() -> None:
    source = _function_source(59, "Does many things.")
    assert len(source.splitlines()) == 61
    assert [(o.name, o.lines) for o in oversized(source, "x.py")] == [("long_one", 61)]


def test_the_checker_accepts_a_60_line_function() -> None:
    assert oversized(_function_source(58, "Does many things."), "x.py") == []


def test_the_checker_accepts_a_long_function_with_a_reason() -> None:
    reason = "Does many things.\n\n    Long: a reference loop, kept plain on purpose."
    assert oversized(_function_source(59, reason), "x.py") == []


def test_a_reason_must_start_its_line() -> None:
    # "Long:" in the middle of a sentence is not a stated reason.
    source = _function_source(59, "Not Long: at all.")
    assert [o.name for o in oversized(source, "x.py")] == ["long_one"]


def test_the_checker_counts_methods_and_excludes_decorators() -> None:
    body = "\n".join(f"        x{i} = {i}" for i in range(59))
    source = (
        textwrap.dedent("""\
        class Box:
            @staticmethod
            @property
            def method():
                "Doc."
        """)
        + body
        + "\n"
    )
    found = oversized(source, "x.py")
    assert [(o.name, o.lines, o.where) for o in found] == [("Box.method", 61, "x.py:4")]


def test_the_checker_reports_a_module_over_600_lines() -> None:
    source = "\n".join(f"x{i} = {i}" for i in range(601)) + "\n"
    assert [(o.name, o.lines) for o in oversized(source, "big.py")] == [("module", 601)]
