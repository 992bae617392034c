"""The container images. Docker cannot build here (no daemon, no registry to pull the base
images from), so the Dockerfiles are linted with hadolint and checked against what the
project and the chart need: CPU torch pinned as in pyproject.toml, every package and the
trained weights inside, a non-root user matching the chart's, `redline serve` and a
HEALTHCHECK on /healthz; the GPU variant on vLLM's CUDA image."""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.deploy.conftest import require_tools

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module", autouse=True)
def tools() -> None:
    require_tools()


def hadolint(path: Path) -> list[dict[str, object]]:
    done = subprocess.run(
        ["hadolint", "--no-color", "-f", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    findings: list[dict[str, object]] = json.loads(done.stdout or "[]")
    assert done.returncode == (1 if findings else 0), done.stderr
    return findings


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word, _, rest = line.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def final_stage(steps: list[tuple[str, str]]) -> list[tuple[str, str]]:
    starts = [i for i, (word, _) in enumerate(steps) if word == "FROM"]
    assert len(starts) >= 2, "a multi-stage build"
    return steps[starts[-1] :]


@pytest.mark.parametrize("name", ["Dockerfile", "Dockerfile.gpu"])
def test_dockerfiles_lint_clean(name: str) -> None:
    assert hadolint(ROOT / name) == []


def test_hadolint_reports_what_it_should(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install requests\nRUN cd /src && make\n")
    codes = {str(f["code"]) for f in hadolint(bad)}
    assert {"DL3007", "DL3013", "DL3003"} <= codes  # latest tag, unpinned pip, cd in RUN


def test_cpu_image() -> None:
    steps = instructions(ROOT / "Dockerfile")
    text = " ".join(f"{w} {a}" for w, a in steps)
    pin = next(d for d in PYPROJECT["project"]["dependencies"] if d.startswith("torch"))
    version = pin.split("==", 1)[1]
    assert f"ARG TORCH_VERSION={version}" in text, "torch pinned as in pyproject.toml"
    assert "--index-url https://download.pytorch.org/whl/cpu" in text
    assert '"torch==${TORCH_VERSION}"' in text
    copied = {a.split()[0] for w, a in steps if w == "COPY" and "--from" not in a}
    packages = {
        p.rstrip("*") for p in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    assert packages <= copied, packages - copied
    final = final_stage(steps)
    assert ("USER", "10001:10001") in final
    assert any(w == "HEALTHCHECK" and "/healthz" in a for w, a in final)
    assert ("ENTRYPOINT", '["redline"]') in final
    cmd = json.loads(next(a for w, a in final if w == "CMD"))
    assert cmd[0] == "serve" and "0.0.0.0" in cmd
    # Nothing is installed in the final stage: it takes the built environment as a whole.
    assert not any(w == "RUN" and "pip install" in a for w, a in final)


def test_weights_ship_in_the_package_and_so_in_the_image() -> None:
    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]["review_models"]
    weights = sorted((ROOT / "review_models" / "weights").iterdir())
    assert weights
    for path in weights:
        relative = f"weights/{path.name}"
        assert any(fnmatch.fnmatch(relative, p) for p in patterns), relative
    # The build proves it: a review in the build stage has both models run.
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "runs.get('detector') == 'ok'" in text and "runs.get('entropy') == 'ok'" in text


def test_build_context_keeps_what_the_build_copies() -> None:
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert {"tests", ".git", "charts"} <= set(ignored)
    for word, args in instructions(ROOT / "Dockerfile") + instructions(ROOT / "Dockerfile.gpu"):
        if word == "COPY" and "--from" not in args:
            for source in args.split()[:-1]:
                assert not any(fnmatch.fnmatch(source, p) for p in ignored), source


def test_gpu_image_for_the_engine() -> None:
    steps = instructions(ROOT / "Dockerfile.gpu")
    final = final_stage(steps)
    assert final[0][1].startswith("vllm/vllm-openai:${VLLM_VERSION}")
    assert ("USER", "10001:10001") in final
    assert any(w == "HEALTHCHECK" and "/health" in a for w, a in final)
    cmd = json.loads(next(a for w, a in final if w == "CMD"))
    assert cmd[:2] == ["vllm", "serve"]
    spec = json.loads(cmd[cmd.index("--speculative-config") + 1])
    values = yaml.safe_load((ROOT / "charts" / "redline" / "values.yaml").read_text())
    assert spec == values["vllm"]["speculativeConfig"]  # the image and the chart agree
    # vLLM's own CUDA torch stays: redline's CPU pin is left out of what is installed.
    assert "not d.startswith('torch')" in " ".join(a for _, a in steps)
