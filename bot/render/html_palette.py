"""The review page's colours, in one table, with the WCAG contrast arithmetic that checks
them: every text colour is at least 4.5:1 against every background it can be drawn on
(tests/render/test_html_palette.py). The CSS custom properties are generated from here."""

from __future__ import annotations

# Backgrounds of code rows: context, removed, and added lines by heat level (0 = predictable,
# 4 = the most surprising tenth of the document). Heat also shows as a bar glyph per line.
CODE_BACKGROUNDS: dict[str, str] = {
    "bg": "#ffffff",
    "del-bg": "#ffebe9",
    "h0": "#f3faf4",
    "h1": "#fdf6d3",
    "h2": "#fde9a9",
    "h3": "#fbd68a",
    "h4": "#f9c06b",
    "sug-bg": "#f6f8fa",
}
# Text drawn on code rows: plain code, line numbers and greyed-out (skim) code, and the
# syntax classes of bot.render.html_highlight.
CODE_FOREGROUNDS: dict[str, str] = {
    "fg": "#1f2328",
    "muted": "#4a5058",
    "k": "#8b1a8b",
    "s": "#0a5c2a",
    "c": "#4a5058",
    "m": "#0b4f99",
    "nb": "#8a3300",
    "nf": "#0b4f99",
    "nd": "#6b3d00",
    "err": "#a40e26",
    "warn": "#7a4500",
    "note": "#0b4f99",
}
# The page around the code: header, reading order, badges, tooltips, the keys dialog.
UI_BACKGROUNDS: dict[str, str] = {
    "bg": "#ffffff",
    "panel": "#f6f8fa",
    "tip-bg": "#1f2328",
    "fail-bg": "#ffebe9",
    "pass-bg": "#dafbe1",
    "scrutinize-bg": "#fff1e5",
}
UI_FOREGROUNDS: dict[str, str] = {
    "fg": "#1f2328",
    "muted": "#4a5058",
    "link": "#0a58b8",
    "err": "#a40e26",
    "warn": "#7a4500",
    "note": "#0b4f99",
    "ok": "#116329",
}
TIP_FOREGROUND = "#ffffff"  # tooltip text, on tip-bg only
FOCUS = "#0a58b8"  # the focus ring (a 3 px outline: a non-text contrast of 3:1 is enough)


def luminance(colour: str) -> float:
    """Relative luminance of an sRGB colour written #rrggbb (WCAG 2.x)."""
    value = colour.lstrip("#")
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    low, high = sorted((luminance(first), luminance(second)))
    return (high + 0.05) / (low + 0.05)


def pairs() -> list[tuple[str, str, str, str]]:
    """Every (foreground name, colour, background name, colour) the page can draw."""
    out = [
        (fg, fc, bg, bc)
        for fg, fc in CODE_FOREGROUNDS.items()
        for bg, bc in CODE_BACKGROUNDS.items()
    ]
    out += [
        (fg, fc, bg, bc)
        for fg, fc in UI_FOREGROUNDS.items()
        for bg, bc in UI_BACKGROUNDS.items()
        if bg != "tip-bg"
    ]
    out.append(("tip-fg", TIP_FOREGROUND, "tip-bg", UI_BACKGROUNDS["tip-bg"]))
    return out


def root_css() -> str:
    """The palette as CSS custom properties (`--k`, `--h3`, `--ui-panel`, ...)."""
    names = {**CODE_BACKGROUNDS, **CODE_FOREGROUNDS}
    names |= {f"ui-{k}": v for k, v in {**UI_BACKGROUNDS, **UI_FOREGROUNDS}.items()}
    names |= {"tip-fg": TIP_FOREGROUND, "focus": FOCUS}
    return ":root{" + ";".join(f"--{k}:{v}" for k, v in names.items()) + "}"
