"""The local backend: the fix model that ships with the package, pure torch on CPU, with
speculative decoding done here.

Modes (`speculation`):
- `plain`: one token per forward pass.
- `ngram`: prompt lookup; the last few tokens are looked up in the prompt and the output so
  far, and the tokens that followed them there are the draft.
- `draft`: speculative edits; the original region is the draft. Propose the next k draft tokens
  at the current alignment, verify them in one pass over the KV cache, keep the longest prefix
  the model agrees with plus the model's own next token. After a divergence, re-align where the
  output rejoins the original (its last tokens found again in the draft).

Every mode emits exactly the model's greedy choices (a drafted token is kept only when it is
the argmax at its position), so the outputs are those of plain decoding, token for token; only
the number of forward passes changes. A test checks this on many inputs.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from bot.core.errors import EngineError, ModelMissing
from engine.backends.base import Backend, Completion, Cost, FinishReason, Request, Speculation
from engine.model.net import Cache, FixModel
from engine.model.tokenizer import Tokenizer
from engine.model.weights import Loaded

MAX_DRAFT = 24  # the most tokens verified in one pass


@dataclass
class _State:
    """One generation in progress: the tokens so far and how the answer ends."""

    tokenizer: Tokenizer
    stop: tuple[bytes, ...]
    budget: int
    out: list[int] = field(default_factory=list)
    text: bytearray = field(default_factory=bytearray)
    finish: str | None = None
    cut: int | None = None  # byte length of the answer when a stop sequence ended it

    def push(self, token: int) -> bool:
        """Append one token; True when the answer is complete."""
        self.out.append(token)
        if token == self.tokenizer.eot:
            self.finish = "stop"
            self.cut = len(self.text)
            return True
        before = len(self.text)
        self.text.extend(self.tokenizer.piece(token))
        for stop in self.stop:
            at = self.text.find(stop, max(0, before - len(stop) + 1))
            if at >= 0:
                self.finish, self.cut = "stop", at
                return True
        if len(self.out) >= self.budget:
            self.finish = "length"
            return True
        return False


class _Aligner:
    """Where the output stands in the draft, and the next tokens to propose from it."""

    def __init__(self, draft: Sequence[int], k: int) -> None:
        self.draft = list(draft)
        self.position = 0  # index of the draft token expected next
        self.k = k
        self.width = k  # shrinks after rejected proposals, grows back after accepted ones

    def propose(self, out: Sequence[int]) -> list[int]:
        if self.position >= len(self.draft) or not self._aligned(out):
            self._realign(out)
        return self.draft[self.position : self.position + self.width]

    def _aligned(self, out: Sequence[int]) -> bool:
        return self.position > 0 and bool(out) and self.draft[self.position - 1] == out[-1]

    def _realign(self, out: Sequence[int]) -> None:
        """Find the output's last tokens in the draft, nearest after the old position first."""
        for n in (4, 3, 2, 1):
            if len(out) < n:
                continue
            tail = list(out[-n:])
            starts = [
                j
                for j in range(len(self.draft) - n + 1)
                if self.draft[j : j + n] == tail and j + n < len(self.draft)
            ]
            if starts:
                ahead = [j for j in starts if j + n >= self.position - 8]
                self.position = (min(ahead) if ahead else starts[-1]) + n
                return
        self.position = len(self.draft)  # nothing to propose until the output rejoins

    def update(self, proposed: int, accepted: int) -> None:
        if proposed == 0:
            return
        if accepted == proposed:
            self.position += accepted + 1
            self.width = min(self.k, self.width * 2)
        else:
            self.position += accepted + 1  # assume the model replaced one token; re-checked
            self.width = max(2, self.width // 2) if accepted == 0 else self.width


def _lookup(history: Sequence[int], width: int, prompt_length: int) -> list[int]:
    """Prompt lookup: what followed the most recent earlier occurrence of the last tokens."""
    for n in (3, 2, 1):
        if len(history) <= n:
            continue
        tail = list(history[-n:])
        for j in range(len(history) - n - 1, -1, -1):
            if history[j : j + n] == tail:
                follow = list(history[j + n : j + n + width])
                if follow:
                    return follow
    return []


class LocalBackend(Backend):
    name = "local"

    def __init__(
        self,
        loaded: Loaded | None = None,
        speculation: Speculation = "draft",
        k: int = 16,
    ) -> None:
        if loaded is None:
            from engine.model.weights import shipped

            try:
                loaded = shipped()
            except ModelMissing as exc:
                raise EngineError(f"the local fix model is not available: {exc}") from exc
        if speculation not in ("plain", "ngram", "draft"):
            raise EngineError(f"unknown speculation mode {speculation!r}")
        self.loaded = loaded
        self.net: FixModel = loaded.model
        self.tokenizer = loaded.tokenizer
        self.speculation: Speculation = speculation
        self.k = max(1, min(k, MAX_DRAFT))
        self.context_window = self.net.config.context
        self.model = f"redline-fixer-{loaded.version}"

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text))

    def complete(self, request: Request) -> Completion:
        started = time.perf_counter()
        prompt = self.tokenizer.encode(request.prompt)
        room = self.context_window - len(prompt)
        if room < 1:
            raise EngineError(
                f"the prompt takes {len(prompt)} tokens; the local model's context is "
                f"{self.context_window}"
            )
        state = _State(
            self.tokenizer,
            tuple(s.encode("utf-8") for s in request.stop if s),
            min(request.max_tokens, room),
        )
        with torch.inference_mode():
            passes, drafted, accepted = self._decode(prompt, request, state)
        text = bytes(state.text[: state.cut] if state.cut is not None else state.text)
        cost = Cost(
            generated_tokens=len(state.out),
            drafted_tokens=drafted,
            accepted_tokens=accepted,
            forward_passes=passes,
            prompt_tokens=len(prompt),
            wall_s=time.perf_counter() - started,
            speculation=self.speculation,
        )
        finish: FinishReason = "stop" if state.finish == "stop" else "length"
        return Completion(text.decode("utf-8", "replace"), finish, cost)

    def _pick(self, logits: torch.Tensor, temperature: float, generator: torch.Generator) -> int:
        if temperature <= 0:
            return int(torch.argmax(logits))
        probs = torch.softmax(logits.float() / temperature, dim=-1)
        return int(torch.multinomial(probs, 1, generator=generator))

    def _decode(self, prompt: list[int], request: Request, state: _State) -> tuple[int, int, int]:
        cache = Cache(self.net.config.layers)
        generator = torch.Generator().manual_seed(0)
        logits = self.net(torch.tensor([prompt]), cache)
        passes, drafted, accepted_total = 1, 0, 0
        if state.push(self._pick(logits[0, -1], request.temperature, generator)):
            return passes, drafted, accepted_total
        greedy = request.temperature <= 0
        aligner = _Aligner(self.tokenizer.encode(request.draft), self.k)
        while True:
            room = self.context_window - cache.length - 1
            if room < 0:
                state.finish = "length"
                break
            proposal: list[int] = []
            if greedy and self.speculation == "draft":
                proposal = aligner.propose(state.out)
            elif greedy and self.speculation == "ngram":
                proposal = _lookup(prompt + state.out, self.k, len(prompt))
            proposal = proposal[: min(room, state.budget - len(state.out))]
            length = cache.length
            logits = self.net(torch.tensor([[state.out[-1], *proposal]]), cache)
            passes += 1
            if not greedy:
                if state.push(self._pick(logits[0, -1], request.temperature, generator)):
                    break
                continue
            predictions = torch.argmax(logits[0], dim=-1).tolist()
            agreed = 0
            while agreed < len(proposal) and proposal[agreed] == predictions[agreed]:
                agreed += 1
            cache.crop(length + 1 + agreed)
            drafted += len(proposal)
            accepted_total += agreed
            if self.speculation == "draft":
                aligner.update(len(proposal), agreed)
            done = False
            for token in [*proposal[:agreed], predictions[agreed]]:
                if state.push(token):
                    done = True
                    break
            if done:
                break
        return passes, drafted, min(accepted_total, len(state.out))
