"""`redline verify`: prove or refute the contracts of Python files. A file that does not
parse is bad input: one line on stderr, exit 2, before anything is verified."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bot.core import pysyntax
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


def _read(path: Path) -> str:
    """The file's text; one that does not parse as Python is refused (exit 2)."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        pysyntax.parse(text)
    except SyntaxError as exc:
        raise UsageError(f"{path}:{exc.lineno or 1}: does not parse: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        why = (
            "nesting too deep"
            if isinstance(exc, RecursionError)
            else str(exc) or type(exc).__name__
        )
        raise UsageError(f"{path}: does not parse: {why}") from None
    return text


def line(v: Verdict) -> str:
    mark = {"proved": "proved ", "refuted": "REFUTED", "unknown": "unknown"}[v.status]
    why = f"\n    {v.reason}" if v.reason else ""
    return f"{mark} {v.path}:{v.line} {v.function} {v.kind}: {v.condition}{why}"


def run(args: argparse.Namespace) -> int:
    from verify.project import scan
    from verify.runner import Job
    from verify.runner import run as run_verifier

    files = _files(args.paths)
    jobs = [Job(str(f), _read(f)) for f in files]
    project = scan({job.path: job.source for job in jobs})
    verdicts = run_verifier(jobs, args.timeout, args.total, project)
    if args.format == "json":
        print(json.dumps([verdict_dict(v) for v in verdicts], indent=2))
    else:
        for v in verdicts:
            print(line(v))
        counts = {s: sum(v.status == s for v in verdicts) for s in ("proved", "refuted", "unknown")}
        print(
            f"{counts['proved']} proved, {counts['refuted']} refuted, {counts['unknown']} unknown"
        )
    return 1 if any(v.status == "refuted" for v in verdicts) else 0
