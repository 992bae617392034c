"""`redline bench NAME`: run a benchmark and print its figures."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.bench import BENCHES, BenchOptions, load


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


def run(args: argparse.Namespace) -> int:
    options = BenchOptions(
        data=Path(args.data) if args.data else None,
        work=Path(args.work),
        corpus=Path(args.corpus) if args.corpus else None,
    )
    figures = load(args.name)(options)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key}: {value}")
    sys.stdout.flush()
    return 0
