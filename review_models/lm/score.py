"""Surprisal of every new-side token of a diff, conditioned on the file before it (neural
window + in-file cache) and on the diff so far (removed lines everywhere, earlier hunks), so a
repeated change is cheap after its first occurrence.

Fast path (issue 19): the network runs in numpy (no torch import on the review path), only on
windows cut after their last used position and with vocabulary logits only where a surprisal
is used (the changed content tokens, and every token of a changed line without content); the
four caches are sorted arrays queried for all those tokens at once (`counts.py`). The values
are those of the per-token dict loop kept in `reference.py`, to floating-point rounding."""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.core.errors import ModelMissing
from review_models.lexer import Token, lex
from review_models.lm import counts
from review_models.lm.config import LMConfig
from review_models.lm.network import Network
from review_models.lm.vocab import BOS, UNK, Vocab, token_text
from review_models.lm.weights import read_state

__all__ = ["EntropyModel", "FileInput", "HunkEntropy", "HunkInput", "ModelMissing"]

WEIGHTS = Path(__file__).resolve().parents[1] / "weights"
# Neural context before a hunk: the whole file before it is in the cache already, and the
# network costs in proportion to its window (96 tokens: 1.46x the speed of 192 at the same
# separation AUC, see lm.md).
PREFIX_TOKENS = 96
# Concentration of the edit cache (the added lines of earlier hunks): small, because a change
# already made in this diff is strong evidence for the same change again. The file and diff
# caches hold every context token and removed line, so their counts dilute a repeat.
EDIT_BETA = 0.5


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
    scored: int  # all tokens in the hunk's range (those whose surprisal is used are computed)
    line_heat: tuple[tuple[int, float], ...]


@dataclass
class _Universe:
    """Every token sequence the caches see, laid end to end (files, removed lines, the added
    tokens of each piece), with each position's index inside its own sequence."""

    texts: list[str] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)

    def add(self, texts: Sequence[str]) -> int:
        start = len(self.texts)
        self.texts.extend(texts)
        self.offsets.extend(range(len(texts)))
        return start


@dataclass
class _Piece:
    """A hunk's tokens [lo, hi) of one file, scored in one network window."""

    file: int
    hunk: HunkInput
    lo: int
    hi: int
    window: tuple[list[int], int]  # (ids, window position of token lo)
    added_at: int = 0  # the piece's added tokens in the universe
    added_count: int = 0


Slot = tuple[tuple[str, int], int]  # (hunk key, index in that hunk's values)


@dataclass
class _Queries:
    """The tokens whose surprisal is used, in scoring order, and where each value goes. The
    lists are parallel (one entry per query in `rows`, `olds` and `slots`; one window per
    piece), so they are filled together, piece by piece, and travel as one."""

    intern: dict[str, int]  # token text -> the id the caches count it by
    rows: list[tuple[int, int, int, int, float]] = field(default_factory=list)  # see _surprisal
    olds: list[int] = field(default_factory=list)  # the removed token an added one replaces
    windows: list[tuple[list[int], list[int]]] = field(default_factory=list)
    slots: list[Slot] = field(default_factory=list)
    # Per hunk: (line, surprisal, on an added line, content token) for every token in range.
    values: dict[tuple[str, int], list[tuple[int, float, bool, bool]]] = field(default_factory=dict)
    new_content: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    spelling: dict[str, float] = field(default_factory=dict)  # factor of an unknown token

    def add_piece(
        self,
        index: int,
        piece: _Piece,
        lexed: tuple[list[Token], list[int], int],
        texts: list[str],
        old_of: list[str | None],
        needed: set[int],
        vocab: Vocab,
    ) -> None:
        """Queue the tokens of `piece` (the `index`th) that `needed` holds; record all of them."""
        tokens, vocab_ids, start = lexed
        hunk = piece.hunk
        out = self.values.setdefault(hunk.key, [])
        seen = self.new_content.setdefault(hunk.key, [])
        ids, first = piece.window
        positions: list[int] = []
        for i in range(piece.lo, piece.hi):
            token = tokens[i]
            on_added = token.line in hunk.added
            old = None
            if on_added and token.is_content:
                old = old_of[len(seen)] if len(seen) < len(old_of) else None
                seen.append(texts[start + i])
            if i in needed:
                factor = 1.0
                if vocab_ids[i] == UNK:
                    text = texts[start + i]
                    if text not in self.spelling:
                        self.spelling[text] = 2.0 ** -vocab.spelling_bits(text)
                    factor = self.spelling[text]
                self.rows.append((start + i, i, piece.file, index, factor))
                self.olds.append(
                    -1 if old is None else self.intern.setdefault(old, len(self.intern))
                )
                positions.append(first + i - piece.lo)
                self.slots.append((hunk.key, len(out)))
            out.append((token.line, float("nan"), on_added, token.is_content))
        self.windows.append((ids, positions))

    def fill(self, surprisal: np.ndarray) -> None:
        """Put each query's surprisal in its slot."""
        for (key, at), bits in zip(self.slots, surprisal.tolist(), strict=True):
            line, _, on_added, is_content = self.values[key][at]
            self.values[key][at] = (line, bits, on_added, is_content)


class EntropyModel:
    def __init__(self, network: Network, vocab: Vocab, meta: dict[str, object]) -> None:
        self.network = network
        self.config = network.config
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
        network = Network(LMConfig(**meta["config"]), read_state(paths[0]))
        return cls(network, Vocab.load(paths[2]), meta)

    @classmethod
    def from_torch(cls, model: Any, vocab: Vocab, meta: dict[str, object]) -> EntropyModel:
        """From a trained `CodeLM` (training and export: the scorer runs in numpy anyway)."""
        state = {k: v.detach().float().cpu().numpy() for k, v in model.state_dict().items()}
        return cls(Network(model.config, state), vocab, meta)

    # --- neural part ----------------------------------------------------------------------
    def _window(self, ids: list[int], first: int) -> tuple[list[int], int]:
        """A window as the network sees it: its last context + 1 tokens."""
        keep = self.config.context + 1
        if len(ids) <= keep:
            return ids, first
        cut = len(ids) - keep
        return ids[cut:], max(first - cut, 1)

    def neural_bits(self, windows: list[tuple[list[int], int]]) -> list[np.ndarray]:
        """For each (ids, first_scored) window: base surprisal (bits) of ids[first_scored:]."""
        shaped = [self._window(ids, first) for ids, first in windows]
        return self.network.window_bits([(ids, range(first, len(ids))) for ids, first in shaped])

    # --- the whole diff -------------------------------------------------------------------
    def score_files(self, files: Sequence[FileInput]) -> dict[tuple[str, int], HunkEntropy]:
        universe = _Universe()
        lexed: list[tuple[list[Token], list[int], int]] = []  # tokens, ids, universe start
        removed_at: list[int] = []
        for file in files:
            for hunk in file.hunks:
                for line in hunk.removed:
                    removed_at.append(universe.add([token_text(t) for t in lex(line)]))
        removed_end = len(universe.texts)
        pieces: list[_Piece] = []
        replaced: dict[tuple[str, int], list[str | None]] = {}
        piece_size = self.config.context - 64  # long hunks are cut into pieces that fit
        for file_index, file in enumerate(files):
            tokens = lex(file.text)
            texts = [token_text(t) for t in tokens]
            ids = [self.vocab.id(text) for text in texts]
            lexed.append((tokens, ids, universe.add(texts)))
            lines = [t.line for t in tokens]
            for hunk in sorted(file.hunks, key=lambda h: h.start):
                lo = _first_at_or_after(lines, hunk.start)
                hi = _first_at_or_after(lines, hunk.end + 1)
                if hi <= lo:
                    continue
                replaced[hunk.key] = _replaced(
                    hunk.removed,
                    [texts[i] for i in range(lo, hi) if _is_new_content(tokens[i], hunk)],
                )
                for cut in range(lo, hi, piece_size):
                    end = min(hi, cut + piece_size)
                    prefix_start = max(0, cut - PREFIX_TOKENS)
                    window = self._window([BOS, *ids[prefix_start:end]], 1 + cut - prefix_start)
                    pieces.append(_Piece(file_index, hunk, cut, end, window))
        for piece in pieces:
            tokens, _, start = lexed[piece.file]
            added = [
                universe.texts[start + i]
                for i in range(piece.lo, piece.hi)
                if tokens[i].line in piece.hunk.added
            ]
            piece.added_at = universe.add(added)
            piece.added_count = len(added)
        return self._score(files, universe, lexed, pieces, replaced, removed_end)

    def _score(
        self,
        files: Sequence[FileInput],
        universe: _Universe,
        lexed: list[tuple[list[Token], list[int], int]],
        pieces: list[_Piece],
        replaced: dict[tuple[str, int], list[str | None]],
        removed_end: int,
    ) -> dict[tuple[str, int], HunkEntropy]:
        intern: dict[str, int] = {}
        size = len(universe.texts)
        # The universe's texts are interned first, so their ids do not depend on the queries.
        tok = np.fromiter(
            (intern.setdefault(t, len(intern)) for t in universe.texts), np.int64, size
        )
        offsets = np.asarray(universe.offsets, dtype=np.int64)
        keys = counts.keys(tok, offsets)
        file_of = np.full(size, -1, dtype=np.int64)
        for index, (tokens, _, start) in enumerate(lexed):
            file_of[start : start + len(tokens)] = index
        diff_time = np.full(size, _NEVER, dtype=np.int64)  # when a position joins the diff cache
        diff_time[:removed_end] = -1
        edit_time = np.full(size, _NEVER, dtype=np.int64)
        queries = _Queries(intern)
        needed = _needed(lexed, pieces)
        for index, piece in enumerate(pieces):
            span = slice(piece.added_at, piece.added_at + piece.added_count)
            diff_time[span] = piece.file
            edit_time[span] = index
            queries.add_piece(
                index,
                piece,
                lexed[piece.file],
                universe.texts,
                replaced[piece.hunk.key],
                needed[index],
                self.vocab,
            )
        if queries.rows:
            times = (offsets, file_of, diff_time, edit_time)
            queries.fill(
                self._surprisal(queries.rows, queries.olds, queries.windows, tok, keys, times)
            )
        removed_of = {h.key: h.removed for f in files for h in f.hunks}
        return {
            key: _summarize(found, _changed(removed_of[key], queries.new_content.get(key, [])))
            for key, found in queries.values.items()
        }

    def _surprisal(
        self,
        rows: list[tuple[int, int, int, int, float]],
        olds: list[int],
        windows: list[tuple[list[int], list[int]]],
        tok: np.ndarray,
        keys: counts.Keys,
        times: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    ) -> np.ndarray:
        """The mixed surprisal of each query row (universe position, offset in its file, file,
        piece, spelling factor), in the order of cache.py's `mix` calls in the reference."""
        offsets, file_of, diff_time, edit_time = times
        table = np.asarray(rows, dtype=np.float64)
        pos = table[:, 0].astype(np.int64)
        q_offset, q_file, q_piece = (table[:, c].astype(np.int64) for c in (1, 2, 3))
        bits = np.concatenate(self.network.window_bits(windows))
        p = np.power(2.0, -bits) * table[:, 4]
        in_file = file_of >= 0
        in_diff = diff_time != _NEVER
        in_edit = edit_time != _NEVER
        for k in range(counts.ORDER):
            context, gram = keys.context[k], keys.gram[k]
            seen = in_file & (context >= 0)
            file_context = counts.pair(file_of, context, seen)
            file_gram = counts.pair(file_of, gram, seen)
            own = counts.stats(
                file_context[in_file],
                file_gram[in_file],
                offsets[in_file],
                file_context[pos],
                file_gram[pos],
                q_offset,
            )
            diff = counts.stats(
                context[in_diff], gram[in_diff], diff_time[in_diff], context[pos], gram[pos], q_file
            )
            p = counts.mix(p, own + diff, self.beta0 if k == 0 else self.beta)
        for k in range(1, counts.ORDER):
            context, gram = keys.context[k], keys.gram[k]
            edit = counts.stats(
                context[in_edit],
                gram[in_edit],
                edit_time[in_edit],
                context[pos],
                gram[pos],
                q_piece,
            )
            p = counts.mix(p, edit, EDIT_BETA)
        old = np.asarray(olds, dtype=np.int64)
        has = old >= 0
        if has.any():
            new = tok[pos[has]]
            pair = counts.pair(old[has], new, np.ones(int(has.sum()), dtype=bool))
            when = q_piece[has]
            swaps = counts.stats(old[has], pair, when, old[has], pair, when)
            p[has] = counts.mix(p[has], swaps, EDIT_BETA)
        out: np.ndarray = -np.log2(np.maximum(p, 1e-30))
        return out


_NEVER = np.iinfo(np.int64).max // 4  # a time no query reaches: the position is not in a cache


def _is_new_content(token: Token, hunk: HunkInput) -> bool:
    return token.line in hunk.added and token.is_content


def _needed(
    lexed: list[tuple[list[Token], list[int], int]], pieces: list[_Piece]
) -> list[set[int]]:
    """Per piece, the tokens whose surprisal `_summarize` reads: a hunk's added content
    tokens, every added token of a line without one, and all added tokens of a hunk without
    any content (entropy then falls back to them)."""
    out: list[set[int]] = [set() for _ in pieces]
    by_hunk: dict[tuple[str, int], list[int]] = {}
    for index, piece in enumerate(pieces):
        by_hunk.setdefault(piece.hunk.key, []).append(index)
    for members in by_hunk.values():
        hunk = pieces[members[0]].hunk
        tokens = lexed[pieces[members[0]].file][0]
        added = [
            (n, i)
            for n in members
            for i in range(pieces[n].lo, pieces[n].hi)
            if tokens[i].line in hunk.added
        ]
        with_content = {tokens[i].line for _, i in added if tokens[i].is_content}
        for n, i in added:
            token = tokens[i]
            if token.is_content or token.line not in with_content or not with_content:
                out[n].add(i)
    return out


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
