"""Fix pairs (a buggy file, its fix, the finding's message) for the fix model: bugs injected
into corpus functions (review_models.inject) and real fixes turned around (`--data`
fixes*.jsonl.gz), whole projects held out. Shared by `redline train fixer` (training pairs)
and `redline bench engine` (held-out pairs); built on demand, never committed."""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Iterator
from pathlib import Path

# Whole projects the fixer never trains on: `redline bench engine` measures on them.
HELD_OUT_PROJECTS = frozenset(
    {
        "pallets/click",
        "psf/requests",
        "python-attrs/attrs",
        "more-itertools/more-itertools",
        "dateutil/dateutil",
    }
)


def injected_pairs(split: str, limit: int, seed: int, per_file: int = 2) -> Iterator[object]:
    """Injected bugs in functions of corpus files of `split` (train, val or test packages)."""
    from engine.training.data import Pair, family_message
    from review_models.corpus import collect, read_source
    from review_models.injected import injected_files

    rng = random.Random(seed)
    files = [f for f in collect() if f.split == split]
    rng.shuffle(files)
    made = 0
    for item in files:
        source = read_source(item)
        if source is None or len(source) > 60_000:
            continue
        for injected in injected_files(source, rng, per_file):
            mutation = injected.mutation
            buggy = "\n".join(injected.lines)
            if buggy == source:
                continue
            line = injected.bug_line
            path = f"{item.package.replace('stdlib:', '')}/{Path(item.path).name}"
            yield Pair(
                path,
                buggy,
                source,
                line,
                line + mutation.buggy.count("\n"),
                family_message(mutation.family, mutation.buggy),
                rule=f"detector:{mutation.family}",
                origin="injected",
            )
            made += 1
            if made >= limit:
                return


def _records(data: Path) -> Iterator[dict[str, object]]:
    kinds: list[dict[str, object]] = []
    classes = data / "fixes2.classes.jsonl"
    if classes.exists():
        kinds = [json.loads(line) for line in classes.read_text(encoding="utf-8").splitlines()]
    for name in ("fixes.jsonl.gz", "fixes2.jsonl.gz"):
        path = data / name
        if not path.exists():
            continue
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for index, line in enumerate(handle):
                record = json.loads(line)
                if name == "fixes2.jsonl.gz" and index < len(kinds):
                    kind = kinds[index]
                    if kind.get("kind") != "code" or kind.get("duplicate_of") is not None:
                        continue
                yield record


def real_pairs(data: Path, held_out: bool) -> Iterator[object]:
    """One pair per hunk of each real fix: the buggy post-image with only that hunk reverted."""
    from bot.core.diff import parse_diff
    from bot.core.errors import DiffParseError
    from engine.training.data import GENERIC_MESSAGE, Pair

    for record in _records(data):
        if (str(record["repo"]) in HELD_OUT_PROJECTS) != held_out:
            continue
        try:
            diff = parse_diff(str(record["pr_diff"]))
        except DiffParseError:
            continue
        files = record.get("files") or {}
        assert isinstance(files, dict)
        for file in diff.files:
            text = files.get(file.path)
            if not isinstance(text, str) or not file.path.endswith(".py"):
                continue
            lines = text.split("\n")
            for hunk in file.hunks:
                added = sorted(hunk.added_line_numbers)
                touched = sorted(hunk.touched_new_lines)
                span = added or touched
                if not span:
                    continue
                first, last = span[0], span[-1]
                removed = [line.text for line in hunk.removed]
                # Revert this hunk alone: the added block becomes the removed block.
                if added:
                    fixed = lines[: first - 1] + removed + lines[last:]
                else:
                    fixed = lines[:first] + removed + lines[first:]
                yield Pair(
                    file.path,
                    text,
                    "\n".join(fixed),
                    first,
                    last,
                    GENERIC_MESSAGE,
                    rule="real-fix",
                    origin=f"real:{record['repo']}",
                )
