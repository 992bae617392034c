"""`redline bench detector`: the bug-finding tier on real code of projects held out of training
(`review_models.detector.build.TEST_PROJECTS`), side by side with ruff alone on changed lines
and a random ranking:

- real fixes held out by project: hunk ROC-AUC of the combined risk, bug-introducing hunks
  against real commits' hunks and the fixes as they were made;
- mixed PRs: each real bug-introducing diff mixed with real unrelated hunks of the same
  project: does the riskiest hunk hold the bug (hunk_hit@1), is a buggy line among the five
  riskiest lines (line_hit@5);
- QuixBugs: each buggy program read blind (every line added), top-1 line; and as its PR;
- noise: findings at default paranoia per 1,000 changed lines of the held-out projects' real
  commits (the findings are written to `<work>/detector/noise-findings.jsonl` to be read);
- static analysis alone: the share of real fixes it catches, its precision, its noise; the
  type checker measured on a sample, its time apart;
- speed: changed lines per second of the cheap tier (detector and combination).

Ties in a ranking count at their expected value (a constant score is chance)."""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.bench import BenchOptions
from bot.core.diff import parse_diff
from bot.core.errors import DiffParseError
from bot.core.model import Diff, FileDiff, HunkScore
from bot.core.policy import Config
from bot.core.ports import AnalysisRequest, Analyzer
from bot.core.trees import MemoryTree
from bot.review import attention, findings

MIXED_UNRELATED = 5  # unrelated real hunks mixed into each bug-introducing diff


@dataclass
class FileCase:
    """One changed Python file of a record: both sides and its hunks."""

    project: str
    source: str  # fix-reversed | fix-original | commit
    path: str
    new_text: str
    old_text: str
    file: FileDiff
    bug_lines: frozenset[int] = frozenset()
    record: str = ""

    def hunk_labels(self) -> list[int]:
        return [int(bool(h.touched_new_lines & self.bug_lines)) for h in self.file.hunks]


@dataclass
class Cases:
    fixes: list[FileCase] = field(default_factory=list)  # bug-introducing (fixes turned around)
    originals: list[FileCase] = field(default_factory=list)  # the same fixes as they were made
    commits: list[FileCase] = field(default_factory=list)


def _file_cases(
    project: str,
    source: str,
    diff_text: str,
    files: dict[str, str],
    bugs: dict[str, list[int]],
    record: str,
) -> list[FileCase]:
    from review_models.detector.edits import pre_image

    try:
        diff = parse_diff(diff_text)
    except DiffParseError:
        return []
    out = []
    for file in diff.files:
        text = files.get(file.path)
        if text is None or not file.path.endswith(".py") or file.status == "deleted":
            continue
        new = text.split("\n")
        out.append(
            FileCase(
                project,
                source,
                file.path,
                text,
                "\n".join(pre_image(new, file)),
                file,
                frozenset(bugs.get(file.path, [])),
                record,
            )
        )
    return out


def reversed_case(case: FileCase) -> FileCase:
    from review_models.detector.build import reverse

    file = FileDiff(case.path, "modified", tuple(reverse(h) for h in case.file.hunks))
    return FileCase(
        case.project,
        "fix-original",
        case.path,
        case.old_text,
        case.new_text,
        file,
        frozenset(),
        case.record,
    )


def _mapping(value: object) -> dict[str, Any]:
    assert isinstance(value, dict)
    return value


def _sampled(sha: str, every: int) -> bool:
    """A deterministic 1-in-`every` sample of records, by their commit hash."""
    return every <= 1 or int(hashlib.sha1(sha.encode()).hexdigest(), 16) % every == 0


def load_cases(data: Path, projects: Iterable[str], every: int = 1) -> Cases:
    """The held-out cases; `every` > 1 keeps one record in `every` (for slow peers)."""
    from review_models.detector.build import commit_records, fix_records, project_of

    wanted = set(projects)
    cases = Cases()
    for record in fix_records(data):
        project = project_of(str(record["repo"]))
        if project not in wanted or not _sampled(str(record["sha"]), every):
            continue
        files, bugs = _mapping(record["files"]), _mapping(record["buggy_lines"])
        sha = str(record["sha"])
        for case in _file_cases(project, "fix-reversed", str(record["pr_diff"]), files, bugs, sha):
            if any(case.hunk_labels()):
                cases.fixes.append(case)
                cases.originals.append(reversed_case(case))
    for record in commit_records(data):
        project = project_of(str(record["repo"]))
        if project in wanted and _sampled(str(record["sha"]), every):
            files, sha = _mapping(record["files"]), str(record["sha"])
            cases.commits.extend(
                _file_cases(project, "commit", str(record["diff"]), files, {}, sha)
            )
    return cases


# --- scorers: a file case in, per hunk a risk and per changed line a score ---------------

HunkScores = list[tuple[float, dict[int, float]]]
Scorer = Callable[[FileCase], HunkScores]


class Cheap:
    """The review's cheap tier as a review runs it: detector, static (ruff) and entropy
    analyzers, merged per hunk into the combined risk."""

    def __init__(self, analyzers: Sequence[Analyzer]) -> None:
        from review_models.detector.infer import shared_model

        self.analyzers = list(analyzers)
        self.model = shared_model()
        self.config = Config(paranoia="max")

    def outputs(self, case: FileCase) -> tuple[dict[int, list[HunkScore]], list[Any]]:
        request = AnalysisRequest(
            Diff((case.file,)),
            {case.path: case.new_text},
            self.config,
            MemoryTree({case.file.old_path or case.path: case.old_text}),
        )
        parts: dict[int, list[HunkScore]] = {}
        found: list[tuple[Analyzer, Any]] = []
        for analyzer in self.analyzers:
            output = analyzer.analyze(request, time.monotonic() + 120)
            for score in output.scores:
                parts.setdefault(score.hunk, []).append(score)
            found.extend((analyzer, f) for f in output.findings)
        return parts, found

    def __call__(self, case: FileCase) -> HunkScores:
        from review_models.detector.edits import edit_of

        parts, found = self.outputs(case)
        static_lines = {
            f.line
            for a, f in found
            if f.source == "static" and f.score >= findings.threshold(a, "default")
        }
        new, old = case.new_text.split("\n"), case.old_text.split("\n")
        out = []
        for hunk in case.file.hunks:
            merged = attention.merge(case.path, hunk.index, parts.get(hunk.index, []))
            risk = merged.risk or 0.0
            shares = self.model.score(edit_of(case.path, hunk, new, old)).line_shares
            lines = {n: risk * s + (1.0 if n in static_lines else 0.0) for n, s in shares.items()}
            out.append((risk, lines))
        return out


def ruff_alone(case: FileCase) -> HunkScores:
    """ruff's default rules on the head file, diagnostics on changed lines (not differential)."""
    import subprocess
    import tempfile

    from bot.analyzers.static import ruff_command

    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "m.py"
        target.write_text(case.new_text, encoding="utf-8", errors="surrogateescape")
        done = subprocess.run(
            [*ruff_command(), "check", "--isolated", "--no-cache", "--exit-zero",
             "--output-format", "json", str(target)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    rows = [int(item["location"]["row"]) for item in json.loads(done.stdout or "[]")]
    out = []
    for hunk in case.file.hunks:
        touched = hunk.touched_new_lines
        hits = [r for r in rows if r in hunk.added_line_numbers]
        out.append((float(len(hits)), {n: float(rows.count(n)) for n in touched}))
    return out


def constant(case: FileCase) -> HunkScores:  # the random ranking: every score ties
    return [(0.0, dict.fromkeys(h.touched_new_lines, 0.0)) for h in case.file.hunks]


# --- figures -----------------------------------------------------------------------------


def roc_auc(scores: Sequence[float], labels: Sequence[int]) -> float:
    import numpy as np

    from review_models.detector.fit import auc

    return round(auc(np.array(scores, dtype=float), np.array(labels)), 4)


def hit_at_1(scores: Sequence[float], labels: Sequence[int]) -> float:
    top = max(scores)
    tied = [label for score, label in zip(scores, labels, strict=True) if score >= top - 1e-12]
    return sum(tied) / len(tied)


def hit_at_k(scores: dict[Any, float], good: set[Any], k: int) -> float:
    """P(a good item among the k best), ties broken at random."""
    levels: dict[float, list[Any]] = {}
    for item, score in scores.items():
        levels.setdefault(round(score, 12), []).append(item)
    left = k
    for score in sorted(levels, reverse=True):
        items = levels[score]
        bad = sum(1 for i in items if i not in good)
        if len(items) <= left:
            if bad < len(items):
                return 1.0
            left -= len(items)
            continue
        return 1.0 - math.comb(bad, left) / math.comb(len(items), left)
    return 0.0


def real_fixes_figures(cases: Cases, scored: dict[int, HunkScores]) -> dict[str, Any]:
    groups: dict[str, tuple[list[float], list[int]]] = {}
    for source, items in (
        ("fix-reversed", cases.fixes), ("fix-original", cases.originals), ("commit", cases.commits)
    ):  # fmt: skip
        for case in items:
            for (risk, _), label in zip(scored[id(case)], case.hunk_labels(), strict=True):
                kind = source if source != "fix-reversed" or label else "fix-other"
                scores, labels = groups.setdefault(kind, ([], []))
                scores.append(risk)
                labels.append(label)
    pos_s, pos_l = groups.get("fix-reversed", ([], []))
    out: dict[str, Any] = {"bug_hunks": len(pos_s)}
    every_s, every_l = list(pos_s), list(pos_l)
    for negative in ("commit", "fix-original", "fix-other"):
        neg_s, neg_l = groups.get(negative, ([], []))
        out[f"{negative}_hunks"] = len(neg_s)
        out[f"auc_vs_{negative}"] = roc_auc(pos_s + neg_s, pos_l + neg_l)
        every_s += neg_s
        every_l += neg_l
    out["auc"] = roc_auc(every_s, every_l)
    return out


def mixed_figures(cases: Cases, scored: dict[int, HunkScores], seed: int = 13) -> dict[str, Any]:
    rng = random.Random(seed)
    pool: dict[str, list[tuple[FileCase, int]]] = {}
    for case in cases.commits:
        for index in range(len(case.file.hunks)):
            pool.setdefault(case.project, []).append((case, index))
    by_record: dict[str, list[FileCase]] = {}
    for case in cases.fixes:
        by_record.setdefault(case.record, []).append(case)
    hunk_hits, line_hits, random_hunk, random_line = [], [], [], []
    for record, parts in sorted(by_record.items()):
        unrelated = rng.sample(pool.get(parts[0].project, []), MIXED_UNRELATED)
        risks, labels, lines, bad = [], [], {}, set()
        for case in parts:
            for index, ((risk, per_line), label) in enumerate(
                zip(scored[id(case)], case.hunk_labels(), strict=True)
            ):
                risks.append(risk)
                labels.append(label)
                for n, value in per_line.items():
                    lines[(record, case.path, index, n)] = value
                    if n in case.bug_lines:
                        bad.add((record, case.path, index, n))
        for case, index in unrelated:
            risk, per_line = scored[id(case)][index]
            risks.append(risk)
            labels.append(0)
            for n, value in per_line.items():
                lines[(case.record, case.path, index, n)] = value
        hunk_hits.append(hit_at_1(risks, labels))
        line_hits.append(hit_at_k(lines, bad, 5))
        random_hunk.append(sum(labels) / len(labels))
        random_line.append(hit_at_k(dict.fromkeys(lines, 0.0), bad, 5))
    count = max(1, len(hunk_hits))
    return {
        "prs": len(hunk_hits),
        "unrelated_hunks_each": MIXED_UNRELATED,
        "hunk_hit@1": round(sum(hunk_hits) / count, 3),
        "line_hit@5": round(sum(line_hits) / count, 3),
        "random_hunk_hit@1": round(sum(random_hunk) / count, 3),
        "random_line_hit@5": round(sum(random_line) / count, 3),
    }


def added_file(path: str, text: str) -> FileDiff:
    """A whole file as one added hunk (a program read blind)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines = lines[:-1]
    body = "".join(f"+{line}\n" for line in lines)
    patch = f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n"
    return parse_diff(patch + f"@@ -0,0 +1,{len(lines)} @@\n{body}").files[0]


def code_lines(text: str) -> list[int]:
    """Lines that hold code (no blank, comment or docstring lines): the candidates."""
    out = []
    closing = ""  # the quotes that end the docstring we are in
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if closing:
            # A docstring can close at the end of a line of text (`... text."""`).
            if closing in stripped:
                closing = ""
            continue
        if stripped.startswith(('"""', "'''")):
            if not (len(stripped) > 3 and stripped.endswith(stripped[:3])):
                closing = stripped[:3]
            continue
        if not stripped or stripped.startswith("#"):
            continue
        out.append(number)
    return out


def quixbugs(data: Path, scorer: Scorer) -> dict[str, Any]:
    records = [json.loads(line) for line in (data / "quixbugs.jsonl").open(encoding="utf-8")]
    top1, baseline = [], []
    for record in records:
        case = FileCase(
            "quixbugs",
            "blind",
            record["path"],
            record["buggy"],
            "",
            added_file(record["path"], record["buggy"]),
        )
        code = set(code_lines(record["buggy"]))
        targets = set(record["buggy_lines"] or record["omission_anchors"])
        lines = {n: v for _, per_line in scorer(case) for n, v in per_line.items() if n in code}
        top1.append(hit_at_k(lines, targets, 1))
        baseline.append(hit_at_k(dict.fromkeys(lines, 0.0), targets, 1))
    count = len(records)
    return {
        "programs": count,
        "blind_top1": round(sum(top1) / count, 3),
        "random_top1": round(sum(baseline) / count, 3),
    }


def _static(type_checker: str | None) -> Analyzer:
    from bot.analyzers.static import StaticAnalyzer

    return StaticAnalyzer(type_checker=type_checker)


def _shown(pairs: Iterable[tuple[Analyzer, Any]], level: str = "default") -> list[Any]:
    return [f for a, f in pairs if f.score >= findings.threshold(a, level)]


def noise(cases: Cases, cheap: Cheap, work: Path) -> dict[str, Any]:
    """Findings at each paranoia level on real commits; the default ones are written out."""
    lines = 0
    counts = {"low": 0, "default": 0, "high": 0}
    ruff_count = 0
    work.mkdir(parents=True, exist_ok=True)
    with (work / "noise-findings.jsonl").open("w", encoding="utf-8") as out:
        for case in cases.commits:
            lines += case.file.added_count
            _, found = cheap.outputs(case)
            for level in counts:
                counts[level] += len(_shown(found, level))
            for finding in _shown(found):
                text = case.new_text.split("\n")
                context = "\n".join(text[max(0, finding.line - 4) : finding.line + 2])
                row = {"record": case.record, "path": case.path, "line": finding.line,
                       "source": finding.source, "rule": finding.rule, "score": finding.score,
                       "message": finding.message, "context": context}  # fmt: skip
                out.write(json.dumps(row) + "\n")
            ruff_count += sum(int(score) for score, _ in ruff_alone(case))
    per = 1000 / max(1, lines)
    return {
        "commits_files": len(cases.commits),
        "changed_lines": lines,
        "findings_per_1000_lines": {k: round(v * per, 2) for k, v in counts.items()},
        "ruff_alone_per_1000_lines": round(ruff_count * per, 2),
        "findings_file": str(work / "noise-findings.jsonl"),
    }


def static_alone(cases: Cases, analyzer: Analyzer, limit: int | None = None) -> dict[str, Any]:
    """New diagnostics on bug-introducing diffs: the share of fixes with one on a buggy line
    (caught), and the share of diagnostics that sit on a buggy line (precision)."""
    caught = shown = on_bug = 0
    started = time.perf_counter()
    fixes = cases.fixes[:limit] if limit else cases.fixes
    records: dict[str, bool] = {}
    for case in fixes:
        request = AnalysisRequest(
            Diff((case.file,)),
            {case.path: case.new_text},
            Config(),
            MemoryTree({case.path: case.old_text}),
        )
        found = _shown(
            (analyzer, f) for f in analyzer.analyze(request, time.monotonic() + 120).findings
        )
        shown += len(found)
        hits = sum(1 for f in found if f.line in case.bug_lines)
        on_bug += hits
        records[case.record] = records.get(case.record, False) or hits > 0
    caught = sum(records.values())
    return {
        "fix_records": len(records),
        "caught": caught,
        "caught_share": round(caught / max(1, len(records)), 4),
        "findings": shown,
        "precision": round(on_bug / shown, 3) if shown else None,
        "seconds_per_file": round((time.perf_counter() - started) / max(1, len(fixes)), 3),
    }


def speed(cases: Cases, cheap: Cheap) -> dict[str, Any]:
    """Changed lines per second of the cheap tier on one ~2,000-line PR of real commits."""
    files: dict[str, FileCase] = {}
    changed = 0
    for case in cases.commits:
        if case.path in files:
            continue
        files[case.path] = case
        changed += case.file.added_count
        if changed >= 2000:
            break
    request = AnalysisRequest(
        Diff(tuple(c.file for c in files.values())),
        {p: c.new_text for p, c in files.items()},
        Config(),
        MemoryTree({p: c.old_text for p, c in files.items()}),
    )
    timings: dict[str, float] = {}
    for analyzer in cheap.analyzers:
        analyzer.analyze(request, time.monotonic() + 300)  # warm-up
        start = time.perf_counter()
        output = analyzer.analyze(request, time.monotonic() + 300)
        if analyzer.name == "detector":
            for score in output.scores:
                attention.merge(score.path, score.hunk, [score])
        timings[analyzer.name] = time.perf_counter() - start
    detector = timings.get("detector", 0.0)
    return {
        "files": len(files),
        "changed_lines": changed,
        "seconds": {k: round(v, 3) for k, v in timings.items()},
        "cheap_tier_changed_lines_per_second": round(changed / detector) if detector else None,
    }


def _score_all(cases: Cases, scorer: Scorer) -> dict[int, HunkScores]:
    return {id(c): scorer(c) for c in (*cases.fixes, *cases.originals, *cases.commits)}


def compare(cases: Cases, scorers: dict[str, Scorer]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, scorer in scorers.items():
        scored = _score_all(cases, scorer)
        out[name] = {
            "real_fixes": real_fixes_figures(cases, scored),
            "mixed_prs": mixed_figures(cases, scored),
        }
    return out


def run(options: BenchOptions) -> dict[str, Any]:
    from review_models.detector.build import TEST_PROJECTS
    from review_models.detector.infer import shared_model

    data = options.require_data("detector")
    work = options.work / "detector"
    model = shared_model()
    cases = load_cases(data, TEST_PROJECTS)
    from bot.analyzers.detector import DetectorAnalyzer
    from bot.analyzers.entropy import EntropyAnalyzer

    ruff_static = _static(None)
    cheap = Cheap([DetectorAnalyzer(), ruff_static, EntropyAnalyzer()])
    detector_only = Cheap([DetectorAnalyzer()])
    figures: dict[str, Any] = {
        "model": {"version": model.version, "thresholds": model.thresholds},
        "held_out_projects": sorted(TEST_PROJECTS),
        "cases": {
            "fix_files": len(cases.fixes),
            "fix_records": len({c.record for c in cases.fixes}),
            "commit_files": len(cases.commits),
        },
    }
    figures.update(
        compare(
            cases,
            {
                "combined": cheap,
                "detector_alone": detector_only,
                "ruff_alone": ruff_alone,
                "random": constant,
            },
        )
    )
    figures["quixbugs"] = quixbugs(data, detector_only)
    figures["noise_on_real_commits"] = noise(cases, cheap, work)
    figures["static_alone"] = {
        "ruff": static_alone(cases, ruff_static),
        "ruff+mypy (first 60 files)": static_alone(cases, _static("mypy"), limit=60),
    }
    figures["speed"] = speed(cases, Cheap([DetectorAnalyzer(), ruff_static]))
    figures["previous_model"] = model.weights.meta.get("previous_model")
    figures["targets"] = {
        "auc": 0.70, "hunk_hit@1": 0.50, "line_hit@5": 0.65, "quixbugs_blind_top1": 0.40,
        "findings_per_1000_lines_default": 1.0, "cheap_tier_changed_lines_per_second": 2000,
    }  # fmt: skip
    return figures
