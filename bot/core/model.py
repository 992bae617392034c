"""The host-neutral data model: frozen values that flow from diff intake to the renderers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.core.paths import language_of

LineKind = Literal["add", "del", "ctx"]
FileStatus = Literal["added", "modified", "deleted", "renamed", "binary"]
Severity = Literal["error", "warning", "note"]
Attention = Literal["skim", "read", "scrutinize"]
Side = Literal["new", "old"]
AnalyzerStatus = Literal["ok", "error", "timeout", "skipped"]
VerdictStatus = Literal["proved", "refuted", "unknown"]

# The one severity table: rank for gating and sorting, icon for Markdown, style for terminals.
SEVERITY_RANK: dict[str, int] = {"note": 1, "warning": 2, "error": 3}
SEVERITY_ICON: dict[str, str] = {"error": "🔴", "warning": "🟠", "note": "🔵"}
SEVERITY_STYLE: dict[str, str] = {
    "error": "bold red",
    "warning": "bold yellow",
    "note": "bold blue",
}


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One line of a hunk with both its old-side and new-side line numbers."""

    kind: LineKind
    text: str
    old_no: int | None
    new_no: int | None


@dataclass(frozen=True, slots=True)
class Hunk:
    index: int
    old_start: int
    old_lines: int
    new_start: int
    new_lines: int
    section: str
    lines: tuple[DiffLine, ...]

    @property
    def added(self) -> tuple[DiffLine, ...]:
        return tuple(line for line in self.lines if line.kind == "add")

    @property
    def removed(self) -> tuple[DiffLine, ...]:
        return tuple(line for line in self.lines if line.kind == "del")

    @property
    def new_line_numbers(self) -> frozenset[int]:
        """New-side lines shown in the hunk (added and context)."""
        return frozenset(line.new_no for line in self.lines if line.new_no is not None)

    @property
    def added_line_numbers(self) -> frozenset[int]:
        return frozenset(line.new_no for line in self.lines if line.kind == "add" and line.new_no)

    @property
    def changed_count(self) -> int:
        return sum(1 for line in self.lines if line.kind != "ctx")

    @property
    def touched_new_lines(self) -> frozenset[int]:
        """New-side lines the hunk changes. A pure deletion touches the lines around its gap."""
        touched = set(self.added_line_numbers)
        previous: int | None = None
        pending_gap = False
        for line in self.lines:
            if line.kind == "del":
                pending_gap = True
                continue
            if pending_gap:
                if line.kind == "ctx" and line.new_no is not None:
                    touched.add(line.new_no)
                    if previous is not None:
                        touched.add(previous)
                pending_gap = False
            if line.new_no is not None:
                previous = line.new_no
        if pending_gap:
            touched.add(previous if previous is not None else max(self.new_start, 1))
        return frozenset(touched)


@dataclass(frozen=True, slots=True)
class FileDiff:
    """One file of a diff. `path` is the new-side path (the old one for deletions)."""

    path: str
    status: FileStatus
    hunks: tuple[Hunk, ...] = ()
    old_path: str | None = None
    copied: bool = False
    old_mode: str | None = None
    new_mode: str | None = None
    lossy: bool = False  # non-UTF-8 bytes were replaced with U+FFFD for display
    crlf: bool = False

    @property
    def language(self) -> str:
        return language_of(self.path)

    @property
    def added_count(self) -> int:
        return sum(len(h.added) for h in self.hunks)

    @property
    def changed_count(self) -> int:
        return sum(h.changed_count for h in self.hunks)

    def partial_text(self) -> str:
        """The new side as far as the hunks show it; lines outside them are blank."""
        size = max((line.new_no or 0 for h in self.hunks for line in h.lines), default=0)
        view = [""] * size
        for hunk in self.hunks:
            for line in hunk.lines:
                if line.new_no is not None:
                    view[line.new_no - 1] = line.text
        return "\n".join(view)


@dataclass(frozen=True, slots=True)
class Diff:
    files: tuple[FileDiff, ...] = ()

    def file(self, path: str) -> FileDiff | None:
        for f in self.files:
            if f.path == path:
                return f
        return None

    @property
    def changed_lines(self) -> int:
        return sum(f.changed_count for f in self.files)


@dataclass(frozen=True, slots=True)
class Finding:
    """Something worth a reviewer's attention at a place in the diff."""

    path: str
    line: int
    end_line: int
    severity: Severity
    source: str
    rule: str
    message: str
    score: float
    side: Side = "new"
    suggestion: str | None = None
    fingerprint: str = ""

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True, slots=True)
class HunkScore:
    """What one analyzer says about one hunk; the pipeline merges these per hunk."""

    path: str
    hunk: int
    risk: float | None = None
    entropy: float | None = None
    mechanical: str | None = None  # why the hunk is mechanical ("renames `a` to `b`"), if it is
    repeats: int = 0  # how many later hunks repeat this hunk's edit
    line_heat: tuple[tuple[int, float], ...] = ()  # (new line, surprisal in bits)
    flags: frozenset[str] = frozenset()  # e.g. "dangerous"
    reasons: tuple[str, ...] = ()  # why the risk is what it is ("comparison `<` changed ...")


@dataclass(frozen=True, slots=True)
class ScoredHunk:
    hunk: Hunk
    risk: float | None
    entropy: float | None
    attention: Attention
    note: str | None = None  # the one-line note a collapsed (skim) hunk shows
    line_heat: tuple[tuple[int, float], ...] = ()
    reasons: tuple[str, ...] = ()  # why the risk is what it is, strongest first
    repeat_of: tuple[str, int] | None = None  # (path, hunk index) of the edit this one repeats


@dataclass(frozen=True, slots=True)
class ReviewFile:
    diff: FileDiff
    reason: str
    hunks: tuple[ScoredHunk, ...]
    group: str | None = None
    skipped: str | None = None  # why the file was not analyzed, if it was not


@dataclass(frozen=True, slots=True)
class Gate:
    failed: bool
    reasons: tuple[str, ...]
    fail_on: str


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class AnalyzerRun:
    name: str
    version: str
    ms: int
    status: AnalyzerStatus
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Suppression:
    """An in-file suppression comment (`# nosemgrep`, `# nosec`, `# redline: ignore`) that a
    review met. `honoured` is whether it silenced anything: one the change itself adds on its
    own lines is not, unless the base's policy allows author suppressions for the rule."""

    path: str
    line: int
    marker: str  # the comment as written
    rule: str | None  # the rule it names, or None for every rule
    honoured: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """A spec-verification outcome, summarised in the review ("3 proved, 1 refuted")."""

    path: str
    function: str
    line: int
    kind: str
    condition: str
    status: VerdictStatus
    reason: str | None = None
    counterexample: dict[str, object] | None = None
    ms: int = 0


@dataclass(frozen=True, slots=True)
class Group:
    label: str
    reason: str
    paths: tuple[str, ...]


FixOrigin = Literal["rule", "detector", "model"]


@dataclass(frozen=True, slots=True)
class Fix:
    """A validated fix, ready to deliver: lines start..end (1-based, inclusive, new side) of
    `path` become `replacement` (whole lines, each ending in a newline; empty deletes them).
    `original` is the text it replaces, so a deliverer can refuse a file that moved on.

    - `finding`: the fingerprint of the finding it fixes; `rule` is "source:rule".
    - `origin`: `rule` (a semgrep `fix:`), `detector` (a token repair) or `model`.
    - `checks`: the shadow validations it passed, in order (e.g. "parses", "semgrep").
    - `suggestion`: True when it replaces exactly the finding's lines (a one-click suggestion);
      otherwise it goes out as a patch / suggested commit.
    - `tokens`, `ms`: what producing it cost (generated tokens; wall time).
    """

    path: str
    start: int
    end: int
    replacement: str
    original: str
    finding: str
    rule: str
    origin: FixOrigin
    checks: tuple[str, ...] = ()
    suggestion: bool = False
    tokens: int = 0
    ms: int = 0


@dataclass(frozen=True, slots=True)
class DroppedFix:
    """A fix that was not offered, and why (a validation it failed, a backend that failed)."""

    path: str
    line: int
    rule: str
    origin: str
    reason: str


@dataclass(frozen=True, slots=True)
class Review:
    files: tuple[ReviewFile, ...]
    findings: tuple[Finding, ...]
    gate: Gate
    files_reviewed: int
    skipped: tuple[Skipped, ...]
    analyzers: tuple[AnalyzerRun, ...]
    notes: tuple[Skipped, ...] = ()  # per-file degradations (e.g. no post-image)
    groups: tuple[Group, ...] = ()
    verdicts: tuple[Verdict, ...] = ()
    paranoia: str = "default"
    suppressed: int = 0  # candidates below the paranoia threshold
    suppressions: tuple[Suppression, ...] = ()  # in-file suppressions met, honoured or not
    fixes: tuple[Fix, ...] = ()  # validated fixes (when `engine` is among the analyzers)
    fixes_dropped: tuple[DroppedFix, ...] = ()  # fixes not offered, each with its reason
