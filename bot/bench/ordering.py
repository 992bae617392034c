"""`redline bench ordering`: the reading order on PRs whose true dependency structure is
known, against the host's alphabetical order.

Synthetic PRs are built from real standard-library modules: each "unit" is a chain of files
where one file defines a new function and the next imports and uses it, plus a test of the
chain; units are independent of each other (some form a cycle on purpose). Real PRs are the
multi-file commits in the data folder's commits/, whose true def-use edges are computed here with
a strict full-`ast` analysis of the post-images (added definitions, imported and used on added
lines), independently of the ordering's own relation graph."""

from __future__ import annotations

import os
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


def has_cycle(edges: set[tuple[str, str]] | frozenset[tuple[str, str]]) -> bool:
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
    state: dict[str, int] = {}
    for root in graph:
        if root in state:
            continue
        stack = [(root, iter(sorted(graph.get(root, ()))))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            nxt = next(children, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return True
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(sorted(graph.get(nxt, ())))))
    return False


def score(cases: list[Case]) -> dict[str, Any]:
    totals = {
        name: {
            "forward_references": 0,
            "forward_references_acyclic": 0,
            "split_groups": 0,
            "tests_misplaced": 0,
        }
        for name in ("redline", "alphabetical")
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


def _timing(items: list[OrderInput], runs: int = 7) -> dict[str, Any]:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        plan_order(items)
        timings.append((time.perf_counter() - start) * 1000)
    return {
        "median": round(statistics.median(timings), 1),
        "min": round(min(timings), 1),
        "files": len(items),
        "lines": sum((i.text or "").count("\n") for i in items),
    }


def _many_hunks(count: int) -> dict[str, Any]:
    """One file with `count` hunks, as a mass reformat makes: ordering and classification."""
    from bot.core.model import Diff
    from bot.review.mechanical import classify_diff

    body = [f"def f{i}(x):\n    return g{i}(x) + {i}\n" for i in range(count)]
    old = "\n".join(body)
    new = "\n".join(b.replace(") + ", ")+") for b in body)
    patch = "".join(
        f"@@ -{3 * i + 2},1 +{3 * i + 2},1 @@\n-    return g{i}(x) + {i}\n+    return g{i}(x)+{i}\n"
        for i in range(count)
    )
    diff = parse_diff(f"diff --git a/m.py b/m.py\n--- a/m.py\n+++ b/m.py\n{patch}")
    del old
    file = diff.files[0]
    item = OrderInput(
        "m.py",
        "python",
        new,
        frozenset(n for h in file.hunks for n in h.touched_new_lines),
        hunk_spans=tuple((h.new_start, h.new_start + h.new_lines - 1) for h in file.hunks),
    )
    start = time.perf_counter()
    plan_order([item])
    ordered = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    found = classify_diff(Diff((file,)), {"m.py": new})
    classified = (time.perf_counter() - start) * 1000
    return {
        "hunks": len(file.hunks),
        "order_ms": round(ordered, 1),
        "classify_ms": round(classified, 1),
        "skim": sum(1 for m in found.values() if m.skim),
    }


def run(options: BenchOptions) -> dict[str, Any]:
    from bot.bench.ordering_real import real_commits

    data = options.require_data("ordering")
    rng = random.Random(11)
    modules = stdlib_files(400, min_lines=60, max_lines=900)
    synthetic = [
        synthetic_case(rng, modules, rng.randint(2, 6), cycle=(i % 10 == 0)) for i in range(60)
    ]
    # One side only, for development runs: REDLINE_BENCH_SPLIT=dev (never tune on held_out).
    split = str(options.extra.get("split") or os.environ.get("REDLINE_BENCH_SPLIT", "all"))
    results: dict[str, Any] = {"synthetic": score(synthetic)}
    results["real_commits"] = real_commits(data, split)
    big = synthetic_case(random.Random(5), modules, 100, max_chain=4)
    results["order_300_files_ms"] = _timing(big.items[:300])
    huge = synthetic_case(random.Random(6), modules * 3, 340, max_chain=3)  # 1,022 files
    results["order_1000_files_ms"] = _timing(huge.items[:1000], runs=3)
    results["hunks_3000"] = _many_hunks(3000)
    results["targets"] = {
        "forward_references_acyclic": 0,
        "relation_precision": 1.0,
        "control_hunks_skimmed": 0,
        "skim_precision": 0.95,
        "skim_recall": 0.8,
        "order_300_files_ms": 100,
        "order_1000_files_ms": 400,
    }
    return results
