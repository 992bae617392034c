"""`redline bench rules`: the dangerous-code rule pack against bandit, on the same files.

- The pack's own annotated tests (tests/rules, semgrep's test format), and every set under
  `--corpus DIR` (one folder per set): a set with `# ruleid:` / `# ok:` annotations is scored per
  line (must-flag lines flagged = recall; must-not-flag lines flagged = false alarms), per class
  (the file's name) and in total; a set without annotations is a folder of files that all hold
  dangerous code, scored per file (has a finding or not).
- With `--data DIR`: findings per 1,000 lines on the post-images of real commits
  (`commits/*.jsonl.gz`, the `files` field), mostly clean code, per project.

redline runs as a review does by default: every line of every file is a changed line, findings
at the default paranoia (score >= 0.5), tests treated as each rule says. bandit runs with its
defaults (every severity and confidence). Both are timed on the same files."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from bot.analyzers.semgrep import SemgrepAnalyzer
from bot.bench import BenchOptions
from bot.core.diff import parse_diff
from bot.core.errors import UsageError
from bot.core.policy import Config
from bot.core.ports import AnalysisRequest

DEFAULT_THRESHOLD = 0.5  # the default paranoia level's score threshold
_ANNOTATION = re.compile(r"(?:#|//)\s*(ruleid|ok|todoruleid|todook)\b\s*:?", re.IGNORECASE)
_SOURCES = (".py", ".js")
Lines = dict[str, set[int]]  # path -> flagged or labelled lines
# Isolated (-I): the scanned folder is the working directory, and a `pickle.py` in it must not
# be imported in place of the real module (the sets are deliberately dangerous code).
_BANDIT = (sys.executable, "-I", "-m", "bandit")


def pack_tests() -> Path:
    """The pack's own annotated tests: tests/rules of the checkout this runs from."""
    for root in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if (root / "tests" / "rules").is_dir():
            return root / "tests" / "rules"
    raise UsageError("bench rules: run it from the repository (tests/rules not found)")


def sources(folder: Path) -> dict[str, str]:
    """The set's source files by path relative to `folder` (fix tests left out)."""
    return {
        str(p.relative_to(folder)): p.read_text(encoding="utf-8", errors="replace")
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.suffix in _SOURCES and ".fixed." not in p.name
    }


def labels(text: str) -> tuple[set[int], set[int]]:
    """(must-flag, must-not-flag) lines: an annotation labels its own line when it follows
    code, else the next line that is not blank and not a comment."""
    must: set[int] = set()
    must_not: set[int] = set()
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        match = _ANNOTATION.search(line)
        if match is None or match.group(1).lower().startswith("todo"):
            continue
        target = number
        if not line[: match.start()].strip():
            target = next(
                (
                    n
                    for n in range(number + 1, len(lines) + 1)
                    if lines[n - 1].strip() and not lines[n - 1].lstrip().startswith(("#", "//"))
                ),
                0,
            )
        if target:
            (must if match.group(1).lower() == "ruleid" else must_not).add(target)
    return must, must_not - must


def redline_flags(files: Mapping[str, str]) -> tuple[Lines, float]:
    """Lines redline flags (default paranoia), and the wall time of the scan."""
    patches = []
    for path, text in files.items():
        count = len(text.rstrip("\n").split("\n"))
        patches.append(f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{count} @@\n")
        patches.append("".join(f"+{line}\n" for line in text.rstrip("\n").split("\n")))
    diff = parse_diff("".join(patches))
    started = time.perf_counter()
    output = SemgrepAnalyzer().analyze(
        AnalysisRequest(diff, dict(files), Config()), time.monotonic() + 1800
    )
    elapsed = time.perf_counter() - started
    flagged: Lines = {path: set() for path in files}
    for finding in output.findings:
        if finding.score >= DEFAULT_THRESHOLD:
            flagged[finding.path].update(range(finding.line, finding.end_line + 1))
    return flagged, elapsed


def bandit_flags(folder: Path, files: Iterable[str]) -> tuple[Lines, float]:
    """Lines bandit flags with its defaults, and its wall time."""
    paths = [p for p in files if p.endswith(".py")]
    flagged: Lines = {path: set() for path in files}
    if not paths:
        return flagged, 0.0
    started = time.perf_counter()
    proc = subprocess.run(
        [*_BANDIT, "-f", "json", "-q", *paths],
        cwd=folder,
        capture_output=True,
        timeout=1800,
        check=False,
    )
    elapsed = time.perf_counter() - started
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise UsageError(f"bench rules: bandit gave no report: {proc.stderr[-300:]!r}") from exc
    for issue in report.get("results", []):
        path = str(issue["filename"]).removeprefix("./")
        lines = issue.get("line_range") or [issue["line_number"]]
        flagged.setdefault(path, set()).update(int(n) for n in lines)
    return flagged, elapsed


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def score_annotated(files: Mapping[str, str], ours: Lines, theirs: Lines) -> dict[str, Any]:
    """Recall and false alarms per class (the file's name) and in total, for both tools."""
    classes: dict[str, dict[str, int]] = {}
    for path, text in files.items():
        must, must_not = labels(text)
        name = Path(path).name.split(".")[0]
        row = classes.setdefault(name, dict.fromkeys(_COUNTS, 0))
        row["must_flag"] += len(must)
        row["must_not_flag"] += len(must_not)
        row["redline_caught"] += len(must & ours.get(path, set()))
        row["bandit_caught"] += len(must & theirs.get(path, set()))
        row["redline_false_alarms"] += len(must_not & ours.get(path, set()))
        row["bandit_false_alarms"] += len(must_not & theirs.get(path, set()))
    total = {key: sum(row[key] for row in classes.values()) for key in _COUNTS}
    return {
        "total": {**total, **_rates(total)},
        "classes": {name: {**row, **_rates(row)} for name, row in sorted(classes.items())},
    }


_COUNTS = (
    "must_flag",
    "redline_caught",
    "bandit_caught",
    "must_not_flag",
    "redline_false_alarms",
    "bandit_false_alarms",
)


def _rates(row: Mapping[str, int]) -> dict[str, float | None]:
    return {
        "redline_recall": _rate(row["redline_caught"], row["must_flag"]),
        "bandit_recall": _rate(row["bandit_caught"], row["must_flag"]),
        "redline_false_alarm_rate": _rate(row["redline_false_alarms"], row["must_not_flag"]),
        "bandit_false_alarm_rate": _rate(row["bandit_false_alarms"], row["must_not_flag"]),
    }


def score_files(files: Mapping[str, str], ours: Lines, theirs: Lines) -> dict[str, Any]:
    """A set of files that all hold dangerous code: how many each tool flags at all."""
    ours_hit = sorted(p for p in files if ours.get(p))
    theirs_hit = sorted(p for p in files if theirs.get(p))
    return {
        "files": len(files),
        "redline_files_flagged": len(ours_hit),
        "bandit_files_flagged": len(theirs_hit),
        "redline_missed": sorted(set(files) - set(ours_hit)),
    }


def evaluate(folder: Path) -> dict[str, Any]:
    files = sources(folder)
    if not files:
        raise UsageError(f"bench rules: no .py or .js files in {folder}")
    ours, our_time = redline_flags(files)
    theirs, their_time = bandit_flags(folder, files)
    annotated = any(labels(text)[0] for text in files.values())
    figures = (
        score_annotated(files, ours, theirs) if annotated else score_files(files, ours, theirs)
    )
    figures["lines"] = sum(text.count("\n") for text in files.values())
    figures["redline_seconds"] = round(our_time, 2)
    figures["bandit_seconds"] = round(their_time, 2)
    return figures


def clean_code(data: Path) -> dict[str, Any]:
    """Findings per 1,000 lines on the post-images of real commits, per project (each file's
    first post-image), redline and bandit on the same files."""
    projects: dict[str, Any] = {}
    totals = {"lines": 0, "redline_findings": 0, "bandit_findings": 0}
    for archive in sorted((data / "commits").glob("*.jsonl.gz")):
        files: dict[str, str] = {}
        with gzip.open(archive, "rt", encoding="utf-8") as stream:
            for line in stream:
                for path, text in (json.loads(line).get("files") or {}).items():
                    if path.endswith(".py") and text and path not in files:
                        files[path] = text
        if not files:
            continue
        with tempfile.TemporaryDirectory(prefix="redline-bench-rules-") as tmp:
            root = Path(tmp)
            for path, text in files.items():
                target = root / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
            ours, our_time = redline_flags(files)
            theirs, their_time = _bandit_findings(root, files)
        lines = sum(text.count("\n") for text in files.values())
        found = sum(len(_starts(ours[p])) for p in files)
        projects[archive.name.split(".")[0]] = {
            "lines": lines,
            "redline_findings": found,
            "bandit_findings": theirs,
            "redline_per_kloc": round(1000 * found / lines, 3),
            "bandit_per_kloc": round(1000 * theirs / lines, 3),
            "redline_seconds": round(our_time, 1),
            "bandit_seconds": round(their_time, 1),
        }
        totals["lines"] += lines
        totals["redline_findings"] += found
        totals["bandit_findings"] += theirs
    kloc = totals["lines"] / 1000 or 1
    return {
        "total": {
            **totals,
            "redline_per_kloc": round(totals["redline_findings"] / kloc, 3),
            "bandit_per_kloc": round(totals["bandit_findings"] / kloc, 3),
        },
        "projects": projects,
    }


def _starts(lines: set[int]) -> set[int]:
    """One per run of consecutive flagged lines: a multi-line finding counts once."""
    return {n for n in lines if n - 1 not in lines}


def _bandit_findings(root: Path, files: Mapping[str, str]) -> tuple[int, float]:
    started = time.perf_counter()
    proc = subprocess.run(
        [*_BANDIT, "-f", "json", "-q", "-r", "."],
        cwd=root,
        capture_output=True,
        timeout=3600,
        check=False,
    )
    elapsed = time.perf_counter() - started
    report = json.loads(proc.stdout or b"{}")
    return len(report.get("results", [])), elapsed


def gate_profile(rounds: int = 3) -> dict[str, Any]:
    """`redline review --gate-only` against semgrep's own run with the same pack on the same
    files (a generated change of 40 real modules, 2,000 changed lines): median wall times of
    the whole CLI, start-up included, and of `semgrep scan`."""
    from bot.analyzers import semgrep_run
    from bot.analyzers.semgrep import builtin_rules_dir
    from bot.bench.review import make_change

    diff_text, post = make_change()
    semgrep = semgrep_run.locate()
    with tempfile.TemporaryDirectory(prefix="redline-bench-gate-") as tmp:
        root = Path(tmp) / "repo"
        for path, text in post.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text, encoding="utf-8")
        patch = Path(tmp) / "change.patch"
        patch.write_text(diff_text, encoding="utf-8")
        gate = [sys.executable, "-m", "bot", "review", "--diff", str(patch)]
        gate += ["--repo", str(root), "--gate-only", "--format", "json"]
        scan = [semgrep.argv0, "scan", "--config", str(builtin_rules_dir()), "--json"]
        scan += ["--metrics=off", "--quiet", "--experimental", "--", *sorted(post)]
        env = semgrep_run.environment(semgrep, Path(tmp))
        ours = _median_seconds(rounds, gate, root, None, env)
        theirs = _median_seconds(rounds, scan, root, semgrep.executable, env)
    return {
        "files": len(post),
        "gate_only_seconds": round(ours, 2),
        "semgrep_seconds": round(theirs, 2),
        "ratio": round(ours / theirs, 2),
    }


def _median_seconds(
    rounds: int, argv: list[str], cwd: Path, executable: str | None, env: dict[str, str]
) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        proc = subprocess.run(
            argv, cwd=cwd, executable=executable, env=env, capture_output=True, check=False
        )
        times.append(time.perf_counter() - started)
        if proc.returncode not in (0, 1) or not proc.stdout.startswith(b"{"):
            raise UsageError(f"bench rules: {argv[0]} failed: {proc.stderr[-300:]!r}")
    return sorted(times)[len(times) // 2]


def run(options: BenchOptions) -> dict[str, Any]:
    figures: dict[str, Any] = {"pack_tests": evaluate(pack_tests()), "gate": gate_profile()}
    if options.corpus is not None:
        if not options.corpus.is_dir():
            raise UsageError(f"--corpus: not a directory: {options.corpus}")
        figures["sets"] = {
            folder.name: evaluate(folder)
            for folder in sorted(options.corpus.iterdir())
            if folder.is_dir()
        }
    if options.data is not None:
        figures["clean_code"] = clean_code(options.require_data("rules"))
    return figures
