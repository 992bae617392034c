"""A backend that answers from a script: the engine's side of the interface, exercised
without a model. (A test double of the inference server, not of our own code.)"""

from __future__ import annotations

from collections.abc import Callable

from bot.core.errors import EngineError
from engine.backends.base import Backend, Completion, Cost, Request


class Scripted(Backend):
    name = "scripted"
    context_window = 4096

    def __init__(self, answer: Callable[[Request], Completion | EngineError]) -> None:
        self.answer = answer
        self.requests: list[Request] = []
        self.warmed: list[str] = []

    def warm(self, prefix: str) -> None:
        self.warmed.append(prefix)

    def complete(self, request: Request) -> Completion:
        self.requests.append(request)
        out = self.answer(request)
        if isinstance(out, EngineError):
            raise out
        return out


def says(text: str, finish: str = "stop") -> Scripted:
    return Scripted(lambda r: Completion(text, finish, Cost(generated_tokens=len(text) // 3)))  # type: ignore[arg-type]
