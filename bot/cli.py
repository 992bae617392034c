"""`redline`: the command line. Exit codes: 0 pass, 1 gate failed, 2 bad input or usage."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bot import __version__
from bot.config import FAIL_ON_LEVELS, PARANOIA_LEVELS
from bot.errors import RedlineError, UsageError

EXIT_OK, EXIT_GATE, EXIT_USAGE = 0, 1, 2

Handler = Callable[[argparse.Namespace], int]
_COMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Handler]] = {}


def command(
    name: str, setup: Callable[[argparse.ArgumentParser], None]
) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        _COMMANDS[name] = (setup, handler)
        return handler

    return register


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise UsageError(message)


def _source_args(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--diff", metavar="FILE", help="a unified diff file, or - for stdin")
    source.add_argument(
        "--range", metavar="BASE..HEAD", help="a git range (post-images at HEAD, config at BASE)"
    )
    parser.add_argument(
        "--repo",
        metavar="DIR",
        help="with --diff: the post-image tree; with --range: the repository",
    )
    parser.add_argument("--config", metavar="FILE", help="a .redline.toml to use instead")
    parser.add_argument("--output", metavar="FILE", help="write here instead of stdout")


def _review_args(parser: argparse.ArgumentParser) -> None:
    _source_args(parser)
    parser.add_argument(
        "--format", choices=("terminal", "json", "sarif", "markdown"), default="terminal"
    )
    parser.add_argument("--paranoia", choices=PARANOIA_LEVELS)
    parser.add_argument("--fail-on", choices=FAIL_ON_LEVELS)
    parser.add_argument(
        "--lines", action="store_true", help="add each changed line's surprisal to the JSON"
    )
    parser.add_argument(
        "--skip", default="", metavar="NAMES", help="comma-separated analyzers not to run"
    )
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto")


def _load_source(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from bot import intake

    if args.range:
        return intake.from_range(args.range, args.repo, args.config)
    return intake.from_diff(args.diff, args.repo, args.config)


def _write(args: argparse.Namespace, text: str) -> None:
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


@command("review", _review_args)
def _review(args: argparse.Namespace) -> int:
    from bot.analyzers import default_analyzers
    from bot.pipeline import review
    from bot.render import render

    source = _load_source(args)
    config = source.config.with_cli(args.paranoia, args.fail_on)
    skip = frozenset(s.strip() for s in args.skip.split(",") if s.strip())
    result = review(source.diff, source.post, config, default_analyzers(skip), base=source.base)
    color = {"always": True, "never": False}.get(args.color)
    if args.output and color is None:
        color = False
    _write(args, render(result, args.format, lines=args.lines, color=color))
    return EXIT_GATE if result.gate.failed else EXIT_OK


def _order_args(parser: argparse.ArgumentParser) -> None:
    _source_args(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text")


@command("order", _order_args)
def _order(args: argparse.Namespace) -> int:
    from bot.analyzers import default_analyzers
    from bot.pipeline import review

    source = _load_source(args)
    result = review(
        source.diff,
        source.post,
        source.config,
        default_analyzers(frozenset({"semgrep", "verify", "markers"})),
        base=source.base,
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
        _write(args, json.dumps(payload, indent=2) + "\n")
    else:
        lines = ["Suggested reading order"]
        number = 0
        for group in result.groups:
            lines.append(f"\n{group.label}: {group.reason}")
            for path in group.paths:
                number += 1
                reason = next(f.reason for f in result.files if f.diff.path == path)
                lines.append(f"  {number:>3}. {path}  ({reason})")
        _write(args, "\n".join(lines) + "\n")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="redline", description=__doc__)
    parser.add_argument("--version", action="version", version=f"redline {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, (setup, _) in _COMMANDS.items():
        setup(sub.add_parser(name))
    return parser


def _load_commands() -> None:
    # Commands defined in other modules register themselves on import.
    import bot.commands  # noqa: F401


def main(argv: Sequence[str] | None = None) -> int:
    _load_commands()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return _COMMANDS[args.command][1](args)
    except UsageError as exc:
        print(f"redline: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RedlineError as exc:  # e.g. the store cannot be reached
        print(f"redline: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
