"""`redline`: the command line. Exit codes: 0 pass, 1 gate failed, 2 bad input or usage."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from bot import __version__
from bot.cli import bench, fix, migrate, review, service, train, verify
from bot.cli.common import EXIT_USAGE, Parser
from bot.core.errors import RedlineError

Setup = Callable[[argparse.ArgumentParser], None]
Handler = Callable[[argparse.Namespace], int]

# The command table: name -> (help, argument setup, handler).
COMMANDS: dict[str, tuple[str, Setup, Handler]] = {
    "review": ("review a diff or a git range", review.setup_review, review.run_review),
    "order": ("print the suggested reading order", review.setup_order, review.run_order),
    "verify": ("prove or refute the contracts of Python files", verify.setup, verify.run),
    "serve": ("run the webhook service", service.setup_serve, service.run_serve),
    "worker": ("run review workers on their own", service.setup_worker, service.run_worker),
    "jobs": ("list and retry jobs", service.setup_jobs, service.run_jobs),
    "migrate": ("run the database migrations (once per upgrade)", migrate.setup, migrate.run),
    "bench": ("run a benchmark and print its figures", bench.setup, bench.run),
    "train": ("train a model and export its weights", train.setup, train.run),
    "fix": ("print or apply the validated fixes of a review", fix.setup, fix.run),
}


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="redline", description=__doc__)
    parser.add_argument("--version", action="version", version=f"redline {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for name, (text, setup, _) in COMMANDS.items():
        setup(sub.add_parser(name, help=text, description=text))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return COMMANDS[args.command][2](args)
    except RedlineError as exc:  # usage, bad input, an unreachable store: one line, exit 2
        print(f"redline: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
