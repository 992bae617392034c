"""The shipped fix model loads, exports, and a missing or foreign model file is refused."""

from __future__ import annotations

import json

import pytest

from bot.core.errors import ModelMissing
from engine.model.export import tokenizer_json
from engine.model.weights import load, save, shipped, shipped_dir
from tests.engine.helpers import tiny


def test_the_shipped_model_loads_with_its_tokenizer() -> None:
    loaded = shipped()
    assert loaded.model.config.vocab_size == loaded.tokenizer.vocab_size
    assert (shipped_dir() / "fixer.md").exists()
    text = "def f(x):\n    return x <= 10\n"
    assert loaded.tokenizer.decode(loaded.tokenizer.encode(text)) == text
    vocab = tokenizer_json(loaded.tokenizer)["model"]["vocab"]  # type: ignore[index]
    assert len(vocab) == loaded.tokenizer.vocab_size  # every token exports, none repeats


def test_missing_or_foreign_model_files_are_refused(tmp_path) -> None:
    with pytest.raises(ModelMissing):
        load(tmp_path)
    loaded = tiny()
    save(loaded.model, loaded.tokenizer, tmp_path, "t", {})
    assert load(tmp_path).model.config == loaded.model.config
    info = json.loads((tmp_path / "fixer.json").read_text())
    (tmp_path / "fixer.json").write_text(json.dumps({**info, "format": "redline-fixer-0"}))
    with pytest.raises(ModelMissing, match="another version"):
        load(tmp_path)
    (tmp_path / "fixer.json").write_text(json.dumps(info))
    (tmp_path / "fixer.pt").write_bytes(b"not a model")
    with pytest.raises(ModelMissing, match="cannot be loaded"):
        load(tmp_path)
