"""`redline fix`: review a diff or a git range, and print its validated fixes as a patch, or
write them to the working tree with `--apply` (like `ruff --fix` / `semgrep --autofix`).

Exit codes follow `redline review`: 0 when no finding that fails the gate is left without a
validated fix, 1 when one is, 2 for bad input or usage. With `--apply`, a file whose working
copy no longer holds the lines a fix was made for is left alone and named on stderr (exit 2).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from bot.cli.common import EXIT_GATE, EXIT_OK, EXIT_USAGE, load_source, source_args, write
from bot.core.errors import EngineError, UsageError

ENGINES = ("local", "openai", "vllm", "none")


def setup(parser: argparse.ArgumentParser) -> None:
    source_args(parser)
    parser.add_argument("--apply", action="store_true", help="write the fixes to the working tree")
    parser.add_argument("--format", choices=("patch", "json"), default="patch")
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default=None,
        help="where model fixes come from (default: REDLINE_ENGINE, else local); "
        "rule fixes need none",
    )
    parser.add_argument("--paranoia", default=None, choices=("low", "default", "high", "max"))
    parser.add_argument(
        "--skip", default="", metavar="NAMES", help="comma-separated analyzers not to run"
    )
    parser.add_argument(
        "--only", default=None, metavar="NAMES", help="comma-separated analyzers to run, alone"
    )


def backend_from(choice: str | None, environ: Any = os.environ) -> tuple[Any, str | None]:
    """The backend to ask for model fixes, or None and why not (never fatal: rule fixes
    still go through)."""
    from engine.backends import open_backend

    kind = choice or environ.get("REDLINE_ENGINE") or "local"
    if kind in ("none", "off"):
        return None, None
    try:
        return (
            open_backend(
                kind,
                url=environ.get("REDLINE_ENGINE_URL"),
                model=environ.get("REDLINE_ENGINE_MODEL"),
            ),
            None,
        )
    except EngineError as exc:
        return None, str(exc)


def _root(args: argparse.Namespace) -> Path:
    if args.range:
        from bot.sources import git as gitio

        return Path(gitio.toplevel(Path(args.repo) if args.repo else Path.cwd()))
    if not args.repo:
        raise UsageError("--apply with --diff needs --repo (the tree to write the fixes to)")
    return Path(args.repo)


def _apply(root: Path, texts: dict[str, str], fixes: Any) -> list[str]:
    """Write each fixed file; returns the files left alone because they changed."""
    from bot.core.paths import check_relative
    from engine.patch import apply_fixes

    refused = []
    by_path: dict[str, list[Any]] = {}
    for fix in fixes:
        by_path.setdefault(fix.path, []).append(fix)
    for path, file_fixes in sorted(by_path.items()):
        target = root / check_relative(path)
        try:
            current = target.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            refused.append(f"{path}: cannot be read as UTF-8 text")
            continue
        try:
            patched = apply_fixes({path: current}, file_fixes)[path]
        except EngineError as exc:
            refused.append(str(exc))
            continue
        target.write_bytes(patched.encode("utf-8"))
    del texts
    return refused


def run(args: argparse.Namespace) -> int:
    from bot.analyzers import default_analyzers
    from bot.analyzers.fixes import attach_fixes
    from bot.cli.review import analyzer_choice
    from bot.core.ports import AnalysisRequest
    from bot.render.document import dumps
    from bot.review import gate
    from bot.review.intake import take_in
    from bot.review.pipeline import review
    from engine.patch import non_overlapping, unified_diff

    args.gate_only = False
    skip, only = analyzer_choice(args)
    # Where `--apply` writes is checked first: a usage error comes before minutes of review.
    root = _root(args) if args.apply else None
    source = load_source(args)
    config = source.config.with_cli(args.paranoia, None)
    result = review(
        source.diff, source.post, config, default_analyzers(skip, only), base=source.base
    )
    intake = take_in(source.diff, source.post, config)
    request = AnalysisRequest(intake.reviewed, intake.texts, config, source.base)
    backend, error = backend_from(args.engine)
    try:
        fixed = attach_fixes(result, request, backend, backend_error=error)
    finally:
        if backend is not None:
            backend.close()
    fixes = non_overlapping(fixed.fixes)
    if args.format == "json":
        write(args, dumps(fixed))
    elif not args.apply:
        write(args, unified_diff(intake.texts, fixes))
    if root is not None:
        refused = _apply(root, dict(intake.texts), fixes)
        for line in refused:
            print(f"redline: not applied: {line}", file=sys.stderr)
        if refused:
            return EXIT_USAGE
    left = [f for f in fixed.findings if not any(_fixes(fix, f) for fix in fixes)]
    verdict = gate.decide(tuple(left), fixed.analyzers, config)
    return EXIT_GATE if verdict.failed else EXIT_OK


def _fixes(fix: Any, finding: Any) -> bool:
    if finding.fingerprint and fix.finding:
        return bool(fix.finding == finding.fingerprint)
    return bool(
        fix.path == finding.path
        and fix.rule == f"{finding.source}:{finding.rule}"
        and fix.start <= finding.line <= max(fix.end, fix.start)
    )
