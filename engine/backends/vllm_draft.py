"""Speculative edits inside vLLM: a custom proposer (vLLM's `custom_class` hook) whose draft is
the original region, read from the prompt itself.

A fix prompt holds the region between `### Region` and the end mark, and the answer starts
after `### Rewritten region`. For each running request the proposer decodes its tokens, finds
where the answer so far rejoins the region (its last characters found in the region, nearest
the same place), and proposes the region's next tokens from there. vLLM verifies them; under
greedy decoding what it emits is the model's own choice either way. Prompts without the markers
get no proposals (plain decoding). Imported by vLLM only, in its worker.
"""

from __future__ import annotations

from typing import Any

from engine.prompt import END_MARK

REGION_MARK = "### Region\n"
ANSWER_MARK = "### Rewritten region\n"
TAIL_CHARS = (24, 12, 6, 3)


def draft_text(context: str, length: int = 256) -> str:
    """The region text that should follow the answer so far ('' when unknown)."""
    answer_at = context.rfind(ANSWER_MARK)
    region_at = context.rfind(REGION_MARK, 0, answer_at if answer_at >= 0 else None)
    if answer_at < 0 or region_at < 0:
        return ""
    region = context[region_at + len(REGION_MARK) : answer_at]
    end = region.rfind(END_MARK)
    region = region[:end] if end >= 0 else region
    answer = context[answer_at + len(ANSWER_MARK) :]
    if not answer:
        return region[:length]
    for size in TAIL_CHARS:
        if len(answer) < size:
            continue
        tail = answer[-size:]
        found, at = [], region.find(tail)
        while at >= 0:
            found.append(at)
            at = region.find(tail, at + 1)
        if found:
            best = min(found, key=lambda i: abs(i + size - len(answer)))
            return region[best + size : best + size + length]
    return ""


class RegionProposer:
    """vLLM calls `propose(sampled_token_ids, num_tokens_no_spec, token_ids_cpu, ...)`."""

    def __init__(self, vllm_config: Any) -> None:
        from transformers import AutoTokenizer

        spec = vllm_config.speculative_config
        self.k = int(spec.num_speculative_tokens)
        self.tokenizer = AutoTokenizer.from_pretrained(vllm_config.model_config.tokenizer)

    def load_model(self, *args: Any, **kwargs: Any) -> None:
        """No model: the draft is text from the prompt."""

    def propose(
        self,
        sampled_token_ids: list[list[int]],
        num_tokens_no_spec: Any,
        token_ids_cpu: Any,
        slot_mappings: Any = None,
        **kwargs: Any,
    ) -> list[list[int]]:
        out: list[list[int]] = []
        for i, sampled in enumerate(sampled_token_ids):
            if not sampled:
                out.append([])
                continue
            tokens = token_ids_cpu[i, : int(num_tokens_no_spec[i])].tolist()
            text = draft_text(str(self.tokenizer.decode(tokens)), 8 * self.k)
            ids = self.tokenizer.encode(text, add_special_tokens=False) if text else []
            out.append(ids[: self.k])
        return out
