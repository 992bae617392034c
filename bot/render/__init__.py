"""Renderings of a `Review`: terminal, JSON (bot.render.document), SARIF and Markdown."""

from __future__ import annotations

import io

from bot.core.model import Review
from bot.render import document
from bot.render.markdown import render_markdown
from bot.render.sarif import dumps as sarif_dumps
from bot.render.terminal import render_terminal

FORMATS = ("terminal", "json", "sarif", "markdown")


def render(review: Review, fmt: str, *, lines: bool = False, color: bool | None = None) -> str:
    if fmt == "json":
        return document.dumps(review, lines=lines)
    if fmt == "sarif":
        return sarif_dumps(review)
    if fmt == "markdown":
        return render_markdown(review)
    buffer = io.StringIO()
    render_terminal(review, buffer, color=color)
    return buffer.getvalue()
