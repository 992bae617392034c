"""The code LM's forward pass in numpy, for inference: the same computation as
`review_models.lm.model.CodeLM` (pre-norm transformer layers, exact GELU, tied output
embeddings) on the same weights, without importing torch on the review path.

Measured before choosing (docs/speed.md): torch eager costs ~1.5 s of import and ~300 MB before
the first token; int8 dynamic quantisation of torch's encoder layer fails on this torch and
would move the scores; this float32 numpy pass agrees with torch to ~1e-5 bits per token and
runs at the same speed or faster, because only the positions whose surprisal is used are
turned into vocabulary logits."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from review_models.lm.config import LMConfig

LOGIT_ROWS = 1024  # vocabulary logits computed this many rows at a time (32 MB of float32)
BATCH_TOKENS = 6144  # window tokens per forward batch (padding included)
BATCH_WINDOWS = 32

# erf as a rational function on [-4, 4] (beyond it erf is +-1 in float32): the float32
# approximation Eigen and XLA use, within a few ulp of erf, so GELU matches torch's exact one.
_ERF_ALPHA = (
    -2.72614225801306e-10,
    2.77068142495902e-08,
    -2.10102402082508e-06,
    -5.69250639462346e-05,
    -7.34990630326855e-04,
    -2.95459980854025e-03,
    -1.60960333262415e-02,
)
_ERF_BETA = (
    -1.45660718464996e-05,
    -2.13374055278905e-04,
    -1.68282697438203e-03,
    -7.37332916720468e-03,
    -1.42647390514189e-02,
)


def _erf(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, -4.0, 4.0)
    x2 = x * x
    p = np.full_like(x, _ERF_ALPHA[0])
    for c in _ERF_ALPHA[1:]:
        p *= x2
        p += np.float32(c)
    p *= x
    q = np.full_like(x, _ERF_BETA[0])
    for c in _ERF_BETA[1:]:
        q *= x2
        q += np.float32(c)
    return np.asarray(p / q)


def _gelu(x: np.ndarray) -> np.ndarray:
    return np.asarray(
        x * (np.float32(0.5) * (np.float32(1.0) + _erf(x * np.float32(1.0 / math.sqrt(2.0)))))
    )


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = np.mean(centred * centred, axis=-1, keepdims=True)
    out: np.ndarray = centred / np.sqrt(var + np.float32(1e-5)) * weight + bias
    return out


class Network:
    """The LM in float32 numpy arrays. `hidden` takes right-padded id grids (the mask is
    causal, so padding after a window never changes its positions)."""

    def __init__(self, config: LMConfig, state: Mapping[str, np.ndarray]) -> None:
        self.config = config
        f = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in state.items()}
        self.embed = f["embed.weight"]
        self.embed_t = np.ascontiguousarray(self.embed.T)
        self.pos = f["pos.weight"]
        self.layers = []
        for i in range(config.layers):
            p = f"blocks.layers.{i}."
            self.layers.append(
                (
                    f[p + "norm1.weight"],
                    f[p + "norm1.bias"],
                    np.ascontiguousarray(f[p + "self_attn.in_proj_weight"].T),
                    f[p + "self_attn.in_proj_bias"],
                    np.ascontiguousarray(f[p + "self_attn.out_proj.weight"].T),
                    f[p + "self_attn.out_proj.bias"],
                    f[p + "norm2.weight"],
                    f[p + "norm2.bias"],
                    np.ascontiguousarray(f[p + "linear1.weight"].T),
                    f[p + "linear1.bias"],
                    np.ascontiguousarray(f[p + "linear2.weight"].T),
                    f[p + "linear2.bias"],
                )
            )
        self.norm = (f["norm.weight"], f["norm.bias"])
        context = config.context
        self.causal = np.triu(np.full((context, context), -np.inf, dtype=np.float32), 1)

    def hidden(self, ids: np.ndarray) -> np.ndarray:
        """(batch, length) ids -> (batch, length, dim) final hidden states."""
        batch, length = ids.shape
        heads = self.config.heads
        head_dim = self.config.dim // heads
        scale = np.float32(1.0 / math.sqrt(head_dim))
        x = self.embed[ids] + self.pos[:length]
        mask = self.causal[:length, :length]
        for n1w, n1b, w_in, b_in, w_out, b_out, n2w, n2b, w1, b1, w2, b2 in self.layers:
            h = _layer_norm(x, n1w, n1b)
            qkv = h @ w_in + b_in
            qkv = qkv.reshape(batch, length, 3, heads, head_dim).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            scores = (q * scale) @ k.transpose(0, 1, 3, 2) + mask
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            attended = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, -1)
            x = x + (attended @ w_out + b_out)
            h = _layer_norm(x, n2w, n2b)
            x = x + (_gelu(h @ w1 + b1) @ w2 + b2)
        return _layer_norm(x, *self.norm)

    def target_bits(self, hidden: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """-log2 P(target) for each row of hidden states (n, dim), in float64."""
        out = np.empty(len(targets), dtype=np.float64)
        for start in range(0, len(targets), LOGIT_ROWS):
            rows = hidden[start : start + LOGIT_ROWS]
            logits = rows @ self.embed_t
            top = logits.max(axis=1, keepdims=True)
            shifted = logits - top
            np.exp(shifted, out=shifted)
            lse = np.log(shifted.sum(axis=1, dtype=np.float64)) + top[:, 0]
            picked = logits[np.arange(len(rows)), targets[start : start + LOGIT_ROWS]]
            out[start : start + len(rows)] = (lse - picked) / math.log(2)
        return out

    def window_bits(
        self, windows: Sequence[tuple[Sequence[int], Sequence[int]]]
    ) -> list[np.ndarray]:
        """For each (ids, positions): the surprisal of ids[p] given ids[:p], for p in
        positions (each >= 1 and < len(ids) <= context + 1)."""
        out: list[np.ndarray] = [np.zeros(0)] * len(windows)
        wanted = [i for i, (_, positions) in enumerate(windows) if len(positions)]
        # Windows are only as long as their last wanted position: the rest cannot change it.
        lengths = {i: int(max(windows[i][1])) for i in wanted}
        order = sorted(wanted, key=lambda i: lengths[i])
        start = 0
        while start < len(order):
            stop = start + 1
            while (
                stop < len(order)
                and stop - start < BATCH_WINDOWS
                and (stop - start + 1) * lengths[order[stop]] <= BATCH_TOKENS
            ):
                stop += 1
            chunk = order[start:stop]
            start = stop
            length = lengths[chunk[-1]]
            grid = np.zeros((len(chunk), length), dtype=np.int64)
            for b, i in enumerate(chunk):
                ids = windows[i][0]
                grid[b, : min(len(ids), length)] = ids[:length]
            hidden = self.hidden(grid)
            rows = []
            targets = []
            for b, i in enumerate(chunk):
                ids, positions = windows[i]
                where = np.asarray(positions, dtype=np.int64)
                rows.append(hidden[b, where - 1])
                targets.append(np.asarray(ids, dtype=np.int64)[where])
            bits = self.target_bits(np.concatenate(rows), np.concatenate(targets))
            at = 0
            for i in chunk:
                count = len(windows[i][1])
                out[i] = bits[at : at + count]
                at += count
        return out
