"""The fix engine behind the pull-request flow's `Fixer` port: one backend (or none: rule
fixes only), opened once per process, its prompt cache warmed when a pull request opens and
its validated fixes attached to each review (bot/analyzers/fixes.py)."""

from __future__ import annotations

from collections.abc import Mapping

from bot.analyzers.fixes import attach_fixes
from bot.core.errors import EngineError
from bot.core.model import Review
from bot.core.ports import AnalysisRequest
from engine.backends.base import Backend
from engine.fixer import Options, warm


class EngineFixer:
    """`backend` None: rule and detector fixes only (`why`: the reason there is no model, shown
    in the review's analyzers when there is one)."""

    def __init__(self, backend: Backend | None, why: str | None = None) -> None:
        self.backend = backend
        self.why = why
        self.options = Options(use_model=backend is not None)

    def warm(self, texts: Mapping[str, str | None]) -> None:
        if self.backend is None:
            return
        try:
            warm(self.backend, texts, self.options)
        except EngineError:
            return  # a cold cache only costs time; attach() reports a backend that is down

    def attach(self, review: Review, request: AnalysisRequest) -> Review:
        return attach_fixes(review, request, self.backend, self.options, self.why)


def open_fixer(kind: str | None, url: str | None, model: str | None) -> EngineFixer | None:
    """The service's fixer for REDLINE_ENGINE `kind`: `off`, no fixes at all; `rules`, the rule
    pack's and the detector's fixes (the default: see Settings.engine); a backend kind, model
    fixes too. A backend that cannot be opened leaves the rule fixes, and the review says why."""
    if kind == "off":
        return None
    if kind in (None, "rules"):
        return EngineFixer(None)
    from engine.backends import open_backend

    try:
        return EngineFixer(open_backend(kind, url=url, model=model))
    except EngineError as exc:
        return EngineFixer(None, str(exc))
