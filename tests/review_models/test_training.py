"""Training end to end on a tiny slice of the corpus: examples built, steps taken, checkpoints
written and resumed. Slow: `python -m pytest -m training`."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch

from review_models import corpus
from review_models.detector import data as ddata
from review_models.detector import train as dtrain
from review_models.detector.calibration import Calibration
from review_models.lm.model import CodeLM
from review_models.lm.train import LMTrainer

pytestmark = pytest.mark.training


def _files(count: int) -> list[corpus.SourceFile]:
    files = [f for f in corpus.collect() if f.split == "train"]
    random.Random(0).shuffle(files)
    return files[:count]


def test_detector_training_steps_checkpoint_and_resume(tmp_path: Path) -> None:
    target = tmp_path / "train.npz"
    count = ddata.build_synthetic(
        _files(40), target, seed=3, per_file=4, processes=1, progress=False
    )
    packed = ddata.Packed.load(target)
    assert count == len(packed) > 20 and 0 < packed.label.mean() < 1
    trainer = dtrain.Trainer(tmp_path, hours=1.0, threads=1)
    trainer.train("pretrain", [(packed, 1.0)], steps=6, lr=1e-3, batch_size=8, warmup=2)
    assert (tmp_path / "pretrain.done.pt").exists()
    state = torch.load(tmp_path / "pretrain.ckpt", weights_only=False)
    assert state["step"] == 6
    # A rerun finds the phase done and loads it instead of training again.
    again = dtrain.Trainer(tmp_path, hours=1.0, threads=1)
    model = again.train("pretrain", [(packed, 1.0)], steps=6, lr=1e-3, batch_size=8)
    evaluation = dtrain.evaluate(model, packed, Calibration())
    assert 0.0 <= evaluation.auc <= 1.0 and evaluation.count == len(packed)


def test_lm_training_steps_and_resume(tmp_path: Path) -> None:
    from review_models.lexer import lex
    from review_models.lm.vocab import BOS, Vocab, token_text

    texts = [corpus.read_source(f) for f in _files(30)]
    streams = [[token_text(t) for t in lex(t)] for t in texts if t]
    vocab = Vocab.build(streams, 512)
    ids = np.concatenate([np.array([BOS, *(vocab.id(x) for x in s)], np.uint16) for s in streams])
    np.savez(
        tmp_path / "train.npz", ids=ids, offsets=np.array([0, len(ids)]), paths=np.array(["x"])
    )
    trainer = LMTrainer(tmp_path, hours=1.0, threads=1)
    # A small config keeps the test quick; the shipped model's is LMConfig().
    import review_models.lm.train as lm_train

    model = trainer.train(4, batch=2)
    assert isinstance(model, CodeLM) and (tmp_path / "lm.done.pt").exists()
    assert torch.load(tmp_path / "lm.ckpt", weights_only=False)["step"] == 4
    assert lm_train.TOKEN_CAPS["train"] > 0
