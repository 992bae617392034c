"""From the host to the page: a pull request reviewed by `redline serve`'s parts through the
fake GitHub (real PyGithub client), its summary comment carrying the signed link, and the
link opened in the browser: the page of that review, with no GitHub login; a tampered link
gets the 403 page."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from bot.service.root import build_app, build_runtime, start_embedded_workers
from bot.service.settings import Secret, Settings
from tests.browser.conftest import axe_violations
from tests.fakes.github_api import FakeGitHub, FakePull
from tests.hosts.worlds import BASE_SHA, HEAD_1, _keypair, unified
from tests.webhooks.helpers import SECRET, free_port, send_github, serve_app

pytestmark = pytest.mark.browser
SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "webhooks" / "github"
# Marked dangerous: the markers analyzer finds the change whatever else runs.
BASE_APP = (
    "import subprocess\n\n\n# DANGEROUS: runs shell commands\n"
    "def run(cmd):\n    return subprocess.call(cmd)\n"
)
HEAD_APP = BASE_APP.replace("call(cmd)", "call(cmd, shell=True)")
LINK = re.compile(r"\]\((http://127\.0\.0\.1:\d+/reviews/(\d+)\?t=([0-9]+\.[0-9a-f]+))\)")


def _serve_on(app: Any, port: int) -> tuple[uvicorn.Server, threading.Thread]:
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="error", access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not server.started and time.time() < deadline:
        time.sleep(0.02)
    return server, thread


@pytest.fixture
def reviewed(tmp_path: Path) -> Iterator[tuple[FakeGitHub, str]]:
    """A pull request reviewed end to end; yields the fake and the service's URL."""
    private, public = _keypair()
    fake = FakeGitHub(public_key_pem=public, token_ttl=3600)
    port = free_port()
    with serve_app(fake.app()) as api:
        fake.base = api
        fake.add_pull(
            "Codertocat/Hello-World",
            FakePull(
                2,
                HEAD_1,
                BASE_SHA,
                [
                    {
                        "filename": "app.py",
                        "status": "modified",
                        "patch": unified("app.py", BASE_APP, HEAD_APP),
                    }
                ],
            ),
            {"app.py": HEAD_APP},
            {"app.py": BASE_APP},
        )
        settings = Settings(
            github_webhook_secret=Secret(SECRET),
            data_dir=tmp_path / "data",
            engine="off",  # the page is under test here, not the fix engine
            github_app_id=str(fake.app_id),
            github_private_key=Secret(private),
            github_api_url=api,
            github_write_pause=0.02,
            poll_seconds=0.05,
            page_secret=Secret("page-s3cret"),
            public_url=f"http://127.0.0.1:{port}",
        )
        runtime = build_runtime(settings)
        stop = threading.Event()
        start_embedded_workers(runtime, 1, stop)
        app, _ = build_app(runtime)
        server, thread = _serve_on(app, port)
        try:
            payload = json.loads((SAMPLE / "pull_request__synchronize.json").read_text())
            payload["pull_request"]["head"]["sha"] = HEAD_1
            payload["installation"] = {"id": 77}
            url = f"http://127.0.0.1:{port}"
            with httpx.Client(timeout=10) as client:
                sent = send_github(
                    client, url, json.dumps(payload).encode(), "pull_request", "gh-1"
                )
                assert sent.status_code == 202
            deadline = time.time() + 180
            while time.time() < deadline:
                counts = runtime.store.queue.counts()
                if counts["queued"] == 0 and counts["running"] == 0:
                    break
                time.sleep(0.1)
            yield fake, url
        finally:
            stop.set()
            server.should_exit = True
            thread.join(timeout=10)
            runtime.store.close()


def test_the_summary_link_opens_the_page_and_a_tampered_one_is_refused(
    reviewed: tuple[FakeGitHub, str], tab: Any, shots: Path
) -> None:
    fake, url = reviewed
    summaries = [c["body"] for c in fake.issue_comments if "redline:summary" in c["body"]]
    assert len(summaries) == 1
    found = LINK.search(summaries[0])
    assert found is not None, "the summary comment links to the review page"
    link, review_id, token = found.groups()
    assert link.startswith(url)

    tab.goto(link)
    assert tab.title().startswith("redline review")
    assert "Codertocat/Hello-World #2" in tab.inner_text("h1")
    assert tab.inner_text("section.file h2 code") == "app.py"
    assert tab.inner_text(".gate").startswith("Gate:")
    tab.keyboard.press("n")
    focused = tab.evaluate("() => document.activeElement.id")
    assert focused.startswith("f-")
    assert "markers/dangerous-code" in tab.inner_text("#float-tip")
    tab.screenshot(path=str(shots / "08-served-page.png"))
    assert axe_violations(tab) == []

    forged = f"{url}/reviews/{review_id}?t={token[:-1]}{'0' if token[-1] != '0' else '1'}"
    response = tab.goto(forged)
    assert response is not None and response.status == 403
    assert "not valid for this review" in tab.inner_text("main")
    assert "app.py" not in tab.content()
    tab.screenshot(path=str(shots / "09-forbidden.png"))
    assert axe_violations(tab) == []
