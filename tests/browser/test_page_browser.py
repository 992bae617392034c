"""The review page in a real browser: a real commit of this project in reading order, skim
hunks collapsed and expanded, j/k/n/p/x/?, a finding on hover and on focus, the place kept
over a reload, the escaping of hostile names and code, the line budget, and axe-core."""

from __future__ import annotations

from typing import Any

import pytest

from bot.render.html import render_html
from tests.browser.conftest import axe_violations
from tests.render.html_samples import document, file, finding, hunk
from tests.render.test_html import NASTY

pytestmark = pytest.mark.browser


def _active(tab: Any) -> dict[str, Any]:
    return dict(
        tab.evaluate(
            "() => { const a = document.activeElement; const h = a.closest('details.hunk');"
            " return {tag: a.tagName, id: a.id, hunk: h ? h.id : null,"
            " open: h ? h.open : null, hash: location.hash}; }"
        )
    )


def test_a_real_commit_reads_in_order_with_skims_collapsed_and_the_keys_working(
    tab: Any, real_page: str, real_document: dict[str, Any], shots: Any
) -> None:
    tab.goto(real_page)
    shown = tab.eval_on_selector_all("section.file h2 code", "els => els.map(e => e.textContent)")
    assert shown == [f["path"] for f in real_document["files"]]
    skims = tab.eval_on_selector_all(
        "details.hunk.skim", "els => els.map(e => [e.open, e.querySelector('summary').textContent])"
    )
    assert skims and all(not is_open for is_open, _ in skims)
    assert all("skim" in text for _, text in skims)
    tab.screenshot(path=str(shots / "01-overview.png"))

    tab.keyboard.press("j")
    assert _active(tab)["tag"] == "SUMMARY" and _active(tab)["hunk"] == "h-1"
    tab.keyboard.press("j")
    tab.keyboard.press("j")
    tab.keyboard.press("k")
    state = _active(tab)
    assert (state["hunk"], state["hash"]) == ("h-2", "#h-2")
    was_open = state["open"]
    tab.keyboard.press("x")
    assert _active(tab)["open"] is (not was_open)
    tab.keyboard.press("x")
    assert _active(tab)["open"] is was_open

    first_skim = tab.eval_on_selector("details.hunk.skim", "e => e.id")
    tab.click(f"#{first_skim} > summary")
    assert tab.eval_on_selector(f"#{first_skim}", "e => e.open") is True
    assert tab.eval_on_selector_all(f"#{first_skim} table.code tr", "r => r.length") > 1
    tab.screenshot(path=str(shots / "02-skim-expanded.png"))


def test_n_and_p_walk_the_findings_and_a_reload_comes_back(
    tab: Any, real_page: str, real_document: dict[str, Any], shots: Any
) -> None:
    tab.goto(real_page)
    marks = tab.eval_on_selector_all("mark.sq[id]", "els => els.map(e => e.id)")
    assert len(marks) >= 2, "the real commit has findings on shown lines"
    tab.keyboard.press("n")
    assert _active(tab)["id"] == marks[0]
    described = tab.evaluate(
        "() => document.getElementById(document.activeElement.getAttribute('aria-describedby'))"
        ".textContent"
    )
    assert "score" in described, "the finding's description is tied to its line"
    assert tab.is_visible("#float-tip") and "score" in tab.inner_text("#float-tip")
    tab.screenshot(path=str(shots / "03-finding-focused.png"))
    tab.keyboard.press("n")
    assert _active(tab)["id"] == marks[1]
    tab.keyboard.press("p")
    assert _active(tab)["id"] == marks[0]
    assert _active(tab)["hash"] == f"#{marks[0]}"
    tab.reload()
    assert _active(tab)["id"] == marks[0], "the place survives a reload"

    shown = "details.hunk[open] mark.sq[id]"
    other = tab.eval_on_selector_all(shown, "els => els[els.length - 1].id")
    tab.keyboard.press("Escape")
    tab.hover(f"#{other}")
    assert tab.is_visible("#float-tip")
    text = "t => t.textContent"
    assert tab.eval_on_selector("#float-tip", text) == tab.eval_on_selector(f"#{other}-tip", text)
    tab.screenshot(path=str(shots / "04-finding-hover.png"))

    tab.keyboard.press("?")
    assert tab.eval_on_selector("#keys", "d => d.open") is True
    tab.screenshot(path=str(shots / "05-keys.png"))
    tab.keyboard.press("?")
    assert tab.eval_on_selector("#keys", "d => d.open") is False


def test_axe_finds_no_serious_or_critical_violation(tab: Any, real_page: str) -> None:
    tab.goto(real_page)
    tab.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
    tab.keyboard.press("n")  # a tooltip showing, too
    assert axe_violations(tab) == []


def test_hostile_names_and_code_stay_text_in_the_dom(tab: Any, tmp_path: Any, shots: Any) -> None:
    long_line = "y = '" + "B" * 20_000 + "'"
    path = f"src/{NASTY}.py"
    doc = document(
        [
            {
                **file(path, [hunk(1, [NASTY, long_line], removed=[NASTY], note=NASTY)], NASTY),
                "group": NASTY,
            }
        ],
        [finding(path, 3, NASTY, rule=NASTY, suggestion=NASTY + "\n")],
        groups=[{"label": NASTY, "reason": NASTY, "paths": [path]}],
        gate={"failed": True, "reasons": [NASTY], "fail_on": "error"},
    )
    page = tmp_path / "nasty.html"
    page.write_text(render_html(doc, subtitle=NASTY), encoding="utf-8")
    tab.goto(page.as_uri())
    assert tab.evaluate("() => window.__pwned") is None
    assert tab.evaluate("() => document.querySelectorAll('img, textarea').length") == 0
    assert tab.evaluate("() => document.scripts.length") == 1
    heading = tab.inner_text("section.file h2 code")
    assert "<script>window.__pwned=1</script></textarea><img src=x onerror=" in heading
    assert "[U+202E]" in heading and "\u202e" not in tab.inner_text("body")
    overflow = tab.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "a very long line wraps instead of widening the page"
    tab.keyboard.press("n")
    assert "<script>" in tab.inner_text("#float-tip")
    tab.screenshot(path=str(shots / "06-escaping.png"))


def test_a_ten_thousand_line_change_stays_usable(tab: Any, tmp_path: Any, shots: Any) -> None:
    files = [
        file(
            f"pkg/m{i}.py",
            [hunk(1 + 200 * j, [f"v{j}_{k} = {k}" for k in range(50)]) for j in range(10)],
        )
        for i in range(20)
    ]
    page = tmp_path / "big.html"
    page.write_text(render_html(document(files)), encoding="utf-8")
    tab.goto(page.as_uri())
    rows = tab.evaluate("() => document.querySelectorAll('table.code tbody tr').length")
    assert 0 < rows <= 8_000
    assert "render when you open them" in tab.inner_text("#budget")
    lazy = tab.eval_on_selector("details.hunk.lazy", "d => d.id")
    tab.focus(f"#{lazy} > summary")
    tab.keyboard.press("x")
    assert tab.eval_on_selector_all(f"#{lazy} table.code tbody tr", "r => r.length") == 54
    tab.click("#render-all")
    assert tab.evaluate("() => document.querySelectorAll('details.hunk template').length") == 0
    tab.screenshot(path=str(shots / "07-budget.png"))


def test_under_its_own_policy_the_page_runs_and_loads_nothing(
    strict_tab: tuple[Any, list[str]], real_page: str
) -> None:
    tab, problems = strict_tab
    requests: list[str] = []
    tab.on("request", lambda r: requests.append(r.url))
    tab.goto(real_page)
    tab.keyboard.press("n")
    assert tab.evaluate("() => document.activeElement.tagName") == "MARK"
    assert tab.is_visible("#float-tip")
    assert problems == [], "no policy violation, no script error"
    assert requests == [real_page], "the page fetches nothing"
