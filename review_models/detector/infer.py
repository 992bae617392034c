"""Detector inference: windows in, calibrated bug probabilities, localization and repairs out.
The weights ship with the package and are loaded once per process."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from review_models.detector.calibration import Calibration
from review_models.detector.data import REPAIR_EXTRA
from review_models.detector.features import REPAIR_VOCAB, Window
from review_models.detector.model import Detector, DetectorConfig
from review_models.inject import FAMILIES
from review_models.lexer import Token

WEIGHTS = Path(__file__).resolve().parents[1] / "weights"
BATCH = 64


class ModelMissing(RuntimeError):
    """The shipped weights are not there (the package was built without training)."""


@dataclass(frozen=True)
class Repair:
    token: int  # index of the first token replaced
    width: int  # tokens replaced
    text: str  # the replacement
    confidence: float


@dataclass(frozen=True)
class WindowResult:
    probability: float  # calibrated P(the changed code of this window holds a bug)
    line_probs: dict[int, float]  # P(bug on line | bug), changed lines only
    top_token: int
    family: str
    family_confidence: float
    repair: Repair | None


class DetectorModel:
    def __init__(self, model: Detector, meta: dict[str, object]) -> None:
        self.model = model
        self.meta = meta
        self.calibration = Calibration.from_dict(
            meta.get("calibration"), float(model.get_buffer("temperature"))
        )
        raw = meta.get("thresholds", {})
        self.thresholds: dict[str, float] = dict(raw) if isinstance(raw, dict) else {}
        self.version = str(meta.get("version", "untrained"))

    @classmethod
    def load(cls, directory: Path = WEIGHTS) -> DetectorModel:
        weights = directory / "detector.pt"
        meta_path = directory / "detector.json"
        if not weights.exists() or not meta_path.exists():
            raise ModelMissing(
                f"detector weights not found in {directory}; run `redline train detector`"
            )
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        config = DetectorConfig(**{k: v for k, v in meta["config"].items()})
        model = Detector(config)
        state = torch.load(weights, map_location="cpu", weights_only=True)
        model.load_state_dict(
            {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
        )
        model.eval()
        return cls(model, meta)

    def score(self, windows: list[Window]) -> list[WindowResult]:
        if not windows:
            return []
        order = sorted(range(len(windows)), key=lambda i: len(windows[i].tokens))
        results: list[WindowResult | None] = [None] * len(windows)
        with torch.inference_mode():
            for start in range(0, len(order), BATCH):
                chunk = order[start : start + BATCH]
                for index, result in zip(
                    chunk, self._score_batch([windows[i] for i in chunk]), strict=True
                ):
                    results[index] = result
        return [r for r in results if r is not None]

    def _score_batch(self, windows: list[Window]) -> list[WindowResult]:
        length = max(len(w.tokens) for w in windows)
        grid = np.zeros((5, len(windows), length), dtype=np.int64)
        mask = np.zeros((len(windows), length), dtype=bool)
        for b, window in enumerate(windows):
            columns = window.encode()
            for c in range(5):
                grid[c, b, : len(window.tokens)] = columns[c]
            mask[b, : len(window.tokens)] = True
        tok, sub_a, sub_b, kind, chg = (torch.from_numpy(g) for g in grid)
        mask_t = torch.from_numpy(mask)
        out = self.model(tok, sub_a, sub_b, kind, chg, mask_t)
        cal = self.calibration
        probs = torch.sigmoid(out["bug"] * cal.scale + cal.bias + cal.shift)
        loc = torch.softmax(out["loc"], dim=-1)
        top = loc.argmax(-1)
        vocab, pointer, family = self.model.repair_logits(out["hidden"], top, kind, mask_t)
        joint = torch.softmax(torch.cat([vocab, pointer], dim=-1), dim=-1)
        family_p = torch.softmax(family, dim=-1)
        results = []
        for b, window in enumerate(windows):
            lines: dict[int, float] = {}
            for i, token in enumerate(window.tokens):
                if window.changed[i]:
                    lines[token.line] = lines.get(token.line, 0.0) + float(loc[b, i])
            t = int(top[b])
            fam = int(family_p[b].argmax())
            results.append(
                WindowResult(
                    probability=float(probs[b]),
                    line_probs=lines,
                    top_token=t,
                    family=FAMILIES[fam],
                    family_confidence=float(family_p[b, fam]),
                    repair=_repair(window.tokens, t, joint[b], vocab.shape[-1]),
                )
            )
        return results


def _repair(
    tokens: tuple[Token, ...], at: int, joint: torch.Tensor, vocab_size: int
) -> Repair | None:
    choice = int(joint.argmax())
    confidence = float(joint[choice])
    token = tokens[at]
    width = 1
    if at + 1 < len(tokens) and (token.text, tokens[at + 1].text) in (("is", "not"), ("not", "in")):
        width = 2
    if choice >= vocab_size:
        target = tokens[choice - vocab_size]
        if target.text == token.text:
            return None
        return Repair(at, width, target.text, confidence)
    if choice < len(REPAIR_VOCAB):
        text = REPAIR_VOCAB[choice]
    else:
        extra = REPAIR_EXTRA[choice - len(REPAIR_VOCAB)]
        if token.kind != "number" or not token.text.isdigit():
            return None
        text = str(int(token.text) + (1 if extra == "<inc>" else -1))
    current = " ".join(t.text for t in tokens[at : at + width])
    if text == current:
        return None
    return Repair(at, width, text, confidence)


@functools.lru_cache(maxsize=1)
def shared_model() -> DetectorModel:
    """The process-wide model (loaded once)."""
    torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
    return DetectorModel.load()
