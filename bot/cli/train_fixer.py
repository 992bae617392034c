"""`redline train fixer`: build the fix model's training pairs and train it.

The pairs are built here, at the command layer, because they come from two packages the engine
may not import: the bug injector (review_models.inject) on the training packages of the
corpus, and the real fixes in `--data` (fixes*.jsonl.gz, fixed and buggy turned around; whole
projects held out). Nothing built here is committed: it lives in `--work`.
"""

from __future__ import annotations

import ast
import gzip
import itertools
import json
import random
import time
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
VERSION = "2026.12.01"


def injected_pairs(split: str, limit: int, seed: int, per_file: int = 2) -> Iterator[object]:
    """Injected bugs in functions of corpus files of `split` (train, val or test packages)."""
    from engine.training.data import Pair, family_message
    from review_models.corpus import collect, read_source
    from review_models.facts import functions, module_facts
    from review_models.inject import mutate

    rng = random.Random(seed)
    files = [f for f in collect() if f.split == split]
    rng.shuffle(files)
    made = 0
    for item in files:
        source = read_source(item)
        if source is None or len(source) > 60_000:
            continue
        try:
            module = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError):
            continue
        facts = module_facts(module, source)
        candidates = functions(module)
        rng.shuffle(candidates)
        old = source.split("\n")
        for func in candidates[:per_file]:
            mutation = mutate(source, facts, func, rng)
            if mutation is None:
                continue
            first = min([func.lineno, *(d.lineno for d in func.decorator_list)])
            end = func.end_lineno or func.lineno
            snippet = mutation.source.split("\n")
            if snippet and snippet[-1] == "":
                snippet = snippet[:-1]
            buggy = "\n".join(old[: first - 1] + snippet + old[end:])
            if buggy == source:
                continue
            line = first + mutation.line - 1
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


def build_tokenizer(work: Path, log: object) -> object:
    from engine.model.tokenizer import Tokenizer, train
    from review_models.corpus import collect, read_source

    path = work / "tokenizer.json"
    if path.exists():
        return Tokenizer.load(path)
    files = [f for f in collect() if f.split == "train"]
    random.Random(1).shuffle(files)
    texts = []
    size = 0
    for item in files:
        text = read_source(item)
        if text:
            texts.append(text)
            size += len(text)
        if size > 4_000_000:
            break
    tokenizer = train(texts, 4096)
    tokenizer.save(path)
    return tokenizer


def run(
    work: Path, data: Path | None, hours: float, threads: int, steps: int | None, export: bool
) -> int:
    import torch

    from engine.model.net import Config
    from engine.model.weights import save, shipped_dir
    from engine.training.data import examples, shuffled
    from engine.training.train import Plan, answer_loss, train

    torch.set_num_threads(threads)
    work.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    log_file = (work / "train.log").open("a", encoding="utf-8")

    def log(message: str) -> None:
        print(message, flush=True)
        log_file.write(message + "\n")
        log_file.flush()

    tokenizer = build_tokenizer(work, log)
    log(f"tokenizer: {tokenizer.vocab_size} tokens ({time.monotonic() - started:.0f} s)")  # type: ignore[attr-defined]
    config = Config(vocab_size=tokenizer.vocab_size)  # type: ignore[attr-defined]
    cached = work / "examples.pt"
    if cached.exists():
        sets = torch.load(cached, weights_only=False)
    else:
        pairs: list[object] = list(injected_pairs("train", 3500, seed=0))
        if data is not None:
            pairs += list(itertools.islice(real_pairs(data, held_out=False), 2500))
        made = list(examples(pairs, tokenizer, config.context, 256))  # type: ignore[arg-type]
        val = list(examples(injected_pairs("val", 200, seed=1), tokenizer, config.context, 256))  # type: ignore[arg-type]
        sets = {"train": shuffled(made, 0), "val": val}
        torch.save(sets, cached)
    counts: dict[str, int] = {}
    for example in sets["train"]:
        key = example.origin.split(":")[0]
        counts[key] = counts.get(key, 0) + 1
    log(f"examples: {counts}, val {len(sets['val'])} ({time.monotonic() - started:.0f} s)")
    data_minutes = (time.monotonic() - started) / 60
    model, figures = train(
        config, sets["train"], sets["val"], work, Plan(hours=hours, max_steps=steps), log
    )
    figures["data_minutes"] = data_minutes
    figures["train_examples"] = float(len(sets["train"]))
    figures["val_answer_loss"] = answer_loss(model, sets["val"])
    log(json.dumps(figures))
    if export:
        meta = {
            "figures": figures,
            "examples": counts,
            "held_out_projects": sorted(HELD_OUT_PROJECTS),
        }
        save(model, tokenizer, shipped_dir(), VERSION, meta)  # type: ignore[arg-type]
        log(f"exported to {shipped_dir()}")
    return 0
