"""Running the checker under budgets: a per-condition time budget (inside the solver and the
executor), and a total for the whole run enforced from outside, in a child process that is
killed when time is up, so a runaway query cannot stall the worker. The child dies with its
parent (PR_SET_PDEATHSIG) and has its own CPU limit. Verdicts stream back as they are
decided; whatever was not decided when time ran out is reported unknown, function by
function, so nothing goes missing."""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import multiprocessing
import os
import resource
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from bot.core.model import Verdict
from verify.check import Outcome, Project, verify_outcomes

_PR_SET_PDEATHSIG = 1
BUDGET_REASON = "time budget exhausted"


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


def _die_with_parent(cpu_seconds: float) -> None:
    """The child must not outlive the worker that started it, nor run away on its own."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() == 1:  # the parent is already gone
        os._exit(1)
    limit = max(1, int(cpu_seconds) + 2)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 1))
    import z3

    z3.set_param("memory_max_size", 4096)  # MB: a runaway query fails, it does not swap


def _child(
    jobs: list[Job], timeout: float, deadline: float, out: Connection, project: Project | None
) -> None:
    _die_with_parent(deadline - time.monotonic())
    try:
        for index, job in enumerate(jobs):
            selector = _selector(job.lines)
            for outcome in verify_outcomes(
                job.source, job.path, timeout, selector, deadline, project
            ):
                out.send(
                    ("verdict", index, (dataclasses.asdict(outcome.verdict), outcome.construct))
                )
            out.send(("done", index, None))
    except BaseException as exc:  # reported by the parent as the reason, not lost
        out.send(("error", -1, f"{type(exc).__name__}: {exc}"))
    finally:
        out.send(("end", -1, None))
        out.close()


def run(
    jobs: Iterable[Job], timeout: float = 2.0, total: float = 20.0, project: Project | None = None
) -> list[Verdict]:
    return [o.verdict for o in run_outcomes(jobs, timeout, total, project)]


def run_outcomes(
    jobs: Iterable[Job], timeout: float = 2.0, total: float = 20.0, project: Project | None = None
) -> list[Outcome]:
    """Every verdict of the jobs (with what stopped the unknown ones)."""
    jobs = list(jobs)
    if not jobs:
        return []
    deadline = time.monotonic() + total
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(
        target=_child, args=(jobs, timeout, deadline - 0.2, send, project), daemon=True
    )
    child.start()
    send.close()
    outcomes: list[Outcome] = []
    finished: set[int] = set()
    reason = BUDGET_REASON
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not receive.poll(remaining):
                break
            try:
                kind, index, payload = receive.recv()
            except EOFError:
                reason = "the verifier stopped (killed or out of memory)"
                break
            if kind == "verdict":
                verdict, construct = payload
                outcomes.append(Outcome(Verdict(**verdict), construct))
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
            outcomes.extend(pending(job, [o.verdict for o in outcomes], reason))
    return outcomes


def pending(job: Job, decided: list[Verdict], reason: str) -> list[Outcome]:
    """What was not decided when time ran out: each stated condition, and each function with
    no verdict at all, unknown with the reason."""
    from verify.check import Checker

    try:
        checker = Checker(job.source, job.path)
        specs = checker.specs()
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    seen = {(v.function, v.kind, v.condition) for v in decided if v.path == job.path}
    functions = {v.function for v in decided if v.path == job.path}
    construct = "budget:total" if reason == BUDGET_REASON else "verifier:failed"
    selector = _selector(job.lines)
    out = []
    for spec in specs:
        if selector is not None and not selector(spec):
            continue
        stated = [("post", c) for c in spec.post]
        if checker.checks_invariants(spec):
            stated += [("invariant", c) for c in spec.invariants]
        if not stated and spec.name not in functions:
            verdict = _unknown(job.path, spec.name, spec.node.lineno, "post", "(function)", reason)
            out.append(Outcome(verdict, construct))
        for kind, condition in stated:
            text = " ".join(condition.text.split())
            if (spec.name, kind, text) not in seen:
                verdict = _unknown(job.path, spec.name, condition.line, kind, text, reason)
                out.append(Outcome(verdict, construct))
    return out


def _unknown(
    path: str, function: str, line: int, kind: str, condition: str, reason: str
) -> Verdict:
    return Verdict(
        path=path,
        function=function,
        line=line,
        kind=kind,
        condition=condition,
        status="unknown",
        counterexample=None,
        reason=reason,
    )
