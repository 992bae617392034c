"""Debian's Chromium through Playwright for the review page tests (`pytest -m browser`).
`.ci/browser-setup` installs Chromium, Playwright (without a browser of its own) and axe-core.
Where they are missing the tests are skipped, except under CI, where that is a failure.
Screenshots go to test-artifacts/browser/ (ignored by git)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / ".browser" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
GOLDEN = ROOT / "tests" / "samples" / "golden"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REAL_COMMIT = "commit-138b7be"  # six files of this project's own history, skims and findings


def _missing(what: str) -> None:
    message = f"{what} (run .ci/browser-setup)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


# Package scope, never session: Playwright's sync API keeps an asyncio loop running on the
# main thread while it is started, and every later test's `asyncio.run` failed with "cannot be
# called from a running event loop" (tests/conftest.py checks no test inherits one).
@pytest.fixture(scope="package")
def driver() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed")
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is missing")
    with sync_playwright() as playwright:
        yield playwright


def _launch(driver: Any, profile: Path, bypass_csp: bool) -> Any:
    return driver.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        headless=True,
        args=ARGS,
        bypass_csp=bypass_csp,
        viewport={"width": 1280, "height": 900},
    )


@pytest.fixture(scope="package")
def context(driver: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Chromium with a fresh profile, its page policy bypassed: the escaping is
    tested on its own (no CSP to hide behind) and axe-core can be injected."""
    browser = _launch(driver, tmp_path_factory.mktemp("chromium-profile"), bypass_csp=True)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def strict_tab(driver: Any, tmp_path: Path) -> Iterator[Any]:
    """A tab in a browser that obeys the page's Content-Security-Policy."""
    browser = _launch(driver, tmp_path / "strict-profile", bypass_csp=False)
    page = browser.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    try:
        yield page, problems
    finally:
        browser.close()


@pytest.fixture
def tab(context: Any) -> Iterator[Any]:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
    finally:
        page.close()
    assert errors == [], f"script errors on the page: {errors}"


@pytest.fixture(scope="package")
def shots() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="package")
def real_document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A real commit reviewed by the CLI with every analyzer, as its document with lines."""
    root = tmp_path_factory.mktemp("real") / "repo"
    files = json.loads((GOLDEN / f"{REAL_COMMIT}.files.json").read_text(encoding="utf-8"))
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    out = root.parent / "review.json"
    args = [sys.executable, "-m", "bot", "review", "--diff", str(GOLDEN / f"{REAL_COMMIT}.patch")]
    args += ["--repo", str(root), "--format", "json", "--lines", "--paranoia", "max"]
    args += ["--fail-on", "never", "--output", str(out)]
    subprocess.run(args, check=True, capture_output=True, timeout=600)
    document: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return document


@pytest.fixture(scope="package")
def real_page(real_document: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> str:
    from bot.render.html import render_html

    page = tmp_path_factory.mktemp("page") / "review.html"
    page.write_text(render_html(real_document, subtitle=REAL_COMMIT), encoding="utf-8")
    return page.as_uri()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core run in the page: the violations of serious or critical impact."""
    if not AXE.exists():
        _missing(f"{AXE} is missing")
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]
