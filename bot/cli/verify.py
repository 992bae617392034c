"""`redline verify`: prove or refute the contracts of Python files."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bot.core.errors import UsageError
from bot.core.model import Verdict


def setup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="Python files or folders")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds per condition")
    parser.add_argument("--total", type=float, default=120.0, help="seconds for the whole run")


def verdict_dict(v: Verdict) -> dict[str, Any]:
    return {
        "path": v.path,
        "function": v.function,
        "line": v.line,
        "kind": v.kind,
        "condition": v.condition,
        "status": v.status,
        "counterexample": v.counterexample,
        "reason": v.reason,
        "ms": v.ms,
    }


def _files(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            files.extend(sorted(path.rglob("*.py")))
        elif path.is_file():
            files.append(path)
        else:
            raise UsageError(f"no such file or directory: {given}")
    return files


def run(args: argparse.Namespace) -> int:
    from verify.runner import Job
    from verify.runner import run as run_verifier

    files = _files(args.paths)
    jobs = [Job(str(f), f.read_text(encoding="utf-8", errors="replace")) for f in files]
    verdicts = run_verifier(jobs, args.timeout, args.total)
    if args.format == "json":
        print(json.dumps([verdict_dict(v) for v in verdicts], indent=2))
    else:
        for v in verdicts:
            mark = {"proved": "proved ", "refuted": "REFUTED", "unknown": "unknown"}[v.status]
            extra = f"  {json.dumps(v.counterexample)}" if v.counterexample else ""
            why = f"  ({v.reason})" if v.reason else ""
            print(f"{mark} {v.path}:{v.line} {v.function} {v.kind}: {v.condition}{extra}{why}")
    return 1 if any(v.status == "refuted" for v in verdicts) else 0
