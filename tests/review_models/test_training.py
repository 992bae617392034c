"""Training end to end on a tiny slice of the corpus: examples built, steps taken, checkpoints
written and resumed. Slow: `python -m pytest -m training`."""

from __future__ import annotations

import difflib
import random
from pathlib import Path

import numpy as np
import pytest
import torch

from bot.core.diff import parse_diff
from review_models import corpus
from review_models.detector import build, fit
from review_models.detector.build import Example
from review_models.detector.changes import features
from review_models.detector.edits import edit_of
from review_models.lm.model import CodeLM
from review_models.lm.train import LMTrainer

pytestmark = pytest.mark.training


def _files(count: int) -> list[corpus.SourceFile]:
    files = [f for f in corpus.collect() if f.split == "train"]
    random.Random(0).shuffle(files)
    return files[:count]


def _benign(path: str, text: str, rng: random.Random) -> list[Example]:
    """Real-looking harmless edits: a string literal reworded, a comment line added."""
    lines = text.split("\n")
    out = []
    for index in rng.sample(range(len(lines)), min(len(lines), 40)):
        line = lines[index]
        if '"' in line and line.count('"') == 2 and not line.strip().startswith(("#", "@")):
            new = list(lines)
            new[index] = line.replace('"', '" ', 1)
            patch = "".join(
                difflib.unified_diff(
                    [x + "\n" for x in lines], [x + "\n" for x in new], f"a/{path}", f"b/{path}"
                )
            )
            file = parse_diff(f"diff --git a/{path} b/{path}\n{patch}").files[0]
            for hunk in file.hunks:
                edit = edit_of(path, hunk, new, lines)
                keys = tuple(f.key for f in features(edit))
                out.append(Example("p", "commit", 0, keys, (0,) * len(keys), (), (), path))
    return out


def test_detector_learns_injected_bugs_from_benign_edits_checkpoints_and_resumes(
    tmp_path: Path,
) -> None:
    rng = random.Random(3)
    examples: list[Example] = []
    for item in _files(60):
        text = corpus.read_source(item)
        if not text:
            continue
        examples += list(build.injected_examples("p", item.path, text, rng, per_file=2))
        examples += _benign(item.path, text, rng)
    rng.shuffle(examples)
    positives = sum(e.label for e in examples)
    assert 30 < positives < len(examples) - 30
    cut = len(examples) * 2 // 3
    train, held = examples[:cut], examples[cut:]
    trainer = fit.Trainer(tmp_path)
    trainer.hunk_model(train, held, epochs=2)
    state = torch.load(tmp_path / "hunk.ckpt", weights_only=False)
    assert state["epoch"] == 2
    # A rerun resumes from the checkpoint and trains only the epochs that are left.
    weights = fit.Trainer(tmp_path).hunk_model(train, held, epochs=6)
    assert "hunk: resumed at epoch 2" in (tmp_path / "train.log").read_text()
    assert torch.load(tmp_path / "hunk.ckpt", weights_only=False)["epoch"] == 6
    logits = fit.Bags.of([e.keys for e in held]).logits_np(weights)
    labels = np.array([e.label for e in held])
    # Injected token bugs against reworded strings: far from chance on examples it never saw.
    assert fit.auc(logits, labels) > 0.8
    line = fit.Trainer(tmp_path).line_model(train, held, epochs=3)
    assert np.abs(line).sum() > 0


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
