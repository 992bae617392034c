"""A small causal transformer over lexer tokens, with tied input/output embeddings."""

from __future__ import annotations

import torch
from torch import nn

from review_models.lm.config import LMConfig

__all__ = ["CodeLM", "LMConfig"]


class CodeLM(nn.Module):
    def __init__(self, config: LMConfig) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab, config.dim)
        self.pos = nn.Embedding(config.context, config.dim)
        layer = nn.TransformerEncoderLayer(
            config.dim,
            config.heads,
            config.ff,
            config.dropout,
            batch_first=True,
            norm_first=True,
            activation="gelu",
        )
        self.blocks = nn.TransformerEncoder(layer, config.layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(config.dim)
        # Small embeddings: with tied output weights, unit-variance vectors would start the
        # model at absurd logits (~100 bits/token) and waste the first thousand steps.
        nn.init.normal_(self.embed.weight, std=0.02)
        nn.init.normal_(self.pos.weight, std=0.02)
        mask = torch.triu(torch.full((config.context, config.context), float("-inf")), 1)
        self.register_buffer("causal", mask, persistent=False)

    def hidden(self, ids: torch.Tensor) -> torch.Tensor:
        length = ids.shape[1]
        positions = torch.arange(length, device=ids.device).unsqueeze(0)
        x = self.embed(ids) + self.pos(positions)
        causal = self.get_buffer("causal")
        x = self.blocks(x, mask=causal[:length, :length], is_causal=True)
        out: torch.Tensor = self.norm(x)
        return out

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        return hidden @ self.embed.weight.T

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.logits(self.hidden(ids))
