"""Pull requests for the delivery tests: a change in two hunks far apart (`yaml.load` near the
top, a `shell=True` call near the bottom), pushed to the fake GitHub or GitLab, and the fix
engine with a scripted model (the inference server's side; the engine, its shadow validation
and the delivery are the real ones)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.analyzers.fix_engine import EngineFixer
from engine.backends.base import Completion, Cost, Request
from tests.engine.scripted import Scripted
from tests.fakes.github_api import FakePull
from tests.fakes.gitlab_api import FakeMR
from tests.hosts.worlds import BASE_SHA, GitHubWorld, GitLabWorld, unified

REPO = "Codertocat/Hello-World"
FILLER = "".join(f"\n\ndef step_{n}(x):\n    return x + {n}\n" for n in range(12))
BASE = (
    "import subprocess\nimport yaml\n\n\ndef load(data):\n    return data\n"
    + FILLER
    + "\n\ndef run(cmd):\n    return cmd\n"
)
HEAD = (
    "import subprocess\nimport yaml\n\n\ndef load(data):\n    return yaml.load(data)\n"
    + FILLER
    + "\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
)
CONFIG = 'fail-on = "never"\n'
SHELL = "subprocess.call(cmd, shell=True)"


def scripted_fixer(wide: bool) -> EngineFixer:
    """A model that drops `shell=True` (splitting the command), and leaves every other region
    as it is (the engine drops those: nothing changed). `wide`: it also annotates the
    function's parameter, so its change reaches past the commented line (no one-click
    suggestion: the fix goes into the suggested commit)."""

    def answer(request: Request) -> Completion:
        text = request.draft
        if SHELL in text:
            text = text.replace(SHELL, "subprocess.call(cmd.split())")
            if wide:
                text = text.replace("def run(cmd):", "def run(cmd: str):")
        return Completion(text, "stop", Cost(generated_tokens=len(text) // 3))

    return EngineFixer(Scripted(answer))


def push_github(world: GitHubWorld, head: str, text: str = HEAD, fork: str | None = None) -> None:
    files = [{"filename": "app.py", "status": "modified", "patch": unified("app.py", BASE, text)}]
    world.fake.add_pull(
        REPO,
        FakePull(2, head, BASE_SHA, files, head_repo=fork),
        {"app.py": text, ".redline.toml": CONFIG},
        {"app.py": BASE, ".redline.toml": CONFIG},
    )


def push_gitlab(world: GitLabWorld, head: str, text: str = HEAD, fork: bool = False) -> None:
    change = {
        "old_path": "app.py",
        "new_path": "app.py",
        "new_file": False,
        "renamed_file": False,
        "deleted_file": False,
        "diff": unified("app.py", BASE, text),
    }
    old = world.fake.mrs.get((world.project_id, world.iid))
    mr = FakeMR(
        world.iid,
        head,
        BASE_SHA,
        BASE_SHA,
        [change],
        {"app.py": text, ".redline.toml": CONFIG},
        {"app.py": BASE, ".redline.toml": CONFIG},
        source_project_id=4242 if fork else None,
    )
    if old is not None:
        mr.notes = old.notes
    world.fake.add_mr(world.project_id, "jacquev6-sentry/test-sentry-integration-dev-jacquev6", mr)


def summary_of(bodies: list[str]) -> str:
    found = [b for b in bodies if "<!-- redline:summary -->" in b]
    assert len(found) == 1, f"{len(found)} summaries"
    return found[0]


def github_summary(world: GitHubWorld) -> str:
    return summary_of([c["body"] for c in world.fake.issue_comments])


def gitlab_summary(world: GitLabWorld) -> str:
    notes = world.fake.mrs[(world.project_id, world.iid)].notes
    return summary_of([n["body"] for n in notes])


def fix_branches(refs: dict[str, str]) -> dict[str, str]:
    return {r: sha for r, sha in refs.items() if r.startswith("refs/heads/redline/fix/")}


def file_at(read: Callable[[str, str], bytes | None], ref: str) -> str:
    data = read(ref, "app.py")
    assert data is not None
    return data.decode()


def inline_bodies(items: list[dict[str, Any]], key: str = "body") -> dict[str, str]:
    """Inline comments by rule (`semgrep/...`, as their first bold run names it)."""
    return {c[key].split("**")[1]: c[key] for c in items if "**" in c[key]}
