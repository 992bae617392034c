"""Renderings of a `Review`: terminal, JSON (bot.render.document), SARIF, Markdown and the
HTML review page (bot.render.html, rendered from the document with its code lines)."""

from __future__ import annotations

import io

from bot.core.model import Review
from bot.render import document
from bot.render.markdown import render_markdown
from bot.render.sarif import dumps as sarif_dumps
from bot.render.terminal import render_terminal

FORMATS = ("terminal", "json", "sarif", "markdown", "html")


def render(review: Review, fmt: str, *, lines: bool = False, color: bool | None = None) -> str:
    if fmt == "json":
        return document.dumps(review, lines=lines)
    if fmt == "sarif":
        return sarif_dumps(review)
    if fmt == "markdown":
        return render_markdown(review)
    if fmt == "html":
        from bot.render.html import render_html  # Jinja2 and Pygments: only when asked

        return render_html(document.to_document(review, lines=True))
    buffer = io.StringIO()
    render_terminal(review, buffer, color=color)
    return buffer.getvalue()
