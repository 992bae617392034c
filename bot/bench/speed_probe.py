"""The inside of one `redline bench speed` case, run as its own process (`python -m
bot.bench.speed_probe CASE_DIR [--only NAMES] [--repeat N]`): what each phase of a review costs
in wall time, this process's CPU time and its peak memory, then the same review again in the
warm process (models loaded, the model worker up), as a service worker runs it. Prints JSON."""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class _Clock:
    def __init__(self) -> None:
        self.phases: dict[str, dict[str, float]] = {}
        self._wall = time.perf_counter()
        self._cpu = _cpu()

    def mark(self, phase: str) -> None:
        wall, cpu = time.perf_counter(), _cpu()
        self.phases[phase] = {
            "wall_ms": round((wall - self._wall) * 1000, 1),
            "cpu_ms": round((cpu - self._cpu) * 1000, 1),
            "peak_rss_mb": _rss_mb(),
        }
        self._wall, self._cpu = wall, cpu


def probe(case: Path, only: frozenset[str] | None, repeat: int) -> dict[str, Any]:
    clock = _Clock()
    from bot.analyzers import default_analyzers
    from bot.render import render
    from bot.review.pipeline import Timings, review
    from bot.review.plan import plan
    from bot.sources.local import from_diff

    clock.mark("import")
    analyzers = default_analyzers(only=only)
    clock.mark("load_analyzers")
    # What `redline review --diff PATCH --repo DIR` reads (bot.bench sits below bot.cli).
    source = from_diff(str(case / "change.patch"), str(case / "repo"), None)
    clock.mark("parse_and_read")
    timings = Timings()
    outcome = review(
        source.diff,
        source.post,
        source.config,
        analyzers,
        base=source.base,
        before=source.before,
        timings=timings,
    )
    clock.mark("review")
    plan(outcome, source.diff, 15)
    clock.mark("plan")
    render(outcome, "json", color=False)
    clock.mark("render_json")
    warm = []
    again = outcome
    for _ in range(repeat):
        start, cpu = time.perf_counter(), _cpu()
        again = review(
            source.diff, source.post, source.config, analyzers, base=source.base,
            before=source.before,
        )  # fmt: skip
        plan(again, source.diff, 15)
        render(again, "json", color=False)
        warm.append((time.perf_counter() - start, _cpu() - cpu))
    return {
        "changed_lines": source.diff.changed_lines,
        "files": len(source.diff.files),
        "phases": clock.phases,
        "review_phases_ms": {k: round(v, 1) for k, v in timings.phases.items()},
        "analyzers": {r.name: {"ms": r.ms, "status": r.status} for r in outcome.analyzers},
        "warm": {
            "runs": len(warm),
            "wall_ms_median": round(statistics.median(w for w, _ in warm) * 1000, 1)
            if warm
            else None,
            "cpu_ms_median": round(statistics.median(c for _, c in warm) * 1000, 1)
            if warm
            else None,
            "analyzers_ms": {r.name: r.ms for r in again.analyzers} if warm else None,
        },
        "torch_imported": "torch" in sys.modules,
    }


def main(argv: list[str]) -> int:
    case = Path(argv[0])
    only = None
    repeat = 0
    rest = argv[1:]
    while rest:
        flag, value, rest = rest[0], rest[1], rest[2:]
        if flag == "--only":
            only = frozenset(n for n in value.split(",") if n)
        elif flag == "--repeat":
            repeat = int(value)
    print(json.dumps(probe(case, only, repeat)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
