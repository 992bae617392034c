"""Findings from every analyzer to the review's list: per-path disables, the paranoia threshold
of the analyzer that raised each one, one finding per place and rule, fingerprints, and the
order a reviewer reads them in (highest score first)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.core.model import SEVERITY_RANK, Diff, Finding
from bot.core.policy import Config
from bot.core.ports import Analyzer, AnalyzerOutput
from bot.review import fingerprint

DEFAULT_THRESHOLDS = {"low": 0.9, "default": 0.5, "high": 0.3, "max": 0.0}


@dataclass(frozen=True)
class Selected:
    findings: tuple[Finding, ...]
    below_threshold: int  # candidates the paranoia level did not show


def threshold(analyzer: Analyzer | None, level: str) -> float:
    table = dict(analyzer.thresholds) if analyzer is not None and analyzer.thresholds else {}
    return table.get(level, DEFAULT_THRESHOLDS[level])


def flagged_text(finding: Finding, diff: Diff, texts: Mapping[str, str]) -> str:
    """The text of the lines a finding points at, for its fingerprint."""
    file = diff.file(finding.path)
    wanted = range(finding.line, finding.end_line + 1)
    if finding.side == "old" or finding.path not in texts:
        lines = [
            line.text
            for hunk in (file.hunks if file else ())
            for line in hunk.lines
            if (line.old_no if finding.side == "old" else line.new_no) in wanted
        ]
        return "\n".join(lines)
    text_lines = texts[finding.path].split("\n")
    return "\n".join(text_lines[n - 1] for n in wanted if 0 < n <= len(text_lines))


def select(
    outputs: Iterable[tuple[Analyzer, AnalyzerOutput]],
    config: Config,
    diff: Diff,
    texts: Mapping[str, str],
) -> Selected:
    pairs = list(outputs)
    by_name = {a.name: a for a, _ in pairs}
    candidates: dict[tuple[str, str, int, str, str], Finding] = {}
    below = 0
    for analyzer, output in pairs:
        for finding in output.findings:
            disabled = config.disabled_for(finding.path)
            if finding.source in disabled or finding.rule in disabled:
                continue
            level = config.paranoia_for(finding.path)
            if finding.score < threshold(by_name.get(finding.source, analyzer), level):
                below += 1
                continue
            key = (finding.path, finding.side, finding.line, finding.source, finding.rule)
            if key not in candidates or candidates[key].score < finding.score:
                candidates[key] = finding
    found = fingerprint.assign((f, flagged_text(f, diff, texts)) for f in candidates.values())
    found.sort(key=lambda f: (-f.score, -SEVERITY_RANK[f.severity], f.path, f.line, f.rule))
    return Selected(tuple(found), below)
