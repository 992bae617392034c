"""`DANGEROUS` markers: code labelled as able to do a lot of damage. A hunk that touches code
under such a comment (or within N lines of it) gets a finding and the highest attention."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.core.model import FileDiff, Finding, Hunk, HunkScore, Severity
from bot.core.ports import AnalysisRequest, AnalyzerOutput

_COMMENT = r"(?:#|//|/\*|^\s*\*|--|<!--)"


@dataclass(frozen=True)
class Marker:
    line: int
    word: str
    comment: str
    start: int  # first line of the marked region
    end: int  # last line of the marked region


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _is_comment_only(line: str) -> bool:
    return bool(re.match(rf"\s*{_COMMENT}", line))


def _block_end(lines: list[str], first: int) -> int:
    """Last line (1-based) of the statement at `first` and everything indented under it."""
    if first > len(lines):
        return len(lines)
    base = _indent(lines[first - 1])
    end = first
    number = first + 1
    while number <= len(lines):
        line = lines[number - 1]
        if not line.strip():
            number += 1
            continue
        indent = _indent(line)
        if indent > base:
            end = number
        elif indent == base and line.strip()[:1] in ")]}":
            end = number  # the closing bracket of a block opened above
            break
        elif indent == base and line.lstrip().startswith(("else", "elif", "except", "finally")):
            end = number
        else:
            break
        number += 1
    return end


def find_markers(lines: list[str], words: tuple[str, ...], radius: int) -> list[Marker]:
    if not words:
        return []
    text = "\n".join(lines)
    if not any(word in text for word in words):
        return []  # the common case, found at C speed
    pattern = re.compile(rf"{_COMMENT}.*?\b({'|'.join(re.escape(w) for w in words)})\b")
    markers = []
    for number, line in enumerate(lines, start=1):
        match = pattern.search(line)
        if match is None:
            continue
        comment = line[match.start() :].strip()
        if _is_comment_only(line):
            target = number + 1
            while target <= len(lines) and (
                not lines[target - 1].strip() or _is_comment_only(lines[target - 1])
            ):
                target += 1
            end = _block_end(lines, target) if target <= len(lines) else number
        else:
            end = _block_end(lines, number)  # a trailing marker marks its own line and block
        markers.append(
            Marker(
                number,
                match.group(1),
                comment[:120],
                max(1, number - radius),
                min(len(lines), max(end, number + radius)),
            )
        )
    return markers


class MarkersAnalyzer:
    name = "markers"
    version = "1"
    default_budget = 10.0
    thresholds: Mapping[str, float] = {}

    def analyze(self, request: AnalysisRequest, deadline: float) -> AnalyzerOutput:
        config = request.config.markers
        severity: Severity = config.severity  # type: ignore[assignment]
        findings: list[Finding] = []
        scores: list[HunkScore] = []
        removal = (
            re.compile(rf"{_COMMENT}.*?\b({'|'.join(re.escape(w) for w in config.words)})\b")
            if config.words
            else None
        )
        for file in request.diff.files:
            text = request.text(file.path)
            lines = (text if text is not None else file.partial_text()).split("\n")
            markers = find_markers(lines, config.words, config.radius)
            for hunk in file.hunks:
                found = self._touching(file, hunk, markers, severity)
                if removal is not None:
                    found += self._removing(file, hunk, removal, severity)
                findings += found
                if found:
                    scores.append(HunkScore(file.path, hunk.index, flags=frozenset({"dangerous"})))
        return AnalyzerOutput(scores=tuple(scores), findings=tuple(findings))

    def _touching(
        self, file: FileDiff, hunk: Hunk, markers: list[Marker], severity: Severity
    ) -> list[Finding]:
        """One finding per marked region the hunk's new lines reach, on the first line inside."""
        found: list[Finding] = []
        touched = sorted(hunk.touched_new_lines)
        for marker in markers:
            inside = [n for n in touched if marker.start <= n <= marker.end]
            if not inside:
                continue
            found.append(
                Finding(
                    path=file.path,
                    line=inside[0],
                    end_line=inside[0],
                    severity=severity,
                    source=self.name,
                    rule="dangerous-code",
                    message=(
                        f"This change touches code marked {marker.word} at line "
                        f"{marker.line} ({marker.comment!r}): code that can do a lot of "
                        "damage. Every change here must be read."
                    ),
                    score=1.0,
                )
            )
        return found

    def _removing(
        self, file: FileDiff, hunk: Hunk, removal: re.Pattern[str], severity: Severity
    ) -> list[Finding]:
        """A removed marker comment is a finding on the old side: the guard itself went away."""
        found: list[Finding] = []
        for line in hunk.removed:
            match = removal.search(line.text)
            if match and line.old_no is not None:
                found.append(
                    Finding(
                        path=file.path,
                        line=line.old_no,
                        end_line=line.old_no,
                        side="old",
                        severity=severity,
                        source=self.name,
                        rule="dangerous-marker-removed",
                        message=(
                            f"This change removes a {match.group(1)} marker "
                            f"({line.text.strip()[:100]!r}): check that the code "
                            "it guarded is really safe now."
                        ),
                        score=1.0,
                    )
                )
        return found
