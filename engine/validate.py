"""Shadow validation: every candidate fix is applied out of sight and checked before anything
is offered. A fix must never be worse than no fix.

The engine's own checks need nothing from outside: the fix changes something, stays inside its
region, leaves valid UTF-8, and a Python file that parsed still parses. The checks that need an
analyzer (semgrep no longer raises the finding, nothing new in the region, ruff reports nothing
new there, the detector re-scored, verify no longer refuting) are passed in as `Check`s, so the
engine imports no analyzer. Checks are batched: one call sees every surviving candidate, so an
analyzer that starts a process (semgrep, ruff) starts it once per review, not once per fix.
Nothing is executed: the project's tests run only through a check the caller configured
explicitly with a sandbox.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.core import pysyntax
from bot.core.model import Finding, FixOrigin
from engine.patch import apply_lines


@dataclass(frozen=True)
class Validation:
    ok: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Candidate:
    """A proposed fix of `finding`: lines start..end of its file become `replacement`.
    `region` is the span the fix was allowed to touch."""

    finding: Finding
    start: int
    end: int
    replacement: str
    original: str
    origin: FixOrigin
    region: tuple[int, int]
    tokens: int = 0
    ms: int = 0

    @property
    def path(self) -> str:
        return self.finding.path


@dataclass(frozen=True, slots=True)
class Shadow:
    """A candidate applied out of sight: the file before and after, and where the new lines
    are in `after` (start..end; end = start - 1 when the fix only deletes)."""

    candidate: Candidate
    before: str
    after: str
    start: int
    end: int
    python: bool = True


# A batched check: one rejection reason (or None when it passes) per shadow, in order.
CheckRun = Callable[[Sequence[Shadow]], Sequence[str | None]]


@dataclass(frozen=True)
class Check:
    name: str
    run: CheckRun


def parses(text: str) -> bool:
    try:
        pysyntax.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def shadow(candidate: Candidate, before: str, python: bool) -> Shadow:
    after = apply_lines(before, candidate.start, candidate.end, candidate.replacement)
    added = len(candidate.replacement.splitlines())
    return Shadow(candidate, before, after, candidate.start, candidate.start + added - 1, python)


def _changes(items: Sequence[Shadow]) -> list[str | None]:
    return ["the fix changes nothing" if s.after == s.before else None for s in items]


def _in_region(items: Sequence[Shadow]) -> list[str | None]:
    out: list[str | None] = []
    for s in items:
        first, last = s.candidate.region
        c = s.candidate
        out.append(
            None
            if first <= c.start and c.end <= last
            else f"the fix touches lines {c.start}-{c.end}, outside its region {first}-{last}"
        )
    return out


def _utf8(items: Sequence[Shadow]) -> list[str | None]:
    out: list[str | None] = []
    for s in items:
        try:
            s.after.encode("utf-8")
        except UnicodeEncodeError:
            out.append("the fix leaves text that is not valid UTF-8")
            continue
        out.append(None)
    return out


def _parses(items: Sequence[Shadow]) -> list[str | None]:
    return [
        "the patched file does not parse"
        if s.python and parses(s.before) and not parses(s.after)
        else None
        for s in items
    ]


BUILTIN_CHECKS = (
    Check("changes", _changes),
    Check("in-region", _in_region),
    Check("utf-8", _utf8),
    Check("parses", _parses),
)


@dataclass(frozen=True, slots=True)
class Outcome:
    shadow: Shadow
    passed: tuple[str, ...]
    reason: str | None  # None: every check passed


def run_checks(items: Sequence[Shadow], checks: Sequence[Check]) -> list[Outcome]:
    """Every shadow through the built-in checks, then `checks`, in order; a shadow stops at
    the first check that rejects it. A check that raises rejects everything it was given."""
    passed: list[list[str]] = [[] for _ in items]
    reasons: list[str | None] = [None] * len(items)
    for check in (*BUILTIN_CHECKS, *checks):
        alive = [i for i in range(len(items)) if reasons[i] is None]
        if not alive:
            break
        try:
            verdicts = list(check.run([items[i] for i in alive]))
        except Exception as exc:  # a broken check cannot vouch for anything: fail closed
            verdicts = [f"the {check.name} check failed: {type(exc).__name__}: {exc}"] * len(alive)
        if len(verdicts) != len(alive):
            verdicts = [f"the {check.name} check answered for the wrong number of fixes"] * len(
                alive
            )
        for i, verdict in zip(alive, verdicts, strict=True):
            if verdict is None:
                passed[i].append(check.name)
            else:
                reasons[i] = verdict
    return [Outcome(s, tuple(p), r) for s, p, r in zip(items, passed, reasons, strict=True)]


def apply(text: str, start: int, end: int, replacement: str) -> str:
    """`text` with lines start..end (1-based, inclusive) replaced by `replacement` (kept for
    the detector's token repairs, which work on '\\n'-split lines)."""
    lines = text.split("\n")
    new = replacement[:-1] if replacement.endswith("\n") else replacement
    return "\n".join(lines[: start - 1] + new.split("\n") + lines[end:])


def validate(text: str, start: int, end: int, replacement: str, python: bool = True) -> Validation:
    """The quick check of one line-level replacement (the detector's token repairs)."""
    lines = text.split("\n")
    if not 1 <= start <= end <= len(lines):
        return Validation(False, f"lines {start}-{end} are outside the file")
    original = "\n".join(lines[start - 1 : end]) + "\n"
    if replacement == original:
        return Validation(False, "the replacement changes nothing")
    if python and parses(text) and not parses(apply(text, start, end, replacement)):
        return Validation(False, "the replacement does not parse")
    return Validation(True)
