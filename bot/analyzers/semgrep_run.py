"""Finding and running semgrep.

semgrep is a dependency installed beside redline, so it is looked up in redline's own
environment (the semgrep package of this interpreter, then this interpreter's scripts folder),
never on `PATH` alone: a `redline` started by path, with its virtual environment not on `PATH`,
must not lose its rule pack. One scan is one process: the native engine (`osemgrep`) directly,
not the Python wrapper that would start, then hand over to it.

Everything that keeps the rules from reading a changed file is reported, never dropped: a rule
that does not load, a crash or no JSON raise `AnalyzerError`; a file semgrep could not parse
(in part), timed out on or skipped is returned per file, with the lines it could not read."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from bot.core.errors import AnalyzerError

# Error types that concern one target file: its results are incomplete, the scan is not.
_FILE_ERRORS = ("partialparsing", "syntax error", "lexical error", "timeout", "out of memory")


@dataclass(frozen=True)
class Semgrep:
    """How to start semgrep: the program, the name it is started under, and the folders its
    helpers are found in (the engine calls `uname`, and falls back to `pysemgrep`)."""

    executable: str
    argv0: str
    path: tuple[str, ...]

    def argv(self, args: Sequence[str]) -> list[str]:
        return [self.argv0, *args]


def _scripts_dirs() -> list[Path]:
    dirs = [Path(sysconfig.get_path("scripts")), Path(sys.executable).parent]
    unique: list[Path] = []
    for folder in dirs:
        if folder not in unique:
            unique.append(folder)
    return unique


def locate() -> Semgrep:
    """semgrep from redline's own environment. Raises `AnalyzerError` (the rule pack cannot
    run, which a fail-closed gate counts against the merge) when it is not there."""
    scripts = tuple(str(d) for d in _scripts_dirs())
    spec = find_spec("semgrep")
    if spec is not None and spec.submodule_search_locations:
        for package in spec.submodule_search_locations:
            core = Path(package) / "bin" / "semgrep-core"
            if core.is_file() and os.access(core, os.X_OK):
                # Started as `osemgrep`, semgrep-core is semgrep's CLI (its entry point does this).
                return Semgrep(str(core), "osemgrep", scripts)
    for folder in _scripts_dirs():
        script = folder / "semgrep"
        if script.is_file() and os.access(script, os.X_OK):
            return Semgrep(str(script), str(script), scripts)
    raise AnalyzerError(
        f"semgrep is not installed in redline's environment ({sys.executable}); "
        "the dangerous-code rules cannot run: pip install semgrep"
    )


def environment(semgrep: Semgrep, scratch: Path) -> dict[str, str]:
    """Offline, with semgrep's helpers reachable whatever `PATH` the caller had."""
    env = dict(os.environ)
    path = [*semgrep.path, *(p for p in env.get("PATH", "").split(os.pathsep) if p)]
    path += [p for p in os.defpath.split(os.pathsep) if p and p not in path]
    env.update(
        PATH=os.pathsep.join(path),
        SEMGREP_ENABLE_VERSION_CHECK="0",
        SEMGREP_SEND_METRICS="off",
        SEMGREP_USER_AGENT_APPEND="redline",
        SEMGREP_SETTINGS_FILE=str(scratch / "settings.yml"),
        SEMGREP_LOG_FILE=str(scratch / "semgrep.log"),
        NO_COLOR="1",
    )
    return env


@dataclass(frozen=True)
class Scan:
    results: tuple[dict[str, Any], ...]
    # path -> (first line, last line) spans semgrep could not read; (1, 0) is the whole file.
    unread: Mapping[str, tuple[tuple[int, int, str], ...]] = field(default_factory=dict)


def run(
    semgrep: Semgrep,
    rules: Path,
    root: Path,
    targets: Sequence[str],
    deadline: float,
    max_bytes: int,
    names: Mapping[str, str],
) -> Scan:
    """One scan of `targets` (relative to `root`) with the rule folder `rules`. `names` maps
    rule file names in `rules` to what the user calls them, for error messages."""
    timeout = max(1.0, deadline - time.monotonic())
    args = [
        "scan",
        "--config",
        str(rules),
        "--json",
        "--metrics=off",
        "--disable-version-check",
        "--disable-nosem",  # redline decides suppressions itself, from the base
        "--no-git-ignore",
        "--quiet",
        "--timeout",
        "20",  # seconds per rule and file; a file that times out is reported as unread
        "--timeout-threshold",
        "3",
        "--max-target-bytes",
        str(max_bytes),
        "--jobs",
        "2",
        "--experimental",  # the native engine: one process, no Python start-up in between
        "--",
        *targets,
    ]
    try:
        proc = subprocess.run(
            semgrep.argv(args),
            executable=semgrep.executable,
            cwd=root,
            env=environment(semgrep, rules.parent),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise AnalyzerError(f"semgrep did not finish within {timeout:.0f} s") from exc
    except OSError as exc:
        raise AnalyzerError(f"semgrep could not be started ({semgrep.executable}): {exc}") from exc
    return parse_output(proc.returncode, proc.stdout, proc.stderr, targets, names, rules)


def _rename(text: str, names: Mapping[str, str]) -> str:
    for temporary, original in names.items():
        text = text.replace(f"rules/{temporary}", original).replace(temporary, original)
    return " ".join(text.split())


def _owner(error: dict[str, Any], rules: Path | None, names: Mapping[str, str]) -> str | None:
    """The rule file (as the user calls it) that defines the rule an error is about."""
    rule_id = str(error.get("rule_id") or "").rsplit(".", 1)[-1]
    if not rule_id or rules is None:
        return None
    defines = re.compile(rf"^\s*-?\s*id:\s*['\"]?{re.escape(rule_id)}['\"]?\s*$", re.MULTILINE)
    for written, original in names.items():
        path = rules / written
        if path.is_file() and defines.search(path.read_text(encoding="utf-8", errors="replace")):
            return original
    return None


def _spans(error: dict[str, Any]) -> list[tuple[int, int]]:
    spans = []
    for span in error.get("spans") or []:
        try:
            spans.append((int(span["start"]["line"]), int(span["end"]["line"])))
        except (KeyError, TypeError, ValueError):
            continue
    return spans or [(1, 0)]


def parse_output(
    code: int,
    stdout: bytes,
    stderr: bytes,
    targets: Sequence[str],
    names: Mapping[str, str],
    rules: Path | None = None,
) -> Scan:
    """semgrep's JSON to a `Scan`; anything that means "the rules did not run" raises."""
    try:
        data = json.loads(stdout or b"null")
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        lines = stderr.decode("utf-8", "replace").strip().splitlines()
        last = next((line for line in lines if line.strip()), "no output")
        raise AnalyzerError(f"semgrep failed (exit {code}): {_rename(last, names)[:300]}")
    wanted = set(targets)
    unread: dict[str, list[tuple[int, int, str]]] = {}
    for error in data.get("errors") or []:
        kind = json.dumps(error.get("type", "")).lower()
        path = str(error.get("path") or "")
        if path in wanted and any(k in kind for k in _FILE_ERRORS):
            reason = str(error.get("message") or kind).split("\n", 1)[0][:200]
            unread.setdefault(path, []).extend((a, b, reason) for a, b in _spans(error))
            continue
        # A rule or config problem (an extra rule file that does not parse, an unknown
        # language...) means some rules did not run at all: the whole scan fails.
        message = _rename(str(error.get("message") or kind), names)
        owner = _owner(error, rules, names)
        where = f" in {owner}" if owner else ""
        raise AnalyzerError(f"semgrep could not run the rules{where}: {message[:400]}")
    scanned = set(data.get("paths", {}).get("scanned") or ())
    for target in targets:
        if target not in scanned and target not in unread:
            unread[target] = [(1, 0, "semgrep did not scan the file (too large or unreadable)")]
    if code not in (0, 1) and not unread:
        raise AnalyzerError(f"semgrep exited {code} without saying why")
    return Scan(tuple(data["results"]), {p: tuple(s) for p, s in unread.items()})
