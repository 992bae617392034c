"""The fast entropy scorer (issue 19) against its specifications: the weights read without
torch are torch's, the numpy network computes what the torch model computes, the array caches
give what the per-token dict loop gives, and the review path never imports torch."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from bot.core.errors import ModelMissing
from review_models.lm.config import LMConfig
from review_models.lm.model import CodeLM
from review_models.lm.network import Network, _erf
from review_models.lm.reference import reference_scores
from review_models.lm.score import WEIGHTS, FileInput, HunkInput, shared_model
from review_models.lm.weights import read_state

STDLIB = Path(sysconfig.get_paths()["stdlib"])
# The stated tolerances, in bits per token. The numpy network against torch's: both float32,
# summed in different orders, with erf approximated to 1e-6 (measured: at most 8.2e-6 bits).
NETWORK_TOLERANCE = 1e-4
# The array scorer against the dict loop (the same network): float32 rounding between batch
# shapes alone (a shorter window: at most 5.2e-7 bits); the caches' probabilities are exact.
TOLERANCE = 1e-6


def test_weights_read_without_torch_are_torchs() -> None:
    ours = read_state(WEIGHTS / "lm.pt")
    theirs = torch.load(WEIGHTS / "lm.pt", map_location="cpu", weights_only=True)
    assert ours.keys() == theirs.keys()
    for name, tensor in theirs.items():
        assert ours[name].dtype == np.float16
        assert np.array_equal(ours[name], tensor.numpy()), name


class _Payload:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        import os

        return (os.system, ("touch /tmp/redline-should-not-exist",))


def test_weights_reader_refuses_anything_but_tensors(tmp_path: Path) -> None:
    hostile = tmp_path / "lm.pt"
    with zipfile.ZipFile(hostile, "w") as archive:
        archive.writestr("lm/data.pkl", pickle.dumps({"embed.weight": _Payload()}))
    with pytest.raises(ModelMissing, match="unexpected global"):
        read_state(hostile)
    assert not Path("/tmp/redline-should-not-exist").exists()
    (tmp_path / "junk.pt").write_bytes(b"not a zip")
    with pytest.raises(ModelMissing):
        read_state(tmp_path / "junk.pt")


def test_erf_matches_the_exact_function() -> None:
    import math

    x = np.linspace(-6, 6, 20001, dtype=np.float32)
    exact = np.array([math.erf(float(v)) for v in x])
    assert np.abs(_erf(x) - exact).max() < 1e-6


def test_numpy_network_computes_what_the_torch_model_computes() -> None:
    meta = json.loads((WEIGHTS / "lm.json").read_text(encoding="utf-8"))
    config = LMConfig(**meta["config"])
    state = torch.load(WEIGHTS / "lm.pt", map_location="cpu", weights_only=True)
    model = CodeLM(config)
    model.load_state_dict({k: v.float() for k, v in state.items()})
    model.eval()
    network = Network(config, read_state(WEIGHTS / "lm.pt"))
    rng = np.random.default_rng(0)
    ids = rng.integers(3, config.vocab, size=(3, 120))
    with torch.inference_mode():
        hidden = model.hidden(torch.from_numpy(ids[:, :-1]))
        logp = torch.log_softmax(model.logits(hidden), dim=-1)
        theirs = -logp.gather(2, torch.from_numpy(ids[:, 1:]).unsqueeze(2)).squeeze(2)
    theirs_bits = theirs.numpy() / np.log(2)
    windows = [(list(row), list(range(1, len(row)))) for row in ids]
    ours = network.window_bits(windows)
    for row, bits in zip(theirs_bits, ours, strict=True):
        assert np.abs(row - bits).max() < NETWORK_TOLERANCE
    # A window is only as long as its last wanted position: the earlier ones do not change.
    short = network.window_bits([(list(ids[0]), [5, 17, 40])])[0]
    assert np.abs(short - ours[0][[4, 16, 39]]).max() < TOLERANCE * 10


def _hunk(
    path: str, index: int, text: str, first: int, count: int, removed: tuple[str, ...] = ()
) -> HunkInput:
    lines = frozenset(range(first, first + count))
    return HunkInput((path, index), max(1, first - 3), first + count + 2, lines, removed)


def _inputs() -> list[FileInput]:
    """Real modules with what the caches key on: a repeated edit in two files (diff and edit
    caches), a rename at several sites (substitutions), removed lines, a hunk longer than one
    network window, a hunk that only removes, and out-of-vocabulary names."""
    textwrap = (STDLIB / "textwrap.py").read_text(encoding="utf-8")
    lines = textwrap.split("\n")
    sites: list[int] = []
    for number, line in enumerate(lines, 1):
        # Hunks of a diff never overlap: sites far enough apart for their context lines.
        if "self.width" in line and (not sites or number - sites[-1] > 8):
            sites.append(number)
    sites = sites[:4]
    renamed = "\n".join(
        line.replace("self.width", "self.zzq_width_limit") if i + 1 in sites else line
        for i, line in enumerate(lines)
    )
    hunks = [
        _hunk("textwrap.py", n, renamed, site, 1, (lines[site - 1],))
        for n, site in enumerate(sites)
    ]
    shutil_text = (STDLIB / "shutil.py").read_text(encoding="utf-8")
    shutil_lines = shutil_text.split("\n")
    long_first = next(i for i, line in enumerate(shutil_lines) if line.startswith("def copyfile"))
    shutil_hunks = (
        _hunk("shutil.py", 0, shutil_text, long_first + 1, 60),  # > 192 tokens: pieces
        HunkInput(("shutil.py", 1), 300, 300, frozenset(), ("    old = gone\n",)),
        _hunk("shutil.py", 2, shutil_text, 400, 3, ("x = 1", "y = self.zzq_width_limit")),
    )
    partial = FileInput(
        "partial.py",
        "def f(a):\n    return a.zzq_width_limit + 1\n",
        (_hunk("partial.py", 0, "", 2, 1, ("    return a.width + 1",)),),
    )
    return [
        FileInput("textwrap.py", renamed, tuple(hunks)),
        FileInput("shutil.py", shutil_text, shutil_hunks),
        partial,
    ]


def test_array_scorer_gives_the_dict_loops_scores() -> None:
    model = shared_model()
    files = _inputs()
    fast = model.score_files(files)
    slow = reference_scores(model, files)
    assert fast.keys() == slow.keys()
    assert len(fast) >= 7
    for key, ours in fast.items():
        theirs = slow[key]
        assert (ours.tokens, ours.scored) == (theirs.tokens, theirs.scored), key
        assert abs(ours.entropy - theirs.entropy) < TOLERANCE, key
        assert [n for n, _ in ours.line_heat] == [n for n, _ in theirs.line_heat], key
        for (_, a), (_, b) in zip(ours.line_heat, theirs.line_heat, strict=True):
            assert abs(a - b) < TOLERANCE, key
    # The rename becomes predictable after its first site: the substitution cache is there.
    renames = [fast[("textwrap.py", n)].entropy for n in range(4)]
    assert max(renames[1:]) < 0.5 * renames[0]


def test_the_review_path_never_imports_torch(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from review_models.lm.score import FileInput, HunkInput, shared_model\n"
        "text = 'def f(a):\\n    return a + 1\\n'\n"
        "hunk = HunkInput(('f.py', 0), 1, 2, frozenset({2}), ('    return a',))\n"
        "result = shared_model().score_files([FileInput('f.py', text, (hunk,))])\n"
        "assert result[('f.py', 0)].tokens > 0\n"
        "print('torch' in sys.modules)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"
