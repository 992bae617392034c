"""Reading the shipped `lm.pt` without torch: the review path scores with numpy, and torch's
import alone costs more than a small review (about 1.5 s and 300 MB here).

`lm.pt` is what `torch.save(state_dict)` writes: a zip holding `data.pkl` (a pickle that
rebuilds each tensor from a storage, an offset, a shape and strides) and one raw little-endian
file per storage. Only that shape of pickle is accepted: any other global is refused, so the
file cannot make the unpickler run anything (the same guarantee as `weights_only=True`)."""

from __future__ import annotations

import pickle
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from bot.core.errors import ModelMissing

_DTYPES = {
    "HalfStorage": np.float16,
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "BoolStorage": np.bool_,
}


class _Storage:
    def __init__(self, dtype: Any) -> None:
        self.dtype = dtype


def _rebuild_tensor(
    storage: np.ndarray, offset: int, size: tuple[int, ...], stride: tuple[int, ...], *_: Any
) -> np.ndarray:
    itemsize = storage.dtype.itemsize
    view = np.lib.stride_tricks.as_strided(
        storage[offset:], shape=size, strides=tuple(s * itemsize for s in stride)
    )
    return np.array(view)  # a copy: contiguous, owning its memory


class _Unpickler(pickle.Unpickler):
    def __init__(self, handle: Any, archive: zipfile.ZipFile, prefix: str) -> None:
        super().__init__(handle)
        self.archive = archive
        self.prefix = prefix

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if module == "torch" and name in _DTYPES:
            return _Storage(_DTYPES[name])
        raise pickle.UnpicklingError(f"lm weights: unexpected global {module}.{name}")

    def persistent_load(self, pid: Any) -> np.ndarray:
        kind, storage, key, _location, count = pid
        if kind != "storage" or not isinstance(storage, _Storage):
            raise pickle.UnpicklingError(f"lm weights: unexpected persistent id {kind!r}")
        raw = self.archive.read(f"{self.prefix}data/{key}")
        return np.frombuffer(raw, dtype=np.dtype(storage.dtype).newbyteorder("<"), count=count)


def read_state(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a `torch.save`d state dict, as numpy arrays of the same dtype."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            pickled = next((n for n in names if n.endswith("/data.pkl")), None)
            if pickled is None:
                raise ModelMissing(f"{path}: not a torch state dict (no data.pkl)")
            prefix = pickled[: -len("data.pkl")]
            order = archive.read(f"{prefix}byteorder") if f"{prefix}byteorder" in names else b""
            if order not in (b"", b"little"):
                raise ModelMissing(f"{path}: big-endian weights are not supported")
            with archive.open(pickled) as handle:
                state = _Unpickler(handle, archive, prefix).load()
    except (OSError, zipfile.BadZipFile, pickle.UnpicklingError, KeyError, ValueError) as exc:
        raise ModelMissing(f"{path}: unreadable LM weights ({exc})") from exc
    if not isinstance(state, dict):
        raise ModelMissing(f"{path}: not a state dict")
    return dict(state)
