"""The fakes enforce the real APIs' rules for the calls suggested commits make, seen through
the real PyGithub and python-gitlab clients over loopback: the git data API (blobs, trees,
commits, refs: 422 on an existing ref, fast-forward only unless forced, objects that must
exist) and pull-request creation; GitLab's commits API with actions (create / update / delete
checked against the files, 400 on an existing branch with a start point unless forced) and
merge-request creation (409 for a second open one)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gitlab
import pytest
from github import Auth, Github, GithubException, InputGitTreeElement

from bot.core.errors import HostError
from bot.hosts.github import GitHubHost
from bot.hosts.gitlab import GitLabHost
from tests.fakes.github_api import FakeGitHub, FakePull
from tests.fakes.gitlab_api import FakeGitLab, FakeMR
from tests.webhooks.helpers import serve_app

REPO = "Codertocat/Hello-World"
BASE, HEAD = "b" * 40, "c" * 40
FILES = {"app.py": "print(1)\n", "pkg/mod.py": "x = 1\n"}


@pytest.fixture
def github_repo() -> Iterator[tuple[FakeGitHub, Any]]:
    fake = FakeGitHub()
    fake.add_pull(REPO, FakePull(2, HEAD, BASE, []), {"app.py": "print(2)\n"}, FILES)
    with serve_app(fake.app()) as api:
        fake.base = api
        client = Github(auth=Auth.Token(fake.pat), base_url=api, retry=None)
        yield fake, client.get_repo(REPO)


def _commit_on(repo: Any, parent: str, text: str) -> Any:
    head = repo.get_git_commit(parent)
    blob = repo.create_git_blob(text, "utf-8")
    tree = repo.create_git_tree(
        [InputGitTreeElement("app.py", "100644", "blob", sha=blob.sha)], base_tree=head.tree
    )
    return repo.create_git_commit("a fix", tree, [head])


def test_git_data_api_builds_a_commit_on_the_head(github_repo: tuple[FakeGitHub, Any]) -> None:
    fake, repo = github_repo
    commit = _commit_on(repo, HEAD, "print(3)\n")
    assert [p.sha for p in commit.parents] == [HEAD]
    # The base tree's other files stay, in their directories.
    paths = {e.path: e.mode for e in repo.get_git_tree(commit.tree.sha, recursive=True).tree}
    assert paths == {"app.py": "100644", "pkg": "040000", "pkg/mod.py": "100644"}
    ref = repo.create_git_ref("refs/heads/redline/fix/2-ccccccc", commit.sha)
    assert repo.get_git_ref("heads/redline/fix/2-ccccccc").object.sha == commit.sha
    assert fake.repos[REPO].git.read(commit.sha, "app.py") == b"print(3)\n"
    # A ref that exists cannot be created again.
    with pytest.raises(GithubException) as exists:
        repo.create_git_ref("refs/heads/redline/fix/2-ccccccc", commit.sha)
    assert exists.value.status == 422 and "already exists" in str(exists.value)
    # Moving it to a commit that does not descend from it needs force.
    sibling = _commit_on(repo, HEAD, "print(4)\n")
    with pytest.raises(GithubException) as forward:
        ref.edit(sibling.sha)
    assert forward.value.status == 422 and "fast forward" in str(forward.value)
    ref.edit(sibling.sha, force=True)
    assert repo.get_git_ref("heads/redline/fix/2-ccccccc").object.sha == sibling.sha
    child = _commit_on(repo, sibling.sha, "print(5)\n")
    ref.edit(child.sha)  # a fast-forward needs none
    ref.delete()
    with pytest.raises(GithubException) as gone:
        repo.get_git_ref("heads/redline/fix/2-ccccccc")
    assert gone.value.status == 404


def test_git_data_api_refuses_what_github_refuses(github_repo: tuple[FakeGitHub, Any]) -> None:
    fake, repo = github_repo
    blob = repo.create_git_blob("x\n", "utf-8")
    head = repo.get_git_commit(HEAD)
    bad_trees = [
        [InputGitTreeElement("../up.py", "100644", "blob", sha=blob.sha)],  # a bad path
        [InputGitTreeElement("a.py", "100644", "blob", sha="d" * 40)],  # no such blob
        [InputGitTreeElement("a.py", "100600", "blob", sha=blob.sha)],  # no such mode
    ]
    for elements in bad_trees:
        with pytest.raises(GithubException) as refused:
            repo.create_git_tree(elements, base_tree=head.tree)
        assert refused.value.status == 422
    tree = repo.create_git_tree([InputGitTreeElement("a.py", "100644", "blob", sha=blob.sha)])
    with pytest.raises(GithubException) as parent:  # PyGithub only takes commits it has read
        repo._requester.requestJsonAndCheck(
            "POST",
            f"{repo.url}/git/commits",
            input={"message": "m", "tree": tree.sha, "parents": [HEAD, "d" * 40]},
        )
    assert parent.value.status == 422
    with pytest.raises(GithubException) as ref:
        repo.create_git_ref("heads/no-refs-prefix", HEAD)
    assert ref.value.status == 422
    with pytest.raises(GithubException) as missing:
        repo.create_git_ref("refs/heads/x", "d" * 40)
    assert missing.value.status == 422
    assert len(fake.rejections) == 6


def test_pull_requests_into_the_head_branch(github_repo: tuple[FakeGitHub, Any]) -> None:
    fake, repo = github_repo
    # No commits between a branch at the head and the head's branch: refused.
    repo.create_git_ref("refs/heads/empty", HEAD)
    with pytest.raises(GithubException) as empty:
        repo.create_pull(base="feature", head="empty", title="t", body="b")
    assert empty.value.status == 422 and "No commits between" in str(empty.value)
    commit = _commit_on(repo, HEAD, "print(3)\n")
    repo.create_git_ref("refs/heads/fix", commit.sha)
    with pytest.raises(GithubException) as nobase:
        repo.create_pull(base="nowhere", head="fix", title="t", body="b")
    assert nobase.value.status == 422
    pull = repo.create_pull(base="feature", head="fix", title="t", body="b")
    assert (pull.base.ref, pull.head.ref, pull.head.sha) == ("feature", "fix", commit.sha)
    with pytest.raises(GithubException) as twice:
        repo.create_pull(base="feature", head="fix", title="t", body="b")
    assert twice.value.status == 422 and "already exists" in str(twice.value)
    found = list(repo.get_pulls(state="open", head="Codertocat:fix", base="feature"))
    assert [p.number for p in found] == [pull.number]
    pull.edit(state="closed")
    assert list(repo.get_pulls(state="open", head="Codertocat:fix")) == []
    assert fake.created_pulls == [pull.number]


# --- GitLab ---------------------------------------------------------------------------------


@pytest.fixture
def gitlab_project() -> Iterator[tuple[FakeGitLab, Any]]:
    fake = FakeGitLab()
    mr = FakeMR(39, HEAD, BASE, BASE, [], {"app.py": "print(2)\n"}, FILES)
    fake.add_mr(7, "group/project", mr)
    with serve_app(fake.app()) as api:
        client = gitlab.Gitlab(api, private_token=fake.token, retry_transient_errors=False)
        yield fake, client.projects.get(7, lazy=True)


_APP = {"file_path": "app.py"}


def _update(branch: str, text: str, **extra: Any) -> dict[str, Any]:
    return {
        "branch": branch,
        "commit_message": "a fix",
        "actions": [{"action": "update", "file_path": "app.py", "content": text}],
        **extra,
    }


def test_commits_api_with_actions(gitlab_project: tuple[FakeGitLab, Any]) -> None:
    fake, project = gitlab_project
    store = fake.git.store(7)
    commit = project.commits.create(_update("redline/fix/39-ccccccc", "print(3)\n", start_sha=HEAD))
    assert commit.parent_ids == [HEAD]
    branch = project.branches.get("redline/fix/39-ccccccc")
    assert branch.commit["id"] == commit.id and branch.commit["message"] == "a fix"
    assert store.read(commit.id, "app.py") == b"print(3)\n"
    assert store.read(commit.id, "pkg/mod.py") == b"x = 1\n"
    # Starting an existing branch anew is refused unless forced.
    with pytest.raises(gitlab.GitlabCreateError) as exists:
        project.commits.create(_update("redline/fix/39-ccccccc", "print(4)\n", start_sha=HEAD))
    assert exists.value.response_code == 400 and "already exists" in str(exists.value)
    forced = project.commits.create(
        _update("redline/fix/39-ccccccc", "print(4)\n", start_sha=HEAD, force=True)
    )
    assert forced.parent_ids == [HEAD]
    # Without a start point, the commit goes on top of the branch.
    on_top = project.commits.create(_update("redline/fix/39-ccccccc", "print(5)\n"))
    assert on_top.parent_ids == [forced.id]
    project.branches.delete("redline/fix/39-ccccccc")
    with pytest.raises(gitlab.GitlabGetError) as gone:
        project.branches.get("redline/fix/39-ccccccc")
    assert gone.value.response_code == 404


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (_update("new", "x\n"), "You can only create or edit files when you are on a branch"),
        (_update("new", "x\n", start_sha=HEAD, start_branch="main"), "mutually exclusive"),
        (_update("new", "x\n", start_sha="d" * 40), "Cannot find start_sha"),
        (
            {**_update("new", "", start_sha=HEAD), "actions": [{"action": "create", **_APP}]},
            "A file with this name already exists",
        ),
        (
            {
                **_update("new", "", start_sha=HEAD),
                "actions": [{"action": "update", "file_path": "gone.py", "content": "x"}],
            },
            "A file with this name doesn't exist",
        ),
        (
            {
                **_update("new", "", start_sha=HEAD),
                "actions": [{"action": "delete", "file_path": "gone.py"}],
            },
            "A file with this name doesn't exist",
        ),
        (
            {**_update("new", "", start_sha=HEAD), "actions": [{"action": "rewrite", **_APP}]},
            "does not have a valid value",
        ),
        (
            {**_update("new", "", start_sha=HEAD), "actions": [{"action": "update", **_APP}]},
            "content] is missing",
        ),
        (_update("new", "print(2)\n", start_sha=HEAD), "No changes were made"),
    ],
)
def test_commits_api_refuses_what_gitlab_refuses(
    gitlab_project: tuple[FakeGitLab, Any], body: dict[str, Any], says: str
) -> None:
    fake, project = gitlab_project
    with pytest.raises(gitlab.GitlabCreateError) as refused:
        project.commits.create(body)
    assert refused.value.response_code == 400 and says in str(refused.value)
    assert "refs/heads/new" not in fake.git.store(7).refs


def test_merge_requests_into_the_source_branch(gitlab_project: tuple[FakeGitLab, Any]) -> None:
    fake, project = gitlab_project
    project.commits.create(_update("fix", "print(3)\n", start_sha=HEAD))
    with pytest.raises(gitlab.GitlabCreateError) as nowhere:
        project.mergerequests.create(
            {"source_branch": "fix", "target_branch": "nowhere", "title": "t"}
        )
    assert nowhere.value.response_code == 422
    mr = project.mergerequests.create(
        {"source_branch": "fix", "target_branch": "feature", "title": "t", "description": "d"}
    )
    assert (mr.source_branch, mr.target_branch, mr.state) == ("fix", "feature", "opened")
    assert mr.author["username"] == fake.user["username"]
    with pytest.raises(gitlab.GitlabCreateError) as twice:
        project.mergerequests.create(
            {"source_branch": "fix", "target_branch": "feature", "title": "t"}
        )
    assert twice.value.response_code == 409
    found = project.mergerequests.list(state="opened", source_branch="fix", get_all=True)
    assert [m.iid for m in found] == [mr.iid]
    mr.description = "new"
    mr.save()
    mr.state_event = "close"
    mr.save()
    assert fake.mrs[(7, mr.iid)].state == "closed" and fake.mrs[(7, mr.iid)].description == "new"
    assert project.mergerequests.list(state="opened", source_branch="fix", get_all=True) == []


# --- the adapters on these rules --------------------------------------------------------------


def test_adapters_leave_a_branch_that_moved_since_it_was_judged(
    github_repo: tuple[FakeGitHub, Any], gitlab_project: tuple[FakeGitLab, Any]
) -> None:
    """Between judging the branch and replacing redline's commit, someone pushed: the adapter
    refuses to force over it (the summary gives the patch instead)."""
    gh_fake, repo = github_repo
    github = GitHubHost(gh_fake.base, token=gh_fake.pat, write_pause=0, retries=0)
    pr = github.pull_request(REPO, 2)
    first = github.push_commit(pr, "redline/fix/2-ccccccc", {"app.py": "print(3)\n"}, "m", None)
    theirs = _commit_on(repo, first, "print(9)\n")
    repo.get_git_ref("heads/redline/fix/2-ccccccc").edit(theirs.sha)  # a fast-forward push
    with pytest.raises(HostError, match="moved while redline was writing"):
        github.push_commit(pr, "redline/fix/2-ccccccc", {"app.py": "print(4)\n"}, "m", first)
    assert gh_fake.repos[REPO].git.refs["refs/heads/redline/fix/2-ccccccc"] == theirs.sha
    replaced = github.push_commit(
        pr, "redline/fix/2-ccccccc", {"app.py": "print(4)\n"}, "m", theirs.sha
    )
    assert gh_fake.repos[REPO].git.commits[replaced].parents == (HEAD,)

    gl_fake, project = gitlab_project
    gitlab_host = GitLabHost(project.manager.gitlab.url, gl_fake.token)
    mr = gitlab_host.pull_request("group/project", 39, project_id=7)
    mine = gitlab_host.push_commit(
        mr, "redline/fix/39-ccccccc", {"app.py": "print(3)\n"}, "m", None
    )
    project.commits.create(_update("redline/fix/39-ccccccc", "print(9)\n"))  # someone's
    with pytest.raises(HostError, match="moved while redline was writing"):
        gitlab_host.push_commit(mr, "redline/fix/39-ccccccc", {"app.py": "print(4)\n"}, "m", mine)
    assert gl_fake.git.store(7).read("redline/fix/39-ccccccc", "app.py") == b"print(9)\n"
