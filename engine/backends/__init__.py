"""Inference backends behind one interface (`engine.backends.base`): `local` (the shipped fix
model in pure torch, with speculative edits), `vllm` (vLLM in-process), `openai` (any
OpenAI-compatible server over HTTP). Each is imported only when it is opened."""

from __future__ import annotations

from bot.core.errors import EngineError
from engine.backends.base import Backend, Completion, Cost, Request, Speculation

KINDS = ("local", "vllm", "openai")


def open_backend(
    kind: str,
    url: str | None = None,
    model: str | None = None,
    speculation: Speculation | None = None,
    api_key: str | None = None,
) -> Backend:
    """The backend `kind`, configured; EngineError when it cannot be set up (a missing model,
    vLLM not installed, no URL for `openai`)."""
    if kind == "local":
        from engine.backends.local import LocalBackend

        return LocalBackend(speculation=speculation or "draft")
    if kind == "openai":
        from engine.backends.openai import OpenAIBackend

        if not url:
            raise EngineError("the openai backend needs REDLINE_ENGINE_URL (the server's base URL)")
        return OpenAIBackend(url, model or "", api_key=api_key)
    if kind == "vllm":
        from engine.backends.vllm import VllmBackend

        return VllmBackend(model, speculation=speculation or "ngram")
    raise EngineError(f"unknown engine backend {kind!r} (known: {', '.join(KINDS)})")


__all__ = ["KINDS", "Backend", "Completion", "Cost", "Request", "open_backend"]
