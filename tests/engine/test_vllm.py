"""vLLM, for real (pytest -m vllm; needs `pip install '.[vllm]'`, and minutes on a CPU):
the fix model exported in Hugging Face format, served by vLLM in-process and by `vllm serve`
on loopback, answers exactly what the local backend answers, with and without speculation."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from engine.backends.base import Request
from engine.backends.local import LocalBackend
from engine.backends.openai import OpenAIBackend
from engine.model.export import export_hf
from tests.engine.helpers import tiny
from tests.webhooks.helpers import free_port

pytestmark = pytest.mark.vllm
pytest.importorskip("vllm")

PROMPT = "### Region\n    def render(task):\n        return task\n<<<END>>>\n### Rewritten region\n"
REQUESTS = [
    Request(PROMPT, max_tokens=24),
    Request("def load(text):\n    return", draft=" text\n", max_tokens=16, stop=("\n",)),
]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    loaded = tiny()
    return export_hf(loaded.model, loaded.tokenizer, tmp_path_factory.mktemp("hf") / "tiny")


@pytest.mark.parametrize("speculation", ["plain", "ngram", "draft"])
def test_vllm_in_process_answers_like_the_local_backend(model_dir: Path, speculation: str) -> None:
    from engine.backends.vllm import VllmBackend

    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
    local = LocalBackend(tiny(), "plain")
    backend = VllmBackend(str(model_dir), speculation=speculation, k=4, max_model_len=512)  # type: ignore[arg-type]
    try:
        answers = backend.complete_all(REQUESTS)
    finally:
        backend.close()
    for request, answer in zip(REQUESTS, answers, strict=True):
        assert not isinstance(answer, Exception)
        assert answer.text == local.complete(request).text


def test_vllm_serve_on_loopback_through_the_openai_backend(model_dir: Path, tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": "1"}
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vllm.entrypoints.openai.api_server",
            "--model",
            str(model_dir),
            "--served-model-name",
            "tiny",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--max-model-len",
            "512",
            "--enforce-eager",
            "--dtype",
            "float32",
            "--speculative-config",
            '{"method": "ngram", "num_speculative_tokens": 4, "prompt_lookup_max": 3}',
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        deadline = time.time() + 900
        while time.time() < deadline:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()[-2000:]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(2)
        local = LocalBackend(tiny(), "plain")
        with OpenAIBackend(f"http://127.0.0.1:{port}/v1", "tiny") as backend:
            backend.check()
            for request in REQUESTS:
                assert backend.complete(request).text == local.complete(request).text
    finally:
        server.terminate()
        server.wait(timeout=60)
