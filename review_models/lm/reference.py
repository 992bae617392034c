"""The scorer as it was written first: per-token dict caches updated one token at a time
(`review_models.lm.cache`). Slow (the GIL-bound loop issue 19 measured at 7.5k tokens/s), and
kept as the specification the array scorer in `score.py` is tested against: same windows, same
caches, same mixing order, so the two agree to floating-point rounding."""

from __future__ import annotations

import math
from collections.abc import Sequence

from review_models.lexer import Token, lex
from review_models.lm.cache import NGramCache, mix
from review_models.lm.score import (
    EDIT_BETA,
    PREFIX_TOKENS,
    EntropyModel,
    FileInput,
    HunkEntropy,
    HunkInput,
    _changed,
    _first_at_or_after,
    _replaced,
    _summarize,
)
from review_models.lm.vocab import BOS, UNK, token_text


def reference_scores(
    self: EntropyModel, files: Sequence[FileInput]
) -> dict[tuple[str, int], HunkEntropy]:
    """The scores as the per-token dict caches give them (the fast scorer's specification).

    Long: a reference implementation, kept deliberately as the one per-token loop the fast
    path in `score.py` is checked against; split up, it would no longer read as the
    specification it is.
    """
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
            piece = self.config.context - 64
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
