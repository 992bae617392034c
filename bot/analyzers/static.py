"""Differential static analysis: ruff's pyflakes, bugbear and pylint-error rules (F, B, PLE) and
a type checker (mypy) on the base and the head versions of the changed Python modules; only the
diagnostics that are new on changed lines are reported (present on head, absent on base for
the same code: a diagnostic that merely moved is matched by its fingerprint, the code, the
message and the text of its line).

Nothing from the pull request is executed: both tools read the files as text. The base's
mypy configuration is honoured for the options that change what is reported (never its
plugins, which would import code); a configuration that cannot be read degrades to mypy's
defaults and the review says why. A type checker still running at the analyzer's budget is cut
off, and the review says so; ruff's findings still count."""

from __future__ import annotations

import configparser
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.core import pysyntax
from bot.core.errors import AnalyzerUnavailable
from bot.core.model import Finding, HunkScore, Severity
from bot.core.ports import AnalysisRequest, AnalyzerOutput, Tree
from review_models.detector.edits import pre_image

RUFF_RULES = "F,B,PLE"
# How much a new diagnostic says that the change holds a bug (the finding's score); the
# paranoia thresholds below decide which are shown. Measured by `redline bench detector`
# (static precision on real fixes vs. noise on real commits); unlisted codes get 0.5.
SCORES: dict[str, float] = {
    "syntax-error": 0.95,
    "F821": 0.9,  # undefined name
    "F823": 0.9,  # local referenced before assignment
    "F701": 0.95,  # break outside loop
    "F702": 0.95,  # continue outside loop
    "F704": 0.9,
    "F706": 0.95,  # return outside function
    "F631": 0.9,  # assert on a tuple (always true)
    "F632": 0.85,  # `is` with a literal
    "F601": 0.7,  # dict key repeated with different values
    "F811": 0.6,  # redefinition of an unused name
    "F841": 0.45,  # local assigned but never used
    "F401": 0.25,  # unused import
    "F403": 0.2,
    "F405": 0.2,
    "F541": 0.25,  # f-string without placeholders
    "B006": 0.6,  # mutable default argument
    "B008": 0.35,
    "B015": 0.8,  # comparison whose result is unused
    "B018": 0.45,
    "B023": 0.65,  # loop variable captured by a closure
    "B007": 0.3,
    "B904": 0.2,
    "B905": 0.2,
    "B028": 0.2,
    "B011": 0.6,  # assert False
    "mypy:name-defined": 0.9,
    "mypy:call-arg": 0.8,
    "mypy:return-value": 0.7,
    "mypy:operator": 0.7,
    "mypy:arg-type": 0.6,
    "mypy:index": 0.6,
    "mypy:attr-defined": 0.55,
    "mypy:union-attr": 0.45,
    "mypy:assignment": 0.45,
    "mypy:call-overload": 0.6,
    "mypy:func-returns-value": 0.7,
    "mypy:return": 0.6,
}
# mypy codes about the checker's view of the world (stubs, annotations), not the code's bugs.
MYPY_IGNORED = frozenset(
    {
        "import",
        "import-untyped",
        "import-not-found",
        "var-annotated",
        "annotation-unchecked",
        "no-untyped-def",
        "no-untyped-call",
        "type-arg",
        "valid-type",
        "no-redef",
        "unused-ignore",
        "misc",
        "syntax",
        "type-var",
        "override",
        "has-type",
    }
)
# mypy options a repository's configuration may set here; plugins and paths never.
MYPY_OPTIONS = frozenset(
    {
        "python_version",
        "strict",
        "strict_optional",
        "check_untyped_defs",
        "disallow_untyped_defs",
        "disallow_any_generics",
        "no_implicit_optional",
        "warn_return_any",
        "warn_no_return",
        "warn_unreachable",
        "disable_error_code",
        "enable_error_code",
        "ignore_missing_imports",
        "implicit_reexport",
        "strict_equality",
        "allow_redefinition",
        "local_partial_types",
    }
)
THRESHOLDS = {"low": 0.85, "default": 0.6, "high": 0.3, "max": 0.0}
_MYPY_LINE = re.compile(
    r"^(?P<path>[^:]+):(?P<line>\d+):(?:\d+:)? error: (?P<msg>.*?)(?:  \[(?P<code>[\w-]+)\])?$"
)
_SAFE_PART = re.compile(r"[^A-Za-z0-9_.]")


@dataclass(frozen=True)
class Diagnostic:
    tool: str  # ruff | mypy
    code: str
    path: str  # repository-relative
    line: int
    message: str

    def fingerprint(self, line_text: str) -> tuple[str, str, str, str]:
        return (self.tool, self.code, self.message, line_text.strip())


@dataclass
class Side:
    """One side's modules, written under a temporary root."""

    root: Path
    paths: dict[str, str]  # written file (relative to root) -> repository path
    texts: dict[str, str]  # repository path -> text
    unparsable: dict[str, str]  # repository path -> why it does not parse


def _safe_path(path: str) -> str:
    """A path whose folders are valid Python package names (for mypy's module names)."""
    parts = path.split("/")
    return "/".join([_SAFE_PART.sub("_", p) for p in parts[:-1]] + [parts[-1]])


def _write_side(root: Path, texts: Mapping[str, str]) -> Side:
    side = Side(root, {}, dict(texts), {})
    for path, text in texts.items():
        target = _safe_path(path)
        file = root / target
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8", errors="surrogateescape")
        side.paths[target] = path
        try:
            pysyntax.parse(text)  # parsing, never executing
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", None)
            side.unparsable[path] = f"line {line}: {getattr(exc, 'msg', exc)}"
    return side


def ruff_command() -> list[str]:
    try:
        from ruff.__main__ import find_ruff_bin

        return [str(find_ruff_bin())]
    except (ImportError, FileNotFoundError):
        found = shutil.which("ruff")
        if found is None:
            raise AnalyzerUnavailable("ruff is not installed") from None
        return [found]


def _run(command: list[str], cwd: Path, deadline: float) -> subprocess.CompletedProcess[str] | None:
    """The tool's output, or None when it ran into the deadline."""
    timeout = deadline - time.monotonic()
    if timeout <= 0.05:
        return None
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT")}
    env["MYPYPATH"] = str(cwd)
    try:
        return subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        return None


def ruff_diagnostics(side: Side, deadline: float) -> list[Diagnostic] | None:
    if not side.paths:
        return []
    import json

    command = [
        *ruff_command(),
        "check",
        "--isolated",
        "--no-cache",
        "--exit-zero",
        "--select",
        RUFF_RULES,
        "--output-format",
        "json",
        *sorted(side.paths),
    ]
    done = _run(command, side.root, deadline)
    if done is None:
        return None
    out = []
    for item in json.loads(done.stdout or "[]"):
        rel = os.path.relpath(item["filename"], side.root).replace(os.sep, "/")
        path = side.paths.get(rel)
        if path is None:
            continue
        code = item.get("code")
        if code in (None, "invalid-syntax"):
            continue  # a file that does not parse is reported once, from the parser's view
        out.append(Diagnostic("ruff", code, path, int(item["location"]["row"]), item["message"]))
    return out


def _mypy_section(name: str, text: str) -> dict[str, str] | None:
    """The raw `[mypy]` options of one configuration file, or None when it has none."""
    if name == "pyproject.toml":
        table = tomllib.loads(text).get("tool", {}).get("mypy")
        if table is None:
            return None
        if not isinstance(table, dict):
            raise ValueError("[tool.mypy] is not a table")
        return {
            k.replace("-", "_"): (",".join(map(str, v)) if isinstance(v, list) else str(v))
            for k, v in table.items()
            if not isinstance(v, dict)
        }
    parser = configparser.ConfigParser()
    parser.read_string(text)
    return dict(parser.items("mypy")) if parser.has_section("mypy") else None


DEFAULT_MYPY = "[mypy]\nignore_missing_imports = True\nfollow_imports = silent\n"


def mypy_config(base: Tree) -> tuple[str, str | None]:
    """The `[mypy]` section to run with (INI text) from the base's configuration, and, when
    that could not be read, why (then mypy's defaults)."""
    for name in ("mypy.ini", ".mypy.ini", "pyproject.toml", "setup.cfg"):
        data = base.read(name)
        if data is None:
            continue
        try:
            raw = _mypy_section(name, data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, configparser.Error) as exc:
            why = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
            return DEFAULT_MYPY, f"the mypy configuration in {name} cannot be read ({why})"
        if raw is None:
            continue
        options = {k: v for k, v in raw.items() if k in MYPY_OPTIONS}
        lines = [f"{k} = {v.lower() if v in ('True', 'False') else v}" for k, v in options.items()]
        return DEFAULT_MYPY + "".join(f"{line}\n" for line in sorted(lines)), None
    return DEFAULT_MYPY, None


def _warm_cache(deadline: float) -> Path | None:
    """mypy's cache of the standard library alone, built once per machine."""
    warm = (
        Path(tempfile.gettempdir())
        / f"redline-mypy-cache-{sys.version_info[0]}{sys.version_info[1]}"
    )
    if warm.is_dir():
        return warm
    with tempfile.TemporaryDirectory(prefix="redline-mypy-warm-") as tmp:
        root = Path(tmp)
        (root / "empty.py").write_text("import typing\n", encoding="utf-8")
        building = root / "cache"
        done = _run(
            [sys.executable, "-m", "mypy", "--cache-dir", str(building), "empty.py"], root, deadline
        )
        if done is None or done.returncode != 0 or not building.is_dir():
            return None
        with contextlib.suppress(OSError):  # a concurrent builder's copy won: ours is dropped
            building.rename(warm)
    return warm if warm.is_dir() else None


def mypy_diagnostics(
    side: Side, config: str, deadline: float
) -> tuple[list[Diagnostic] | None, str | None]:
    """(diagnostics, or None when mypy was cut off or failed; a problem to report)."""
    targets = sorted(t for t, p in side.paths.items() if p not in side.unparsable)
    if not targets:
        return [], None
    config_file = side.root / ".redline-mypy.ini"
    config_file.write_text(config, encoding="utf-8")
    # A fresh cache per run (mypy does not report again what a warm cache holds), seeded
    # with the standard library's so each run does not re-read typeshed.
    cache = side.root.parent / f"mypy-cache-{side.root.name}"
    warm = _warm_cache(deadline)
    if warm is not None and not cache.exists():
        shutil.copytree(warm, cache)
    command = [
        sys.executable,
        "-m",
        "mypy",
        "--config-file",
        str(config_file),
        "--cache-dir",
        str(cache),
        "--explicit-package-bases",
        "--namespace-packages",
        "--show-error-codes",
        "--show-column-numbers",
        "--no-error-summary",
        "--no-pretty",
        "--hide-error-context",
        "--no-color-output",
        *targets,
    ]
    done = _run(command, side.root, deadline)
    if done is None:
        return None, None
    if done.returncode not in (0, 1):
        first = (done.stderr or done.stdout).strip().splitlines()
        return None, f"mypy failed ({first[-1][:160] if first else f'exit {done.returncode}'})"
    # Options mypy cannot use are warned about on stderr, naming the configuration file.
    ignored = [line for line in done.stderr.splitlines() if config_file.name in line]
    problem = None
    if ignored:
        problem = (
            f"mypy ignored part of the base's configuration ({ignored[0].split(': ', 1)[-1][:160]})"
        )
    out = []
    for line in done.stdout.splitlines():
        match = _MYPY_LINE.match(line.strip())
        if not match:
            continue
        path = side.paths.get(match["path"].replace(os.sep, "/"))
        code = match["code"] or "misc"
        if path is None or code in MYPY_IGNORED:
            continue
        out.append(Diagnostic("mypy", code, path, int(match["line"]), match["msg"]))
    return out, problem


def new_diagnostics(
    head: list[Diagnostic],
    base: list[Diagnostic],
    head_side: Side,
    base_side: Side,
    renamed: Mapping[str, str],
) -> list[Diagnostic]:
    """Head diagnostics whose fingerprint (code, message, line text) the base lacks."""

    def line_text(side: Side, path: str, line: int) -> str:
        lines = side.texts.get(path, "").split("\n")
        return lines[line - 1] if 0 < line <= len(lines) else ""

    before: Counter[tuple[str, tuple[str, str, str, str]]] = Counter()
    for item in base:
        new_path = renamed.get(item.path, item.path)
        before[(new_path, item.fingerprint(line_text(base_side, item.path, item.line)))] += 1
    out = []
    for item in head:
        key = (item.path, item.fingerprint(line_text(head_side, item.path, item.line)))
        if before[key] > 0:
            before[key] -= 1
            continue
        out.append(item)
    return out


def _syntax_errors(
    request: AnalysisRequest, head: Side, base: Side, renamed: Mapping[str, str]
) -> list[Diagnostic]:
    """A file the change leaves unparsable (that parsed before): one finding, on the changed
    line nearest to where the parser gave up."""
    old_of = {new: old for old, new in renamed.items()}
    out = []
    for path, why in head.unparsable.items():
        if old_of.get(path) in base.unparsable:
            continue  # it did not parse before either: not this change's doing
        file = request.diff.file(path)
        added = sorted(n for h in (file.hunks if file else ()) for n in h.added_line_numbers)
        if not added:
            continue
        match = re.match(r"line (\d+)", why)
        at = int(match.group(1)) if match else added[0]
        line = min(added, key=lambda n: (abs(n - at), n))
        out.append(
            Diagnostic("python", "syntax-error", path, line, f"the file no longer parses ({why})")
        )
    return out


class StaticAnalyzer:
    name = "static"
    default_budget = 60.0
    thresholds: Mapping[str, float] = THRESHOLDS

    def __init__(self, type_checker: str | None = "mypy") -> None:
        self.ruff = ruff_command()
        self.type_checker = type_checker
        self.version = f"ruff+{type_checker or 'none'}"

    def analyze(self, request: AnalysisRequest, deadline: float) -> AnalyzerOutput:
        checker = None if request.config.static_type_checker == "none" else self.type_checker
        head_texts, base_texts, renamed, notes = self._texts(request)
        with tempfile.TemporaryDirectory(prefix="redline-static-") as tmp:
            head = _write_side(Path(tmp) / "head", head_texts)
            base = _write_side(Path(tmp) / "base", base_texts)
            found, more = self._diagnose(head, base, renamed, request.base, deadline, checker)
        notes += more
        for path, why in sorted(head.unparsable.items()):
            notes.append(f"{path} does not parse ({why}): not type-checked")
        found += _syntax_errors(request, head, base, renamed)
        return self._output(request, found, notes, len(head_texts))

    def _texts(
        self, request: AnalysisRequest
    ) -> tuple[dict[str, str], dict[str, str], dict[str, str], list[str]]:
        head: dict[str, str] = {}
        base: dict[str, str] = {}
        renamed: dict[str, str] = {}
        other = 0
        for file in request.diff.files:
            if file.language != "python":
                other += 1
                continue
            if file.status in ("deleted", "binary"):
                continue
            text = request.text(file.path)
            if text is None:
                continue
            head[file.path] = text
            old = file.old_path or file.path
            if file.status != "added":
                # The base side from the head and the hunks: exact, and no tree read.
                base[old] = "\n".join(pre_image(text.split("\n"), file))
                renamed[old] = file.path
        notes = [f"{other} non-Python file(s) skipped"] if other else []
        return head, base, renamed, notes

    def _diagnose(
        self,
        head: Side,
        base: Side,
        renamed: Mapping[str, str],
        tree: Tree,
        deadline: float,
        checker: str | None,
    ) -> tuple[list[Diagnostic], list[str]]:
        notes: list[str] = []
        ruff_head = ruff_diagnostics(head, deadline)
        ruff_base = ruff_diagnostics(base, deadline)
        if ruff_head is None or ruff_base is None:
            return [], ["ruff did not finish within the budget"]
        found = new_diagnostics(ruff_head, ruff_base, head, base, renamed)
        if checker == "mypy":
            more, why = self._type_check(head, base, renamed, tree, deadline)
            found += more
            notes += why
        return found, notes

    def _type_check(
        self, head: Side, base: Side, renamed: Mapping[str, str], tree: Tree, deadline: float
    ) -> tuple[list[Diagnostic], list[str]]:
        """mypy on both sides: the base's options, or its defaults when they are refused."""
        notes: list[str] = []
        config, problem = mypy_config(tree)
        if problem:
            notes.append(problem + "; mypy ran with its defaults")
        for attempt in range(2):
            mypy_head, why = mypy_diagnostics(head, config, deadline)
            mypy_base, why_base = (
                mypy_diagnostics(base, config, deadline) if mypy_head is not None else (None, None)
            )
            notes.extend(dict.fromkeys(w for w in (why, why_base) if w))
            if mypy_head is not None and mypy_base is not None:
                return new_diagnostics(mypy_head, mypy_base, head, base, renamed), notes
            if (why or why_base) and attempt == 0 and config != DEFAULT_MYPY:
                notes.append("ran again with mypy's defaults")
                config = DEFAULT_MYPY
                continue
            break
        if not (why or why_base):
            notes.append(
                "mypy did not finish within the analyzer's budget: no type-checker findings"
            )
        else:
            notes.append("no type-checker findings")
        return [], notes

    def _output(
        self, request: AnalysisRequest, found: list[Diagnostic], notes: list[str], files: int
    ) -> AnalyzerOutput:
        changed = {
            f.path: {n for h in f.hunks for n in h.added_line_numbers} for f in request.diff.files
        }
        hunk_of = {
            (f.path, n): h.index
            for f in request.diff.files
            for h in f.hunks
            for n in h.added_line_numbers
        }
        findings = []
        reasons: dict[tuple[str, int], list[str]] = {}
        undefined = {(d.path, d.line) for d in found if d.code == "F821"}
        for item in found:
            if item.line not in changed.get(item.path, set()):
                continue
            if item.code == "name-defined" and (item.path, item.line) in undefined:
                continue  # ruff already said so
            key = f"mypy:{item.code}" if item.tool == "mypy" else item.code
            score = SCORES.get(key, 0.5)
            label = f"mypy [{item.code}]" if item.tool == "mypy" else f"{item.tool} {item.code}"
            severity: Severity = "error" if item.code == "syntax-error" else "warning"
            findings.append(
                Finding(
                    item.path,
                    item.line,
                    item.line,
                    severity,
                    self.name,
                    key,
                    f"{item.message} ({label}, new in this change)",
                    score,
                )
            )
            if score >= THRESHOLDS["default"]:
                reasons.setdefault((item.path, hunk_of[(item.path, item.line)]), []).append(
                    f"{label}: {item.message}"
                )
        scores = tuple(
            HunkScore(path, index, flags=frozenset({"static"}), reasons=tuple(texts[:2]))
            for (path, index), texts in reasons.items()
        )
        detail = f"{files} module(s), {len(findings)} new diagnostic(s) on changed lines"
        if notes:
            detail += "; " + "; ".join(notes)
        return AnalyzerOutput(scores=scores, findings=tuple(findings), detail=detail)
