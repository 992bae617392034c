"""The runner and the interfaces: the verifier's child process dies with its parent; nothing
reviewed is imported or executed; `redline verify` and `redline review` give the same
verdicts on a file; the JSON, Markdown and terminal outputs say what a verdict means."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests.conftest import Repo, Run

_PARENT = textwrap.dedent(
    """
    import sys
    from verify.runner import Job, run
    hard = '''
    def hard(x: int, y: int, z: int) -> int:
        \"\"\"post: __return__ != 33\"\"\"
        return x * x * x + y * y * y + z * z * z
    '''
    print("started", flush=True)
    run([Job("hard.py", hard)], timeout=600.0, total=600.0)
    """
)


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def test_the_verifier_dies_with_its_parent() -> None:
    with subprocess.Popen(
        [sys.executable, "-c", _PARENT], stdout=subprocess.PIPE, cwd=Path(__file__).parents[2]
    ) as parent:
        _kill_and_watch(parent)


def _kill_and_watch(parent: subprocess.Popen[bytes]) -> None:
    try:
        assert parent.stdout is not None and parent.stdout.readline().strip() == b"started"
        deadline = time.monotonic() + 20
        children: list[int] = []
        while not children and time.monotonic() < deadline:
            children = _children(parent.pid)
            time.sleep(0.05)
        assert children, "the verifier's child never started"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(_alive(c) for c in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(c) for c in children), "the child outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()


WRITES = '''
import pathlib

MARK = pathlib.Path(__file__).with_name("written-at-import")
MARK.write_text("imported")

def save(name: str) -> int:
    """
    pre: len(name) > 0
    post: __return__ >= 0
    """
    pathlib.Path(name).write_text("executed")
    open(name + ".2", "w").write("executed")
    return len(name)
'''


def test_nothing_reviewed_is_imported_or_executed(tmp_path: Path, run_cli: Run, repo: Repo) -> None:
    target = tmp_path / "writes.py"
    target.write_text(WRITES)
    before = set(Path.cwd().iterdir()) | set(tmp_path.iterdir())
    code, out, _ = run_cli("verify", str(target), "--format", "json")
    assert code == 0 and json.loads(out)
    repo.commit("base", {"README": "x\n"})
    repo.commit("head", {"writes.py": WRITES})
    run_cli(
        "review",
        "--range",
        "HEAD~1..HEAD",
        "--repo",
        str(repo.root),
        "--format",
        "json",
        "--only=verify",
    )
    after = set(Path.cwd().iterdir()) | set(tmp_path.iterdir())
    assert after == before, after - before
    assert not list(repo.root.rglob("written-at-import")) and not (repo.root / "x").exists()


PARITY = '''
from typing import List

def last_pair(xs: List[int]) -> int:
    """post: __return__ >= 0"""
    total = 0
    for i in range(len(xs)):
        total += xs[i + 1] - xs[i]
    return abs(total)

def checked(xs: List[int]) -> int:
    for x in xs:
        assert x != 3
    return len(xs)

def ratio(a: int, b: int) -> int:
    """post: __return__ * b <= a"""
    return a // b
'''


def test_review_gives_the_verdicts_verify_gives(tmp_path: Path, run_cli: Run, repo: Repo) -> None:
    target = tmp_path / "lib.py"
    target.write_text(PARITY)
    _code, out, _ = run_cli("verify", str(target), "--format", "json")
    alone = {(v["function"], v["kind"], v["condition"], v["status"]) for v in json.loads(out)}
    assert any(s == "refuted" for *_, s in alone) and {f for f, *_ in alone} == {
        "last_pair",
        "checked",
        "ratio",
    }
    repo.commit("base", {"README": "x\n"})
    repo.commit("head", {"lib.py": PARITY})
    _, out, _ = run_cli(
        "review",
        "--range",
        "HEAD~1..HEAD",
        "--repo",
        str(repo.root),
        "--format",
        "json",
        "--only=verify",
    )
    document = json.loads(out)
    reviewed = {
        (c["function"], c["kind"], c["condition"], c["status"])
        for c in document["verification"]["conditions"]
    }
    assert reviewed == alone
    refuted = [c for c in document["verification"]["conditions"] if c["status"] == "refuted"]
    messages = " ".join(f["message"] for f in document["findings"] if f["source"] == "verify")
    for condition in refuted:
        assert (
            condition["reason"] and condition["reason"] in messages
        )  # every refutation in a finding
    _, markdown, _ = run_cli(
        "review",
        "--range",
        "HEAD~1..HEAD",
        "--repo",
        str(repo.root),
        "--format",
        "markdown",
        "--only=verify",
    )
    assert all(c["reason"].split("`")[1] in markdown for c in refuted)  # the concrete call
    _, terminal, _ = run_cli(
        "review", "--range", "HEAD~1..HEAD", "--repo", str(repo.root), "--only=verify"
    )
    assert "Contracts:" in terminal and "refuted" in terminal
