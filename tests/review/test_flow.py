"""The pull-request flow over the ports, against a small host and review store written here:
policy from the base, the review stored before posting, comments never posted twice, one post,
and a re-plan into the summary when the host refuses comments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from bot.core.errors import ConfigError, HostError
from bot.core.host import (
    FetchedDiff,
    GateStatus,
    PostResult,
    PullRequest,
    ReviewPost,
)
from bot.core.markers import SUMMARY_MARKER, Marks, derive_key
from bot.core.model import Finding
from bot.core.policy import Config, parse_config
from bot.core.ports import AnalysisRequest, AnalyzerOutput, GitHost, ReviewStore
from bot.review.flow import CONFIG_NAME, HostTree, policy, review_pull_request

HEAD, BASE = "h" * 40, "b" * 40
PR = PullRequest("github", "octo/repo", 7, HEAD, BASE)
DIFF = (
    "diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n@@ -1,3 +1,3 @@\n import os\n"
    "-a = 1\n+a = os.system(cmd)\n b = 2\n"
    "diff --git a/web.py b/web.py\n--- a/web.py\n+++ b/web.py\n@@ -1 +1 @@\n-c = 1\n+c = eval(q)\n"
)
HEAD_FILES = {"app.py": b"import os\na = os.system(cmd)\nb = 2\n", "web.py": b"c = eval(q)\n"}
BASE_FILES = {"app.py": b"import os\na = 1\nb = 2\n", "web.py": b"c = 1\n"}


class Host:
    """A host held in memory: files per commit, what was posted, what it refuses."""

    name = "github"

    def __init__(
        self,
        files: Mapping[str, Mapping[str, bytes]] | None = None,
        refuse_paths: frozenset[str] = frozenset(),
        already_posted: frozenset[str] = frozenset(),
        truncated: str | None = None,
    ) -> None:
        self.marks = Marks(derive_key("flow test secret"))
        self.files = files or {HEAD: HEAD_FILES, BASE: BASE_FILES}
        self.refuse_paths = refuse_paths
        self.already_posted = set(already_posted)
        self.truncated = truncated
        self.reads: list[tuple[str, str]] = []
        self.posts: list[ReviewPost] = []
        self.statuses: list[GateStatus] = []

    def pull_request(
        self,
        repo: str,
        number: int,
        head_sha: str | None = None,
        installation_id: int | None = None,
        project_id: int | None = None,
    ) -> PullRequest:
        return PR

    def fetch_diff(self, pr: PullRequest) -> FetchedDiff:
        return FetchedDiff(DIFF, self.truncated)

    def fetch_file(self, pr: PullRequest, path: str, sha: str) -> bytes | None:
        self.reads.append((path, sha))
        return self.files.get(sha, {}).get(path)

    def posted_fingerprints(self, pr: PullRequest) -> set[str]:
        return set(self.already_posted)

    def post_review(self, pr: PullRequest, review: ReviewPost) -> PostResult:
        self.posts.append(review)
        refused = tuple(c.fingerprint for c in review.comments if c.path in self.refuse_paths)
        posted = tuple(c.fingerprint for c in review.comments if c.fingerprint not in refused)
        self.already_posted.update(posted)
        return PostResult(posted=posted, moved_to_summary=refused)

    def set_status(self, pr: PullRequest, status: GateStatus) -> None:
        self.statuses.append(status)


class Reviews:
    """The review store held in memory."""

    def __init__(self, fingerprints: set[str] | None = None) -> None:
        self.saved: list[dict[str, Any]] = []
        self.known = fingerprints or set()
        self.recorded: list[tuple[str, str, int, list[tuple[str, str | None]]]] = []

    def save_review(
        self,
        host: str,
        repo: str,
        pr: int,
        head_sha: str,
        gate_failed: bool,
        document: dict[str, Any],
    ) -> int:
        self.saved.append(
            {
                "host": host,
                "repo": repo,
                "pr": pr,
                "head": head_sha,
                "failed": gate_failed,
                "doc": document,
            }
        )
        return 100 + len(self.saved)

    def review(self, review_id: int) -> dict[str, Any] | None:
        index = review_id - 101
        return self.saved[index]["doc"] if 0 <= index < len(self.saved) else None

    def fingerprints(self, host: str, repo: str, pr: int) -> set[str]:
        return set(self.known)

    def record_comments(
        self, host: str, repo: str, pr: int, posted: list[tuple[str, str | None]]
    ) -> None:
        self.recorded.append((host, repo, pr, posted))


class Rules:
    """A rule-pack stand-in: flags `os.system` and `eval` on the lines it is given, and notes
    which rule file the base tree holds."""

    name = "semgrep"
    version = "1"
    default_budget = 10.0
    thresholds: Mapping[str, float] = {}

    def __init__(self) -> None:
        self.base_rules: bytes | None = None

    def analyze(self, request: AnalysisRequest, deadline: float) -> AnalyzerOutput:
        self.base_rules = request.base.read("rules.yml")
        found = []
        for file in request.diff.files:
            for number, line in enumerate((request.text(file.path) or "").split("\n"), 1):
                for word in ("os.system", "eval"):
                    if word in line:
                        rule = word.replace(".", "-")
                        found.append(
                            Finding(
                                file.path,
                                number,
                                number,
                                "error",
                                "semgrep",
                                rule,
                                f"`{word}` call",
                                0.9,
                            )
                        )
        return AnalyzerOutput(findings=tuple(found))


def run(host: Host, reviews: Reviews, config: Config | None = None, **kwargs: Any) -> Any:
    typed_host: GitHost = host
    typed_store: ReviewStore = reviews
    return review_pull_request(typed_host, PR, config or Config(), [Rules()], typed_store, **kwargs)


def test_policy_comes_from_the_base_never_the_head() -> None:
    host = Host(
        {HEAD: {CONFIG_NAME: b'fail-on = "never"'}, BASE: {CONFIG_NAME: b'paranoia = "high"'}}
    )
    config = policy(host, PR)
    assert config.paranoia == "high" and config.fail_on == "error"
    assert host.reads == [(CONFIG_NAME, BASE)]


def test_no_policy_at_the_base_is_the_default_even_if_the_head_adds_one() -> None:
    host = Host({HEAD: {CONFIG_NAME: b'fail-closed = "off"'}, BASE: {}})
    assert policy(host, PR) == Config()


def test_a_bad_policy_at_the_base_names_it() -> None:
    host = Host({HEAD: {}, BASE: {CONFIG_NAME: b'paranoia = "extreme"'}})
    with pytest.raises(ConfigError, match=r"^\.redline\.toml \(base\): paranoia"):
        policy(host, PR)


def test_review_is_stored_then_posted_once_with_its_status() -> None:
    host, reviews = Host(), Reviews()
    reviewed = run(
        host, reviews, link=lambda review_id: f"https://redline.example/reviews/{review_id}"
    )
    assert reviewed.review_id == 101
    (saved,) = reviews.saved
    assert (saved["host"], saved["repo"], saved["pr"], saved["head"], saved["failed"]) == (
        "github",
        "octo/repo",
        7,
        HEAD,
        True,
    )
    assert "diff" in saved["doc"]["files"][0]["hunks"][0]  # stored with the code lines
    (post,) = host.posts
    assert sorted(c.path for c in post.comments) == ["app.py", "web.py"]
    assert post.summary_marker == SUMMARY_MARKER and SUMMARY_MARKER in post.summary
    assert "https://redline.example/reviews/101" in post.summary
    for comment in post.comments:  # each comment carries its marker, signed for this PR
        assert host.marks.read("github:octo/repo#7", comment.body) == comment.fingerprint
    (status,) = host.statuses
    assert status.state == "failure"
    (recorded,) = reviews.recorded
    assert sorted(fp for fp, _ in recorded[3]) == sorted(c.fingerprint for c in post.comments)


def test_the_review_reads_the_head_and_rules_from_the_base() -> None:
    files = {
        HEAD: {**HEAD_FILES, "rules.yml": b"head rules"},
        BASE: {**BASE_FILES, "rules.yml": b"base rules"},
    }
    host = Host(files)
    rules = Rules()
    review_pull_request(host, PR, Config(), [rules], Reviews())
    assert rules.base_rules == b"base rules"
    assert ("app.py", HEAD) in host.reads


def test_comments_already_posted_are_not_posted_again() -> None:
    first_host, first = Host(), Reviews()
    run(first_host, first)
    posted = {c.fingerprint for c in first_host.posts[0].comments}
    by_path = {c.path: c.fingerprint for c in first_host.posts[0].comments}
    # One known to the host, one known only to the store: neither is posted again.
    host = Host(already_posted=frozenset({by_path["app.py"]}))
    reviews = Reviews({by_path["web.py"]})
    run(host, reviews)
    assert host.posts[0].comments == ()
    assert len(posted) == 2


def test_comments_the_host_refuses_are_moved_to_the_summary() -> None:
    host, reviews = Host(refuse_paths=frozenset({"web.py"})), Reviews()
    run(host, reviews)
    first, second = host.posts
    assert sorted(c.path for c in first.comments) == ["app.py", "web.py"]
    # The re-plan posts the summary alone, listing what the host refused.
    assert second.comments == ()
    assert "Findings not shown inline" in second.summary
    assert "refused inline by the host" in second.summary
    assert "web.py:1" in second.summary
    assert "refused inline by the host" not in first.summary
    # Only what the host took is recorded as posted.
    app = next(c.fingerprint for c in first.comments if c.path == "app.py")
    assert reviews.recorded[0][3] == [(app, None)]
    assert host.statuses[-1].state == "failure"


def test_a_truncated_diff_is_said_in_the_document_and_the_summary() -> None:
    host, reviews = Host(truncated="the host sent 300 of 3,100 files"), Reviews()
    run(host, reviews)
    assert reviews.saved[0]["doc"]["coverage"]["truncated"] == "the host sent 300 of 3,100 files"
    assert "the host sent 300 of 3,100 files" in host.posts[0].summary


def test_a_clean_change_passes() -> None:
    files = {HEAD: {"app.py": b"import os\na = 2\nb = 2\n", "web.py": b"c = 2\n"}, BASE: BASE_FILES}
    host, reviews = Host(files), Reviews()
    reviewed = run(host, reviews)
    assert not reviewed.review.gate.failed
    assert host.posts[0].comments == ()
    assert [s.state for s in host.statuses] == ["success"]


def test_max_inline_comments_from_the_policy() -> None:
    host = Host()
    run(host, Reviews(), parse_config("max-inline-comments = 1"))
    assert len(host.posts[0].comments) == 1
    assert "over the 1 inline comments per review" in host.posts[0].summary


def test_host_tree_reads_each_file_once() -> None:
    host = Host()
    tree = HostTree(host, PR, HEAD)
    assert tree.read("app.py") == HEAD_FILES["app.py"]
    assert tree.size("app.py") == len(HEAD_FILES["app.py"])
    assert tree.read("missing.py") is None and tree.size("missing.py") is None
    assert host.reads == [("app.py", HEAD), ("missing.py", HEAD)]


class BrokenPosting(Host):
    """A host that accepts reads and refuses the post (an outage mid-review)."""

    def post_review(self, pr: PullRequest, review: ReviewPost) -> PostResult:
        raise HostError("502 from the host")


def test_a_failed_post_leaves_the_review_stored_and_nothing_recorded() -> None:
    host, reviews = BrokenPosting(), Reviews()
    with pytest.raises(HostError, match="502"):
        run(host, reviews)
    assert len(reviews.saved) == 1  # the page can still show it; the retry posts again
    assert reviews.recorded == [] and host.statuses == []


def test_a_host_that_refuses_every_comment_gets_them_all_in_the_summary() -> None:
    host, reviews = Host(refuse_paths=frozenset({"app.py", "web.py"})), Reviews()
    run(host, reviews)
    summary = host.posts[1].summary
    assert "app.py:2" in summary and "web.py:1" in summary
    assert reviews.recorded[0][3] == []
