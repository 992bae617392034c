"""Benchmarks: one module per figure, each with `run(options) -> dict` (the `Bench` protocol).
The real data sets are an argument (`--data DIR`, the shared data folder in development), never
found by a path relative to the source; scratch output goes to `options.work`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bot.core.errors import UsageError


@dataclass(frozen=True)
class BenchOptions:
    data: Path | None = None  # the folder of real data sets (commits/, fixes*.jsonl.gz, ...)
    work: Path = Path("runs")  # training outputs some benches evaluate, and scratch space
    corpus: Path | None = None  # a corpus folder for benches that take one (verify)
    workers: tuple[int, ...] = (1, 2, 4)
    extra: dict[str, Any] = field(default_factory=dict)

    def require_data(self, bench: str) -> Path:
        data = self.data or (
            Path(os.environ["REDLINE_BENCH_DATA"]) if os.environ.get("REDLINE_BENCH_DATA") else None
        )
        if data is None or not data.is_dir():
            raise UsageError(
                f"bench {bench} needs --data DIR: the folder of the real data sets "
                "(commits/, fixes.jsonl.gz, quixbugs.jsonl, webhooks/)"
            )
        return data


class Bench(Protocol):
    def __call__(self, options: BenchOptions) -> dict[str, Any]: ...


# name -> module; each module defines `run(options: BenchOptions) -> dict[str, Any]`.
BENCHES: dict[str, str] = {
    "rules": "bot.bench.rules",
    "review": "bot.bench.review",
    "ordering": "bot.bench.ordering",
    "webhooks": "bot.bench.webhooks",
    "verify": "bot.bench.verify",
    "detector": "bot.bench.detector",
    "entropy": "bot.bench.entropy",
    "engine": "bot.bench.engine",
    "page": "bot.bench.page",
    "scale": "bot.bench.scale",
    "speed": "bot.bench.speed",
}


def load(name: str) -> Bench:
    import importlib

    module = importlib.import_module(BENCHES[name])
    bench: Bench = module.run
    return bench
