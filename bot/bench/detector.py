"""`redline bench detector`: the bug detector on
- the synthetic test split (packages it never saw): detection ROC-AUC, localization, repair
  accuracy, expected calibration error;
- real bugs: the 40 QuixBugs programs, each buggy program read blind (every line a candidate;
  the random baseline is 1/lines) and each reviewed as its PR diff (does a finding land on the
  buggy line at default paranoia);
- real bug-introducing commits held out from fine-tuning (hunk ROC-AUC, findings' precision);
- noise: findings per 1,000 changed lines at default paranoia on 770 real commits;
- speed: changed lines scored per second on a whole PR."""

from __future__ import annotations

import gzip
import json
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from bot.bench import BenchOptions
from bot.core.diff import parse_diff
from bot.core.policy import Config
from bot.core.trees import MemoryTree
from bot.review.pipeline import review

CACHE = Path.home() / ".cache" / "redline" / "bench"


def _model() -> Any:
    from review_models.detector.infer import shared_model

    return shared_model()


def synthetic(model: Any, work: Path) -> dict[str, Any]:
    from review_models import corpus
    from review_models.detector import data as ddata
    from review_models.detector import train as dtrain

    target = work / "test.npz"
    if not target.exists():
        target = CACHE / "detector-test.npz"
        if not target.exists():
            files = [f for f in corpus.collect() if f.split == "test"]
            ddata.build_synthetic(files, target, 1334, 16, progress=False)
    packed = ddata.Packed.load(target)
    result = dtrain.evaluate(model.model, packed, model.calibration)
    by_family: dict[str, float] = {}
    _logits, loc_hit, _, _labels = dtrain.predict(model.model, packed)
    from review_models.inject import FAMILIES

    for index, family in enumerate(FAMILIES):
        chosen = packed.family == index
        if chosen.any():
            by_family[family] = round(float(loc_hit[chosen].mean()), 3)
    return {
        "examples": result.count,
        "auc": round(result.auc, 4),
        "localization": round(result.localization, 4),
        "repair": round(result.repair, 4),
        "ece": round(result.ece, 4),
        "localization_by_family": by_family,
    }


def _code_lines(text: str) -> list[int]:
    lines = text.split("\n")
    out = []
    in_doc = False
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith(('"""', "'''")):
            if not (len(stripped) > 3 and stripped.endswith(stripped[:3])):
                in_doc = not in_doc
            continue
        if in_doc or not stripped or stripped.startswith("#"):
            continue
        out.append(number)
    return out


def quixbugs(model: Any, data: Path) -> dict[str, Any]:
    from bot.analyzers.detector import DetectorAnalyzer
    from review_models.detector.windows import windows_for

    records = [json.loads(line) for line in (data / "quixbugs.jsonl").open()]
    top1 = top3 = 0
    ranks = []
    baseline = []
    flagged = 0
    hunk_risks: list[float] = []
    analyzer = DetectorAnalyzer()
    for record in records:
        text = record["buggy"]
        lines = text.split("\n")
        code = _code_lines(text)
        targets = set(record["buggy_lines"] or record["omission_anchors"])
        windows = windows_for(lines, code)
        scores: dict[int, float] = {}
        for _window, result in zip(windows, model.score(windows), strict=True):
            for line, share in result.line_probs.items():
                scores[line] = max(scores.get(line, 0.0), result.probability * share)
        ranked = sorted(code, key=lambda n: -scores.get(n, 0.0))
        rank = min((ranked.index(t) + 1 for t in targets if t in ranked), default=len(ranked))
        ranks.append(rank)
        top1 += rank == 1
        top3 += rank <= 3
        baseline.append(min(1.0, len(targets) / max(1, len(code))))
        # As a pull request: the diff that introduces the bug, the buggy file as context.
        diff = parse_diff(record["pr_diff"])
        outcome = review(diff, MemoryTree({record["path"]: text}), Config(), [analyzer])
        hunk_risks.extend(h.risk for f in outcome.files for h in f.hunks if h.risk is not None)
        flagged += any(
            f.source == "detector"
            and (f.line in targets or any(abs(f.line - t) <= 1 for t in record["omission_anchors"]))
            for f in outcome.findings
        )
    count = len(records)
    return {
        "programs": count,
        "blind_top1": round(top1 / count, 3),
        "blind_top3": round(top3 / count, 3),
        "blind_mean_rank": round(float(np.mean(ranks)), 2),
        "random_top1_baseline": round(float(np.mean(baseline)), 3),
        "as_pr_found_at_default_paranoia": round(flagged / count, 3),
        "as_pr_mean_hunk_risk": round(float(np.mean(hunk_risks)), 3) if hunk_risks else None,
    }


def real_fixes(model: Any, work: Path) -> dict[str, Any]:
    from review_models.detector import data as ddata
    from review_models.detector import train as dtrain

    target = work / "real-eval.npz"
    if not target.exists():
        return {"skipped": "runs/detector/real-eval.npz not built (redline train detector)"}
    packed = ddata.Packed.load(target)
    result = dtrain.evaluate(model.model, packed, model.calibration)
    logits, _loc_hit, _, labels = dtrain.predict(model.model, packed)
    probs = model.calibration.probabilities(logits)  # the risk a review shows
    threshold = model.thresholds.get("default", 0.5)
    flagged = probs >= threshold
    precision = float(labels[flagged].mean()) if flagged.any() else None
    return {
        "hunks": result.count,
        "positives": int(labels.sum()),
        "auc": round(result.auc, 4),
        "localization": round(result.localization, 4),
        "default_threshold_flagged": int(flagged.sum()),
        "default_threshold_precision": None if precision is None else round(precision, 3),
    }


def _commits(data: Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for path in sorted((data / "commits").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            records.extend(json.loads(line) for line in handle)
    return records


def noise(model: Any, data: Path) -> dict[str, Any]:
    from bot.analyzers.detector import DetectorAnalyzer

    analyzer = DetectorAnalyzer()
    changed = 0
    findings = 0
    per_level = {"low": 0, "default": 0, "high": 0}
    for record in _commits(data):
        try:
            diff = parse_diff(record["diff"])
        except Exception:  # a commit our parser rejects is not a detector figure
            continue
        python = [f for f in diff.files if f.path.endswith(".py") and f.path in record["files"]]
        if not python:
            continue
        from bot.core.model import Diff

        sub = Diff(tuple(python))
        changed += sum(f.added_count for f in python)
        outcome = review(sub, MemoryTree(record["files"]), Config(paranoia="max"), [analyzer])
        scores = [f.score for f in outcome.findings if f.source == "detector"]
        for level in per_level:
            per_level[level] += sum(s >= model.thresholds.get(level, 0.5) for s in scores)
        findings += sum(s >= model.thresholds.get("default", 0.5) for s in scores)
    return {
        "commits": len(_commits(data)),
        "changed_python_lines": changed,
        "findings_per_1000_lines": {
            k: round(1000 * v / max(1, changed), 2) for k, v in per_level.items()
        },
    }


def speed(model: Any, data: Path) -> dict[str, Any]:
    from bot.analyzers.detector import DetectorAnalyzer

    analyzer = DetectorAnalyzer()
    rng = random.Random(5)
    commits = [c for c in _commits(data) if any(p.endswith(".py") for p in c["files"])]
    rng.shuffle(commits)
    diffs, files, changed = [], {}, 0
    for record in commits:
        try:
            diff = parse_diff(record["diff"])
        except Exception:
            continue
        python = [
            f
            for f in diff.files
            if f.path.endswith(".py") and f.path in record["files"] and f.path not in files
        ]
        if not python:
            continue
        diffs.extend(python)
        files.update({f.path: record["files"][f.path] for f in python})
        changed += sum(f.added_count for f in python)
        if changed >= 2000:
            break
    from bot.core.model import Diff

    pr = Diff(tuple(diffs))
    review(pr, MemoryTree(files), Config(), [analyzer])  # warm-up
    start = time.perf_counter()
    review(pr, MemoryTree(files), Config(), [analyzer])
    seconds = time.perf_counter() - start
    return {
        "files": len(diffs),
        "changed_lines": changed,
        "seconds": round(seconds, 3),
        "changed_lines_per_second": round(changed / seconds),
    }


def run(options: BenchOptions) -> dict[str, Any]:
    data = options.require_data("detector")
    work = options.work / "detector"
    model = _model()
    return {
        "model": {
            "version": model.version,
            "calibration": model.calibration.to_dict(),
            "thresholds": model.thresholds,
        },
        "synthetic_test": synthetic(model, work),
        "quixbugs": quixbugs(model, data),
        "real_fixes_held_out": real_fixes(model, work),
        "noise_on_real_commits": noise(model, data),
        "speed": speed(model, data),
        "targets": {
            "synthetic_localization": 0.85,
            "ece": 0.05,
            "quixbugs_top1": 0.40,
            "findings_per_1000_lines_default": 2.0,
            "changed_lines_per_second": 2000,
        },
    }
