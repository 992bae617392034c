"""Every text colour of the review page against every background it is drawn on: at least
4.5:1 (WCAG AA for normal text)."""

from __future__ import annotations

from bot.render.html import assets
from bot.render.html_palette import contrast, pairs, root_css


def test_every_text_colour_has_a_contrast_of_at_least_4_5_to_1() -> None:
    poor = [
        f"{fg} {fc} on {bg} {bc}: {contrast(fc, bc):.2f}"
        for fg, fc, bg, bc in pairs()
        if contrast(fc, bc) < 4.5
    ]
    assert poor == []


def test_the_contrast_arithmetic_matches_the_known_extremes() -> None:
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert contrast("#777777", "#ffffff") < 4.5 < contrast("#767676", "#ffffff")


def test_the_page_uses_the_palette_and_no_colour_of_its_own_for_text() -> None:
    css = assets().css
    assert css.startswith(root_css())
    body = css[len(root_css()) :]
    # Text colours come from the checked palette only (borders and shadows may differ).
    for declaration in body.replace("}", ";").split(";"):
        name, _, value = declaration.rpartition("{")[2].partition(":")
        if name.strip() == "color":
            assert value.strip().startswith(("var(--", "inherit")), declaration
