"""Stable finding fingerprints: the same finding keeps its fingerprint when lines shift, so a
re-run never posts it twice."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import replace

from bot.core.model import Finding


def normalize(text: str) -> str:
    return " ".join(text.split())


def fingerprint(finding: Finding, flagged_text: str, occurrence: int) -> str:
    key = "\0".join(
        (finding.path, finding.source, finding.rule, normalize(flagged_text), str(occurrence))
    )
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def assign(findings: Iterable[tuple[Finding, str]]) -> list[Finding]:
    """Give each (finding, flagged text) its fingerprint; identical ones count occurrences."""
    seen: dict[tuple[str, str, str, str], int] = {}
    out = []
    ordered = sorted(findings, key=lambda pair: (pair[0].path, pair[0].side, pair[0].line))
    for finding, text in ordered:
        key = (finding.path, finding.source, finding.rule, normalize(text))
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        out.append(replace(finding, fingerprint=fingerprint(finding, text, occurrence)))
    return out
