"""Worlds for the host tests: a fake GitHub or GitLab served on loopback, driven through the
real PyGithub and python-gitlab clients by `redline serve`'s parts running in this process."""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.core.ports import Fixer
from bot.service.root import build_app, build_runtime, start_embedded_workers
from bot.service.settings import Secret, Settings
from tests.fakes.github_api import FakeGitHub, FakePull
from tests.fakes.gitlab_api import FakeGitLab, FakeMR
from tests.webhooks.helpers import SECRET, TOKEN, gitlab_headers, sample, send_github, serve_app

BASE_SHA = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
HEAD_1 = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
HEAD_2 = "1" * 40
BASE_APP = "import subprocess\nimport yaml\n\n\ndef load(text):\n    return text\n"


def head_app(extra: str = "") -> str:
    return (
        "import subprocess\nimport yaml\n\n\ndef load(text):\n"
        "    return yaml.load(text)\n\n\n"
        "def run(cmd):\n    return subprocess.call(\n        cmd, shell=True)\n" + extra
    )


def unified(path: str, old: str, new: str) -> str:
    import difflib

    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), n=3)
    return "".join(list(lines)[2:])  # the hunks only, as the APIs give them


def _keypair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@dataclass
class Service:
    url: str
    settings: Settings
    runtime: Any
    client: httpx.Client

    def wait_idle(self, timeout: float = 90) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            counts = self.runtime.store.queue.counts()
            if counts["queued"] == 0 and counts["running"] == 0:
                return
            time.sleep(0.1)
        raise AssertionError(f"jobs still pending: {self.runtime.store.queue.counts()}")


@contextmanager
def running_service(settings: Settings, fixer: Fixer | None = None) -> Iterator[Service]:
    """`redline serve`'s parts in this process: the app on a loopback socket, one worker
    (with `fixer` as its fix engine, else the one the settings name: none by default)."""
    runtime = build_runtime(settings)
    stop = threading.Event()
    start_embedded_workers(runtime, 1, stop, fixer=fixer)
    app, _metrics = build_app(runtime)
    try:
        with serve_app(app) as url, httpx.Client(timeout=10) as client:
            yield Service(url, settings, runtime, client)
    finally:
        stop.set()
        time.sleep(0.3)
        runtime.store.close()


# --- GitHub ---------------------------------------------------------------------------------


@dataclass
class GitHubWorld:
    fake: FakeGitHub
    service: Service

    def push(self, head: str, app_text: str, toml_head: str = 'fail-on = "never"\n') -> None:
        files = [
            {
                "filename": "app.py",
                "status": "modified",
                "patch": unified("app.py", BASE_APP, app_text),
            },
            {
                "filename": ".redline.toml",
                "status": "modified",
                "patch": unified(".redline.toml", 'fail-on = "error"\n', toml_head),
            },
        ]
        self.fake.add_pull(
            "Codertocat/Hello-World",
            FakePull(2, head, BASE_SHA, files),
            {"app.py": app_text, ".redline.toml": toml_head},
            {"app.py": BASE_APP, ".redline.toml": 'fail-on = "error"\n'},
        )

    def deliver(self, head: str, delivery: str) -> httpx.Response:
        payload = copy.deepcopy(sample("pull_request__synchronize"))
        payload["pull_request"]["head"]["sha"] = head
        payload["installation"] = {"id": 77}
        body = json.dumps(payload).encode()
        return send_github(self.service.client, self.service.url, body, "pull_request", delivery)

    def comment(self, body: str, delivery: str, login: str, comment_id: int) -> httpx.Response:
        """An issue_comment on the pull request, as GitHub sends it."""
        payload = copy.deepcopy(sample("issue_comment__created"))
        payload["comment"].update(body=body, id=comment_id, user={"login": login, "type": "User"})
        payload["issue"]["number"] = 2
        payload["issue"]["pull_request"] = {"url": "x"}
        payload["repository"]["full_name"] = "Codertocat/Hello-World"
        payload["sender"] = {"login": login, "type": "User"}
        payload["installation"] = {"id": 77}
        body_bytes = json.dumps(payload).encode()
        return send_github(
            self.service.client, self.service.url, body_bytes, "issue_comment", delivery
        )

    def run_ids(self) -> list[int]:
        return sorted(self.fake.check_runs)


@pytest.fixture
def github_world(tmp_path: Path) -> Iterator[GitHubWorld]:
    with make_github_world(tmp_path) as world:
        yield world


@contextmanager
def make_github_world(tmp_path: Path, fixer: Fixer | None = None) -> Iterator[GitHubWorld]:
    private, public = _keypair()
    fake = FakeGitHub(public_key_pem=public, token_ttl=3600)
    with serve_app(fake.app()) as api:
        fake.base = api
        settings = Settings(
            github_webhook_secret=Secret(SECRET),
            data_dir=tmp_path / "data",
            engine="off",  # a fix engine only where a test gives one (test_fixes.py)
            github_app_id=str(fake.app_id),
            github_private_key=Secret(private),
            github_api_url=api,
            github_write_pause=0.02,
            poll_seconds=0.05,
            lease_seconds=30,
            retry_base_seconds=0.1,
            max_attempts=2,
        )
        with running_service(settings, fixer) as service:
            world = GitHubWorld(fake, service)
            world.push(HEAD_1, head_app())
            yield world


@dataclass
class GitLabWorld:
    fake: FakeGitLab
    service: Service
    project_id: int
    iid: int

    def push(
        self, head: str, app_text: str, base_config: str | None = 'fail-on = "error"\n'
    ) -> None:
        """A push of `app_text`; `base_config` None: the project has no .redline.toml."""
        changes = [
            {
                "old_path": "app.py",
                "new_path": "app.py",
                "new_file": False,
                "renamed_file": False,
                "deleted_file": False,
                "diff": unified("app.py", BASE_APP, app_text),
            }
        ]
        old = self.fake.mrs.get((self.project_id, self.iid))
        mr = FakeMR(
            self.iid,
            head,
            BASE_SHA,
            BASE_SHA,
            changes,
            {"app.py": app_text}
            | ({} if base_config is None else {".redline.toml": 'fail-on = "never"\n'}),
            {"app.py": BASE_APP} | ({} if base_config is None else {".redline.toml": base_config}),
        )
        if old is not None:
            mr.notes = old.notes  # a push keeps the discussion
        self.fake.add_mr(
            self.project_id, "jacquev6-sentry/test-sentry-integration-dev-jacquev6", mr
        )

    def comment(self, body: str, delivery: str, user_id: int, note_id: int) -> httpx.Response:
        """A Note Hook for a comment on the merge request."""
        mr = sample("merge_request__open")
        payload = {
            "object_kind": "note",
            "user": {"id": user_id, "username": f"user{user_id}", "name": "someone"},
            "project": mr["project"],
            "object_attributes": {"id": note_id, "note": body, "noteable_type": "MergeRequest"},
            "merge_request": {**mr["object_attributes"], "last_commit": {"id": HEAD_1}},
        }
        return self.service.client.post(
            f"{self.service.url}/webhooks/gitlab",
            content=json.dumps(payload).encode(),
            headers=gitlab_headers("Note Hook", delivery),
        )

    def deliver(self, head: str, delivery: str, oldrev: bool = False) -> httpx.Response:
        payload = copy.deepcopy(sample("merge_request__open"))
        payload["object_attributes"]["last_commit"]["id"] = head
        if oldrev:
            payload["object_attributes"]["action"] = "update"
            payload["object_attributes"]["oldrev"] = HEAD_1
        return self.service.client.post(
            f"{self.service.url}/webhooks/gitlab",
            content=json.dumps(payload).encode(),
            headers=gitlab_headers("Merge Request Hook", delivery),
        )


@pytest.fixture
def gitlab_world(tmp_path: Path) -> Iterator[GitLabWorld]:
    with make_gitlab_world(tmp_path) as world:
        yield world


@contextmanager
def make_gitlab_world(tmp_path: Path, fixer: Fixer | None = None) -> Iterator[GitLabWorld]:
    fake = FakeGitLab()
    mr = sample("merge_request__open")
    with serve_app(fake.app()) as api:
        settings = Settings(
            gitlab_webhook_token=Secret(TOKEN),
            data_dir=tmp_path / "data",
            engine="off",  # a fix engine only where a test gives one (test_fixes.py)
            gitlab_token=Secret(fake.token),
            gitlab_url=api,
            poll_seconds=0.05,
            retry_base_seconds=0.1,
            max_attempts=2,
        )
        with running_service(settings, fixer) as service:
            world = GitLabWorld(fake, service, mr["project"]["id"], mr["object_attributes"]["iid"])
            world.push(HEAD_1, head_app())
            yield world


def _notes(world: GitLabWorld) -> list[dict[str, Any]]:
    return world.fake.mrs[(world.project_id, world.iid)].notes
