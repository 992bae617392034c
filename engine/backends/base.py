"""The one inference interface every backend implements (local torch, vLLM in-process, any
OpenAI-compatible server).

A `Request` is a prompt laid out for caching (a stable `prefix`: instructions, repository rules,
file context; a variable `suffix`: the finding and the region), the region being rewritten as the
`draft` (speculative edits verify it instead of generating it), stop rules and a token budget.
Decoding is greedy unless `temperature` says otherwise. A `Completion` is the text plus what it
cost. Every failure a caller can meet is `bot.core.errors.EngineError`: a backend that is not
configured, not reachable, times out, or answers something unusable; nothing else escapes.

Callers (the fix engine, the LLM review tier) depend on this module only, never on a concrete
backend, and build backends through `engine.backends.open_backend` from settings.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from bot.core.errors import EngineError

# How a backend used the draft: `plain` one token per forward pass, `ngram` prompt-lookup
# drafts, `draft` the original region as the draft (speculative edits), `server` whatever an
# external server did (it reports no pass counts).
Speculation = Literal["plain", "ngram", "draft", "server"]
FinishReason = Literal["stop", "length"]


@dataclass(frozen=True, slots=True)
class Request:
    """One generation. `prompt` is `prefix + suffix`: keep everything that is the same for every
    finding of a file (or a pull request) in `prefix`, so backends with prefix caching reuse it.

    - `draft`: the text the answer is expected to mostly copy (the original region). Backends
      that speculate use it as the draft; others ignore it. It never changes the greedy output.
    - `stop`: the answer ends before the first of these strings (not included in `text`).
    - `max_tokens`: the budget for generated tokens; hitting it is `finish == "length"`.
    - `temperature`: 0.0 is greedy (the default, and the only mode whose output is reproducible
      and identical across speculation modes).
    - `json_schema`: a JSON schema (as text) the answer must follow, for callers that want
      structured answers (the LLM review tier). Backends that can constrain decoding do;
      the others generate freely, so callers validate the answer either way.
    - `timeout_s`: wall-clock limit for this request; exceeding it is an `EngineError`.
    """

    prefix: str
    suffix: str = ""
    draft: str = ""
    stop: tuple[str, ...] = ()
    max_tokens: int = 256
    temperature: float = 0.0
    json_schema: str | None = None
    timeout_s: float = 60.0

    @property
    def prompt(self) -> str:
        return self.prefix + self.suffix

    def __post_init__(self) -> None:
        if self.max_tokens < 1:
            raise EngineError(f"max_tokens must be at least 1, not {self.max_tokens}")
        if self.temperature < 0:
            raise EngineError(f"temperature must not be negative, not {self.temperature}")


@dataclass(frozen=True, slots=True)
class Cost:
    """What one completion cost. Counts a backend cannot know are 0 (a remote server reports
    no forward passes); `speculation` says which mode produced them.

    - `generated_tokens`: tokens in the answer (including a stop sequence's tokens if any).
    - `drafted_tokens`: draft tokens proposed for verification; `accepted_tokens`: those the
      model agreed with. accepted / generated is the share produced without a forward pass of
      its own.
    - `forward_passes`: model calls during decoding (the prompt's prefill counts as one).
    - `prompt_tokens`, `cached_tokens`: prompt size and how much of it came from a prefix cache.
    - `wall_s`: wall time of the request, prefill included.
    """

    generated_tokens: int = 0
    drafted_tokens: int = 0
    accepted_tokens: int = 0
    forward_passes: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0
    wall_s: float = 0.0
    speculation: Speculation = "plain"

    @property
    def tokens_per_s(self) -> float:
        return self.generated_tokens / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def passes_per_token(self) -> float:
        return self.forward_passes / self.generated_tokens if self.generated_tokens else 0.0

    def __add__(self, other: Cost) -> Cost:
        mode = self.speculation if self.speculation == other.speculation else "server"
        return Cost(
            self.generated_tokens + other.generated_tokens,
            self.drafted_tokens + other.drafted_tokens,
            self.accepted_tokens + other.accepted_tokens,
            self.forward_passes + other.forward_passes,
            self.prompt_tokens + other.prompt_tokens,
            self.cached_tokens + other.cached_tokens,
            self.wall_s + other.wall_s,
            mode,
        )


@dataclass(frozen=True, slots=True)
class Completion:
    """The answer: `text` (stop sequence removed), why it ended, and its cost."""

    text: str
    finish: FinishReason
    cost: Cost = field(default_factory=Cost)


class Backend(abc.ABC):
    """An inference backend. Concrete backends: `local` (engine.backends.local), `vllm`
    (engine.backends.vllm), `openai` (engine.backends.openai).

    `name` identifies the backend in reviews (`engine:local`), `model` the model it serves,
    `context_window` the most prompt + answer tokens it accepts.
    """

    name: str = "backend"
    model: str = ""
    context_window: int = 4096

    @abc.abstractmethod
    def complete(self, request: Request) -> Completion:
        """Generate one answer. Raises EngineError on any failure."""

    def complete_all(self, requests: Sequence[Request]) -> list[Completion | EngineError]:
        """Many answers; one failing request does not fail the others. Backends that batch
        (vLLM) override this; the default runs them one after another."""
        out: list[Completion | EngineError] = []
        for request in requests:
            try:
                out.append(self.complete(request))
            except EngineError as exc:
                out.append(exc)
        return out

    def count_tokens(self, text: str) -> int:
        """Tokens `text` takes: exact where the backend holds the tokenizer, otherwise an upper
        estimate (UTF-8 bytes / 3, which over-counts for every BPE code tokenizer we know)."""
        return len(text.encode("utf-8")) // 3 + 1

    def warm(self, prefix: str) -> None:  # noqa: B027 - optional capability, no-op by default
        """Fill the prefix cache for `prefix` ahead of the requests that share it (called when a
        pull request opens, before its findings are ready). A no-op where there is no cache."""

    def check(self) -> None:  # noqa: B027 - optional capability, no-op by default
        """Raise EngineError if the backend cannot serve (not configured, not reachable). Cheap;
        called once before a review uses the backend, so the review can record it as skipped."""

    def close(self) -> None:  # noqa: B027 - optional capability, no-op by default
        """Release what the backend holds (sockets, model memory)."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["Backend", "Completion", "Cost", "EngineError", "FinishReason", "Request", "Speculation"]
