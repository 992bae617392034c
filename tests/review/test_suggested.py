"""The suggested commit against a host held in memory: never on forks, on hosts without the
capability or on a suggested commit's own branch; a fresh branch gets redline's commit and a
request that offers it, a second run with the same fixes reuses both, a branch holding
someone else's commit is left alone, older heads' requests are closed, and what the host
refuses becomes the outcome's detail."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.core.errors import HostError
from bot.core.host import (
    BranchTip,
    FetchedDiff,
    GateStatus,
    PostResult,
    PullRequest,
    ReviewPost,
    SuggestedRequest,
)
from bot.core.markers import Marks
from bot.core.model import Fix
from bot.core.ports import SuggestedCommits
from bot.review.delivery import Outcome, judge, plan_delivery
from bot.review.suggested import close_stale, deliver

HEAD = "a" * 40
OLD_HEAD = "9" * 40  # the pull request's previous head
BRANCH = "redline/fix/2-aaaaaaa"
TEXT = "import yaml\n\n\ndef load(data):\n    return yaml.load(data)\n\n\ndef run(cmd):\n    pass\n"
TEXTS = {"app.py": TEXT}
RAW: dict[str, bytes | None] = {"app.py": TEXT.encode()}
PR = PullRequest("github", "octo/app", 2, HEAD, "b" * 40)


def _fix(start: int, end: int, new: str, fp: str, suggestion: bool = False) -> Fix:
    original = "".join(TEXT.splitlines(keepends=True)[start - 1 : end])
    return Fix(
        "app.py", start, end, new, original, fp * 4, "semgrep:rule", "rule", ("parses",), suggestion
    )


# A one-click suggestion (it replaces exactly its finding's line) and a wider fix that can only
# go out as a commit.
YAML = _fix(5, 5, "    return yaml.safe_load(data)\n", "aaaaaaaa", suggestion=True)
RUN = _fix(8, 9, "def run(cmd: str):\n    return None\n", "bbbbbbbb")


class PlainHost:
    """A host with the review calls only (no suggested commits); delivering reads none."""

    name = "memory"
    marks = Marks(b"k" * 16)

    def pull_request(
        self,
        repo: str,
        number: int,
        head_sha: str | None = None,
        installation_id: int | None = None,
        project_id: int | None = None,
    ) -> PullRequest:
        raise AssertionError("delivering fixes resolves no pull request")

    def fetch_diff(self, pr: PullRequest) -> FetchedDiff:
        raise AssertionError("delivering fixes fetches no diff")

    def fetch_file(self, pr: PullRequest, path: str, sha: str) -> bytes | None:
        raise AssertionError("delivering fixes fetches no file")

    def posted_fingerprints(self, pr: PullRequest) -> set[str]:
        raise AssertionError("delivering fixes reads no comments")

    def post_review(self, pr: PullRequest, review: ReviewPost) -> PostResult:
        raise AssertionError("delivering fixes posts no review")

    def set_status(self, pr: PullRequest, status: GateStatus) -> None:
        raise AssertionError("delivering fixes sets no status")


@dataclass
class Request:
    branch: str
    title: str
    body: str
    open: bool = True
    note: str = ""


@dataclass
class MemoryHost(PlainHost):
    """Branches, commits and requests in dictionaries; every write is recorded. `refuse`: the
    calls that fail, with the host's error."""

    head: str = "feature"
    branches: dict[str, BranchTip] = field(default_factory=dict)
    requests: dict[int, Request] = field(default_factory=dict)
    pushes: list[tuple[str, dict[str, str], str | None]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    refuse: dict[str, HostError] = field(default_factory=dict)
    request_sigil: str = "#"

    def _call(self, name: str) -> None:
        if name in self.refuse:
            raise self.refuse[name]

    def head_branch(self, pr: PullRequest) -> str:
        self._call("head_branch")
        return self.head

    def branch_tip(self, pr: PullRequest, branch: str) -> BranchTip | None:
        self._call("branch_tip")
        return self.branches.get(branch)

    def push_commit(
        self,
        pr: PullRequest,
        branch: str,
        files: Mapping[str, str],
        message: str,
        replace: str | None,
    ) -> str:
        self._call("push_commit")
        now = self.branches.get(branch)
        if (now.sha if now else None) != replace:
            raise HostError(f"{branch} moved since it was judged", transient=False)
        sha = hashlib.sha1(repr((pr.head_sha, sorted(files.items()), message)).encode()).hexdigest()
        self.branches[branch] = BranchTip(sha, (pr.head_sha,), message)
        self.pushes.append((branch, dict(files), replace))
        return sha

    def open_request(self, pr: PullRequest, branch: str, title: str, body: str) -> SuggestedRequest:
        self._call("open_request")
        for number, request in self.requests.items():
            if request.open and request.branch == branch:
                request.title, request.body = title, body
                return SuggestedRequest(number, f"https://host.example/pull/{number}", False)
        number = max(self.requests, default=10) + 1
        self.requests[number] = Request(branch, title, body)
        return SuggestedRequest(number, f"https://host.example/pull/{number}", True)

    def own_requests(self, pr: PullRequest, prefix: str) -> list[tuple[int, str]]:
        self._call("own_requests")
        return [
            (n, r.branch)
            for n, r in self.requests.items()
            if r.open and r.branch.startswith(prefix)
        ]

    def close_request(
        self, pr: PullRequest, number: int, note: str, delete_branch: str | None
    ) -> None:
        self._call("close_request")
        self.requests[number].open, self.requests[number].note = False, note
        if delete_branch is not None:
            del self.branches[delete_branch]
            self.deleted.append(delete_branch)


def _deliver(
    host: PlainHost, fixes: Sequence[Fix] = (RUN,), pr: PullRequest = PR, everything: bool = False
) -> Outcome:
    return deliver(host, pr, fixes, TEXTS, RAW, (YAML.finding,), everything)


def _older_head(host: MemoryHost) -> tuple[int, int]:
    """Two open requests of earlier heads: one whose branch still holds only redline's commit,
    one whose branch someone pushed to. Returns their numbers."""
    old = plan_delivery([RUN], TEXTS, RAW, (), 2, OLD_HEAD)
    host.branches[old.branch] = BranchTip("c" * 40, (OLD_HEAD,), old.message())
    host.branches["redline/fix/2-1234567"] = BranchTip("d" * 40, ("c" * 40,), "my own work")
    host.requests[5] = Request(old.branch, "old", "old")
    host.requests[6] = Request("redline/fix/2-1234567", "older", "older")
    host.requests[7] = Request("redline/fix/3-aaaaaaa", "another PR", "x")  # not this PR's
    return 5, 6


def test_the_memory_host_has_the_capability_and_the_plain_one_does_not() -> None:
    assert isinstance(MemoryHost(), SuggestedCommits)
    assert not isinstance(PlainHost(), SuggestedCommits)


def test_a_fork_gets_the_patch_and_nothing_is_written() -> None:
    host = MemoryHost()
    outcome = _deliver(host, pr=PullRequest("github", "octo/app", 2, HEAD, "b" * 40, fork=True))
    assert outcome.kind == "fork" and outcome.patch_instead
    assert [f.finding for f in outcome.delivery.commit] == [RUN.finding]
    assert "+def run(cmd: str):" in outcome.delivery.patch
    assert host.pushes == [] and host.requests == {} and host.branches == {}


def test_a_host_without_suggested_commits_is_unsupported() -> None:
    outcome = _deliver(PlainHost())
    assert outcome.kind == "unsupported" and outcome.patch_instead


def test_a_pull_request_from_a_fix_branch_gets_no_commit_on_top() -> None:
    host = MemoryHost(head="redline/fix/1-bbbbbbb")
    outcome = _deliver(host)
    assert outcome.kind == "fix-branch" and outcome.patch_instead
    assert host.pushes == [] and host.requests == {}


def test_no_fix_for_a_commit_closes_the_older_heads_requests() -> None:
    host = MemoryHost()
    ours, theirs = _older_head(host)
    # The only fix is a one-click suggestion: the commit would be empty.
    outcome = _deliver(host, fixes=(YAML,))
    assert outcome.kind == "none" and not outcome.patch_instead
    assert outcome.delivery.commit == () and [f.finding for f in outcome.delivery.one_click] == [
        YAML.finding
    ]
    assert outcome.closed == (ours, theirs)
    assert not host.requests[ours].open and not host.requests[theirs].open
    assert host.requests[7].open  # another pull request's
    assert "it needs none of these fixes" in host.requests[ours].note
    # redline's own branch goes; the one someone pushed to stays.
    assert host.deleted == ["redline/fix/2-9999999"]
    assert "redline/fix/2-1234567" in host.branches
    assert host.pushes == []


def test_a_fresh_branch_gets_the_commit_and_a_request_and_a_rerun_reuses_them() -> None:
    host = MemoryHost()
    ours, theirs = _older_head(host)
    outcome = _deliver(host)
    assert (outcome.kind, outcome.action) == ("commit", "create")
    assert outcome.request is not None and outcome.request.created
    assert len(host.pushes) == 1
    branch, files, replaced = host.pushes[0]
    assert (branch, replaced) == (BRANCH, None)
    assert files == {
        "app.py": TEXT.replace("def run(cmd):\n    pass\n", "def run(cmd: str):\n    return None\n")
    }
    assert judge(host.branches[BRANCH], HEAD).state == "ours"
    request = host.requests[outcome.request.number]
    assert (
        request.branch == BRANCH and request.title == "redline: 1 suggested fix for #2 at aaaaaaa"
    )
    assert "into `feature` applies them" in request.body
    assert outcome.closed == (ours, theirs)
    assert f"its fixes are in #{outcome.request.number}" in host.requests[ours].note

    again = _deliver(host)
    assert (again.kind, again.action) == ("commit", "reuse")
    assert again.request is not None and not again.request.created
    assert again.request.number == outcome.request.number
    assert len(host.pushes) == 1  # no second push
    assert again.closed == ()


def test_redline_s_commit_lacking_a_fix_is_replaced_by_one_holding_both() -> None:
    host = MemoryHost()
    first = _deliver(host)
    tip = host.branches[BRANCH]
    both = _deliver(host, fixes=(YAML, RUN), everything=True)
    assert (both.kind, both.action) == ("commit", "replace")
    assert len(host.pushes) == 2 and host.pushes[1][2] == tip.sha
    text = host.pushes[1][1]["app.py"]
    assert "yaml.safe_load(data)" in text and "def run(cmd: str):" in text
    assert judge(host.branches[BRANCH], HEAD).names == {YAML.finding[:12], RUN.finding[:12]}
    assert both.request is not None and first.request is not None
    assert both.request.number == first.request.number


def test_a_branch_holding_someone_else_s_commit_is_left_alone() -> None:
    host = MemoryHost()
    foreign = BranchTip("d" * 40, (HEAD,), "my fix, not redline's")
    host.branches[BRANCH] = foreign
    outcome = _deliver(host)
    assert (outcome.kind, outcome.action) == ("foreign", "foreign") and outcome.patch_instead
    assert host.pushes == [] and host.requests == {}
    assert host.branches[BRANCH] == foreign


def test_what_the_host_refuses_becomes_the_outcome_s_detail() -> None:
    for call in ("head_branch", "branch_tip", "push_commit", "open_request", "own_requests"):
        host = MemoryHost(
            refuse={call: HostError(f"{call}: 403 protected branch", transient=False)}
        )
        outcome = _deliver(host)
        assert outcome.kind == "failed" and outcome.patch_instead, call
        assert outcome.detail == f"{call}: 403 protected branch"
    refused = MemoryHost(refuse={"close_request": HostError("close: 502", transient=True)})
    _older_head(refused)
    outcome = _deliver(refused, fixes=(YAML,))
    assert (outcome.kind, outcome.detail) == ("failed", "close: 502")


def test_close_stale_keeps_the_current_branch_s_request() -> None:
    host = MemoryHost()
    _older_head(host)
    host.requests[8] = Request(BRANCH, "current", "current")
    closed = close_stale(host, PR, BRANCH, "moved on")
    assert closed == [5, 6] and host.requests[8].open
    assert host.requests[5].note == host.requests[6].note == "moved on"
