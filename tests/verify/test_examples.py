"""The examples with their expected verdicts (verify/examples/expected.json): each seeded
bug refuted, each correct function proved (or at least never refuted), as CrossHair runs
its examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from verify.runner import Job, run

EXAMPLES = Path(__file__).resolve().parents[2] / "verify" / "examples"
EXPECTED: dict[str, dict[str, str]] = json.loads((EXAMPLES / "expected.json").read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_examples_get_their_expected_verdicts(name: str) -> None:
    path = EXAMPLES / name
    found = run([Job(name, path.read_text())], timeout=5.0, total=120.0)
    statuses: dict[str, list[str]] = {}
    for v in found:
        statuses.setdefault(v.function, []).append(v.status)
    for function, expected in EXPECTED[name].items():
        got = statuses.get(function, [])
        if expected == "refuted":
            assert "refuted" in got, (function, got)
        elif expected == "proved":
            assert got and all(s == "proved" for s in got), (function, got)
        else:
            assert got and "refuted" not in got, (function, got)
