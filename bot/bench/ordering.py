"""`redline bench ordering`: the reading order on PRs whose true dependency structure is
known, against the host's alphabetical order.

Synthetic PRs are built from real standard-library modules: each "unit" is a chain of files
where one file defines a new function and the next imports and uses it, plus a test of the
chain; units are independent of each other (some form a cycle on purpose). Real PRs are the
multi-file commits in ../shared/data/commits/, whose true def-use edges are computed here with
a strict full-`ast` analysis of the post-images (added definitions, imported and used on added
lines), independently of the ordering's own relation graph."""

from __future__ import annotations

import ast
import gzip
import json
import random
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.bench import BenchOptions
from bot.bench.corpus import stdlib_files
from bot.core.diff import parse_diff
from ordering import OrderInput, plan_order
from ordering.facts import python_module


@dataclass
class Case:
    items: list[OrderInput]
    edges: set[tuple[str, str]]  # (definition file, use file): read the first first
    units: list[set[str]]  # groups of related files (empty for real commits)
    tests: dict[str, set[str]]  # test file -> code files it tests
    cyclic: bool


def _item(path: str, text: str, changed: set[int]) -> OrderInput:
    return OrderInput(
        path,
        "python",
        text,
        frozenset(changed),
        hunk_spans=((min(changed), max(changed)),) if changed else (),
    )


def synthetic_case(
    rng: random.Random, modules: list[Path], units: int, max_chain: int = 3, cycle: bool = False
) -> Case:
    items: list[OrderInput] = []
    edges: set[tuple[str, str]] = set()
    groups: list[set[str]] = []
    tests: dict[str, set[str]] = {}
    need = units * (max_chain + 1)
    pool = rng.sample(modules, need) if need <= len(modules) else rng.choices(modules, k=need)
    for unit in range(units):
        length = rng.randint(1, max_chain)
        chain = [pool.pop() for _ in range(length)]
        paths = [f"pkg{unit}/{p.stem}_{unit}.py" for p in chain]
        texts = [p.read_text(encoding="utf-8") for p in chain]
        group = set(paths)
        for index, (path, text) in enumerate(zip(paths, texts, strict=True)):
            base = text.count("\n") + 1
            lines = []
            if index > 0:
                previous = python_module(paths[index - 1])
                lines.append(f"from {previous} import step_{unit}_{index - 1}")
            lines += ["", "", f"def step_{unit}_{index}(value):"]
            if index > 0:
                lines.append(f"    value = step_{unit}_{index - 1}(value)")
                edges.add((paths[index - 1], path))
            if cycle and unit == 0 and index == 0 and length > 1:
                lines.append(f"    from {python_module(paths[-1])} import step_{unit}_{length - 1}")
                lines.append(f"    return step_{unit}_{length - 1}(value) + 1")
                edges.add((paths[-1], path))
            else:
                lines.append(f"    return value + {index + 1}")
            full = text.rstrip("\n") + "\n" + "\n".join(lines) + "\n"
            changed = set(range(base, base + len(lines) + 1))
            items.append(_item(path, full, changed))
        test_path = f"tests/test_{chain[-1].stem}_{unit}.py"
        test_text = (
            f"from {python_module(paths[-1])} import step_{unit}_{length - 1}\n\n\n"
            f"def test_step_{unit}():\n    assert step_{unit}_{length - 1}(0) > 0\n"
        )
        items.append(_item(test_path, test_text, {1, 2, 3, 4, 5}))
        tests[test_path] = {paths[-1]}
        group.add(test_path)
        groups.append(group)
    rng.shuffle(items)
    return Case(items, edges, groups, tests, cycle)


def _defined_on_added(tree: ast.Module, added: set[int]) -> set[str]:
    """Names another module can use: module-level and class-level definitions on added lines
    (a function's local variables are no one else's)."""
    names = set()
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.lineno in added:
                names.add(node.name)
            if isinstance(node, ast.ClassDef):
                pending.extend(node.body)
        elif isinstance(node, ast.Assign | ast.AnnAssign) and node.lineno in added:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.If | ast.Try):
            # Definitions under `if TYPE_CHECKING:` or `try: import ...` are module-level.
            pending.extend(node.body)
            pending.extend(node.orelse)
    return names


def _imports_of(tree: ast.Module, module: str, is_package: bool) -> tuple[set[str], set[str]]:
    """(modules imported, names imported with their modules as 'mod:name')."""
    from ordering.python import resolve_relative

    modules: set[str] = set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = (
                resolve_relative(module, node.level, node.module, is_package)
                if node.level
                else node.module or ""
            )
            modules.add(base)
            for alias in node.names:
                names.add(f"{base}:{alias.name}")
                modules.add(f"{base}.{alias.name}")
    return modules, names


def true_edges(files: dict[str, str], added: dict[str, set[int]]) -> set[tuple[str, str]]:
    trees = {}
    for path, text in files.items():
        try:
            trees[path] = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
    defined = {p: _defined_on_added(t, added.get(p, set())) for p, t in trees.items()}
    edges = set()
    for user, tree in trees.items():
        module = python_module(user)
        modules, names = _imports_of(tree, module, user.endswith("__init__.py"))
        used = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.lineno in added.get(user, set()):
                used.add(node.id)
            elif isinstance(node, ast.Attribute) and node.lineno in added.get(user, set()):
                used.add(node.attr)
        for owner, symbols in defined.items():
            if owner == user:
                continue
            owner_module = python_module(owner)
            linked = owner_module in modules or any(n.startswith(owner_module + ":") for n in names)
            if linked and symbols & used:
                edges.add((owner, user))
    return edges


def real_cases(data: Path, limit: int | None = None) -> list[Case]:
    cases = []
    for path in sorted(data.glob("commits/*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                files = record["files"]
                if len(files) < 2:
                    continue
                diff = parse_diff(record["diff"])
                added: dict[str, set[int]] = {}
                items = []
                for file in diff.files:
                    if file.path not in files:
                        continue
                    lines = {n for h in file.hunks for n in h.touched_new_lines}
                    added[file.path] = set().union(*(h.added_line_numbers for h in file.hunks))
                    items.append(
                        OrderInput(
                            file.path,
                            file.language,
                            files[file.path],
                            frozenset(lines),
                            status=file.status,
                        )
                    )
                if len(items) < 2:
                    continue
                edges = true_edges({i.path: i.text or "" for i in items}, added)
                cases.append(Case(items, edges, [], {}, _has_cycle(edges)))
    return cases[:limit] if limit else cases


def _has_cycle(edges: set[tuple[str, str]]) -> bool:
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
    seen: set[str] = set()
    stack: set[str] = set()

    def visit(node: str) -> bool:
        if node in stack:
            return True
        if node in seen:
            return False
        seen.add(node)
        stack.add(node)
        found = any(visit(n) for n in graph.get(node, ()))
        stack.discard(node)
        return found

    return any(visit(n) for n in list(graph))


def forward_refs(order: Sequence[str], edges: set[tuple[str, str]]) -> int:
    position = {p: i for i, p in enumerate(order)}
    return sum(1 for a, b in edges if a in position and b in position and position[b] < position[a])


def split_groups(order: Sequence[str], units: list[set[str]]) -> int:
    split = 0
    for unit in units:
        positions = sorted(i for i, p in enumerate(order) if p in unit)
        if positions and positions[-1] - positions[0] + 1 != len(positions):
            split += 1
    return split


def misplaced_tests(order: Sequence[str], tests: dict[str, set[str]]) -> int:
    """Tests not directly after their code (other tests of the same code may come between)."""
    position = {p: i for i, p in enumerate(order)}
    bad = 0
    for test, code in tests.items():
        last = max(position[c] for c in code)
        between = order[last + 1 : position[test]]
        if position[test] < last or any(p not in tests for p in between):
            bad += 1
    return bad


def score(cases: list[Case]) -> dict[str, Any]:
    totals = {
        "redline": {
            "forward_references": 0,
            "forward_references_acyclic": 0,
            "split_groups": 0,
            "tests_misplaced": 0,
        },
        "alphabetical": {
            "forward_references": 0,
            "forward_references_acyclic": 0,
            "split_groups": 0,
            "tests_misplaced": 0,
        },
    }
    for case in cases:
        plan = plan_order(case.items)
        orders = {
            "redline": [f.path for f in plan.files],
            "alphabetical": sorted(i.path for i in case.items),
        }
        for name, order in orders.items():
            refs = forward_refs(order, case.edges)
            totals[name]["forward_references"] += refs
            if not case.cyclic:
                totals[name]["forward_references_acyclic"] += refs
            totals[name]["split_groups"] += split_groups(order, case.units)
            totals[name]["tests_misplaced"] += misplaced_tests(order, case.tests)
    return {
        "cases": len(cases),
        "true_edges": sum(len(c.edges) for c in cases),
        "cyclic_cases": sum(c.cyclic for c in cases),
        **totals,
    }


def run(options: BenchOptions) -> dict[str, Any]:
    data = options.require_data("ordering")
    rng = random.Random(11)
    modules = stdlib_files(400, min_lines=60, max_lines=900)
    synthetic = [
        synthetic_case(rng, modules, rng.randint(2, 6), cycle=(i % 10 == 0)) for i in range(60)
    ]
    results: dict[str, Any] = {
        "synthetic": score(synthetic),
        "real_commits": score(real_cases(data)),
    }
    big = synthetic_case(random.Random(5), modules, 100, max_chain=4)
    big.items = big.items[:300]
    timings = []
    for _ in range(7):
        start = time.perf_counter()
        plan_order(big.items)
        timings.append((time.perf_counter() - start) * 1000)
    results["order_300_files_ms"] = {
        "median": round(statistics.median(timings), 1),
        "min": round(min(timings), 1),
        "files": len(big.items),
        "lines": sum((i.text or "").count("\n") for i in big.items),
    }
    results["targets"] = {
        "forward_references_acyclic": 0,
        "split_groups": 0,
        "tests_misplaced": 0,
        "order_300_files_ms": 100,
    }
    return results
