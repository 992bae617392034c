"""Surprisal of every new-side token of a diff, conditioned on the file before it (neural
window + in-file cache) and on the diff so far (removed lines everywhere, earlier hunks), so a
repeated change is cheap after its first occurrence."""

from __future__ import annotations

import difflib
import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from review_models.lexer import Token, lex
from review_models.lm.cache import NGramCache, mix
from review_models.lm.model import CodeLM, LMConfig
from review_models.lm.vocab import BOS, UNK, Vocab, token_text

WEIGHTS = Path(__file__).resolve().parents[1] / "weights"
# Neural context before a hunk: the whole file before it is in the cache already, and the
# network costs in proportion to its window (96 tokens: 1.46x the speed of 192 at the same
# separation AUC, see lm.md).
PREFIX_TOKENS = 96
# Concentration of the edit cache (the added lines of earlier hunks): small, because a change
# already made in this diff is strong evidence for the same change again. The file and diff
# caches hold every context token and removed line, so their counts dilute a repeat.
EDIT_BETA = 0.5
BATCH = 32


class ModelMissing(RuntimeError):
    """The shipped LM weights are not there."""


@dataclass(frozen=True)
class HunkInput:
    """One hunk as the scorer needs it."""

    key: tuple[str, int]
    start: int  # first new-side line of the hunk
    end: int  # last new-side line
    added: frozenset[int]  # added new-side lines
    removed: tuple[str, ...]  # removed lines' text


@dataclass(frozen=True)
class FileInput:
    path: str
    text: str  # post-image (or a partial view from the hunks)
    hunks: tuple[HunkInput, ...]


@dataclass(frozen=True)
class HunkEntropy:
    entropy: float  # mean surprisal (bits) of the changed content tokens
    tokens: int  # changed content tokens counted
    scored: int  # all tokens scored
    line_heat: tuple[tuple[int, float], ...]


class EntropyModel:
    def __init__(self, model: CodeLM, vocab: Vocab, meta: dict[str, object]) -> None:
        self.model = model
        self.vocab = vocab
        self.meta = meta
        self.beta = float(meta.get("beta", 1.0))  # type: ignore[arg-type]
        self.beta0 = float(meta.get("beta0", 4.0))  # type: ignore[arg-type]
        self.version = str(meta.get("version", "untrained"))
        thresholds = meta.get("thresholds", {})
        self.dense = float(thresholds.get("dense", 6.0)) if isinstance(thresholds, dict) else 6.0
        self.predictable = (
            float(thresholds.get("predictable", 0.5)) if isinstance(thresholds, dict) else 0.5
        )

    @classmethod
    def load(cls, directory: Path = WEIGHTS) -> EntropyModel:
        paths = [directory / n for n in ("lm.pt", "lm.json", "lm-vocab.json")]
        if not all(p.exists() for p in paths):
            raise ModelMissing(f"LM weights not found in {directory}; run `redline train lm`")
        meta = json.loads(paths[1].read_text(encoding="utf-8"))
        model = CodeLM(LMConfig(**meta["config"]))
        state = torch.load(paths[0], map_location="cpu", weights_only=True)
        model.load_state_dict(
            {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
        )
        model.eval()
        return cls(model, Vocab.load(paths[2]), meta)

    # --- neural part ----------------------------------------------------------------------
    def neural_bits(self, windows: list[tuple[list[int], int]]) -> list[np.ndarray]:
        """For each (ids, first_scored) window: base surprisal (bits) of ids[first_scored:]."""
        context = self.model.config.context
        out: list[np.ndarray | None] = [None] * len(windows)
        order = sorted(range(len(windows)), key=lambda i: len(windows[i][0]))
        with torch.inference_mode():
            for start in range(0, len(order), BATCH):
                chunk = order[start : start + BATCH]
                length = max(len(windows[i][0]) for i in chunk)
                length = min(length, context + 1)
                grid = np.zeros((len(chunk), length), dtype=np.int64)
                for b, i in enumerate(chunk):
                    ids = windows[i][0][-length:]
                    grid[b, : len(ids)] = ids
                ids_t = torch.from_numpy(grid)
                hidden = self.model.hidden(ids_t[:, :-1])
                for b, i in enumerate(chunk):
                    ids, first = windows[i]
                    trimmed = len(ids) - min(len(ids), length)
                    first_local = max(first - trimmed, 1)
                    positions = torch.arange(first_local - 1, min(len(ids), length) - 1)
                    logp = torch.log_softmax(self.model.logits(hidden[b, positions]), dim=-1)
                    targets = ids_t[b, positions + 1]
                    bits = -logp.gather(1, targets.unsqueeze(1)).squeeze(1) / math.log(2)
                    out[i] = bits.numpy()
        return [o if o is not None else np.zeros(0) for o in out]

    # --- the whole diff -------------------------------------------------------------------
    def score_files(self, files: Sequence[FileInput]) -> dict[tuple[str, int], HunkEntropy]:
        lexed: list[tuple[FileInput, list[Token], list[int], list[str]]] = []
        windows: list[tuple[list[int], int]] = []
        plans: list[tuple[int, HunkInput, int, int, int]] = []  # file, hunk, lo, hi, window
        diff_cache = NGramCache()
        edit_cache = NGramCache()
        # Substitutions made by earlier hunks (old token -> new token): a rename or a changed
        # call at a site whose neighbours differ is still the same edit.
        substitutions = NGramCache()
        replaced: dict[tuple[str, int], list[str | None]] = {}
        for file in files:
            for hunk in file.hunks:
                for line in hunk.removed:
                    diff_cache.add_sequence([token_text(t) for t in lex(line)])
        for file_index, file in enumerate(files):
            tokens = lex(file.text)
            file_texts = [token_text(t) for t in tokens]
            ids = [self.vocab.id(text) for text in file_texts]
            lexed.append((file, tokens, ids, file_texts))
            lines = [t.line for t in tokens]
            for hunk in sorted(file.hunks, key=lambda h: h.start):
                lo = _first_at_or_after(lines, hunk.start)
                hi = _first_at_or_after(lines, hunk.end + 1)
                if hi <= lo:
                    continue
                new_content = [
                    token_text(t) for t in tokens[lo:hi] if t.line in hunk.added and t.is_content
                ]
                replaced[hunk.key] = _replaced(hunk.removed, new_content)
                # Long hunks are cut into pieces that fit the model's context.
                piece = self.model.config.context - 64
                for cut in range(lo, hi, piece):
                    end = min(hi, cut + piece)
                    prefix_start = max(0, cut - PREFIX_TOKENS)
                    window_ids = [BOS, *ids[prefix_start:end]]
                    windows.append((window_ids, 1 + cut - prefix_start))
                    plans.append((file_index, hunk, cut, end, len(windows) - 1))
        base_bits = self.neural_bits(windows)
        unk_cost = {}
        results: dict[tuple[str, int], list[tuple[int, float, bool, bool]]] = {}
        added_texts: dict[tuple[str, int], list[str]] = {}
        removed_of = {h.key: h.removed for f in files for h in f.hunks}
        file_cache_for: dict[int, NGramCache] = {}
        consumed: dict[int, int] = {}
        pending_by_file: dict[int, list[list[str]]] = {}
        last_file = -1
        for file_index, hunk, lo, hi, window in plans:
            file, tokens, ids, texts = lexed[file_index]
            if file_index != last_file:
                if last_file >= 0:
                    for sequence in pending_by_file.pop(last_file, []):
                        diff_cache.add_sequence(sequence)
                last_file = file_index
            cache = file_cache_for.setdefault(file_index, NGramCache())
            start = consumed.get(file_index, 0)
            for index in range(start, lo):
                cache.add(texts[max(0, index - 3) : index], texts[index])
            consumed[file_index] = max(start, lo)
            bits = base_bits[window]
            scored = results.setdefault(hunk.key, [])
            added_tokens: list[str] = []
            pending_substitutions: list[tuple[str, str]] = []
            for offset, index in enumerate(range(lo, hi)):
                token = tokens[index]
                text = texts[index]
                base = 2.0 ** -float(bits[offset]) if offset < len(bits) else 1e-6
                if ids[index] == UNK:
                    if text not in unk_cost:
                        unk_cost[text] = 2.0 ** -self.vocab.spelling_bits(text)
                    base *= unk_cost[text]
                history = texts[max(0, index - 3) : index]
                p = mix([cache, diff_cache], history, text, base, self.beta, self.beta0)
                p = mix([edit_cache], history, text, p, EDIT_BETA, None, min_order=1)
                on_added = token.line in hunk.added
                old: str | None = None
                if on_added and token.is_content:
                    ordinal = len(added_texts.get(hunk.key, []))
                    olds = replaced[hunk.key]
                    old = olds[ordinal] if ordinal < len(olds) else None
                    if old is not None:
                        p = mix([substitutions], [f"\x00{old}"], text, p, EDIT_BETA, None, 1)
                surprisal = -math.log2(max(p, 1e-30))
                scored.append((token.line, surprisal, on_added, token.is_content))
                cache.add(history, text)
                if on_added:
                    added_tokens.append(text)
                    if token.is_content:
                        added_texts.setdefault(hunk.key, []).append(text)
                    if old is not None:
                        pending_substitutions.append((old, text))
            consumed[file_index] = max(consumed[file_index], hi)
            for old_text, new_text in pending_substitutions:
                substitutions.add([f"\x00{old_text}"], new_text)
            if added_tokens:
                edit_cache.add_sequence(added_tokens)
                pending_by_file.setdefault(file_index, []).append(added_tokens)
        return {
            key: _summarize(values, _changed(removed_of[key], added_texts.get(key, [])))
            for key, values in results.items()
        }


def _first_at_or_after(lines: list[int], line: int) -> int:
    import bisect

    return bisect.bisect_left(lines, line)


def _replaced(removed: Sequence[str], added: list[str]) -> list[str | None]:
    """For each added content token, the removed token it replaced (None: kept or inserted)."""
    before = _content_tokens(removed)
    out: list[str | None] = [None] * len(added)
    matcher = difflib.SequenceMatcher(a=before, b=added, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "replace":
            for j in range(j1, j2):
                out[j] = before[i1 + min(j - j1, i2 - i1 - 1)]
    return out


@functools.lru_cache(maxsize=4096)
def _content_tokens_cached(lines: tuple[str, ...]) -> tuple[str, ...]:
    source = "\n".join(line.strip() for line in lines)
    return tuple(token_text(t) for t in lex(source, layout=False) if t.is_content)


def _content_tokens(lines: Sequence[str]) -> list[str]:
    return list(_content_tokens_cached(tuple(lines)))


def _changed(removed: Sequence[str], added: list[str]) -> list[bool]:
    """Which added content tokens the edit changed: a rewritten line keeps most of its
    tokens, and only the new ones carry the edit's information."""
    before = _content_tokens(removed)
    mask = [True] * len(added)
    matcher = difflib.SequenceMatcher(a=before, b=added, autojunk=False)
    for block in matcher.get_matching_blocks():
        for j in range(block.b, block.b + block.size):
            mask[j] = False
    return mask


def _summarize(values: list[tuple[int, float, bool, bool]], changed: list[bool]) -> HunkEntropy:
    content = [s for _, s, added, is_content in values if added and is_content]
    # Entropy is the surprisal of what the edit changed; when it only removed or reordered
    # tokens, of all its added content.
    if len(changed) == len(content) and any(changed):
        content = [s for s, new in zip(content, changed, strict=True) if new]
    added_all = [s for _, s, added, _ in values if added]
    per_line: dict[int, list[float]] = {}
    per_line_all: dict[int, list[float]] = {}
    for line, s, added, is_content in values:
        if added:
            per_line_all.setdefault(line, []).append(s)
            if is_content:
                per_line.setdefault(line, []).append(s)
    heat = tuple(
        sorted(
            (line, float(np.mean(per_line.get(line) or all_values)))
            for line, all_values in per_line_all.items()
        )
    )
    entropy = (
        float(np.mean(content)) if content else (float(np.mean(added_all)) if added_all else 0.0)
    )
    return HunkEntropy(entropy, len(content), len(values), heat)


@functools.lru_cache(maxsize=1)
def shared_model() -> EntropyModel:
    # No flush-to-zero here: it is process-wide, and only training needs it.
    return EntropyModel.load()
