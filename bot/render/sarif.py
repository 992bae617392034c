"""SARIF 2.1.0 for GitHub code scanning: rules, results with physical locations and
partial fingerprints. Findings on removed lines are anchored where the lines were removed."""

from __future__ import annotations

import json
import re
from typing import Any

from bot import __version__
from bot.core.model import Finding, Review

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/redline-review/redline"
_LEVEL = {"error": "error", "warning": "warning", "note": "note"}
_PRECISION = [(0.9, "very-high"), (0.75, "high"), (0.5, "medium"), (0.0, "low")]


def _rule_id(finding: Finding) -> str:
    return f"{finding.source}/{finding.rule}"


def _rule_name(rule_id: str) -> str:
    words = re.split(r"[^A-Za-z0-9]+", rule_id)
    return "".join(w[:1].upper() + w[1:] for w in words if w)


def _new_side_line(review: Review, finding: Finding) -> int:
    if finding.side == "new":
        return finding.line
    for file in review.files:
        if file.diff.path != finding.path:
            continue
        for hunk in file.hunks:
            previous = max(hunk.hunk.new_start, 1)
            for line in hunk.hunk.lines:
                if line.kind == "del" and line.old_no == finding.line:
                    return max(previous, 1)
                if line.new_no is not None:
                    previous = line.new_no
    return 1


def _rule(finding: Finding, rule_id: str) -> dict[str, Any]:
    """The rule's entry, described by the first finding of it (SARIF lists each rule once)."""
    precision = next(p for t, p in _PRECISION if finding.score >= t)
    first_sentence = finding.message.split(". ")[0].rstrip(".") + "."
    return {
        "id": rule_id,
        "name": _rule_name(rule_id),
        "shortDescription": {"text": f"{finding.source}: {finding.rule}"},
        "fullDescription": {"text": first_sentence},
        "help": {"text": finding.message},
        "defaultConfiguration": {"level": _LEVEL[finding.severity]},
        "properties": {"tags": [finding.source], "precision": precision},
    }


def _fixes(finding: Finding, suggestion: str) -> list[dict[str, Any]]:
    return [
        {
            "description": {"text": "Suggested replacement"},
            "artifactChanges": [
                {
                    "artifactLocation": {"uri": finding.path, "uriBaseId": "%SRCROOT%"},
                    "replacements": [
                        {
                            "deletedRegion": {
                                "startLine": finding.line,
                                "endLine": finding.end_line,
                            },
                            "insertedContent": {"text": suggestion},
                        }
                    ],
                }
            ],
        }
    ]


def _result(review: Review, finding: Finding, rule_index: int) -> dict[str, Any]:
    line = _new_side_line(review, finding)
    end = line if finding.side == "old" else max(finding.end_line, line)
    result: dict[str, Any] = {
        "ruleId": _rule_id(finding),
        "ruleIndex": rule_index,
        "level": _LEVEL[finding.severity],
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": finding.path, "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": line, "endLine": end},
                }
            }
        ],
        "partialFingerprints": {"redline/v1": finding.fingerprint},
        "properties": {
            "score": round(finding.score, 3),
            "source": finding.source,
            "side": finding.side,
        },
    }
    # A removed line has no text on the new side to replace.
    if finding.suggestion is not None and finding.side == "new":
        result["fixes"] = _fixes(finding, finding.suggestion)
    return result


def _invocation(review: Review) -> dict[str, Any]:
    """The run's invocation, with a notification for each analyzer that did not run cleanly."""
    notifications = [
        {
            "level": "warning" if run.status == "skipped" else "error",
            "message": {
                "text": f"analyzer {run.name}: {run.status}"
                + (f" ({run.detail})" if run.detail else "")
            },
        }
        for run in review.analyzers
        if run.status != "ok"
    ]
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return invocation


def to_sarif(review: Review) -> dict[str, Any]:
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results = []
    for finding in review.findings:
        rule_id = _rule_id(finding)
        if rule_id not in index:
            index[rule_id] = len(rules)
            rules.append(_rule(finding, rule_id))
        results.append(_result(review, finding, index[rule_id]))
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "redline",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFO_URI,
                        "rules": rules,
                    }
                },
                "invocations": [_invocation(review)],
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def dumps(review: Review) -> str:
    return json.dumps(to_sarif(review), indent=2, ensure_ascii=False) + "\n"
