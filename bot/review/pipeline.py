"""The review pipeline: parsed diff + trees + config + analyzers -> a `Review` value.

It decides coverage, runs the analyzers under their budgets, merges hunk scores, filters
findings by paranoia, fingerprints them, orders the files for reading and decides the gate.
No rendering and no host I/O here.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.core.model import (
    AnalyzerRun,
    Diff,
    FileDiff,
    Finding,
    Group,
    HunkScore,
    Review,
    ReviewFile,
    ScoredHunk,
    Skipped,
    Verdict,
)
from bot.core.paths import check_relative
from bot.core.policy import Config
from bot.core.ports import AnalysisRequest, Analyzer, Tree
from bot.core.trees import EmptyTree
from bot.review import attention, coverage, fingerprint, gate
from bot.review.analysis import run_analyzers
from ordering import OrderInput, plan_order

DEFAULT_THRESHOLDS = {"low": 0.9, "default": 0.5, "high": 0.3, "max": 0.0}


@dataclass
class Timings:
    """Wall time per phase in ms, for `redline bench review`."""

    phases: dict[str, float] = field(default_factory=dict)

    def add(self, phase: str, start: float) -> float:
        now = time.perf_counter()
        self.phases[phase] = self.phases.get(phase, 0.0) + (now - start) * 1000
        return now


@dataclass(frozen=True)
class Intake:
    """What coverage decided: the files to analyze, their texts, and what was skipped."""

    reviewed: Diff
    texts: dict[str, str]
    skipped: dict[str, str]
    notes: tuple[Skipped, ...]


def check_paths(diff: Diff) -> None:
    """Refuse a diff whose paths would escape the repository."""
    for file in diff.files:
        check_relative(file.path)
        if file.old_path:
            check_relative(file.old_path)


def take_in(diff: Diff, post: Tree, config: Config) -> Intake:
    reviewed: list[FileDiff] = []
    texts: dict[str, str] = {}
    skipped: dict[str, str] = {}
    notes: list[Skipped] = []
    for file in diff.files:
        size = post.size(file.path) if file.status not in ("deleted", "binary") else None
        reason = coverage.skip_before_reading(file, config, size)
        data = None
        if reason is None and file.status not in ("deleted",):
            data = post.read(file.path)
            if data is not None:
                reason = coverage.skip_after_reading(data)
        if reason is not None:
            skipped[file.path] = reason
            continue
        if data is not None:
            texts[file.path] = data.decode("utf-8", "replace").replace("\r\n", "\n")
        elif file.status != "deleted":
            # Degrade to what the diff shows, for this file only.
            texts[file.path] = file.partial_text()
            notes.append(Skipped(file.path, "post-image not found: context from the diff only"))
        if file.lossy:
            notes.append(Skipped(file.path, "not valid UTF-8: undecodable bytes shown as U+FFFD"))
        reviewed.append(file)
    return Intake(Diff(tuple(reviewed)), texts, skipped, tuple(notes))


def _flagged_text(finding: Finding, diff: Diff, texts: dict[str, str]) -> str:
    """The text of the lines a finding points at, for its fingerprint."""
    file = diff.file(finding.path)
    wanted = range(finding.line, finding.end_line + 1)
    if finding.side == "old" or finding.path not in texts:
        lines = [
            line.text
            for hunk in (file.hunks if file else ())
            for line in hunk.lines
            if (line.old_no if finding.side == "old" else line.new_no) in wanted
        ]
        return "\n".join(lines)
    text_lines = texts[finding.path].split("\n")
    return "\n".join(text_lines[n - 1] for n in wanted if 0 < n <= len(text_lines))


def _threshold(analyzer: Analyzer | None, level: str) -> float:
    table = dict(analyzer.thresholds) if analyzer is not None and analyzer.thresholds else {}
    return table.get(level, DEFAULT_THRESHOLDS[level])


def review(
    diff: Diff,
    post: Tree,
    config: Config,
    analyzers: Sequence[Analyzer],
    base: Tree | None = None,
    timings: Timings | None = None,
) -> Review:
    timings = timings if timings is not None else Timings()
    start = time.perf_counter()
    check_paths(diff)
    intake = take_in(diff, post, config)
    start = timings.add("intake", start)

    enabled = [a for a in analyzers if a.name not in config.disable]
    runs_skipped = [
        AnalyzerRun(a.name, a.version, 0, "skipped", "disabled in .redline.toml")
        for a in analyzers
        if a.name in config.disable
    ]
    request = AnalysisRequest(intake.reviewed, intake.texts, config, base or EmptyTree())
    outputs, runs = run_analyzers(enabled, request) if intake.reviewed.files else ([], [])
    start = timings.add("analyzers", start)
    for analyzer, _ in outputs:
        timings.phases[f"analyzer:{analyzer.name}"] = float(
            next(r.ms for r in runs if r.name == analyzer.name)
        )

    # Merge hunk scores.
    parts: dict[tuple[str, int], list[HunkScore]] = defaultdict(list)
    for analyzer, output in outputs:
        for score in output.scores:
            if analyzer.name not in config.disabled_for(score.path):
                parts[(score.path, score.hunk)].append(score)

    # Findings: per-path disables, paranoia thresholds, de-duplication, fingerprints.
    by_name = {a.name: a for a in enabled}
    candidates: dict[tuple[str, str, int, str, str], Finding] = {}
    suppressed = 0
    for analyzer, output in outputs:
        for finding in output.findings:
            disabled = config.disabled_for(finding.path)
            if finding.source in disabled or finding.rule in disabled:
                continue
            level = config.paranoia_for(finding.path)
            if finding.score < _threshold(by_name.get(finding.source, analyzer), level):
                suppressed += 1
                continue
            key = (finding.path, finding.side, finding.line, finding.source, finding.rule)
            if key not in candidates or candidates[key].score < finding.score:
                candidates[key] = finding
    findings = fingerprint.assign(
        (f, _flagged_text(f, intake.reviewed, intake.texts)) for f in candidates.values()
    )
    findings.sort(key=lambda f: (-f.score, -_sev(f), f.path, f.line, f.rule))
    verdicts: list[Verdict] = [v for _, output in outputs for v in output.verdicts]
    start = timings.add("findings", start)

    scored: dict[str, tuple[ScoredHunk, ...]] = {}
    order_inputs: list[OrderInput] = []
    for file in diff.files:
        skip = intake.skipped.get(file.path)
        hunks: list[ScoredHunk] = []
        for hunk in file.hunks:
            merged = attention.merge(file.path, hunk.index, parts.get((file.path, hunk.index), []))
            level = attention.attention_for(merged, generated=skip is not None)
            note = merged.mechanical
            if merged.repeats and not note:
                note = f"{merged.repeats} repeated edits like this one"
            hunks.append(
                ScoredHunk(hunk, merged.risk, merged.entropy, level, note, merged.line_heat)
            )
        scored[file.path] = tuple(hunks)
        touched = frozenset(n for h in file.hunks for n in h.touched_new_lines)
        order_inputs.append(
            OrderInput(
                path=file.path,
                language=file.language,
                text=intake.texts.get(file.path),
                changed_lines=touched,
                risk=max((h.risk or 0.0 for h in hunks), default=0.0),
                mechanical=bool(hunks) and all(h.attention == "skim" for h in hunks),
                generated=skip,
                status=file.status,
                hunk_spans=tuple(
                    (h.new_start, h.new_start + max(h.new_lines, 1) - 1) for h in file.hunks
                ),
            )
        )
    start = timings.add("scoring", start)

    plan = plan_order(order_inputs)
    files_by_path = {f.path: f for f in diff.files}
    ordered_files = []
    for item in plan.files:
        in_order = scored[item.path]
        if item.hunk_order and len(item.hunk_order) == len(in_order):
            in_order = tuple(in_order[i] for i in item.hunk_order)
        ordered_files.append(
            ReviewFile(
                files_by_path[item.path],
                item.reason,
                in_order,
                item.group,
                intake.skipped.get(item.path),
            )
        )
    groups = tuple(Group(g.label, g.reason, g.paths) for g in plan.groups)
    start = timings.add("ordering", start)

    all_runs = tuple(sorted(runs + runs_skipped, key=lambda r: r.name))
    verdict = gate.decide(findings, all_runs, config)
    timings.add("gate", start)
    return Review(
        files=tuple(ordered_files),
        findings=tuple(findings),
        gate=verdict,
        files_reviewed=len(intake.reviewed.files),
        skipped=tuple(Skipped(p, r) for p, r in intake.skipped.items()),
        analyzers=all_runs,
        notes=intake.notes,
        groups=groups,
        verdicts=tuple(verdicts),
        paranoia=config.paranoia,
        suppressed=suppressed,
    )


def _sev(finding: Finding) -> int:
    return {"error": 3, "warning": 2, "note": 1}[finding.severity]
