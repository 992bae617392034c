"""`redline bench verify --corpus DIR`: redline and CrossHair on real contract code.

The corpus (`index.json` and one folder per repository) is test data: it is read, copied
into the work folder, and mutated there (bot/bench/mutants.py), never changed or copied into
the project. Whole repositories are held out: the figures that matter are those on
repositories nobody tuned on. Per repository at most `PER_REPO` files are sampled (two
repositories hold most of the functions).

Environment: REDLINE_BENCH_VERIFY_SPLIT=all|tuning|held-out (default all),
REDLINE_BENCH_VERIFY_PEER=0 (skip CrossHair), REDLINE_BENCH_VERIFY_FILES=N (per repository)."""

from __future__ import annotations

import ast
import contextlib
import ctypes
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bot.bench import BenchOptions
from bot.bench.mutants import mutants
from bot.core import pysyntax
from bot.core.errors import UsageError

# Repositories held out: no verdict of theirs was looked at while the translator was built.
HELD_OUT = frozenset(
    {
        "Parquery/mapry", "Parquery/swagger-to", "Parquery/gs-wrap", "Parquery/persipubsub",
        "Parquery/pylddwrap", "Parquery/pyicontract-lint", "Parquery/sphinx-icontract",
        "Parquery/spurplus", "Parquery/pypackagery", "Parquery/mailgun-relayery",
        "rpdelaney/dumbpw", "acquiringlabs/acquiring", "mristin/fastapi-icontract",
        "aas-core-works/aas-core3.0-testgen", "aas-core-works/abnf-to-regexp",
    }
)  # fmt: skip
PER_REPO = 8
MUTANTS_PER_FILE = 2
TIMEOUT = 2.0  # seconds per condition, both tools
FILE_TOTAL = 60.0  # redline's total per file
CROSSHAIR_CAP = 20.0  # CrossHair's per file, in its own process


def _settings() -> tuple[str, bool, int]:
    split = os.environ.get("REDLINE_BENCH_VERIFY_SPLIT", "all")
    if split not in ("all", "tuning", "held-out"):
        raise UsageError("REDLINE_BENCH_VERIFY_SPLIT must be all, tuning or held-out")
    peer = os.environ.get("REDLINE_BENCH_VERIFY_PEER", "1") != "0"
    per_repo = int(os.environ.get("REDLINE_BENCH_VERIFY_FILES", str(PER_REPO)))
    return split, peer, per_repo


def sample(index: list[dict[str, Any]], split: str, per_repo: int) -> list[dict[str, Any]]:
    by_repo: dict[str, list[dict[str, Any]]] = {}
    for entry in index:
        if (
            entry.get("is_test")
            or not entry.get("parsed", True)
            or not entry.get("functions_with_contracts")
        ):
            continue
        held = entry["repo"] in HELD_OUT
        if (split == "tuning" and held) or (split == "held-out" and not held):
            continue
        by_repo.setdefault(entry["repo"], []).append(entry)
    chosen = []
    for repo, entries in sorted(by_repo.items()):
        rng = random.Random(repo)
        picked = sorted(entries, key=lambda e: e["path"])
        rng.shuffle(picked)
        chosen += sorted(picked[:per_repo], key=lambda e: e["path"])
    return chosen


def _repo_folder(corpus: Path, repo: str) -> Path:
    return corpus / repo.replace("/", "+")


def _copy_repos(corpus: Path, work: Path, repos: set[str]) -> dict[str, Path]:
    """The repositories' files in the work folder: CrossHair imports them from there."""
    copies = {}
    for repo in repos:
        target = work / "repos" / repo.replace("/", "+")
        if not target.exists():
            shutil.copytree(
                _repo_folder(corpus, repo),
                target,
                ignore=shutil.ignore_patterns("LICENSE*", "*.md"),
            )
            for path in target.rglob("*"):
                path.chmod(0o755 if path.is_dir() else 0o644)
        copies[repo] = target
    return copies


def _package_root(copy: Path, relative: str) -> Path:
    """The folder to put on sys.path for `relative` to import as a package module."""
    parts = Path(relative).parts
    root = copy
    for index in range(len(parts) - 1):
        if (copy.joinpath(*parts[: index + 1]) / "__init__.py").exists():
            return copy.joinpath(*parts[:index]) if index else copy
    if parts and parts[0] in ("src", "lib"):
        root = copy / parts[0]
    return root


def contracted(source: str) -> list[str]:
    """The functions a bug can break the contract of: those stating a postcondition (or a
    body assert), and public methods of a class with invariants."""
    from verify.check import Checker

    try:
        checker = Checker(source, "x.py")
    except (SyntaxError, ValueError, RecursionError):
        return []
    out = []
    for spec in checker.specs():
        asserts = any(
            isinstance(n, ast.Assert)
            for s in spec.node.body[spec.body_start :]
            for n in ast.walk(s)
        )
        if spec.post or asserts or checker.checks_invariants(spec):
            out.append(spec.name)
    return out


# Call names that tag a function with the construct they stand for.
_BUILTINS = frozenset(
    {"all", "any", "sum", "min", "max", "len", "sorted", "enumerate", "zip", "isinstance"}
)
_STR_METHODS = frozenset(
    {"split", "join", "strip", "startswith", "endswith", "replace", "lower", "upper", "format"}
)
_DICT_METHODS = frozenset({"get", "items", "keys", "values", "setdefault"})


def _call_tag(node: ast.Call, function: str) -> str | None:
    """The construct a call stands for; `function` is the caller, to tell recursion."""
    name = ast.unparse(node.func)
    last = name.rsplit(".", 1)[-1]
    if name.startswith("re."):
        return "re"
    if last in _BUILTINS:
        return f"builtin {last}"
    if isinstance(node.func, ast.Attribute) and last in _STR_METHODS:
        return "str methods"
    if isinstance(node.func, ast.Attribute) and last in _DICT_METHODS:
        return "dicts"
    if last == function:
        return "recursion"
    return None


def _node_tag(node: ast.AST, function: str) -> str | None:
    """The construct one node of a function's body stands for, None for the rest."""
    if isinstance(node, ast.For | ast.While):
        return "loops"
    if isinstance(node, ast.ListComp | ast.GeneratorExp | ast.SetComp | ast.DictComp):
        return "comprehensions"
    if isinstance(node, ast.JoinedStr):
        return "str formatting"
    if isinstance(node, ast.Try | ast.With):
        return "try/with"
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
        return "slicing"
    if isinstance(node, ast.Call):
        return _call_tag(node, function)
    return None


def _signature_tags(spec: Any) -> set[str]:
    """The tags read from the function's signature, its class and its contract."""
    tags: set[str] = set()
    hints = " ".join(ast.unparse(a.annotation) for a in spec.node.args.args if a.annotation)
    if "Optional" in hints or "None" in hints:
        tags.add("Optional")
    if spec.class_node is not None:
        tags.add("methods")
    if spec.invariants:
        tags.add("invariants")
    if spec.snapshots:
        tags.add("snapshots")
    if any(a.annotation is None for a in spec.node.args.args if a.arg not in ("self", "cls")):
        tags.add("unhinted parameters")
    return tags


def constructs(source: str) -> dict[str, set[str]]:
    """What each contracted function is written with: for the per-construct verdict share."""
    from verify.specs import extract

    tree = pysyntax.parse(source)
    out = {}
    for spec in extract(tree, source):
        if not spec.has_contract:
            continue
        tags = {
            tag
            for node in ast.walk(spec.node)
            if (tag := _node_tag(node, spec.node.name)) is not None
        }
        tags |= _signature_tags(spec)
        out[spec.name] = tags or {"plain"}
    return out


def run_redline(path: Path, source: str, project: Any) -> tuple[list[dict[str, Any]], float]:
    from verify.runner import Job

    try:
        from verify.runner import run_outcomes
    except ImportError:  # the translator before it named constructs (the "before" figures)
        from verify.runner import run as run_old

        started = time.process_time(), time.perf_counter()
        verdicts = run_old([Job(str(path), source)], TIMEOUT, FILE_TOTAL)
        seconds = time.perf_counter() - started[1]
        return [{**_verdict(v), "construct": None} for v in verdicts], seconds
    start = time.perf_counter()
    outcomes = run_outcomes([Job(str(path), source)], TIMEOUT, FILE_TOTAL, project)
    seconds = time.perf_counter() - start
    return [{**_verdict(o.verdict), "construct": o.construct} for o in outcomes], seconds


def _verdict(v: Any) -> dict[str, Any]:
    return {
        "function": v.function,
        "kind": v.kind,
        "condition": v.condition,
        "line": v.line,
        "status": v.status,
        "reason": v.reason,
        "counterexample": v.counterexample,
    }


def _dies_with_the_bench() -> None:
    """CrossHair runs the code it checks: it must not go on when the bench is killed."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PDEATHSIG


def run_crosshair(path: Path, root: Path, neutral: Path) -> dict[str, Any]:
    """CrossHair in its own process, from a neutral working folder, with a cap per file."""
    from bot.bench.verify import parse_crosshair

    command = shutil.which("crosshair")
    if command is None:
        return {"error": "crosshair not installed"}
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
    start = time.perf_counter()
    try:
        arguments = ["check", "--analysis_kind=PEP316,icontract,deal", "--report_all"]
        arguments += ["--per_condition_timeout", str(TIMEOUT), str(path)]
        proc = subprocess.run(
            [command, *arguments],
            capture_output=True,
            text=True,
            timeout=CROSSHAIR_CAP,
            check=False,
            cwd=neutral,
            env=env,
            preexec_fn=_dies_with_the_bench,
        )

        output = proc.stdout + proc.stderr
        capped = False
    except subprocess.TimeoutExpired as exc:
        output = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        capped = True
    seconds = time.perf_counter() - start
    result = parse_crosshair(path, output)
    result.update(seconds=round(seconds, 2), capped=capped)
    if "Could not import your code" in output or "ModuleNotFoundError" in output:
        result["import_error"] = True
    return result


def _mutant_records(
    entry: dict[str, Any], path: Path, source: str, project: Any, peer: tuple[Path, Path] | None
) -> list[dict[str, Any]]:
    """Each seeded mutant of one file, written beside it and verified; `peer` is CrossHair's
    (package root, neutral folder), None when CrossHair is skipped."""
    out = []
    for number, mutant in enumerate(
        mutants(source, contracted(source), MUTANTS_PER_FILE, entry["path"])
    ):
        mutated = path.with_name(f"{path.stem}__mutant{number}.py")
        mutated.write_text(mutant.source)
        found, seconds = run_redline(mutated, mutant.source, project)
        item: dict[str, Any] = {
            "function": mutant.function,
            "operator": mutant.operator,
            "line": mutant.line,
            "redline": found,
            "redline_s": seconds,
        }
        if peer is not None:
            item["crosshair"] = run_crosshair(mutated, *peer)
        out.append(item)
    return out


def _file_record(
    entry: dict[str, Any], copy: Path, project: Any, peer: bool, neutral: Path
) -> dict[str, Any]:
    """One sampled file: its constructs, both tools' verdicts, and its mutants'."""
    path = copy / entry["path"]
    source = path.read_text(errors="replace")
    root = _package_root(copy, entry["path"])
    record: dict[str, Any] = {
        "repo": entry["repo"],
        "path": entry["path"],
        "held_out": entry["repo"] in HELD_OUT,
    }
    record["constructs"] = {k: sorted(v) for k, v in constructs(source).items()}
    record["redline"], record["redline_s"] = run_redline(path, source, project)
    if peer:
        record["crosshair"] = run_crosshair(path, root, neutral)
    record["mutants"] = _mutant_records(
        entry, path, source, project, (root, neutral) if peer else None
    )
    return record


def run(options: BenchOptions) -> dict[str, Any]:
    from verify.project import scan

    corpus = options.corpus
    assert corpus is not None
    if not (corpus / "index.json").is_file():
        raise UsageError(f"{corpus}: no index.json (the corpus of real contract code)")
    split, peer, per_repo = _settings()
    index = json.loads((corpus / "index.json").read_text())
    chosen = sample(index, split, per_repo)
    work = options.work / "verify-corpus"
    copies = _copy_repos(corpus, work, {e["repo"] for e in chosen})
    neutral = work / "neutral"
    neutral.mkdir(parents=True, exist_ok=True)
    projects = {
        repo: scan({str(p): p.read_text(errors="replace") for p in copy.rglob("*.py")})
        for repo, copy in copies.items()
    }
    records = []
    for entry in chosen:
        repo = entry["repo"]
        record = _file_record(entry, copies[repo], projects[repo], peer, neutral)
        records.append(record)
        # Written after every file: a run stopped by its caller's timeout keeps what it did.
        (work / "records.json").write_text(json.dumps(records, indent=1))
        print(
            f"{entry['repo']}/{entry['path']}: {len(record['redline'])} verdicts",
            file=sys.stderr,
            flush=True,
        )
    from bot.bench.verify_figures import figures, summary

    out = figures(records, peer)
    print(summary(out), file=sys.stderr, flush=True)  # the figures as a table, beside the JSON
    return out
