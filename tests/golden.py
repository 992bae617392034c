"""Golden review documents: recorded diffs and their post-images, reviewed through the CLI.

`python -m tests.golden --update` records them again (after an intended change of behaviour,
explained in the commit); the test compares byte for byte, with analyzer wall times zeroed."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

GOLDEN = Path(__file__).parent / "samples" / "golden"


def cases() -> list[str]:
    return sorted(p.name[: -len(".patch")] for p in GOLDEN.glob("*.patch"))


def normalize(document: str) -> str:
    data = json.loads(document)
    for run in data.get("analyzers", []):
        run["ms"] = 0
    for condition in data.get("verification", {}).get("conditions", []):
        condition["ms"] = 0
    data.get("tool", {}).pop("version", None)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# Budgets decide what a review reaches, so on a loaded machine a verify condition or an
# analyzer can run out of time and the document changes. The golden runs give every budget
# room enough that the documents depend on the code alone. The type checker is left out
# (whether mypy finishes a large module is the machine's business); mypy is tested in
# tests/analyzers/test_static.py, the budgets in tests/review.
_MACHINE_FREE = """\
[static]
type-checker = "none"

[verify]
timeout = 120
total = 1800

[budgets]
review = 3600
semgrep = 1800
detector = 1800
entropy = 1800
static = 1800
verify = 1800
markers = 1800
"""


def review(name: str) -> str:
    from bot.cli.main import main

    files = json.loads((GOLDEN / f"{name}.files.json").read_text(encoding="utf-8"))
    meta = json.loads((GOLDEN / f"{name}.args.json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        for path, text in files.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        root.mkdir(exist_ok=True)
        if ".redline.toml" not in files:
            (root / ".redline.toml").write_text(_MACHINE_FREE)
        out = Path(tmp) / "review.json"
        args = ["review", "--diff", str(GOLDEN / f"{name}.patch"), "--repo", str(root)]
        args += ["--format", "json", "--output", str(out), *meta]
        main(args)
        return normalize(out.read_text(encoding="utf-8"))


def update() -> None:
    for name in cases():
        (GOLDEN / f"{name}.review.json").write_text(review(name), encoding="utf-8")
        print("recorded", name)


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python -m tests.golden --update")
    update()
