"""The reading order and the attention map on real commits (the data folder's commits/), judged
against ground truth computed apart (bot/bench/ordering_labels.py), with whole projects held
out: the figures that matter are those of the projects nobody tuned on.

Each commit goes through the review core as a PR would (intake, structural classification,
attention without analyzers, the reading order); then:
- forward references: def-use pairs whose user is read before its definition, on commits
  whose pairs form no cycle, in two tiers (the use on a changed line; the use anywhere);
- relation precision: the share of the relations the order states (`defines`, `uses`,
  `re-exports`, `subclasses`) that the import resolver confirms;
- the attention confusion matrix against the mechanical labels, skim precision and recall,
  and how many hunks that change a condition or control flow were marked skim."""

from __future__ import annotations

import gzip
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.bench.ordering_labels import mechanical_labels
from bot.bench.ordering_pairs import def_use_pairs
from bot.core.diff import parse_diff
from bot.core.errors import RedlineError
from bot.core.model import Diff
from bot.core.policy import Config
from bot.core.trees import MemoryTree
from bot.review.intake import take_in
from bot.review.scoring import score_files
from ordering import plan_order

# Chosen before any tuning, by the first 8 of the 24 names sorted by sha1: never tuned on.
HELD_OUT = (
    "aiohttp",
    "attrs",
    "icontract",
    "marshmallow",
    "poetry",
    "pydantic",
    "pylint",
    "pytest",
)
_RELATIONS = ("defines", "needs", "reexports", "subclass", "tests")


def commits(data: Path, split: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted((data / "commits").glob("*.jsonl.gz")):
        project = path.name.removesuffix(".jsonl.gz")
        held = project in HELD_OUT
        if (split == "dev" and held) or (split == "held_out" and not held):
            continue
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                yield project, json.loads(line)


def _forward(order: list[str], pairs: frozenset[tuple[str, str]]) -> int:
    position = {p: i for i, p in enumerate(order)}
    return sum(1 for a, b in pairs if a in position and b in position and position[b] < position[a])


class Tally:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.confusion: dict[str, Counter[str]] = {
            "mechanical": Counter(),
            "other": Counter(),
            "control": Counter(),
        }
        self.kinds: Counter[str] = Counter()
        self.missed: Counter[str] = Counter()
        self.examples: list[str] = []

    def summary(self) -> dict[str, Any]:
        c = self.counts
        skim = self.confusion["mechanical"]["skim"] + self.confusion["other"]["skim"]
        mechanical = sum(self.confusion["mechanical"].values())
        return {
            "commits": c["commits"],
            "multi_file_commits": c["multi"],
            "def_use": {
                "pairs_changed_lines": c["pairs_strict"],
                "pairs_anywhere": c["pairs_any"],
                "acyclic_commits_with_pairs": c["acyclic_with_pairs"],
                "forward_references_acyclic": {
                    "changed_lines": c["fwd_strict"],
                    "anywhere": c["fwd_any"],
                    "commits": c["fwd_commits"],
                },
                "alphabetical_forward_references_acyclic": {
                    "changed_lines": c["alpha_strict"],
                    "anywhere": c["alpha_any"],
                },
                "cyclic_commits": c["cyclic"],
            },
            "relations": {
                "stated": c["relations"],
                "confirmed_by_resolver": c["confirmed"],
                "precision": round(c["confirmed"] / c["relations"], 4) if c["relations"] else None,
            },
            "attention": {
                "hunks_labelled": c["hunks"],
                "confusion": {k: dict(v) for k, v in self.confusion.items()},
                "mechanical_kinds": dict(self.kinds),
                "mechanical_not_skimmed_by_kind": dict(self.missed),
                "skim_precision": (
                    round(self.confusion["mechanical"]["skim"] / skim, 4) if skim else None
                ),
                "skim_recall": (
                    round(self.confusion["mechanical"]["skim"] / mechanical, 4)
                    if mechanical
                    else None
                ),
                "control_hunks_skimmed": self.confusion["control"]["skim"],
            },
        }


def _order_part(
    tally: Tally, record: dict[str, Any], diff: Diff, order: list[str], plan: Any
) -> None:
    files = record["files"]
    touched = {f.path: set(n for h in f.hunks for n in h.touched_new_lines) for f in diff.files}
    renamed = {f.path for f in diff.files if f.status == "renamed"}
    pairs = def_use_pairs(files, touched, renamed)
    tally.counts["pairs_strict"] += len(pairs.changed)
    tally.counts["pairs_any"] += len(pairs.anywhere)
    alphabetical = sorted(order)
    strict_acyclic = not _cyclic(pairs.changed)
    any_acyclic = not _cyclic(pairs.anywhere)
    if not any_acyclic:
        tally.counts["cyclic"] += 1
    if pairs.anywhere and any_acyclic:
        tally.counts["acyclic_with_pairs"] += 1
    forward = 0
    if strict_acyclic:
        forward += (strict := _forward(order, pairs.changed))
        tally.counts["fwd_strict"] += strict
        tally.counts["alpha_strict"] += _forward(alphabetical, pairs.changed)
    if any_acyclic:
        forward += (loose := _forward(order, pairs.anywhere))
        tally.counts["fwd_any"] += loose
        tally.counts["alpha_any"] += _forward(alphabetical, pairs.anywhere)
    if forward:
        tally.counts["fwd_commits"] += 1
        if len(tally.examples) < 40:
            position = {p: i for i, p in enumerate(order)}
            bad = sorted(
                (a, b)
                for a, b in pairs.anywhere
                if a in position and b in position and position[b] < position[a]
            )
            tally.examples.append(f"{record['repo']}@{record['sha'][:8]}: {bad[:3]}")
    for edge in plan.edges:
        if edge.kind not in _RELATIONS or not edge.symbols:
            continue
        tally.counts["relations"] += 1
        resolved = pairs.resolved.get(edge.dst, frozenset())
        if any((edge.src, s.split(".")[0]) in resolved for s in edge.symbols):
            tally.counts["confirmed"] += 1
        elif len(tally.examples) < 80:
            tally.examples.append(
                f"unconfirmed {record['repo']}@{record['sha'][:8]}: {edge.src} -> {edge.dst} "
                f"{edge.kind} {edge.symbols[:2]}"
            )


def _cyclic(pairs: frozenset[tuple[str, str]]) -> bool:
    from bot.bench.ordering import has_cycle

    return has_cycle(pairs)


def _attention_part(tally: Tally, record: dict[str, Any], diff: Diff, hunks: Any) -> None:
    labels = mechanical_labels(record["files"], diff.files)
    for (path, index), label in labels.items():
        scored = next((h for h in hunks.get(path, ()) if h.hunk.index == index), None)
        if scored is None:
            continue
        tally.counts["hunks"] += 1
        mechanical = label.kind is not None and not label.control
        tally.confusion["mechanical" if mechanical else "other"][scored.attention] += 1
        if label.control and label.kind != "moved":
            tally.confusion["control"][scored.attention] += 1
            if scored.attention == "skim" and len(tally.examples) < 120:
                tally.examples.append(
                    f"control skimmed {record['repo']}@{record['sha'][:8]} {path}#{index}: "
                    f"{scored.note}"
                )
        if mechanical:
            tally.kinds[str(label.kind)] += 1
            if scored.attention != "skim":
                tally.missed[str(label.kind)] += 1
        elif scored.attention == "skim" and len(tally.examples) < 120:
            tally.examples.append(
                f"skimmed, not mechanical {record['repo']}@{record['sha'][:8]} {path}#{index} "
                f"({label.kind}): {scored.note}"
            )


def evaluate(tally: Tally, record: dict[str, Any]) -> None:
    try:
        diff = parse_diff(record["diff"])
    except RedlineError:
        return
    tally.counts["commits"] += 1
    config = Config()
    intake = take_in(diff, MemoryTree(record["files"]), config)
    diff = getattr(intake, "effective", diff)
    scored = score_files(diff, {}, intake.texts, intake.skipped)
    _attention_part(tally, record, diff, scored.hunks)
    if len(diff.files) < 2:
        return
    tally.counts["multi"] += 1
    plan = plan_order(scored.order_inputs)
    _order_part(tally, record, diff, [f.path for f in plan.files], plan)


def real_commits(data: Path, split: str = "all") -> dict[str, Any]:
    tallies: dict[str, Tally] = defaultdict(Tally)
    for project, record in commits(data, split):
        side = "held_out" if project in HELD_OUT else "development"
        evaluate(tallies[side], record)
    out: dict[str, Any] = {"held_out_projects": list(HELD_OUT)}
    for side, tally in sorted(tallies.items()):
        out[side] = tally.summary()
        out[side]["examples"] = tally.examples[:60]
    return out
