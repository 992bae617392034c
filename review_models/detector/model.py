"""The detector network: a small pre-norm transformer encoder over hashed token features, with
four heads: hunk bug probability, per-token localization, repair (a closed vocabulary of
operators and literals, or a pointer to an identifier in the window) and bug family."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from review_models.detector.data import REPAIR_SIZE
from review_models.detector.features import KINDS, MAX_LEN, SUB_BUCKETS, TOKEN_BUCKETS
from review_models.inject import FAMILIES


@dataclass(frozen=True)
class DetectorConfig:
    dim: int = 160
    layers: int = 4
    heads: int = 4
    ff: int = 512
    dropout: float = 0.1

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class Detector(nn.Module):
    def __init__(self, config: DetectorConfig) -> None:
        super().__init__()
        self.config = config
        d = config.dim
        self.tok = nn.Embedding(TOKEN_BUCKETS, d, padding_idx=0)
        self.sub = nn.Embedding(SUB_BUCKETS, d, padding_idx=0)
        self.kind = nn.Embedding(len(KINDS), d)
        self.chg = nn.Embedding(2, d)
        self.pos = nn.Embedding(MAX_LEN, d)
        self.norm_in = nn.LayerNorm(d)
        layer = nn.TransformerEncoderLayer(
            d,
            config.heads,
            config.ff,
            config.dropout,
            batch_first=True,
            norm_first=True,
            activation="gelu",
        )
        self.encoder = nn.TransformerEncoder(layer, config.layers, enable_nested_tensor=False)
        self.norm_out = nn.LayerNorm(d)
        self.pool = nn.Linear(d, 1)
        # Localization is a pointer over the changed tokens plus a "no bug" slot: detection
        # and localization are one decision (Vasic et al. 2019), which trains far better than
        # a separate yes/no head when every bug has a clean twin in the data.
        self.nobug = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.Linear(d, 1))
        self.loc = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.Linear(d, 1))
        self.rep_query = nn.Linear(d, d)
        self.rep_key = nn.Linear(d, d)
        self.rep_vocab = nn.Linear(d, REPAIR_SIZE)
        self.family = nn.Linear(d, len(FAMILIES))
        # Temperature for calibration, fitted after training (not trained by SGD).
        self.register_buffer("temperature", torch.ones(()))

    def forward(
        self,
        tok: torch.Tensor,
        sub_a: torch.Tensor,
        sub_b: torch.Tensor,
        kind: torch.Tensor,
        chg: torch.Tensor,
        mask: torch.Tensor,
    ) -> dict[str, torch.Tensor]:
        """mask: True for real tokens. Returns logits; candidates are changed tokens only."""
        positions = torch.arange(tok.shape[1], device=tok.device).unsqueeze(0)
        x = (
            self.tok(tok)
            + self.sub(sub_a)
            + self.sub(sub_b)
            + self.kind(kind)
            + self.chg(chg)
            + self.pos(positions)
        )
        x = self.norm_in(x)
        h = self.norm_out(self.encoder(x, src_key_padding_mask=~mask))
        candidate = mask & (chg > 0)
        neg = torch.finfo(h.dtype).min
        pool_logits = self.pool(h).squeeze(-1).masked_fill(~candidate, neg)
        weights = torch.softmax(pool_logits, dim=-1)
        pooled = torch.einsum("bt,btd->bd", weights, h)
        nobug = self.nobug(pooled).squeeze(-1)
        loc = self.loc(h).squeeze(-1).masked_fill(~candidate, neg)
        # Log-odds that some changed token is the bug rather than the "no bug" slot.
        bug = torch.logsumexp(loc, dim=-1) - nobug
        return {"hidden": h, "bug": bug, "loc": loc, "nobug": nobug, "mask": mask}

    def repair_logits(
        self, hidden: torch.Tensor, at: torch.Tensor, tok_kind: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """For the token `at` of each row: (vocab logits, pointer logits, family logits)."""
        rows = torch.arange(hidden.shape[0], device=hidden.device)
        h_at = hidden[rows, at]
        query = self.rep_query(h_at)
        vocab = self.rep_vocab(query)
        keys = self.rep_key(hidden)
        pointer = torch.einsum("bd,btd->bt", query, keys) / (hidden.shape[-1] ** 0.5)
        allowed = mask & ((tok_kind == KINDS.index("name")) | (tok_kind == KINDS.index("number")))
        pointer = pointer.masked_fill(~allowed, torch.finfo(pointer.dtype).min)
        return vocab, pointer, self.family(h_at)
