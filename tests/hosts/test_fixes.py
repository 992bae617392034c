"""Delivery of validated fixes on the fake hosts, through the real PyGithub and python-gitlab
clients over loopback: one-click suggestions where a fix replaces exactly the commented lines;
otherwise one suggested commit per head on `redline/fix/<pr>-<sha7>` (GitHub: the git data
API and a pull request into the PR's branch; GitLab: the commits API and a merge request into
the source branch), reused on a re-review, extended by `/redline fix`, replaced when the head
moves on; a branch holding someone else's commits left alone; a fork given a patch."""

from __future__ import annotations

from pathlib import Path

from bot.analyzers.fix_engine import open_fixer
from tests.hosts.fix_worlds import (
    REPO,
    fix_branches,
    github_summary,
    gitlab_summary,
    inline_bodies,
    push_github,
    push_gitlab,
    scripted_fixer,
)
from tests.hosts.worlds import (
    HEAD_1,
    HEAD_2,
    GitHubWorld,
    GitLabWorld,
    make_github_world,
    make_gitlab_world,
)

YAML_SUGGESTION = "```suggestion\n    return yaml.safe_load(data)\n```"
SHELL_SUGGESTION = "```suggestion\n    return subprocess.call(cmd.split())\n```"
WIDE_FIX = "def run(cmd: str):\n    return subprocess.call(cmd.split())\n"
BRANCH_1 = f"redline/fix/2-{HEAD_1[:7]}"
WAIT = 300  # seconds: every review runs all analyzers on a shared machine


def _gh_review(world: GitHubWorld, delivery: str, head: str = HEAD_1) -> None:
    assert world.deliver(head, delivery).status_code == 202
    world.service.wait_idle(WAIT)


def _gh_inline(world: GitHubWorld) -> dict[str, str]:
    comments = [c for r in world.fake.reviews if r["state"] != "PENDING" for c in r["comments"]]
    return inline_bodies(comments)


def _gh_file(world: GitHubWorld, ref: str) -> str:
    data = world.fake.repos[REPO].git.read(ref, "app.py")
    assert data is not None
    return data.decode()


# --- GitHub ---------------------------------------------------------------------------------


def test_github_one_click_suggestions_for_yaml_load_and_shell_true(tmp_path: Path) -> None:
    with make_github_world(tmp_path, scripted_fixer(wide=False)) as world:
        push_github(world, HEAD_1)
        _gh_review(world, "gh-fix-1")
        inline = _gh_inline(world)
        assert YAML_SUGGESTION in inline["semgrep/yaml-unsafe-load"]  # the rule's fix
        assert SHELL_SUGGESTION in inline["semgrep/subprocess-shell-true"]  # the model's
        summary = github_summary(world)
        assert "### Fixes" in summary and "2 one-click suggestions" in summary
        # Both fixes are one click away: no suggested commit, no pull request.
        assert fix_branches(world.fake.repos[REPO].git.refs) == {}
        assert world.fake.created_pulls == []
        assert world.fake.rejections == []


def test_github_suggested_commit_reused_extended_and_replaced(tmp_path: Path) -> None:
    with make_github_world(tmp_path, scripted_fixer(wide=True)) as world:
        fake, git = world.fake, world.fake.repos[REPO].git
        fake.permissions[(REPO, "maintainer")] = "write"
        fake.permissions[(REPO, "other-maintainer")] = "admin"
        fake.permissions[(REPO, "reader")] = "read"
        push_github(world, HEAD_1)
        _gh_review(world, "gh-commit-1")
        # The shell fix reaches past the commented line: a suggested commit, not a suggestion.
        inline = _gh_inline(world)
        assert "```suggestion" not in inline["semgrep/subprocess-shell-true"]
        assert YAML_SUGGESTION in inline["semgrep/yaml-unsafe-load"]
        tip = git.refs[f"refs/heads/{BRANCH_1}"]
        assert git.commits[tip].parents == (HEAD_1,)
        fixed = _gh_file(world, tip)
        assert WIDE_FIX in fixed and "yaml.load(data)" in fixed  # the suggestion stays inline
        assert fake.created_pulls == [3]
        pull = fake.repos[REPO].pulls[3]
        assert (pull.head_ref, pull.base_ref, pull.state) == (BRANCH_1, "feature", "open")
        summary = github_summary(world)
        assert "[Suggested commit](https://github.example/Codertocat/Hello-World/pull/3)" in summary
        assert f"`{BRANCH_1}`" in summary and "(new)" in summary

        # Reviewed again at the same head: the same commit and pull request, nothing new.
        assert world.comment("/redline review", "gh-commit-2", "maintainer", 901).status_code == 202
        world.service.wait_idle(WAIT)
        assert git.refs[f"refs/heads/{BRANCH_1}"] == tip and fake.created_pulls == [3]
        assert "(unchanged)" in github_summary(world)

        # Someone without write access asks for every fix: refused, nothing changes.
        world.comment("/redline fix", "gh-commit-3", "reader", 902)
        world.service.wait_idle(WAIT)
        assert git.refs[f"refs/heads/{BRANCH_1}"] == tip

        # `/redline fix`: every validated fix of the head, in both hunks, in one commit that
        # replaces redline's own (same branch, same pull request).
        world.comment("/redline fix", "gh-commit-4", "other-maintainer", 903)
        world.service.wait_idle(WAIT)
        both = git.refs[f"refs/heads/{BRANCH_1}"]
        assert both != tip and git.commits[both].parents == (HEAD_1,)
        fixed = _gh_file(world, both)
        assert WIDE_FIX in fixed and "yaml.safe_load(data)" in fixed
        assert fake.created_pulls == [3] and "2 validated fixes" in pull.body
        assert "(updated)" in github_summary(world)

        # A new head: a commit for it on its own branch; the old one closed, its branch gone.
        push_github(world, HEAD_2)
        _gh_review(world, "gh-commit-5", HEAD_2)
        branch_2 = f"redline/fix/2-{HEAD_2[:7]}"
        assert set(fix_branches(git.refs)) == {f"refs/heads/{branch_2}"}
        assert git.commits[git.refs[f"refs/heads/{branch_2}"]].parents == (HEAD_2,)
        assert fake.created_pulls == [3, 4] and pull.state == "closed"
        assert "Closed the suggested commit of an earlier head: #3" in github_summary(world)
        assert fake.rejections == []


def test_github_branch_with_foreign_commits_is_left_alone(tmp_path: Path) -> None:
    with make_github_world(tmp_path, scripted_fixer(wide=True)) as world:
        push_github(world, HEAD_1)
        git = world.fake.repos[REPO].git
        # Someone pushed their own commit to the branch name redline would use.
        theirs = git.seed("e" * 40, {"app.py": "print('mine')\n"}, (HEAD_1,), "my own work")
        git.refs[f"refs/heads/{BRANCH_1}"] = theirs
        _gh_review(world, "gh-foreign-1")
        assert git.refs[f"refs/heads/{BRANCH_1}"] == theirs
        assert world.fake.created_pulls == []
        summary = github_summary(world)
        assert f"The branch `{BRANCH_1}` already holds commits redline did not make" in summary
        assert "```diff\ndiff --git a/app.py b/app.py" in summary
        assert "+def run(cmd: str):" in summary


def test_github_refusing_the_commit_leaves_the_patch(tmp_path: Path) -> None:
    """An App installed without `contents: write`: GitHub refuses the blobs (403), and the
    summary carries the patch and the reason instead; the review itself completes."""
    with make_github_world(tmp_path, scripted_fixer(wide=True)) as world:
        world.fake.contents_write = False
        push_github(world, HEAD_1)
        _gh_review(world, "gh-refused-1")
        assert fix_branches(world.fake.repos[REPO].git.refs) == {}
        assert world.fake.created_pulls == []
        summary = github_summary(world)
        assert "The suggested commit could not be made (" in summary
        assert "Resource not accessible by integration" in summary
        assert "+def run(cmd: str):" in summary
        run = world.fake.check_runs[world.run_ids()[0]]
        assert run["status"] == "completed" and run["conclusion"] == "success"


def test_github_fork_gets_the_fix_as_a_patch(tmp_path: Path) -> None:
    with make_github_world(tmp_path, scripted_fixer(wide=True)) as world:
        push_github(world, HEAD_1, fork="someone/Hello-World")
        _gh_review(world, "gh-fork-1")
        git = world.fake.repos[REPO].git
        assert fix_branches(git.refs) == {} and world.fake.created_pulls == []
        summary = github_summary(world)
        assert "This pull request comes from a fork: redline pushes nothing to it." in summary
        assert "+def run(cmd: str):" in summary and "-def run(cmd):" in summary
        # Only reads reached the git data API: nothing was written to the repository.
        writes = [(m, p) for m, p, _ in world.fake.requests if m != "GET" and "/git/" in p]
        assert writes == []


# --- GitLab ---------------------------------------------------------------------------------


def _gl_review(world: GitLabWorld, delivery: str, head: str = HEAD_1, update: bool = False) -> None:
    assert world.deliver(head, delivery, oldrev=update).status_code == 202
    world.service.wait_idle(WAIT)


def _gl_inline(world: GitLabWorld) -> dict[str, str]:
    notes = world.fake.mrs[(world.project_id, world.iid)].notes
    return inline_bodies([n for n in notes if n["position"]])


def test_gitlab_one_click_suggestions_for_yaml_load_and_shell_true(tmp_path: Path) -> None:
    with make_gitlab_world(tmp_path, scripted_fixer(wide=False)) as world:
        push_gitlab(world, HEAD_1)
        _gl_review(world, "gl-fix-1")
        inline = _gl_inline(world)
        assert (
            "```suggestion:-0+0\n    return yaml.safe_load(data)\n```"
            in inline["semgrep/yaml-unsafe-load"]
        )
        assert (
            "```suggestion:-0+0\n    return subprocess.call(cmd.split())\n```"
            in inline["semgrep/subprocess-shell-true"]
        )
        assert "2 one-click suggestions" in gitlab_summary(world)
        assert fix_branches(world.fake.git.store(world.project_id).refs) == {}
        assert world.fake.git.created_mrs == [] and world.fake.rejections == []


def test_gitlab_suggested_commit_reused_extended_and_replaced(tmp_path: Path) -> None:
    with make_gitlab_world(tmp_path, scripted_fixer(wide=True)) as world:
        fake, pid = world.fake, world.project_id
        store = fake.git.store(pid)
        branch = f"redline/fix/{world.iid}-{HEAD_1[:7]}"
        fake.access[(pid, 31)] = 30  # developers
        fake.access[(pid, 32)] = 40
        push_gitlab(world, HEAD_1)
        _gl_review(world, "gl-commit-1")
        assert "```suggestion" not in _gl_inline(world)["semgrep/subprocess-shell-true"]
        tip = store.refs[f"refs/heads/{branch}"]
        assert store.commits[tip].parents == (HEAD_1,)
        fixed = (store.read(tip, "app.py") or b"").decode()
        assert WIDE_FIX in fixed and "yaml.load(data)" in fixed
        assert len(fake.git.created_mrs) == 1
        offered = fake.mrs[(pid, fake.git.created_mrs[0])]
        assert (offered.source_branch, offered.target_branch) == (branch, "feature")
        assert offered.state == "opened" and offered.remove_source_branch
        summary = gitlab_summary(world)
        assert f"offered as !{offered.iid}" in summary and "(new)" in summary
        assert f"/-/merge_requests/{offered.iid})" in summary
        assert offered.title == f"redline: 1 suggested fix for !{world.iid} at {HEAD_1[:7]}"

        # The same head reviewed again: nothing new on the branch or in merge requests.
        world.comment("/redline review", "gl-commit-2", 31, 801)
        world.service.wait_idle(WAIT)
        assert store.refs[f"refs/heads/{branch}"] == tip and len(fake.git.created_mrs) == 1
        assert "(unchanged)" in gitlab_summary(world)

        # `/redline fix`: both hunks' fixes in one commit, forced over redline's own.
        world.comment("/redline fix", "gl-commit-3", 32, 802)
        world.service.wait_idle(WAIT)
        both = store.refs[f"refs/heads/{branch}"]
        assert both != tip and store.commits[both].parents == (HEAD_1,)
        fixed = (store.read(both, "app.py") or b"").decode()
        assert WIDE_FIX in fixed and "yaml.safe_load(data)" in fixed
        assert len(fake.git.created_mrs) == 1 and "2 validated fixes" in offered.description
        assert fake.git.commits_made[-1].get("force") is True

        # A new head: its own branch and merge request; the old one closed, its branch gone.
        push_gitlab(world, HEAD_2)
        _gl_review(world, "gl-commit-4", HEAD_2, update=True)
        assert set(fix_branches(store.refs)) == {f"refs/heads/redline/fix/{world.iid}-{HEAD_2[:7]}"}
        assert len(fake.git.created_mrs) == 2 and offered.state == "closed"
        assert any("Closed by redline" in n["body"] for n in offered.notes)
        assert fake.rejections == []


def test_gitlab_branch_with_foreign_commits_is_left_alone(tmp_path: Path) -> None:
    with make_gitlab_world(tmp_path, scripted_fixer(wide=True)) as world:
        push_gitlab(world, HEAD_1)
        store = world.fake.git.store(world.project_id)
        branch = f"redline/fix/{world.iid}-{HEAD_1[:7]}"
        theirs = store.seed("e" * 40, {"app.py": "print('mine')\n"}, (HEAD_1,), "my own work")
        store.refs[f"refs/heads/{branch}"] = theirs
        _gl_review(world, "gl-foreign-1")
        assert store.refs[f"refs/heads/{branch}"] == theirs
        assert world.fake.git.created_mrs == [] and world.fake.git.commits_made == []
        summary = gitlab_summary(world)
        assert f"The branch `{branch}` already holds commits redline did not make" in summary
        assert "+def run(cmd: str):" in summary


def test_gitlab_fork_gets_the_fix_as_a_patch(tmp_path: Path) -> None:
    with make_gitlab_world(tmp_path, scripted_fixer(wide=True)) as world:
        push_gitlab(world, HEAD_1, fork=True)
        _gl_review(world, "gl-fork-1")
        assert fix_branches(world.fake.git.store(world.project_id).refs) == {}
        assert world.fake.git.created_mrs == [] and world.fake.git.commits_made == []
        summary = gitlab_summary(world)
        assert "comes from a fork: redline pushes nothing to it." in summary
        assert "+def run(cmd: str):" in summary


def test_the_service_fix_engine_follows_redline_engine() -> None:
    """`off`: no fixes; `rules`: rule fixes only; a backend that cannot be opened still gives
    the rule fixes, and says why (the review lists it under the engine's run)."""
    assert open_fixer("off", None, None) is None
    rules = open_fixer("rules", None, None)
    assert rules is not None and rules.backend is None and rules.why is None
    default = open_fixer(None, None, None)  # model fixes are opt-in
    assert default is not None and default.backend is None and default.why is None
    local = open_fixer("local", None, None)
    assert local is not None and local.backend is not None
    broken = open_fixer("openai", None, None)
    assert broken is not None and broken.backend is None
    assert broken.why is not None and "REDLINE_ENGINE_URL" in broken.why
