"""A tiny fix model built in the test process (random weights, a tokenizer trained on a few
kilobytes of our own source): enough to drive the decoding loops, no shipped weights needed."""

from __future__ import annotations

import functools
from pathlib import Path

import torch

from engine.model.net import Config, FixModel
from engine.model.tokenizer import train
from engine.model.weights import Loaded

SAMPLE = Path(__file__).resolve().parents[2] / "engine" / "prompt.py"


@functools.cache
def tiny(seed: int = 0, dtype: torch.dtype = torch.float32) -> Loaded:
    tokenizer = train([SAMPLE.read_text(encoding="utf-8")], 600)
    torch.manual_seed(seed)
    config = Config(
        vocab_size=tokenizer.vocab_size, dim=64, layers=2, heads=2, ffn=128, context=512
    )
    model = FixModel(config).to(dtype).eval()
    return Loaded(model, tokenizer, "test", {})
