"""The guided review page (`--format html`, and `/reviews/{id}` in the service): one
self-contained HTML file rendered from a review document with Jinja2. The CSS and the small
vanilla script are inlined and named by hash in a Content-Security-Policy, so the page needs
no network, no CDN and no build step, and nothing injected into it can run.

Every value from the document is escaped (autoescape), and bidirectional control characters
are shown as visible marks instead of reordering what a reader sees."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Template
from markupsafe import Markup, escape

from bot.render.html_highlight import reveal_bidi
from bot.render.html_palette import root_css
from bot.render.html_rows import HEAT_GLYPHS, message_html
from bot.render.html_view import EAGER_ROWS, build


@dataclass(frozen=True)
class Assets:
    css: str
    js: str

    @property
    def csp(self) -> str:
        """Only our own inline style and script, by hash; nothing else loads or runs."""

        def digest(text: str) -> str:
            raw = hashlib.sha256(text.encode("utf-8")).digest()
            return "'sha256-" + base64.b64encode(raw).decode("ascii") + "'"

        return (
            f"default-src 'none'; style-src {digest(self.css)}; script-src {digest(self.js)}; "
            "img-src data:; base-uri 'none'; form-action 'none'"
        )


def _text(name: str) -> str:
    return (resources.files("bot.render") / "templates" / name).read_text(encoding="utf-8")


@cache
def assets() -> Assets:
    return Assets(root_css() + "\n" + _text("page.css"), _text("page.js"))


def _finalize(value: Any) -> Any:
    """Every `{{ value }}`: None shows as nothing, text is escaped and bidi marks revealed."""
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    if isinstance(value, str):
        return Markup(reveal_bidi(str(escape(value))))
    return value


def _number(value: Any, digits: int = 2) -> str:
    return "" if value is None else f"{float(value):.{digits}f}"


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("bot.render", "templates"),
        autoescape=True,
        finalize=_finalize,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _number
    env.filters["md"] = lambda text: Markup(message_html(str(text)))
    env.filters["count"] = lambda n, word: f"{n:,} {word}{'' if n == 1 else 's'}"
    return env


@cache
def _template(name: str) -> Template:
    return environment().get_template(name)


def render_html(
    document: Mapping[str, Any],
    *,
    title: str = "redline review",
    subtitle: str | None = None,
    budget: int = EAGER_ROWS,
) -> str:
    """The page for one review document (made with `to_document(review, lines=True)`)."""
    page = build(document, title, subtitle, budget)
    parts = assets()
    return _template("page.html.j2").render(
        page=page, css=Markup(parts.css), js=Markup(parts.js), csp=parts.csp, glyphs=HEAT_GLYPHS
    )


def render_error(status: int, heading: str, message: str) -> str:
    """A small page for a refused or missing review: what happened and what to do."""
    parts = assets()
    return _template("error.html.j2").render(
        status=status, heading=heading, message=message, css=Markup(parts.css), csp=parts.csp
    )
