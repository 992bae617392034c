"""The fix model: a small Llama-style decoder (RMSNorm, rotary positions, SwiGLU, tied
embeddings) in pure torch, with a KV cache that can be cut back, which is what speculative
decoding needs: verify k drafted tokens in one pass, keep the accepted prefix, drop the rest.

The layout and the rotary convention are Hugging Face's `LlamaForCausalLM`, so the same weights
export to a model directory vLLM and `transformers` load (engine.model.export).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class Config:
    vocab_size: int = 4096
    dim: int = 192
    layers: int = 4
    heads: int = 3
    ffn: int = 512
    context: int = 640
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5

    @property
    def head_dim(self) -> int:
        return self.dim // self.heads

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        variance = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(variance + self.eps))


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Cache:
    """Keys and values per layer, [batch, heads, length, head_dim]; `length` is what is valid."""

    def __init__(self, layers: int) -> None:
        self.keys: list[torch.Tensor | None] = [None] * layers
        self.values: list[torch.Tensor | None] = [None] * layers
        self.length = 0

    def crop(self, length: int) -> None:
        """Forget everything after the first `length` positions (rejected draft tokens)."""
        for i, (k, v) in enumerate(zip(self.keys, self.values, strict=True)):
            if k is not None and v is not None:
                self.keys[i] = k[:, :, :length]
                self.values[i] = v[:, :, :length]
        self.length = min(self.length, length)


class Block(nn.Module):
    def __init__(self, config: Config) -> None:
        super().__init__()
        self.config = config
        d, hd = config.dim, config.head_dim
        self.attn_norm = RMSNorm(d, config.norm_eps)
        self.q = nn.Linear(d, config.heads * hd, bias=False)
        self.k = nn.Linear(d, config.heads * hd, bias=False)
        self.v = nn.Linear(d, config.heads * hd, bias=False)
        self.o = nn.Linear(config.heads * hd, d, bias=False)
        self.mlp_norm = RMSNorm(d, config.norm_eps)
        self.gate = nn.Linear(d, config.ffn, bias=False)
        self.up = nn.Linear(d, config.ffn, bias=False)
        self.down = nn.Linear(config.ffn, d, bias=False)

    def forward(
        self,
        x: torch.Tensor,
        cos: torch.Tensor,
        sin: torch.Tensor,
        cache: Cache | None,
        layer: int,
        mask: torch.Tensor | None,
    ) -> torch.Tensor:
        b, t, _ = x.shape
        h, hd = self.config.heads, self.config.head_dim
        y = self.attn_norm(x)
        q = self.q(y).view(b, t, h, hd).transpose(1, 2)
        k = self.k(y).view(b, t, h, hd).transpose(1, 2)
        v = self.v(y).view(b, t, h, hd).transpose(1, 2)
        q = q * cos + _rotate_half(q) * sin
        k = k * cos + _rotate_half(k) * sin
        if cache is not None:
            past_k, past_v = cache.keys[layer], cache.values[layer]
            if past_k is not None and past_v is not None:
                k = torch.cat((past_k, k), dim=2)
                v = torch.cat((past_v, v), dim=2)
            cache.keys[layer], cache.values[layer] = k, v
        if mask is None:
            att = F.scaled_dot_product_attention(q, k, v, is_causal=t > 1)
        else:
            att = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        x = x + self.o(att.transpose(1, 2).reshape(b, t, h * hd))
        y = self.mlp_norm(x)
        out: torch.Tensor = x + self.down(F.silu(self.gate(y)) * self.up(y))
        return out


class FixModel(nn.Module):
    def __init__(self, config: Config) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.dim)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.layers))
        self.norm = RMSNorm(config.dim, config.norm_eps)
        inv = 1.0 / (
            config.rope_theta
            ** (torch.arange(0, config.head_dim, 2, dtype=torch.float32) / config.head_dim)
        )
        self.register_buffer("inv_freq", inv, persistent=False)
        self.apply(self._init)

    @staticmethod
    def _init(module: nn.Module) -> None:
        if isinstance(module, nn.Linear | nn.Embedding):
            nn.init.normal_(module.weight, std=0.02)

    def _rope(self, start: int, length: int, dtype: torch.dtype) -> tuple[torch.Tensor, ...]:
        positions = torch.arange(start, start + length, dtype=torch.float32)
        inv_freq: torch.Tensor = self.inv_freq  # type: ignore[assignment]
        freqs = torch.outer(positions, inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos().to(dtype)[None, None], emb.sin().to(dtype)[None, None]

    def forward(self, tokens: torch.Tensor, cache: Cache | None = None) -> torch.Tensor:
        """Logits for every position of `tokens` [batch, time]. With a cache, the tokens follow
        the cached ones and are appended to it."""
        start = cache.length if cache is not None else 0
        t = tokens.shape[1]
        if start + t > self.config.context:
            raise ValueError(f"{start + t} tokens exceed the context of {self.config.context}")
        x = self.embed(tokens)
        cos, sin = self._rope(start, t, x.dtype)
        mask = None
        if cache is not None and start > 0 and t > 1:
            # The new tokens see every cached position and the new ones causally.
            full = torch.ones(t, start + t, dtype=torch.bool).tril(diagonal=start)
            mask = full[None, None]
        for layer, block in enumerate(self.blocks):
            x = block(x, cos, sin, cache, layer, mask)
        if cache is not None:
            cache.length = start + t
        logits: torch.Tensor = torch.matmul(self.norm(x), self.embed.weight.T)
        return logits
