"""The detector's weights: two hashed linear models over change features, one for the hunk
(does this edit introduce a bug?) and one for the line within it (where?). Pure numpy: no
torch at inference, a few hundred kilobytes on disk, microseconds per hunk.

A linear model over features a reviewer can check is the point: every risk decomposes into
the features that raised it, and the largest of those are the reasons a review shows."""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.core.errors import ModelMissing
from review_models.detector.calibration import Calibration

BUCKETS = 1 << 18
FORMAT = 2  # the weights' layout; a file of another format is refused (ModelMissing)


def bucket(key: str) -> int:
    return zlib.crc32(key.encode("utf-8", "surrogateescape")) % BUCKETS


def buckets(keys: Sequence[str]) -> np.ndarray:
    """Distinct buckets of a feature set (a feature counts once per hunk)."""
    return np.unique(np.fromiter((bucket(k) for k in keys), dtype=np.int64, count=len(keys)))


@dataclass(frozen=True)
class Weights:
    hunk: np.ndarray  # (BUCKETS,) float32
    line: np.ndarray  # (BUCKETS,) float32
    calibration: Calibration
    meta: dict[str, object]

    @property
    def version(self) -> str:
        return str(self.meta.get("version", "untrained"))

    def hunk_logit(self, keys: Sequence[str]) -> float:
        return float(self.hunk[buckets(keys)].sum()) if keys else 0.0

    def save(self, directory: Path) -> None:
        """`detector.npz` (sparse fp16 weights) and `detector.json` (everything else)."""
        directory.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {}
        for name, dense in (("hunk", self.hunk), ("line", self.line)):
            index = np.flatnonzero(np.abs(dense) > 1e-4).astype(np.int32)
            arrays[f"{name}_index"] = index
            arrays[f"{name}_value"] = dense[index].astype(np.float16)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
        (directory / "detector.npz").write_bytes(buffer.getvalue())
        meta = {**self.meta, "format": FORMAT, "calibration": self.calibration.to_dict()}
        (directory / "detector.json").write_text(json.dumps(meta, indent=2) + "\n", "utf-8")

    @classmethod
    def load(cls, directory: Path) -> Weights:
        weights, meta_path = directory / "detector.npz", directory / "detector.json"
        if not weights.is_file() or not meta_path.is_file():
            raise ModelMissing(
                f"detector weights not found in {directory}; run `redline train detector`"
            )
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
            arrays = np.load(weights)
        except (OSError, ValueError) as exc:
            raise ModelMissing(f"detector weights in {directory} cannot be read: {exc}") from exc
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            found = meta.get("format") if isinstance(meta, dict) else None
            raise ModelMissing(
                f"detector weights in {directory} are format {found}, this code reads format "
                f"{FORMAT}; run `redline train detector`"
            )
        dense = {}
        for name in ("hunk", "line"):
            vector = np.zeros(BUCKETS, dtype=np.float32)
            vector[arrays[f"{name}_index"]] = arrays[f"{name}_value"].astype(np.float32)
            dense[name] = vector
        return cls(dense["hunk"], dense["line"], Calibration.from_dict(meta["calibration"]), meta)
