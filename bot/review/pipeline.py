"""The review pipeline: parsed diff + trees + config + analyzers -> a `Review` value, one
function per phase: intake (coverage), analysis (under budgets), findings, scoring, ordering,
gate. No rendering and no host I/O here."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from bot.core.model import AnalyzerRun, Diff, Group, Review, ReviewFile, ScoredHunk, Skipped
from bot.core.policy import REVIEW_BUDGET, RULE_PACK, Config
from bot.core.ports import AnalysisRequest, Analyzer, AnalyzerOutput, Tree
from bot.core.trees import EmptyTree
from bot.review import findings as found
from bot.review import gate, scoring
from bot.review.analysis import run_analyzers
from bot.review.intake import Intake, check_paths, take_in
from ordering import OrderInput, plan_order

Outputs = list[tuple[Analyzer, AnalyzerOutput]]


@dataclass
class Timings:
    """Wall time per phase in ms, for `redline bench review`."""

    phases: dict[str, float] = field(default_factory=dict)

    def add(self, phase: str, start: float) -> float:
        now = time.perf_counter()
        self.phases[phase] = self.phases.get(phase, 0.0) + (now - start) * 1000
        return now


def analyze(
    intake: Intake, config: Config, analyzers: Sequence[Analyzer], base: Tree, deadline: float
) -> tuple[Outputs, list[AnalyzerRun]]:
    """Run the enabled analyzers; the disabled ones are listed as skipped. The rule pack reads
    every reviewed file; the other analyzers not those too large for them."""
    enabled = [a for a in analyzers if a.name not in config.disable]
    disabled = [
        AnalyzerRun(a.name, a.version, 0, "skipped", "disabled in .redline.toml")
        for a in analyzers
        if a.name in config.disable
    ]
    if not intake.reviewed.files:
        return [], disabled
    full = AnalysisRequest(intake.reviewed, intake.texts, config, base)
    deep = full
    if intake.deep_skipped:
        kept = tuple(f for f in intake.reviewed.files if f.path not in intake.deep_skipped)
        deep = AnalysisRequest(Diff(kept), intake.texts, config, base)
    outputs, runs = run_analyzers(
        enabled, lambda a: full if a.name in RULE_PACK else deep, deadline
    )
    return outputs, runs + disabled


def order(
    diff: Diff,
    hunks: Mapping[str, tuple[ScoredHunk, ...]],
    inputs: Sequence[OrderInput],
    skipped: Mapping[str, str],
    support: Mapping[str, str] | None = None,
) -> tuple[tuple[ReviewFile, ...], tuple[Group, ...]]:
    """The files in reading order, each with its reason, group and hunks in reading order.
    `support`: unchanged package `__init__.py` files, to resolve names they re-export."""
    plan = plan_order(inputs, support)
    by_path = {f.path: f for f in diff.files}
    files = []
    for item in plan.files:
        in_order = hunks[item.path]
        if item.hunk_order and len(item.hunk_order) == len(in_order):
            in_order = tuple(in_order[i] for i in item.hunk_order)
        files.append(
            ReviewFile(
                by_path[item.path], item.reason, in_order, item.group, skipped.get(item.path)
            )
        )
    return tuple(files), tuple(Group(g.label, g.reason, g.paths) for g in plan.groups)


def in_diff_order(
    diff: Diff,
    hunks: Mapping[str, tuple[ScoredHunk, ...]],
    skipped: Mapping[str, str],
    error: Exception,
) -> tuple[tuple[ReviewFile, ...], tuple[Group, ...]]:
    """The fallback when the reading order failed: the diff's own order, saying why."""
    reason = f"in diff order: the reading order failed ({type(error).__name__})"
    files = tuple(
        ReviewFile(f, reason, hunks[f.path], None, skipped.get(f.path)) for f in diff.files
    )
    group = Group("All files", reason, tuple(f.path for f in diff.files))
    return files, (group,) if files else ()


def review(
    diff: Diff,
    post: Tree,
    config: Config,
    analyzers: Sequence[Analyzer],
    base: Tree | None = None,
    timings: Timings | None = None,
    before: Tree | Literal["base"] | None = "base",
) -> Review:
    """`base` is the trusted tree policy and rule files come from; `before` the pre-image
    (by default the base; None when there is none, as for a bare diff file)."""
    timings = timings if timings is not None else Timings()
    start = time.perf_counter()
    deadline = time.monotonic() + config.budget("review", REVIEW_BUDGET)
    check_paths(diff)
    intake = take_in(diff, post, config, base if before == "base" else before)
    diff = intake.effective
    start = timings.add("intake", start)
    outputs, runs = analyze(intake, config, analyzers, base or EmptyTree(), deadline)
    start = timings.add("analyzers", start)
    ran = {r.name: r.ms for r in runs}
    for analyzer, _ in outputs:
        timings.phases[f"analyzer:{analyzer.name}"] = float(ran[analyzer.name])
    selected = found.select(outputs, config, intake.reviewed, intake.texts)
    verdicts = tuple(v for _, output in outputs for v in output.verdicts)
    start = timings.add("findings", start)
    scored = scoring.score_files(
        diff, scoring.collect(outputs, config), intake.texts, intake.skipped, selected.findings
    )
    start = timings.add("scoring", start)
    try:
        files, groups = order(
            diff, scored.hunks, scored.order_inputs, intake.skipped, scoring.support(diff, post)
        )
    except Exception as exc:  # a PR that breaks the ordering must not lose its review
        files, groups = in_diff_order(diff, scored.hunks, intake.skipped, exc)
        runs.append(AnalyzerRun("ordering", "-", 0, "error", f"{type(exc).__name__}: {exc}"))
    start = timings.add("ordering", start)
    all_runs = tuple(sorted(runs, key=lambda r: r.name))
    verdict = gate.decide(selected.findings, all_runs, config, intake.unscanned)
    timings.add("gate", start)
    return Review(
        files=files,
        findings=selected.findings,
        gate=verdict,
        files_reviewed=len(intake.reviewed.files),
        skipped=tuple(Skipped(p, r) for p, r in intake.skipped.items()),
        analyzers=all_runs,
        notes=intake.notes,
        groups=groups,
        verdicts=verdicts,
        paranoia=config.paranoia,
        suppressed=selected.below_threshold,
        suppressions=tuple(s for _, output in outputs for s in output.suppressions),
    )
