"""The code LM's shape, shared by training (torch) and inference (numpy): no heavy imports."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class LMConfig:
    vocab: int = 8192
    dim: int = 128
    layers: int = 4
    heads: int = 4
    ff: int = 384
    context: int = 256
    dropout: float = 0.1

    def to_dict(self) -> dict[str, object]:
        return asdict(self)
