"""What the commands share: the argument parser that turns argparse errors into ours, exit
codes, source options, and writing the output."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, NoReturn

from bot.core.errors import UsageError

EXIT_OK, EXIT_GATE, EXIT_USAGE = 0, 1, 2


_NO_HELP = "\u200b"  # argparse skips options whose help is blank; this one is not


class _Formatter(argparse.HelpFormatter):
    """Help that names each option's default, when it has a meaningful one."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = (action.help or "").replace(_NO_HELP, "").strip()
        default = action.default
        meaningful = default not in (None, False, "", argparse.SUPPRESS) and default != []
        if meaningful and action.option_strings and "%(default)" not in text:
            text = f"{text} (default: %(default)s)".strip()
        return text


class Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        # An option without a help text still shows its default (argparse skips help-less
        # options entirely otherwise).
        if "help" not in kwargs and kwargs.get("action") != "version":
            kwargs["help"] = _NO_HELP
        return super().add_argument(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise UsageError(message)


def source_args(parser: argparse.ArgumentParser) -> None:
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


def load_source(args: argparse.Namespace) -> Any:
    from bot.sources import local

    if args.range:
        return local.from_range(args.range, args.repo, args.config)
    return local.from_diff(args.diff, args.repo, args.config)


def write(args: argparse.Namespace, text: str) -> None:
    if getattr(args, "output", None):
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--output: cannot write {args.output}: {exc.strerror}") from exc
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
