"""`redline bench review`: a generated 2,000-changed-line Python diff across 40 files, reviewed
in-process (wall time per phase) and through the CLI (whole run, semgrep included)."""

from __future__ import annotations

import difflib
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.analyzers import default_analyzers
from bot.bench import BenchOptions
from bot.bench.corpus import stdlib_files
from bot.core.diff import parse_diff
from bot.core.policy import Config
from bot.core.trees import MemoryTree
from bot.render import render
from bot.review.pipeline import Timings, review


def make_change(
    files: int = 40, changed_lines: int = 2000, seed: int = 7
) -> tuple[str, dict[str, str]]:
    """Edit real stdlib modules: per file, rewrite some lines and insert others."""
    rng = random.Random(seed)
    per_file = changed_lines // files
    patches: list[str] = []
    post: dict[str, str] = {}
    for source in stdlib_files(files):
        old = source.read_text(encoding="utf-8").splitlines(keepends=True)
        new = list(old)
        candidates = [
            i
            for i, line in enumerate(new)
            if line.strip() and "=" in line and not line.lstrip().startswith("#")
        ]
        rng.shuffle(candidates)
        # Each edited line is one removed + one added line: per_file // 2 edits.
        for index in sorted(candidates[: per_file // 2], reverse=True):
            line = new[index]
            indent = line[: len(line) - len(line.lstrip())]
            new[index] = f"{indent}{line.strip()}  # reviewed\n"
        path = f"pkg/{source.name}"
        patches.extend(difflib.unified_diff(old, new, f"a/{path}", f"b/{path}"))
        post[path] = "".join(new)
    header_fixed = []
    for line in patches:
        if line.startswith("--- a/"):
            header_fixed.append(f"diff --git {line[4:].strip()} b/{line[6:].strip()}\n")
        header_fixed.append(line)
    return "".join(header_fixed), post


def _in_process(diff_text: str, post: dict[str, str]) -> dict[str, Any]:
    """Loading the analyzers, then each phase of one review and rendering it in every format."""
    results: dict[str, Any] = {}
    start = time.perf_counter()
    analyzers = default_analyzers()
    results["load_analyzers_ms"] = round((time.perf_counter() - start) * 1000, 1)
    timings = Timings()
    start = time.perf_counter()
    parsed = parse_diff(diff_text)
    timings.phases["parse"] = (time.perf_counter() - start) * 1000
    outcome = review(parsed, MemoryTree(post), Config(), analyzers, timings=timings)
    start = time.perf_counter()
    for fmt in ("json", "sarif", "markdown", "terminal"):
        render(outcome, fmt, color=False)
    timings.phases["render_all_formats"] = (time.perf_counter() - start) * 1000
    results["phases_ms"] = {k: round(v, 1) for k, v in timings.phases.items()}
    # The core's own cost: every phase but the analyzers (which run in parallel, apart).
    heavy = {"analyzers"} | {k for k in timings.phases if k.startswith("analyzer:")}
    results["core_ms_excluding_analyzers"] = round(
        sum(v for k, v in timings.phases.items() if k not in heavy), 1
    )
    results["analyzers"] = [
        {"name": r.name, "status": r.status, "ms": r.ms} for r in outcome.analyzers
    ]
    return results


def _cli(diff_text: str, post: dict[str, str]) -> tuple[float, int]:
    """`redline review` on the change as files on disk: (wall seconds, exit code)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for path, text in post.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text, encoding="utf-8")
        (root / "change.diff").write_text(diff_text, encoding="utf-8")
        start = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "bot",
                "review",
                "--diff",
                str(root / "change.diff"),
                "--repo",
                str(root),
                "--format",
                "json",
                "--fail-on",
                "never",
            ],
            capture_output=True,
            check=False,
        )
        return round(time.perf_counter() - start, 3), proc.returncode


def run(options: BenchOptions) -> dict[str, Any]:
    diff_text, post = make_change()
    diff = parse_diff(diff_text)
    results: dict[str, Any] = {"files": len(diff.files), "changed_lines": diff.changed_lines}
    results.update(_in_process(diff_text, post))
    results["cli_wall_s"], results["cli_exit"] = _cli(diff_text, post)
    results["targets"] = {"cli_wall_s": 5.0, "core_ms_excluding_analyzers": 300.0}
    results["met"] = (
        results["cli_wall_s"] < 5.0
        and results["cli_exit"] == 0
        and results["core_ms_excluding_analyzers"] < 300.0
    )
    return results
