"""`redline bench verify`: redline's verifier and CrossHair side by side on the same files.

The sets: CrossHair's own examples (`crosshair/examples/*/bugs_detected` and `correct_code`,
shipped in the `crosshair-tool` package) and redline's contract-annotated algorithms
(verify/examples: correct versions, and the same with one seeded bug each). CrossHair
runs here only, as a development dependency, with a per-file time cap."""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bot.bench import BenchOptions
from verify.runner import Job
from verify.runner import run as run_verifier

CASES = Path(__file__).resolve().parents[2] / "verify" / "examples"
CROSSHAIR_CAP = 60.0
_ERROR = re.compile(r"^(.+?):(\d+): error: (.*)$")
_INFO = re.compile(r"^(.+?):(\d+): info: (.*)$")


def crosshair_examples() -> Path | None:
    try:
        import crosshair
    except ImportError:
        return None
    return Path(crosshair.__file__).resolve().parent / "examples"


def file_sets() -> dict[str, list[Path]]:
    sets: dict[str, list[Path]] = {"bugs": [], "correct": []}
    examples = crosshair_examples()
    if examples is not None:
        for kind, folder in (("bugs", "bugs_detected"), ("correct", "correct_code")):
            sets[kind] += sorted(
                p for p in examples.glob(f"*/{folder}/*.py") if p.name != "__init__.py"
            )
    sets["bugs"] += sorted((CASES / "bugs").glob("*.py"))
    sets["correct"] += sorted((CASES / "correct").glob("*.py"))
    return sets


def _function_lines(path: Path) -> dict[int, str]:
    """Line -> enclosing function name, to match findings across the two tools."""
    import ast

    from bot.core import pysyntax

    owner: dict[int, str] = {}
    tree = pysyntax.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            for line in range(first, (node.end_lineno or node.lineno) + 1):
                owner.setdefault(line, node.name)
                if owner[line] != node.name and line >= node.lineno:
                    owner[line] = node.name
    return owner


def parse_crosshair(path: Path, output: str) -> dict[str, Any]:
    """CrossHair's report: the functions it refuted (by the line of each error) and how many
    conditions it confirmed over all paths."""
    owners = _function_lines(path)
    refuted, proved, unknown = [], 0, 0
    for line in output.splitlines():
        if (match := _ERROR.match(line)) is not None:
            if "Could not import" in match.group(3) or "ModuleNotFoundError" in match.group(3):
                continue
            refuted.append(owners.get(int(match.group(2)), "?"))
        elif (match := _INFO.match(line)) is not None:
            if "Confirmed over all paths" in match.group(3):
                proved += 1
            else:
                unknown += 1
    return {"refuted": refuted, "proved": proved, "unknown": unknown}


def run_crosshair(path: Path) -> dict[str, Any]:
    command = shutil.which("crosshair")
    if command is None:
        return {"error": "crosshair not installed"}
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            [
                command,
                "check",
                "--analysis_kind=PEP316,icontract,deal",
                "--report_all",
                "--per_condition_timeout",
                "2",
                str(path),
            ],
            capture_output=True,
            text=True,
            timeout=CROSSHAIR_CAP,
            check=False,
        )
        output = proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:
        output = (
            (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        )
    seconds = time.perf_counter() - start
    return {"seconds": round(seconds, 3), **parse_crosshair(path, output)}


def run_redline(path: Path) -> dict[str, Any]:
    start = time.perf_counter()
    verdicts = run_verifier([Job(str(path), path.read_text())], timeout=2.0, total=60.0)
    seconds = time.perf_counter() - start
    function_ms = [v.ms for v in verdicts]
    return {
        "seconds": round(seconds, 3),
        "refuted": [v.function.rsplit(".", 1)[-1] for v in verdicts if v.status == "refuted"],
        "proved": sum(v.status == "proved" for v in verdicts),
        "unknown": sum(v.status == "unknown" for v in verdicts),
        "conditions": len(verdicts),
        "ms_per_condition": function_ms,
    }


def run(options: BenchOptions) -> dict[str, Any]:
    """The example sets; with `--corpus DIR`, the corpus of real contract code instead."""
    if options.corpus is not None:
        from bot.bench.verify_corpus import run as run_corpus

        return run_corpus(options)
    return run_examples()


def _empty_totals() -> dict[str, dict[str, Any]]:
    """Per-tool counters; `seconds` is a list until `_finish_totals` turns it into figures."""
    return {
        tool: {
            "counterexamples_on_bugs": 0,
            "refutations_on_correct": 0,
            "proved": 0,
            "unknown": 0,
            "seconds": [],
        }
        for tool in ("redline", "crosshair")
    }


def _display_name(path: Path) -> str:
    """CrossHair's files are named from `examples/` on, ours from the cases folder's parent."""
    if "examples/" in str(path):
        return str(path).split("examples/")[-1]
    return str(path.relative_to(CASES.parent))


def _add_to_total(total: dict[str, Any], kind: str, result: dict[str, Any]) -> None:
    """A refutation counts as found on the bug set and as a false alarm on the correct set."""
    if kind == "bugs":
        total["counterexamples_on_bugs"] += len(result["refuted"])
    else:
        total["refutations_on_correct"] += len(result["refuted"])
    total["proved"] += result["proved"]
    total["unknown"] += result["unknown"]
    total["seconds"].append(result["seconds"])


def _finish_totals(totals: dict[str, dict[str, Any]]) -> None:
    for total in totals.values():
        seconds = total.pop("seconds")
        total["seconds_per_file_median"] = round(statistics.median(seconds), 3) if seconds else None
        total["seconds_total"] = round(sum(seconds), 2)


def _per_condition_figures(per_condition: list[int]) -> dict[str, Any]:
    """Median and p90 of redline's milliseconds per condition; None when nothing ran."""
    if not per_condition:
        return {"redline_ms_per_condition_median": None, "redline_ms_per_condition_p90": None}
    return {
        "redline_ms_per_condition_median": statistics.median(per_condition),
        "redline_ms_per_condition_p90": sorted(per_condition)[int(0.9 * len(per_condition))],
    }


def run_examples() -> dict[str, Any]:
    report: dict[str, Any] = {"files": {}, "crosshair_cap_s": CROSSHAIR_CAP}
    totals = _empty_totals()
    missed: list[str] = []
    matched = 0
    crosshair_found = 0
    per_condition: list[int] = []
    conditions_correct = 0
    for kind, paths in file_sets().items():
        for path in paths:
            ours = run_redline(path)
            theirs = run_crosshair(path)
            name = _display_name(path)
            report["files"][name] = {"set": kind, "redline": ours, "crosshair": theirs}
            per_condition.extend(ours.pop("ms_per_condition"))
            for tool, result in (("redline", ours), ("crosshair", theirs)):
                if "error" not in result:
                    _add_to_total(totals[tool], kind, result)
            if kind == "correct":
                conditions_correct += ours["conditions"]
            if kind == "bugs" and "error" not in theirs:
                # In CrossHair's order, so `missed` reads the same as before.
                for function in set(theirs["refuted"]):
                    crosshair_found += 1
                    if function in ours["refuted"]:
                        matched += 1
                    else:
                        missed.append(f"{name}:{function}")
    _finish_totals(totals)
    report["summary"] = {
        **totals,
        "crosshair_counterexamples_also_found_by_redline": f"{matched}/{crosshair_found}",
        "missed": missed,
        "redline_proved_share_on_correct": round(
            sum(r["redline"]["proved"] for r in report["files"].values() if r["set"] == "correct")
            / max(1, conditions_correct),
            3,
        ),
        **_per_condition_figures(per_condition),
    }
    return report


if __name__ == "__main__":  # pragma: no cover
    import json

    json.dump(run(BenchOptions()), sys.stdout, indent=2)
