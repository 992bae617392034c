"""Running the checker under budgets: a per-condition solver timeout, and a total for the
whole run enforced from outside, in a child process that is killed when time is up, so a
runaway query cannot stall the worker. Verdicts stream back as they are decided."""

from __future__ import annotations

import ast
import dataclasses
import multiprocessing
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from bot.core.model import Verdict
from verify.check import verify_source
from verify.specs import extract


@dataclass(frozen=True)
class Job:
    path: str
    source: str
    lines: frozenset[int] | None = None  # only functions touching these lines (None: all)


def _selector(lines: frozenset[int] | None) -> Callable[[Any], bool] | None:
    if lines is None:
        return None

    def touches(spec: Any) -> bool:
        node = spec.node
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        return any(first <= n <= (node.end_lineno or node.lineno) for n in lines)

    return touches


def _child(jobs: list[Job], timeout: float, deadline: float, out: Connection) -> None:
    try:
        for index, job in enumerate(jobs):
            selector = _selector(job.lines)
            for verdict in verify_source(job.source, job.path, timeout, selector, deadline):
                out.send(("verdict", index, dataclasses.asdict(verdict)))
            out.send(("done", index, None))
    except BaseException as exc:  # reported by the parent as the reason, not lost
        out.send(("error", -1, f"{type(exc).__name__}: {exc}"))
    finally:
        out.send(("end", -1, None))
        out.close()


def run(jobs: Iterable[Job], timeout: float = 2.0, total: float = 20.0) -> list[Verdict]:
    jobs = list(jobs)
    if not jobs:
        return []
    deadline = time.monotonic() + total
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(jobs, timeout, deadline - 0.2, send), daemon=True)
    child.start()
    send.close()
    verdicts: list[Verdict] = []
    finished: set[int] = set()
    reason = "time budget exhausted"
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not receive.poll(remaining):
                break
            try:
                kind, index, payload = receive.recv()
            except EOFError:
                break
            if kind == "verdict":
                verdicts.append(Verdict(**payload))
            elif kind == "done":
                finished.add(index)
            elif kind == "error":
                reason = f"verifier failed: {payload}"
            else:
                break
    finally:
        if child.is_alive():
            child.kill()
        child.join(timeout=5)
        receive.close()
    for index, job in enumerate(jobs):
        if index not in finished:
            seen = {(v.function, v.kind, v.condition) for v in verdicts if v.path == job.path}
            verdicts.extend(
                dataclasses.replace(v, reason=reason)
                for v in _pending(job)
                if (v.function, v.kind, v.condition) not in seen
            )
    return verdicts


def _pending(job: Job) -> list[Verdict]:
    """What was not decided when time ran out: each stated condition, unknown."""
    try:
        tree = ast.parse(job.source)
    except (SyntaxError, ValueError, RecursionError):
        return []
    out = []
    selector = _selector(job.lines)
    for spec in extract(tree, job.source):
        if selector is not None and not selector(spec):
            continue
        for condition in [*spec.post, *spec.invariants]:
            out.append(
                Verdict(
                    path=job.path,
                    function=spec.name,
                    line=condition.line,
                    kind=condition.kind,
                    condition=" ".join(condition.text.split()),
                    status="unknown",
                    counterexample=None,
                    reason="time budget exhausted",
                )
            )
    return out
