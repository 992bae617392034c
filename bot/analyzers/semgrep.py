"""semgrep on the changed files only, offline, with redline's rule pack plus the repository's
extra rule files (read from the base tree). Only results on changed lines are kept.

What the analyzer adds to semgrep's own results:
- suppressions are decided here, from the base (`semgrep_suppress`), and listed in coverage;
- rules say how they treat tests (`metadata.tests`): "lower" (the default) reports a test's
  finding one severity lower, "skip" drops it where the class is harmless in tests, "keep"
  keeps it as it is;
- lines of a changed file semgrep could not read become a `not-scanned` finding (an error when
  the policy fails closed), and a rule that does not load, a missing extra rule file or a
  semgrep that cannot run raise `AnalyzerError`: the rule pack never passes on what it did not
  look at."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from bot.analyzers import semgrep_run
from bot.analyzers.semgrep_suppress import Context, decide, find_markers
from bot.core.errors import AnalyzerError
from bot.core.model import FileDiff, Finding, Severity, Suppression
from bot.core.paths import check_relative, is_test_path
from bot.core.ports import AnalysisRequest, AnalyzerOutput

_SEVERITY: dict[str, Severity] = {"ERROR": "error", "WARNING": "warning", "INFO": "note"}
_LOWER: dict[Severity, Severity] = {"error": "warning", "warning": "note", "note": "note"}
# AUDIT rules sit under the default paranoia threshold (0.5): shown from `--paranoia high`.
_CONFIDENCE = {"HIGH": 0.95, "MEDIUM": 0.8, "LOW": 0.6, "AUDIT": 0.4}
# The languages our pack and typical extra rules cover; other files are not worth a scan.
_SCANNED = {
    "python",
    "javascript",
    "typescript",
    "go",
    "java",
    "ruby",
    "shell",
    "yaml",
    "json",
    "c",
    "cpp",
    "rust",
}
# Template files (Jinja2, Django): the pack's generic rules read them for escaping turned off
# (`|safe`, `{% autoescape false %}`); they have no language of their own in redline.
_TEMPLATES = (".html", ".htm", ".jinja", ".jinja2", ".j2")
# The languages the built-in pack reads: a changed file in one of them that semgrep did not
# scan is a hole in the gate, not a file nobody had rules for.
_PACK_LANGUAGES = {"python", "javascript", "typescript"}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")
# A statement appended to every target in a pack language, and a rule that matches it: semgrep
# that reports no canary for a file did not match rules against that file at all (a parse it
# gave up on without saying so, as it does on a 1 MB minified line), so the file is unread.
_CANARY = "__redline_canary__()"
_SILENT = "semgrep returned nothing for the file (it could not parse it)"
_CANARY_RULES = f"""rules:
  - id: redline-canary
    languages: [python]
    severity: INFO
    message: canary
    pattern: {_CANARY}
  - id: redline-canary-js
    languages: [javascript, typescript]
    severity: INFO
    message: canary
    pattern: {_CANARY}
"""


def _scanned(file: FileDiff) -> bool:
    return file.language in _SCANNED or file.path.lower().endswith(_TEMPLATES)


def builtin_rules_dir() -> Path:
    return Path(str(resources.files("bot.analyzers") / "rules"))


class SemgrepAnalyzer:
    name = "semgrep"
    version = "2"
    default_budget = 60.0
    thresholds: Mapping[str, float] = {}

    def __init__(self, semgrep: semgrep_run.Semgrep | None = None) -> None:
        # Found at the first scan, so that a missing semgrep is this analyzer's error in the
        # review (and a fail-closed gate), not a crash while setting up.
        self._semgrep = semgrep

    def analyze(self, request: AnalysisRequest, deadline: float) -> AnalyzerOutput:
        files = [
            f
            for f in request.diff.files
            if f.added_count and request.text(f.path) is not None and _scanned(f)
        ]
        if not files:
            return AnalyzerOutput(detail="no changed files in a scanned language")
        semgrep = self._semgrep or semgrep_run.locate()
        with tempfile.TemporaryDirectory(prefix="redline-semgrep-") as tmp:
            root = Path(tmp) / "src"
            rules = Path(tmp) / "rules"
            names = _write_rules(rules, request)
            (rules / "redline-canary.yml").write_text(_CANARY_RULES, encoding="utf-8")
            targets = _write_targets(root, files, request)
            scan = semgrep_run.run(
                semgrep,
                rules,
                root,
                targets,
                deadline,
                request.config.max_scan_bytes,
                names,
            )
        by_path = {f.path: f for f in files}
        results, unread = _check_canaries(scan, by_path)
        findings, suppressions = self._findings(results, by_path, request)
        findings += _unread(unread, by_path, request)
        honoured = sum(1 for s in suppressions if s.honoured)
        detail = f"{len(targets)} files scanned"
        if suppressions:
            detail += f"; {len(suppressions)} suppressions met, {honoured} honoured"
        return AnalyzerOutput(
            findings=tuple(findings), suppressions=tuple(suppressions), detail=detail
        )

    def _findings(
        self,
        results: tuple[dict[str, Any], ...],
        files: dict[str, FileDiff],
        request: AnalysisRequest,
    ) -> tuple[list[Finding], list[Suppression]]:
        findings: list[Finding] = []
        suppressions: dict[tuple[str, int, str | None], Suppression] = {}
        contexts: dict[str, Context] = {}
        for result in results:
            path = str(result.get("path", ""))
            file = files.get(path)
            if file is None:
                continue
            start, end = int(result["start"]["line"]), int(result["end"]["line"])
            added = sorted(n for h in file.hunks for n in h.added_line_numbers if start <= n <= end)
            if not added:
                continue  # only results on changed lines
            extra = result.get("extra", {})
            metadata = extra.get("metadata") or {}
            rule = str(result.get("check_id", "semgrep")).rsplit(".", 1)[-1]
            severity = _SEVERITY.get(str(extra.get("severity", "WARNING")).upper(), "warning")
            if is_test_path(path):
                treatment = str(metadata.get("tests", "lower"))
                if treatment == "skip":
                    continue
                if treatment == "lower":
                    severity = _LOWER[severity]
            if path not in contexts:
                contexts[path] = _context(file, request)
            aliases = _aliases(metadata)
            suppression = decide(contexts[path], rule, aliases, start, end)
            if suppression is not None:
                suppressions.setdefault((path, suppression.line, suppression.rule), suppression)
                if suppression.honoured:
                    continue
            confidence = str(metadata.get("confidence", "HIGH")).upper()
            findings.append(
                Finding(
                    path=path,
                    line=added[0],
                    end_line=added[-1],
                    severity=severity,
                    source=self.name,
                    rule=rule,
                    message=" ".join(str(extra.get("message", rule)).split()),
                    score=_CONFIDENCE.get(confidence, 0.9),
                    suggestion=_suggestion(result, added, request.text(path)),
                )
            )
        return findings, list(suppressions.values())


def _aliases(metadata: Mapping[str, Any]) -> tuple[str, ...]:
    value = metadata.get("bandit") or ()
    return tuple(str(v) for v in (value if isinstance(value, list) else [value]))


def _suggestion(result: dict[str, Any], added: list[int], text: str | None) -> str | None:
    """semgrep's `fix` as a whole-line replacement, when the match is exactly the added lines
    it spans (a suggestion must not rewrite lines the change did not touch)."""
    fix = result.get("extra", {}).get("fix")
    start, end = int(result["start"]["line"]), int(result["end"]["line"])
    if not isinstance(fix, str) or text is None or (added[0], added[-1]) != (start, end):
        return None
    if len(added) != end - start + 1:
        return None
    lines = text.split("\n")
    first, last = lines[start - 1], lines[end - 1]
    return first[: result["start"]["col"] - 1] + fix + last[result["end"]["col"] - 1 :] + "\n"


def _context(file: FileDiff, request: AnalysisRequest) -> Context:
    text = request.text(file.path) or ""
    base_data = None
    if file.status not in ("added",):
        base_data = request.base.read(file.old_path or file.path)
    base_lines = None
    if base_data is not None:
        base_text = base_data.decode("utf-8", "replace").replace("\r\n", "\n")
        base_lines = frozenset(line.strip() for line in base_text.split("\n"))
    elif file.status == "added":
        base_lines = frozenset()
    return Context(
        path=file.path,
        markers=find_markers(text),
        added=frozenset(n for h in file.hunks for n in h.added_line_numbers),
        base_lines=base_lines,
        lines=tuple(text.split("\n")),
        author_rules=request.config.semgrep_author_suppressions,
        allow=request.config.semgrep_allow,
    )


def _write_rules(rules: Path, request: AnalysisRequest) -> dict[str, str]:
    """The built-in pack and the extra rule files from the base into `rules`; returns the
    written names mapped to what the user calls them. A missing extra file is an error: the
    base asked for rules that cannot run."""
    rules.mkdir(parents=True)
    names: dict[str, str] = {}
    for path in sorted(builtin_rules_dir().glob("*.yml")):
        shutil.copy(path, rules / f"builtin-{path.name}")
    missing = []
    for number, rule_path in enumerate(request.config.semgrep_rules):
        data = request.base.read(check_relative(rule_path))
        if data is None:
            missing.append(rule_path)
            continue
        written = f"extra-{number}-{_SAFE_NAME.sub('_', rule_path)[-60:]}"
        if not written.endswith((".yml", ".yaml")):
            written += ".yml"
        (rules / written).write_bytes(data)
        names[written] = f"{rule_path} (a [semgrep] rules file of .redline.toml)"
    if missing:
        raise AnalyzerError(
            "extra rule files from .redline.toml [semgrep] rules not found at the base "
            f"revision: {', '.join(missing)}"
        )
    return names


def _write_targets(root: Path, files: list[FileDiff], request: AnalysisRequest) -> list[str]:
    targets = []
    for file in files:
        target = root / check_relative(file.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = request.text(file.path) or ""
        if file.language in _PACK_LANGUAGES:
            # After the last line: the file's own line numbers do not move.
            text += ("" if text.endswith("\n") or not text else "\n") + _CANARY + "\n"
        target.write_text(text, encoding="utf-8", errors="surrogateescape")
        targets.append(file.path)
    return targets


def _check_canaries(
    scan: semgrep_run.Scan, files: dict[str, FileDiff]
) -> tuple[tuple[dict[str, Any], ...], dict[str, tuple[tuple[int, int, str], ...]]]:
    """The results without the canaries, and the unread files with those semgrep said nothing
    about (no canary, no error) added."""
    seen = set()
    results = []
    for result in scan.results:
        if str(result.get("check_id", "")).rsplit(".", 1)[-1].startswith("redline-canary"):
            seen.add(str(result.get("path", "")))
        else:
            results.append(result)
    unread = dict(scan.unread)
    for path, file in files.items():
        if file.language in _PACK_LANGUAGES and path not in seen and path not in unread:
            unread[path] = (
                (1, 0, "semgrep returned nothing for the file (it could not parse it)"),
            )
    return tuple(results), unread


def _unread(
    unread: Mapping[str, tuple[tuple[int, int, str], ...]],
    files: dict[str, FileDiff],
    request: AnalysisRequest,
) -> list[Finding]:
    """A finding per changed file whose added lines semgrep could not (all) read."""
    findings = []
    for path, spans in unread.items():
        file = files.get(path)
        if file is None or file.language not in _PACK_LANGUAGES:
            continue
        added = sorted(n for h in file.hunks for n in h.added_line_numbers)
        missed = sorted({n for a, b, _ in spans for n in added if (a, b) == (1, 0) or a <= n <= b})
        if not missed:
            continue
        reason = spans[0][2]
        findings.append(
            Finding(
                path=path,
                line=missed[0],
                end_line=missed[-1],
                severity="error" if request.config.fails_closed else "warning",
                source="semgrep",
                rule="not-scanned",
                message=(
                    f"The dangerous-code rules could not read {len(missed)} changed lines of "
                    f"this file (lines {missed[0]}-{missed[-1]}): {reason}. Nothing on them "
                    "was checked."
                ),
                score=1.0,
            )
        )
    return findings
