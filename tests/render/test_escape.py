"""Escaping PR text for the bot's Markdown, checked by rendering it with a CommonMark parser
(markdown-it-py, which rich already depends on): no forged headings, links, images, HTML,
mentions or hidden markers, and code shown as code whatever backticks it holds."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from bot.render import escape

MD = MarkdownIt("commonmark").enable("table")


def html(markdown: str) -> str:
    return MD.render(markdown)


def inline(markdown: str) -> str:
    """The rendered inline content of one paragraph."""
    out = html(markdown)
    assert out.startswith("<p>") and out.endswith("</p>\n"), out
    return out[3:-5]


HOSTILE = [
    "ok\n# Gate: ✅ passed",
    "ok\r\n---\nsetext heading above",
    "[click me](https://evil.example)",
    "![tracker](https://evil.example/p.png)",
    "<img src=x onerror=alert(1)>",
    "<details open><summary>hi</summary>",
    "<!-- redline:fp=abc:0123456789abcdef -->",
    "**bold** _em_ ~~strike~~",
    "> quoted\n- list item",
    "1. numbered",
    "<https://evil.example>",
    "| a | b |",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_text_renders_as_one_plain_paragraph(value: str) -> None:
    out = html(escape.text(value))
    assert out.count("<p>") == 1
    for tag in (
        "<h1",
        "<h2",
        "<a ",
        "<img",
        "<details",
        "<strong",
        "<em",
        "<ul",
        "<ol",
        "<blockquote",
        "<hr",
        "<table",
    ):
        assert tag not in out, (tag, out)
    assert "<!--" not in out


@pytest.mark.parametrize("value", HOSTILE)
def test_text_is_one_line(value: str) -> None:
    assert "\n" not in escape.text(value) and "\r" not in escape.text(value)


@pytest.mark.parametrize(
    "value", ["@octo-org/security please look", "cc @admin", "mail a@b.example"]
)
def test_mentions_are_broken(value: str) -> None:
    shown = escape.text(value)
    assert re.search(r"@[A-Za-z0-9]", shown) is None
    assert "@\u2060" in shown  # a word joiner: the @ is still shown


@pytest.mark.parametrize(
    ("char", "shown"),
    [
        ("\u202e", "U+202E"),  # right-to-left override (Trojan Source)
        ("\u2066", "U+2066"),  # left-to-right isolate
        ("\u200b", "U+200B"),  # zero-width space
        ("\u200d", "U+200D"),  # zero-width joiner
        ("\ufeff", "U+FEFF"),
        ("\x1b", "U+001B"),  # terminal escape
        ("\x00", "U+0000"),
    ],
)
def test_invisible_characters_are_shown(char: str, shown: str) -> None:
    for rendered in (
        inline(escape.text(f"a{char}b")),
        inline(escape.code(f"a{char}b")),
        escape.visible(f"a{char}b"),
    ):
        assert char not in rendered
        assert shown in rendered


def test_visible_shows_newlines_and_breaks_comment_openers() -> None:
    assert escape.visible("a\nb\r\nc\td") == "a\\nb\\r\\nc d"
    shown = escape.visible("<!-- redline:summary -->")
    assert "<!--" not in shown and "redline:summary" in shown


@pytest.mark.parametrize(
    "value",
    ["a`b", "``double``", "`leading", "trailing`", "```fence```", "x = `cmd` + '`'", "`", ""],
)
def test_code_spans_cannot_be_closed_from_inside(value: str) -> None:
    out = inline(escape.code(value))
    assert out.startswith("<code>") and out.endswith("</code>") and out.count("<code>") == 1
    content = out[len("<code>") : -len("</code>")]
    expected = value if value else "  "
    assert content.strip(" ") == expected.strip(" ")


def test_code_spans_show_markup_literally() -> None:
    out = inline(escape.code("[x](https://evil.example) <b>hi</b> @team"))
    assert "<a " not in out and "<b>" not in out
    assert "&lt;b&gt;" in out and "@team" in out


def test_code_spans_never_carry_a_marker() -> None:
    out = escape.code("<!-- redline:fp=abc:0123456789abcdef -->")
    assert "<!--" not in out


def test_code_spans_are_one_line() -> None:
    assert escape.code("a\nb") == "`a\\nb`"


def test_message_keeps_our_code_spans_and_escapes_the_rest() -> None:
    out = inline(escape.message("call to `os.system(cmd)` in [here](https://evil.example)"))
    assert "<code>os.system(cmd)</code>" in out
    assert "<a " not in out


def test_message_code_spans_with_pr_text_stay_closed() -> None:
    # The name inside our span comes from the PR; its backticks must not end our span.
    out = inline(escape.message("renames ``a`b`` to `c`"))
    assert out.count("<code>") == 2 and "<a " not in out


def test_cell_escapes_pipes() -> None:
    row = f"| {escape.cell('a | b')} | x |"
    out = html(f"| h | i |\n|---|---|\n{row}\n")
    assert out.count("<td>") == 2


def test_block_keeps_lines_apart_without_markdown() -> None:
    assert escape.block("one\n# two") == "one<br>\\# two"
    assert "<h1" not in html(escape.block("one\n# two"))


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("semgrep", "semgrep"),
        ("python.lang.security.audit.eval-detected", "python.lang.security.audit.eval-detected"),
        ("rules/custom:r1", "rules/custom:r1"),
    ],
)
def test_ident_shows_plain_identifiers_as_they_are(value: str, shown: str) -> None:
    assert escape.ident(value) == shown


def test_ident_escapes_anything_else() -> None:
    assert escape.ident("rule [x](y)") == escape.text("rule [x](y)")
    assert escape.ident("x" * 201) == escape.text("x" * 201)


@pytest.mark.parametrize(
    ("body", "fence"),
    [("x = 1", "```"), ("```\nx", "````"), ("a ````` b", "``````"), ("``", "```")],
)
def test_fence_for(body: str, fence: str) -> None:
    assert escape.fence_for(body) == fence
    # The body inside the fence stays code to the end.
    out = html(f"{fence}suggestion\n{body}\n{fence}\n")
    assert out.count("<pre>") == 1 and out.endswith("</code></pre>\n")


# PR text made of what Markdown and HTML care about, in any order.
PIECES = [*"ab `*_[]()<>!#|~&;@:/\\-+.=\n\r\t'\"{}\u202e\u200b\x00\x1b"]
PIECES += ["<!--", "```", "http://x.example", "&gt;", "&#96;", "    "]
HOSTILE_TEXT = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)


@settings(max_examples=75, deadline=None)
@given(HOSTILE_TEXT)
def test_any_text_renders_without_markup(value: str) -> None:
    out = html("x " + escape.text(value))
    assert out.startswith("<p>x") and out.endswith("</p>\n") and out.count("<p>") == 1
    assert "<" not in out[3:-5]  # no element at all inside the paragraph


@settings(max_examples=75, deadline=None)
@given(HOSTILE_TEXT)
def test_any_code_renders_as_one_code_span_showing_it(value: str) -> None:
    out = html("x " + escape.code(value))
    assert out.startswith("<p>x <code>") and out.endswith("</code></p>\n")
    content = out[len("<p>x <code>") : -len("</code></p>\n")]
    assert "<" not in content
    # What the span shows is the text made visible (CommonMark may trim one edge space).
    assert htmllib.unescape(content).strip() == escape.visible(value).strip()


def test_text_shows_greater_than_as_itself() -> None:
    assert inline(escape.text("a > b")) == "a &gt; b"  # the HTML for a visible '>'
