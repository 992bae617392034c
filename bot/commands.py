"""Subcommands beyond `review` and `order`; each registers itself with the CLI."""

from __future__ import annotations

import argparse
import json
import sys

from bot.cli import command

BENCHES = ("review", "ordering")


def _bench_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", choices=BENCHES)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")


@command("bench", _bench_args)
def _bench(args: argparse.Namespace) -> int:
    import importlib

    module = importlib.import_module(f"bot.bench.{args.name}")
    figures = module.run()
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key}: {value}")
    sys.stdout.flush()
    return 0


def _train_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", choices=("detector", "lm"))
    parser.add_argument(
        "--work",
        default="runs",
        metavar="DIR",
        help="working directory: corpus, examples, checkpoints (resumable)",
    )
    parser.add_argument("--hours", type=float, default=4.0, help="wall-time budget")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=None, help="override the step count")
    parser.add_argument(
        "--no-export", action="store_true", help="do not write the shipped weights (for trial runs)"
    )


@command("train", _train_args)
def _train(args: argparse.Namespace) -> int:
    from pathlib import Path

    work = Path(args.work) / args.model
    if args.model == "detector":
        from review_models.detector.export import train_and_export

        train_and_export(
            work, args.hours, args.threads, args.steps, export_weights=not args.no_export
        )
    else:
        from review_models.lm.train import train_and_export as train_lm

        train_lm(work, args.hours, args.threads, args.steps, export=not args.no_export)
    return 0
