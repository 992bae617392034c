"""`redline review` and `redline order`."""

from __future__ import annotations

import argparse
import json

from bot.cli.common import EXIT_GATE, EXIT_OK, load_source, source_args, write
from bot.core.errors import UsageError
from bot.core.policy import FAIL_ON_LEVELS, PARANOIA_LEVELS


def setup_review(parser: argparse.ArgumentParser) -> None:
    source_args(parser)
    parser.add_argument(
        "--format", choices=("terminal", "json", "sarif", "markdown", "html"), default="terminal"
    )
    parser.add_argument(
        "--paranoia",
        choices=PARANOIA_LEVELS,
        help="the score threshold for findings (default: .redline.toml's, else default)",
    )
    parser.add_argument(
        "--fail-on",
        choices=FAIL_ON_LEVELS,
        help="the severity that fails the gate (default: .redline.toml's, else error)",
    )
    parser.add_argument(
        "--lines", action="store_true", help="add each changed line's surprisal to the JSON"
    )
    parser.add_argument(
        "--skip", default="", metavar="NAMES", help="comma-separated analyzers not to run"
    )
    parser.add_argument(
        "--only", default=None, metavar="NAMES", help="comma-separated analyzers to run, alone"
    )
    parser.add_argument(
        "--gate-only",
        action="store_true",
        help="the dangerous-code gate alone (--only semgrep,markers): no models, for CI",
    )
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto")


def _names(text: str) -> frozenset[str]:
    return frozenset(s.strip() for s in text.split(",") if s.strip())


def analyzer_choice(args: argparse.Namespace) -> tuple[frozenset[str], frozenset[str] | None]:
    """(--skip, --only) checked against the analyzers that exist; --gate-only is an --only."""
    from bot.analyzers import GATE_ONLY, check_names

    skip = check_names(_names(args.skip), "--skip")
    only = check_names(_names(args.only), "--only") if args.only is not None else None
    if args.gate_only:
        if only is not None:
            raise UsageError("--gate-only and --only do not go together")
        only = GATE_ONLY
    return skip, only


def run_review(args: argparse.Namespace) -> int:
    from bot.analyzers import default_analyzers
    from bot.render import render
    from bot.review.pipeline import review

    skip, only = analyzer_choice(args)
    source = load_source(args)
    config = source.config.with_cli(args.paranoia, args.fail_on)
    analyzers = default_analyzers(skip, only)
    result = review(
        source.diff, source.post, config, analyzers, base=source.base, before=source.before
    )
    color = {"always": True, "never": False}.get(args.color)
    if args.output and color is None:
        color = False
    write(args, render(result, args.format, lines=args.lines, color=color))
    return EXIT_GATE if result.gate.failed else EXIT_OK


def setup_order(parser: argparse.ArgumentParser) -> None:
    source_args(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run_order(args: argparse.Namespace) -> int:
    from bot.analyzers import default_analyzers
    from bot.review.pipeline import review

    source = load_source(args)
    result = review(
        source.diff,
        source.post,
        source.config,
        default_analyzers(frozenset({"semgrep", "verify", "markers"})),
        base=source.base,
        before=source.before,
    )
    if args.format == "json":
        payload = {
            "files": [
                {"path": f.diff.path, "reason": f.reason, "group": f.group} for f in result.files
            ],
            "groups": [
                {"label": g.label, "reason": g.reason, "paths": list(g.paths)}
                for g in result.groups
            ],
        }
        write(args, json.dumps(payload, indent=2) + "\n")
        return EXIT_OK
    lines = ["Suggested reading order"]
    number = 0
    for group in result.groups:
        lines.append(f"\n{group.label}: {group.reason}")
        for path in group.paths:
            number += 1
            reason = next(f.reason for f in result.files if f.diff.path == path)
            lines.append(f"  {number:>3}. {path}  ({reason})")
    write(args, "\n".join(lines) + "\n")
    return EXIT_OK
