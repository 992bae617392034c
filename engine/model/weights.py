"""The fix model's files: `fixer.pt` (fp16 state dict), `fixer.json` (configuration, version,
training figures) and `fixer-tokenizer.json`, shipped in engine/weights/ and loaded once."""

from __future__ import annotations

import functools
import json
import pickle
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import torch

from bot.core.errors import ModelMissing
from engine.model.net import Config, FixModel
from engine.model.tokenizer import Tokenizer

FORMAT = "redline-fixer-1"


@dataclass(frozen=True)
class Loaded:
    model: FixModel
    tokenizer: Tokenizer
    version: str
    meta: dict[str, Any]


def shipped_dir() -> Path:
    return Path(str(resources.files("engine") / "weights"))


def save(
    model: FixModel, tokenizer: Tokenizer, target: Path, version: str, meta: dict[str, Any]
) -> None:
    target.mkdir(parents=True, exist_ok=True)
    state = {k: v.to(torch.float16) for k, v in model.state_dict().items()}
    torch.save(state, target / "fixer.pt")
    tokenizer.save(target / "fixer-tokenizer.json")
    info = {"format": FORMAT, "version": version, "config": model.config.to_dict(), **meta}
    (target / "fixer.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")


def load(source: Path, dtype: torch.dtype = torch.float32) -> Loaded:
    """The model and tokenizer in `source`; ModelMissing when absent or of another format."""
    try:
        info = json.loads((source / "fixer.json").read_text(encoding="utf-8"))
        if info.get("format") != FORMAT:
            raise ModelMissing(f"{source}/fixer.json is from another version of redline")
        tokenizer = Tokenizer.load(source / "fixer-tokenizer.json")
        config = Config(**info["config"])
        state = torch.load(source / "fixer.pt", map_location="cpu", weights_only=True)
        model = FixModel(config)
        model.load_state_dict({k: v.to(dtype) for k, v in state.items()})
    except (
        OSError,
        ValueError,
        KeyError,
        TypeError,
        RuntimeError,
        EOFError,
        pickle.UnpicklingError,
    ) as exc:
        raise ModelMissing(f"the fix model in {source} cannot be loaded: {exc}") from exc
    if config.vocab_size != tokenizer.vocab_size:
        raise ModelMissing(f"{source}: the tokenizer does not match the model")
    model.to(dtype).eval()
    return Loaded(model, tokenizer, str(info.get("version", "?")), info)


@functools.cache
def shipped() -> Loaded:
    """The model that ships with the package, loaded once a process."""
    return load(shipped_dir())
