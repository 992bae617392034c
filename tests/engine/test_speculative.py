"""Speculative decoding changes the number of forward passes, never the output: under greedy
decoding every mode emits plain decoding's tokens, on many inputs, with drafts that agree,
diverge, skip and insert, with stop sequences and token budgets."""

from __future__ import annotations

import random

import pytest
import torch

from bot.core.errors import EngineError
from engine.backends.base import Request
from engine.backends.local import LocalBackend
from tests.engine.helpers import SAMPLE, tiny


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _perturbed(tokens: list[int], rng: random.Random, vocab: int) -> list[int]:
    out = list(tokens)
    for _ in range(rng.randrange(5)):
        at = rng.randrange(len(out) + 1)
        kind = rng.choice("isdx")
        if kind == "i":
            out[at:at] = [rng.randrange(vocab) for _ in range(rng.randrange(1, 4))]
        elif kind == "x" and at < len(out):  # a stretch skipped
            del out[at : at + rng.randrange(1, 6)]
        elif out and at < len(out):
            if kind == "d":
                del out[at]
            else:
                out[at] = rng.randrange(vocab)
    return out


def test_every_mode_matches_plain_decoding_token_for_token() -> None:
    loaded = tiny(seed=3)
    plain, draft, ngram = (LocalBackend(loaded, mode) for mode in ("plain", "draft", "ngram"))
    lines = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    rng = random.Random(7)
    fewer = 0
    for case in range(24):
        at = rng.randrange(len(lines) - 12)
        prompt = "".join(lines[at : at + rng.randrange(2, 10)])
        stop = (rng.choice(["\n\n", "):", "self"]),) if case % 3 == 0 else ()
        budget = rng.choice([5, 17, 40])
        reference = plain.complete(Request(prompt, stop=stop, max_tokens=budget))
        tokens = loaded.tokenizer.encode(reference.text)
        drafts = [
            reference.text,
            loaded.tokenizer.decode(_perturbed(tokens, rng, loaded.tokenizer.vocab_size - 1)),
            "".join(lines[at : at + 3]),
            "",
        ]
        for text in drafts:
            request = Request(prompt, draft=text, stop=stop, max_tokens=budget)
            for backend in (draft, ngram):
                got = backend.complete(request)
                assert got.text == reference.text, (case, backend.speculation, text)
                assert got.finish == reference.finish
                assert got.cost.generated_tokens == reference.cost.generated_tokens
                assert got.cost.forward_passes <= reference.cost.forward_passes
        exact = draft.complete(Request(prompt, draft=reference.text, stop=stop, max_tokens=budget))
        fewer += exact.cost.forward_passes < reference.cost.forward_passes
        assert exact.cost.accepted_tokens <= exact.cost.drafted_tokens
    assert fewer >= 16  # a draft that is the answer is verified many tokens a pass


def test_the_original_region_as_draft_needs_few_passes() -> None:
    loaded = tiny(seed=3)
    plain = LocalBackend(loaded, "plain").complete(Request("def render(task", max_tokens=60))
    assert plain.cost.forward_passes == plain.cost.generated_tokens  # one pass a token
    fast = LocalBackend(loaded, "draft", k=16).complete(
        Request("def render(task", draft=plain.text, max_tokens=60)
    )
    assert fast.text == plain.text
    assert fast.cost.forward_passes <= plain.cost.forward_passes // 4
    assert fast.cost.accepted_tokens >= plain.cost.generated_tokens - fast.cost.forward_passes


def test_a_prompt_longer_than_the_context_is_an_engine_error() -> None:
    backend = LocalBackend(tiny(), "draft")
    with pytest.raises(EngineError, match="context"):
        backend.complete(Request("x " * 2000, max_tokens=4))


def test_sampling_is_reproducible() -> None:
    backend = LocalBackend(tiny(), "draft")
    request = Request("def f(", draft="x):\n", max_tokens=12, temperature=0.8)
    assert backend.complete(request).text == backend.complete(request).text
