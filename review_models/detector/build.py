"""Training and evaluation examples for the diff-aware detector, one per hunk, built by
`redline train detector` from the real data sets (never committed).

- Positives: real bug fixes turned around (the bug-introducing hunk; training projects only
  for training), and bugs injected into real code of the training projects, applied as edits.
- Negatives: real developer edits (the commit sets), the real fixes in their original
  direction, and the hunks of fix commits that hold no buggy line.

Projects, never records, are held out: `TEST_PROJECTS` for the figures, `CALIB_PROJECTS` for
calibration and the paranoia levels."""

from __future__ import annotations

import difflib
import gzip
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.core.diff import parse_diff
from bot.core.errors import DiffParseError
from bot.core.model import DiffLine, Hunk
from review_models.detector.changes import features
from review_models.detector.edits import edit_of, pre_image
from review_models.injected import injected_files

TEST_PROJECTS = frozenset(
    {"requests", "click", "rich", "more-itertools", "dateutil", "crosshair", "gidgethub"}
)
CALIB_PROJECTS = frozenset({"jinja", "marshmallow", "attrs", "deal", "bedevere"})


def project_of(repo: str) -> str:
    return repo.rsplit("/", 1)[-1].lower()


def split_of(project: str) -> str:
    if project in TEST_PROJECTS:
        return "test"
    return "calib" if project in CALIB_PROJECTS else "train"


@dataclass(frozen=True)
class Example:
    project: str
    source: str  # fix-reversed | fix-other | fix-original | commit | injected
    label: int
    keys: tuple[str, ...]
    lines: tuple[int, ...]  # the new-side line of each feature
    changed: tuple[int, ...]  # new-side lines the hunk touches
    bug_lines: tuple[int, ...]  # the buggy lines among them (positives)
    ref: str  # record sha + path + hunk index, to find the case again

    def to_json(self) -> str:
        return json.dumps(self.__dict__, separators=(",", ":"))

    @classmethod
    def from_json(cls, line: str) -> Example:
        data = json.loads(line)
        return cls(
            str(data["project"]),
            str(data["source"]),
            int(data["label"]),
            tuple(data["keys"]),
            tuple(data["lines"]),
            tuple(data["changed"]),
            tuple(data["bug_lines"]),
            str(data["ref"]),
        )


def reverse(hunk: Hunk) -> Hunk:
    """The same hunk applied the other way round (a fix as it was made)."""
    flip = {"add": "del", "del": "add", "ctx": "ctx"}
    lines = tuple(DiffLine(flip[ln.kind], ln.text, ln.new_no, ln.old_no) for ln in hunk.lines)  # type: ignore[arg-type]
    return Hunk(
        hunk.index,
        hunk.new_start,
        hunk.new_lines,
        hunk.old_start,
        hunk.old_lines,
        hunk.section,
        lines,
    )


def _example(
    project: str,
    source: str,
    path: str,
    hunk: Hunk,
    new: list[str],
    old: list[str],
    bad: set[int],
    ref: str,
) -> Example | None:
    edit = edit_of(path, hunk, new, old)
    if not edit.blocks:
        return None
    found = features(edit)
    changed = tuple(sorted(edit.changed_lines))
    bugs = tuple(n for n in changed if n in bad)
    label = 1 if bugs else 0
    return Example(
        project,
        source if label or source != "fix-reversed" else "fix-other",
        label,
        tuple(f.key for f in found),
        tuple(f.line for f in found),
        changed,
        bugs,
        ref,
    )


def fix_examples(record: dict[str, object], with_original: bool = True) -> Iterator[Example]:
    """A real fix's hunks turned around (bug-introducing), and the fix as it was made."""
    project = project_of(str(record["repo"]))
    try:
        diff = parse_diff(str(record["pr_diff"]))
    except DiffParseError:
        return
    files = record["files"]
    buggy = record["buggy_lines"]
    assert isinstance(files, dict) and isinstance(buggy, dict)
    for file in diff.files:
        text = files.get(file.path)
        if text is None or not file.path.endswith(".py"):
            continue
        new = str(text).split("\n")
        old = pre_image(new, file)
        bad = set(buggy.get(file.path, []))
        for hunk in file.hunks:
            ref = f"{record['sha']}:{file.path}:{hunk.index}"
            example = _example(project, "fix-reversed", file.path, hunk, new, old, bad, ref)
            if example is None:
                continue
            yield example
            if with_original and example.label:
                original = _example(
                    project, "fix-original", file.path, reverse(hunk), old, new, set(), ref
                )
                if original is not None:
                    yield original


def commit_examples(record: dict[str, object]) -> Iterator[Example]:
    project = project_of(str(record["repo"]))
    try:
        diff = parse_diff(str(record["diff"]))
    except DiffParseError:
        return
    files = record["files"]
    assert isinstance(files, dict)
    for file in diff.files:
        text = files.get(file.path)
        if text is None or not file.path.endswith(".py") or file.status == "deleted":
            continue
        new = str(text).split("\n")
        old = pre_image(new, file)
        for hunk in file.hunks:
            ref = f"{record['sha']}:{file.path}:{hunk.index}"
            example = _example(project, "commit", file.path, hunk, new, old, set(), ref)
            if example is not None:
                yield example


def injected_examples(
    project: str, path: str, source: str, rng: random.Random, per_file: int = 3
) -> Iterator[Example]:
    """Bugs injected into real functions, each applied to the file as a one-hunk edit."""
    old = source.split("\n")
    for injected in injected_files(source, rng, per_file):
        new = injected.lines
        patch = "".join(
            difflib.unified_diff(
                [line + "\n" for line in old],
                [line + "\n" for line in new],
                f"a/{path}",
                f"b/{path}",
                n=3,
            )
        )
        try:
            diff = parse_diff(f"diff --git a/{path} b/{path}\n{patch}")
        except DiffParseError:
            continue
        if not diff.files or len(diff.files[0].hunks) != 1:
            continue
        hunk = diff.files[0].hunks[0]
        ref = f"injected:{path}:{injected.function.name}:{injected.mutation.family}"
        example = _example(project, "injected", path, hunk, new, old, {injected.bug_line}, ref)
        if example is not None and example.label:
            yield example


def read_jsonl(path: Path) -> list[dict[str, object]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def fix_records(data: Path) -> list[dict[str, object]]:
    """The real fixes of both sets that change code, duplicates dropped."""
    records = read_jsonl(data / "fixes.jsonl.gz")
    second = data / "fixes2.jsonl.gz"
    if second.exists():
        kinds = read_jsonl(data / "fixes2.classes.jsonl")
        for record, kind in zip(read_jsonl(second), kinds, strict=True):
            if kind["kind"] == "code" and kind.get("duplicate_of") is None:
                records.append(record)
    return records


def commit_records(data: Path) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for path in sorted((data / "commits").glob("*.jsonl.gz")):
        out.extend(read_jsonl(path))
    return out


def build(
    data: Path, target: Path, seed: int = 7, injected_per_project: int = 600
) -> dict[str, int]:
    """All examples into `target` (JSON lines, gzip); returns counts by split and source."""
    rng = random.Random(seed)
    counts: dict[str, int] = {}
    commits = commit_records(data)
    target.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(target, "wt", encoding="utf-8") as out:

        def emit(example: Example) -> None:
            key = f"{split_of(example.project)}:{example.source}:{example.label}"
            counts[key] = counts.get(key, 0) + 1
            out.write(example.to_json() + "\n")

        for record in fix_records(data):
            for example in fix_examples(record):
                emit(example)
        by_project: dict[str, list[tuple[str, str]]] = {}
        for record in commits:
            for example in commit_examples(record):
                emit(example)
            files = record["files"]
            assert isinstance(files, dict)
            project = project_of(str(record["repo"]))
            for path, text in files.items():
                if path.endswith(".py") and len(text) < 200_000:
                    by_project.setdefault(project, []).append((path, text))
        for project, items in sorted(by_project.items()):
            if split_of(project) != "train":
                continue  # injected bugs only ever come from training projects
            rng.shuffle(items)
            made = 0
            for path, text in items:
                for example in injected_examples(project, path, text, rng):
                    emit(example)
                    made += 1
                if made >= injected_per_project:
                    break
    return counts


def load(path: Path) -> list[Example]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [Example.from_json(line) for line in handle]
