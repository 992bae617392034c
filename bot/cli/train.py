"""`redline train`: train a model here and export the weights that ship with the package."""

from __future__ import annotations

import argparse
from pathlib import Path

MODELS = ("detector", "lm", "fixer")


def setup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", choices=MODELS)
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
    parser.add_argument(
        "--data", default=None, metavar="DIR", help="the real data sets (fixes*.jsonl.gz, commits/)"
    )


def run(args: argparse.Namespace) -> int:
    work = Path(args.work) / args.model
    if args.model == "fixer":
        from bot.cli.train_fixer import run as train_fixer

        data = Path(args.data) if args.data else None
        return train_fixer(work, data, args.hours, args.threads, args.steps, not args.no_export)
    if args.model == "detector":
        from bot.bench import BenchOptions
        from review_models.detector.export import train_and_export

        data = BenchOptions(data=Path(args.data) if args.data else None).require_data("detector")
        train_and_export(work, data, args.hours, export_weights=not args.no_export)
        if not args.no_export:  # then the combined risk over the new detector's scores
            from bot.bench.detector_risk import fit_combination

            fit_combination(data)
    else:
        from review_models.lm.train import train_and_export as train_lm

        train_lm(work, args.hours, args.threads, args.steps, export=not args.no_export)
    return 0
