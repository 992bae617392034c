"""Training examples for the detector.

Synthetic: a real function with one injected bug (positive) and the same function untouched
with the same lines marked changed (its hard-negative twin), plus clean functions with random
changed spans. A third of the examples mark the whole function changed (new code), the rest a
few lines around the bug, as hunks do.

Real: the bug-introducing diffs of ../shared/data/fixes.jsonl.gz, one window per hunk.

Examples are stored packed: one int16 row per token, per-example scalars beside."""

from __future__ import annotations

import ast
import gzip
import json
import multiprocessing
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.core.model import Hunk
from review_models.corpus import SourceFile, read_source
from review_models.detector.features import MAX_LEN, REPAIR_ID, Window, crop
from review_models.detector.windows import windows_for
from review_models.inject import FAMILIES, TOKEN_REPAIR, Mutation, functions, module_facts, mutate
from review_models.lexer import Token, lex

# Token row columns.
COLS = ("tok", "sub_a", "sub_b", "kind", "chg", "loc", "ptr", "line")
FAMILY_ID = {f: i for i, f in enumerate(FAMILIES)}
REPAIR_EXTRA = ("<inc>", "<dec>")
REPAIR_SIZE = len(REPAIR_ID) + len(REPAIR_EXTRA)
_IDENT = re.compile(r"^[A-Za-z_]\w*$|^\d+$")


@dataclass
class Example:
    rows: np.ndarray  # (tokens, len(COLS)) int16
    label: int
    family: int  # -1 for clean
    repair: int  # index in the repair vocabulary, or -1
    has_ptr: int  # whether `ptr` marks pointer targets


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for index, char in enumerate(text):
        if char == "\n":
            starts.append(index + 1)
    return starts


def _pos(starts: list[int], offset: int) -> tuple[int, int]:
    import bisect

    line = bisect.bisect_right(starts, offset)
    return line, offset - starts[line - 1]


def encode(
    window: Window, loc: list[bool] | None = None, ptr: list[bool] | None = None
) -> np.ndarray:
    toks, sub_a, sub_b, kinds, changed = window.encode()
    count = len(toks)
    rows = np.zeros((count, len(COLS)), dtype=np.int16)
    rows[:, 0] = toks
    rows[:, 1] = sub_a
    rows[:, 2] = sub_b
    rows[:, 3] = kinds
    rows[:, 4] = changed
    if loc is not None:
        rows[:, 5] = loc
    if ptr is not None:
        rows[:, 6] = ptr
    rows[:, 7] = [min(t.line - window.first_line, 32000) for t in window.tokens]
    return rows


def _repair_target(
    mutation: Mutation, tokens: list[Token], loc: list[bool]
) -> tuple[int, list[bool] | None]:
    if mutation.family not in TOKEN_REPAIR:
        return -1, None
    original = mutation.original.strip()
    buggy = mutation.buggy.strip()
    if original.isdigit() and buggy.isdigit() and abs(int(original) - int(buggy)) == 1:
        index = REPAIR_EXTRA.index("<inc>" if int(original) > int(buggy) else "<dec>")
        return len(REPAIR_ID) + index, None
    if original in REPAIR_ID:
        return REPAIR_ID[original], None
    if _IDENT.match(original):
        ptr = [t.text == original and not loc[i] for i, t in enumerate(tokens)]
        if any(ptr):
            return -1, ptr
    return -1, None


def synthetic_examples(
    item: SourceFile, rng: random.Random, per_file: int = 6
) -> Iterator[Example]:
    source = read_source(item)
    if source is None:
        return
    try:
        module = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return
    facts = module_facts(module, source)
    candidates = functions(module)
    rng.shuffle(candidates)
    for func in candidates[:per_file]:
        first = min([func.lineno, *(d.lineno for d in func.decorator_list)])
        original = "\n".join(source.splitlines()[first - 1 : func.end_lineno])
        if rng.random() < 0.6:
            mutation = mutate(source, facts, func, rng)
            if mutation is None:
                continue
            yield from _pair(original, mutation, rng)
        else:
            lines = original.split("\n")
            yield from _clean(lines, _span(len(lines), rng.randrange(1, len(lines) + 1), rng))


def _span(total: int, around: int, rng: random.Random) -> set[int]:
    if rng.random() < 0.35:
        return set(range(1, total + 1))
    size = rng.choice((1, 1, 1, 2, 2, 3, 4, 6))
    start = max(1, around - rng.randrange(size))
    return set(range(start, min(total, start + size - 1) + 1))


def _window(lines: list[str], changed: set[int]) -> tuple[list[Token], list[bool], int, int]:
    tokens = lex("\n".join(lines) + "\n")
    flags = [t.line in changed for t in tokens]
    lo, hi = crop(tokens, flags)
    return tokens[lo:hi], flags[lo:hi], lo, hi


def _clean(lines: list[str], changed: set[int]) -> Iterator[Example]:
    tokens, flags, _, _ = _window(lines, changed)
    if any(flags):
        yield Example(encode(Window(tuple(tokens), tuple(flags), 1)), 0, -1, -1, 0)


def _pair(original: str, mutation: Mutation, rng: random.Random) -> Iterator[Example]:
    mutated_lines = mutation.source.split("\n")
    changed = _span(len(mutated_lines), mutation.line, rng)
    changed.add(mutation.line)
    tokens, flags, _, _ = _window(mutated_lines, changed)
    starts = _line_starts(mutation.source)
    start_line, start_col = _pos(starts, mutation.start)
    end_line, end_col = _pos(starts, mutation.end)
    loc = []
    for token in tokens:
        if mutation.start == mutation.end:  # a deletion: the tokens on either side of the gap
            hit = token.line == start_line and (
                token.end_col == start_col or token.col == start_col
            )
        else:
            after_start = (token.line, token.end_col) > (start_line, start_col)
            before_end = (token.line, token.col) < (end_line, end_col)
            hit = after_start and before_end
        loc.append(hit and token.kind not in ("indent", "nl"))
    if not any(loc) or not any(f and hit for f, hit in zip(flags, loc, strict=True)):
        return
    repair, ptr = _repair_target(mutation, tokens, loc)
    window = Window(tuple(tokens), tuple(flags), 1)
    yield Example(
        encode(window, loc, ptr), 1, FAMILY_ID[mutation.family], repair, int(ptr is not None)
    )
    # The clean twin: same function, same lines marked changed.
    clean_lines = original.split("\n")
    tokens_c, flags_c, _, _ = _window(clean_lines, changed)
    if any(flags_c):
        yield Example(encode(Window(tuple(tokens_c), tuple(flags_c), 1)), 0, -1, -1, 0)


def _worker(args: tuple[list[SourceFile], int, int]) -> list[Example]:
    items, seed, per_file = args
    rng = random.Random(seed)
    out: list[Example] = []
    for item in items:
        try:
            out.extend(synthetic_examples(item, rng, per_file))
        except (RecursionError, ValueError, IndexError):
            continue
    return out


def build_synthetic(
    files: list[SourceFile],
    target: Path,
    seed: int,
    per_file: int = 6,
    processes: int = 2,
    progress: bool = True,
) -> int:
    """Generate examples for `files` into `target` (.npz); returns the example count."""
    rng = random.Random(seed)
    files = list(files)
    rng.shuffle(files)
    chunks = [(files[i : i + 200], seed * 1000 + i, per_file) for i in range(0, len(files), 200)]
    examples: list[Example] = []
    from tqdm import tqdm

    with multiprocessing.get_context("fork").Pool(processes) as pool:
        for batch in tqdm(
            pool.imap(_worker, chunks),
            total=len(chunks),
            disable=not progress,
            desc=f"examples {target.stem}",
            unit="chunk",
        ):
            examples.extend(batch)
    save(examples, target)
    return len(examples)


def save(examples: list[Example], target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    lengths = np.array([len(e.rows) for e in examples], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    rows = (
        np.concatenate([e.rows for e in examples])
        if examples
        else np.zeros((0, len(COLS)), np.int16)
    )
    np.savez(
        target,
        rows=rows,
        offsets=offsets,
        label=np.array([e.label for e in examples], np.int8),
        family=np.array([e.family for e in examples], np.int16),
        repair=np.array([e.repair for e in examples], np.int16),
        has_ptr=np.array([e.has_ptr for e in examples], np.int8),
    )


@dataclass
class Packed:
    rows: np.ndarray
    offsets: np.ndarray
    label: np.ndarray
    family: np.ndarray
    repair: np.ndarray
    has_ptr: np.ndarray

    def __len__(self) -> int:
        return len(self.label)

    @classmethod
    def load(cls, path: Path) -> Packed:
        data = np.load(path)
        return cls(
            data["rows"],
            data["offsets"],
            data["label"],
            data["family"],
            data["repair"],
            data["has_ptr"],
        )

    def example(self, index: int) -> np.ndarray:
        return self.rows[self.offsets[index] : self.offsets[index + 1]]


# --- real bug-introducing diffs -----------------------------------------------------------


def real_fix_records(path: Path) -> list[dict[str, object]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def real_examples(record: dict[str, object]) -> list[Example]:
    """One example per hunk of the record's diff; positive where the hunk holds a buggy line."""
    from bot.core.diff import parse_diff

    diff = parse_diff(str(record["pr_diff"]))
    files = record["files"]
    buggy = record["buggy_lines"]
    assert isinstance(files, dict) and isinstance(buggy, dict)
    out = []
    for file in diff.files:
        text = files.get(file.path)
        if text is None or not file.path.endswith(".py"):
            continue
        lines = str(text).split("\n")
        bad = set(buggy.get(file.path, []))
        for hunk in file.hunks:
            touched = set(hunk.touched_new_lines)
            if not touched:
                continue
            positive = False
            for window in windows_for(lines, touched):
                hit = [
                    t.line in bad and t.kind not in ("indent", "nl") and changed
                    for t, changed in zip(window.tokens, window.changed, strict=True)
                ]
                label = int(any(hit))
                positive = positive or bool(label)
                out.append(Example(encode(window, hit if label else None), label, -1, -1, 0))
            if positive:
                # The hard-negative twin: the same place with the real fix applied.
                fixed, fixed_changed = _apply_reverse(lines, hunk)
                for window in windows_for(fixed, fixed_changed):
                    out.append(Example(encode(window), 0, -1, -1, 0))
    return out


def _apply_reverse(lines: list[str], hunk: Hunk) -> tuple[list[str], set[int]]:
    """The file before the bug-introducing hunk, and the lines the fix changed there."""
    segment: list[str] = []
    changed: set[int] = set()
    for line in hunk.lines:
        if line.kind == "add":
            continue
        segment.append(line.text)
        if line.kind == "del":
            changed.add(hunk.new_start + len(segment) - 1)
    start = hunk.new_start - 1 if hunk.new_lines else hunk.new_start
    fixed = lines[:start] + segment + lines[start + hunk.new_lines :]
    if not changed:  # the fix deleted code: mark the lines around the gap
        gap = hunk.new_start + sum(
            1
            for ln in hunk.lines
            if ln.kind == "ctx"
            and (ln.new_no or 0) < min(hunk.added_line_numbers or {hunk.new_start})
        )
        changed = {max(1, gap - 1), gap}
    return fixed, changed


def build_real(records: list[dict[str, object]], target: Path) -> int:
    examples = [e for record in records for e in real_examples(record)]
    save(examples, target)
    return len(examples)


def lengths_ok(packed: Packed) -> bool:
    return bool(np.all(np.diff(packed.offsets) <= MAX_LEN))
