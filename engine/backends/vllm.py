"""vLLM in-process: the production path on a GPU (`pip install vllm`), and vLLM's CPU build
here (`pip install 'redline[vllm]'`).

- `speculation="ngram"`: vLLM's prompt-lookup proposer (`speculative_config` method `ngram`).
- `speculation="draft"`: the original region as the draft, through vLLM's custom-proposer hook
  (`method="custom_class"`, engine.backends.vllm_draft.RegionProposer): the region is found in
  the prompt itself (between the prompt's region markers), so no side channel is needed.
- `speculation="plain"`: no speculation.
Prefix caching is on, so the stable prefix of a file's prompts is computed once (`warm` fills
it when a pull request opens). Greedy decoding, so outputs do not depend on the mode.

With no model named, the shipped fix model is exported to a Hugging Face directory in the user
cache and served; name any local model directory (a real code LLM) with REDLINE_ENGINE_MODEL.
vLLM's own errors become EngineError here; nothing of vLLM escapes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.core.errors import EngineError, ModelMissing
from engine.backends.base import Backend, Completion, Cost, FinishReason, Request, Speculation

DRAFT_PROPOSER = "engine.backends.vllm_draft.RegionProposer"


def shipped_model_dir() -> Path:
    """The shipped fix model as a Hugging Face directory, exported once per version."""
    from engine.model.export import export_hf
    from engine.model.weights import shipped

    try:
        loaded = shipped()
    except ModelMissing as exc:
        raise EngineError(f"the fix model is not available: {exc}") from exc
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "redline"
    target = cache / f"fixer-hf-{loaded.version}"
    if not (target / "config.json").exists():
        export_hf(loaded.model, loaded.tokenizer, target)
    return target


def speculative_config(speculation: Speculation, k: int) -> dict[str, Any] | None:
    if speculation == "ngram":
        return {
            "method": "ngram",
            "num_speculative_tokens": k,
            "prompt_lookup_max": 4,
            "prompt_lookup_min": 1,
        }
    if speculation == "draft":
        return {"method": "custom_class", "model": DRAFT_PROPOSER, "num_speculative_tokens": k}
    return None


class VllmBackend(Backend):
    name = "vllm"

    def __init__(
        self,
        model: str | None = None,
        speculation: Speculation = "ngram",
        k: int = 8,
        max_model_len: int | None = None,
        dtype: str = "float32",
    ) -> None:
        try:
            from vllm import LLM
        except ImportError as exc:
            raise EngineError(
                "vLLM is not installed (pip install 'redline[vllm]' for the CPU build, vllm on "
                "a GPU)"
            ) from exc
        path = Path(model) if model else shipped_model_dir()
        self.model = str(path)
        self.speculation: Speculation = speculation
        kwargs: dict[str, Any] = {
            "model": str(path),
            "tokenizer": str(path),
            "dtype": dtype,
            "enforce_eager": True,
            "enable_prefix_caching": True,
            "seed": 0,
        }
        if max_model_len is not None:
            kwargs["max_model_len"] = max_model_len
        spec = speculative_config(speculation, k)
        if spec is not None:
            kwargs["speculative_config"] = spec
        try:
            self.llm = LLM(**kwargs)
        except Exception as exc:  # vLLM raises many kinds while it starts: one error here
            raise EngineError(
                f"vLLM could not start on {path}: {type(exc).__name__}: {exc}"
            ) from exc
        self.tokenizer = self.llm.get_tokenizer()
        self.context_window = int(self.llm.llm_engine.model_config.max_model_len)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False))

    def _spec_counts(self) -> tuple[int, int]:
        """(draft tokens, accepted tokens) so far, from vLLM's metrics."""
        drafted = accepted = 0
        try:
            metrics = self.llm.get_metrics()
        except Exception:  # metrics are an aid for the bench, not needed to answer
            return 0, 0
        for metric in metrics:
            value = getattr(metric, "value", None)
            if not isinstance(value, int | float):
                continue
            if metric.name == "vllm:spec_decode_num_draft_tokens":
                drafted += int(value)
            elif metric.name == "vllm:spec_decode_num_accepted_tokens":
                accepted += int(value)
        return drafted, accepted

    def complete(self, request: Request) -> Completion:
        answer = self.complete_all([request])[0]
        if isinstance(answer, EngineError):
            raise answer
        return answer

    def complete_all(self, requests: Sequence[Request]) -> list[Completion | EngineError]:
        from vllm import SamplingParams

        if not requests:
            return []
        params = [
            SamplingParams(
                temperature=r.temperature,
                max_tokens=r.max_tokens,
                stop=list(r.stop) or None,
                seed=0,
            )
            for r in requests
        ]
        drafted0, accepted0 = self._spec_counts()
        started = time.perf_counter()
        try:
            outputs = self.llm.generate([r.prompt for r in requests], params, use_tqdm=False)
        except Exception as exc:  # one failed batch: every request of it says why
            error = EngineError(f"vLLM failed: {type(exc).__name__}: {exc}")
            return [error for _ in requests]
        wall = time.perf_counter() - started
        drafted1, accepted1 = self._spec_counts()
        total = sum(len(o.outputs[0].token_ids) for o in outputs) or 1
        out: list[Completion | EngineError] = []
        for output in outputs:
            first = output.outputs[0]
            generated = len(first.token_ids)
            share = generated / total
            accepted = round((accepted1 - accepted0) * share)
            finish: FinishReason = "length" if first.finish_reason == "length" else "stop"
            cost = Cost(
                generated_tokens=generated,
                drafted_tokens=round((drafted1 - drafted0) * share),
                accepted_tokens=accepted,
                # Each pass yields its accepted draft tokens plus one of its own.
                forward_passes=max(1, generated - accepted),
                prompt_tokens=len(output.prompt_token_ids or ()),
                cached_tokens=int(getattr(output, "num_cached_tokens", 0) or 0),
                wall_s=wall * share,
                speculation=self.speculation,
            )
            out.append(Completion(first.text, finish, cost))
        return out

    def warm(self, prefix: str) -> None:
        from vllm import SamplingParams

        try:
            self.llm.generate([prefix], SamplingParams(max_tokens=1), use_tqdm=False)
        except Exception:  # warming is an optimisation only
            return

    def close(self) -> None:
        del self.llm
