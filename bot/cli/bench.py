"""`redline bench NAME`: run a benchmark and print its figures."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.bench import BENCHES, BenchOptions, load
from bot.core.errors import UsageError


def setup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", choices=tuple(BENCHES))
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--data",
        metavar="DIR",
        help="the folder of real data sets (default: $REDLINE_BENCH_DATA)",
    )
    parser.add_argument(
        "--work", default="runs", metavar="DIR", help="training outputs and scratch space"
    )
    parser.add_argument("--corpus", metavar="DIR", help="a corpus folder (bench verify)")
    parser.add_argument(
        "--workers", default="1,2,4", metavar="N,N", help="worker counts (bench scale)"
    )


def _counts(text: str) -> tuple[int, ...]:
    try:
        counts = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise UsageError(f"--workers must be numbers separated by commas, got {text!r}") from None
    if not counts or min(counts) < 1:
        raise UsageError(f"--workers must be positive numbers, got {text!r}")
    return counts


def run(args: argparse.Namespace) -> int:
    options = BenchOptions(
        data=Path(args.data) if args.data else None,
        work=Path(args.work),
        corpus=Path(args.corpus) if args.corpus else None,
        workers=_counts(args.workers),
    )
    figures = load(args.name)(options)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key}: {value}")
    sys.stdout.flush()
    return 0
