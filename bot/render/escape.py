"""Escaping for text from a pull request that goes into the bot's Markdown comments.

Everything a PR controls (paths, code, contract text, marker comments, names in reasons) can
carry Markdown or HTML: a newline that starts a forged "Gate passed" heading, a link, an image,
an HTML comment that looks like our own fingerprint marker, a mention that pings a team, a
bidirectional override that makes code read differently. Here every such character is either
escaped or shown visibly, so what the bot posts says only what the bot says."""

from __future__ import annotations

import re

# Controls and the Unicode characters that reorder or hide text (Trojan Source, CVE-2021-42574).
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u0085\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
)
# `<` and `>` are not here: they become HTML entities, which is what shows them as themselves.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")


def visible(text: str) -> str:
    """Newlines, tabs, other controls and bidi/zero-width characters as visible escapes; an
    HTML comment opener is broken up, so PR text never carries one of our hidden markers."""
    text = text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", " ")
    text = _INVISIBLE.sub(lambda m: f"<U+{ord(m.group(0)):04X}>", text)
    return text.replace("<!--", "<\u200c!--")


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def text(value: str) -> str:
    """Plain text: no Markdown, no HTML, no mentions, one line."""
    shown = _INVISIBLE.sub(lambda m: f"<U+{ord(m.group(0)):04X}>", value)
    shown = " ".join(shown.replace("\r", " ").split("\n"))
    shown = _MARKDOWN.sub(r"\\\1", shown)
    shown = _html(shown)
    return _MENTION.sub("@\u2060", shown)


_IDENT = re.compile(r"^[\w./:-]{1,200}$", re.ASCII)


def ident(value: str) -> str:
    """A rule id or analyzer name: shown as is when it is a plain identifier (they come from
    our rule pack or the base's config), escaped as text otherwise."""
    return value if _IDENT.match(value) else text(value)


def code(value: str, table: bool = False) -> str:
    """An inline code span whose content is shown literally, whatever backticks it holds. In
    a table cell (`table`), a `|` is escaped too: GFM splits cells on it even inside code."""
    shown = visible(value)
    if table:
        shown = shown.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", shown)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if shown.startswith("`") or shown.endswith("`") or not shown.strip() else ""
    return f"{fence}{pad}{shown}{pad}{fence}"


def message(value: str, table: bool = False) -> str:
    """A finding's message: our prose with `code spans` (which may hold PR text). Code spans
    stay code spans, safely fenced; everything else is escaped as plain text."""
    out = []
    pos = 0
    for match in _CODE_SPAN.finditer(value):
        out.append(text(value[pos : match.start()]))
        out.append(code(match.group(2), table))
        pos = match.end()
    out.append(text(value[pos:]))
    return "".join(out)


def cell(value: str) -> str:
    """A message inside a Markdown table cell: pipes escaped in prose and in code spans."""
    return message(value, table=True)


def block(value: str) -> str:
    """Multi-line text from a PR (a suggestion body is not this: it is code in a fence)."""
    return "<br>".join(text(line) for line in value.split("\n"))


def fence_for(body: str) -> str:
    """A code fence longer than any backtick run in `body`, so the body cannot close it."""
    longest = max((len(run) for run in re.findall(r"`{3,}", body)), default=0)
    return "`" * max(3, longest + 1)
