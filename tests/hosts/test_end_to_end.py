"""End to end against faithful fake hosts, through the real PyGithub and python-gitlab
clients: a signed real webhook body reaches `redline serve`, the worker fetches the diff from
the fake host and posts the review, suggestions, summary and check. Then a second head is
pushed and nothing is duplicated. Also: 422/400 recovery, rate-limit backoff, an error that
is not a failed gate, config from the base branch, annotation batches."""

from __future__ import annotations

from pathlib import Path

from bot.service.settings import Secret, Settings
from tests.fakes.github_api import FakeGitHub
from tests.hosts.worlds import (
    HEAD_1,
    HEAD_2,
    GitHubWorld,
    GitLabWorld,
    _notes,
    head_app,
    running_service,
)
from tests.webhooks.helpers import SECRET, serve_app


def test_github_review_suggestions_summary_check_and_no_duplicates(
    github_world: GitHubWorld,
) -> None:
    fake = github_world.fake
    assert github_world.deliver(HEAD_1, "gh-1").status_code == 202
    github_world.service.wait_idle()
    published = [r for r in fake.reviews if r["state"] != "PENDING"]
    assert len(published) == 1
    comments = {c["body"].split("**")[1]: c for c in published[0]["comments"]}
    shell = comments["semgrep/subprocess-shell-true"]
    assert (shell["start_line"], shell["line"], shell["side"]) == (10, 11, "RIGHT")
    yaml_comment = comments["semgrep/yaml-unsafe-load"]
    assert yaml_comment["line"] == 6 and "start_line" not in yaml_comment
    assert "```suggestion\n    return yaml.safe_load(text)\n```" in yaml_comment["body"]
    assert "<!-- redline:fp=" in yaml_comment["body"]
    # The summary: one comment with the order, attention map, findings and coverage.
    summaries = [c for c in fake.issue_comments if "<!-- redline:summary -->" in c["body"]]
    assert len(summaries) == 1
    body = summaries[0]["body"]
    for part in (
        "### Suggested reading order",
        "### Attention map",
        "### All findings",
        "Gate: ❌ failed",
        "Coverage:",
        "nothing truncated",
    ):
        assert part in body
    # The check run: in progress first, then completed with the gate's conclusion.
    run = fake.check_runs[github_world.run_ids()[0]]
    assert run["name"] == "redline" and run["status"] == "completed"
    assert run["conclusion"] == "failure"
    assert run["output"]["annotations_count"] == len(published[0]["comments"])
    assert fake.tokens_issued >= 1  # App auth: an installation token

    # A second push: only new findings are posted, the summary is edited in place.
    github_world.push(HEAD_2, head_app("\n\ndef again(cmd):\n    return eval(cmd)\n"))
    assert github_world.deliver(HEAD_2, "gh-2").status_code == 202
    github_world.service.wait_idle()
    published = [r for r in fake.reviews if r["state"] != "PENDING"]
    assert len(published) == 2
    assert [c["body"].split("**")[1] for c in published[1]["comments"]] == ["semgrep/eval-exec"]
    fingerprints = [c["body"].split("fp=")[1] for c in fake.review_comments]
    assert len(fingerprints) == len(set(fingerprints))
    summaries = [c for c in fake.issue_comments if "<!-- redline:summary -->" in c["body"]]
    assert len(summaries) == 1 and summaries[0]["edits"] == 1
    # The same delivery again, and the same head again: nothing new.
    github_world.deliver(HEAD_2, "gh-2")
    github_world.deliver(HEAD_2, "gh-3")
    github_world.service.wait_idle()
    assert len([r for r in fake.reviews if r["state"] != "PENDING"]) == 2


def test_github_config_comes_from_the_base_branch(github_world: GitHubWorld) -> None:
    # The head changes .redline.toml to fail-on = "never"; the base says "error".
    github_world.deliver(HEAD_1, "gh-cfg")
    github_world.service.wait_idle()
    run = github_world.fake.check_runs[github_world.run_ids()[0]]
    assert run["conclusion"] == "failure"


def test_github_422_moves_the_refused_comment_to_the_summary(github_world: GitHubWorld) -> None:
    fake = github_world.fake
    fake.refuse.add(("app.py", 6))  # GitHub refuses the yaml.load line
    github_world.deliver(HEAD_1, "gh-422")
    github_world.service.wait_idle()
    published = [r for r in fake.reviews if r["state"] != "PENDING"]
    assert len(published) == 1
    rules = [c["body"].split("**")[1] for c in published[0]["comments"]]
    assert "semgrep/yaml-unsafe-load" not in rules and "semgrep/subprocess-shell-true" in rules
    assert not [r for r in fake.reviews if r["state"] == "PENDING"]  # probes were deleted
    summary = next(c for c in fake.issue_comments if "<!-- redline:summary -->" in c["body"])
    assert "refused inline by the host" in summary["body"]
    assert "yaml-unsafe-load" in summary["body"].split("### Findings not shown inline")[1]


def test_github_rate_limits_are_waited_out(github_world: GitHubWorld) -> None:
    fake = github_world.fake
    fake.fail_next(r"/pulls/2/files$", 429, headers={"Retry-After": "1"})
    fake.fail_next(r"/pulls/2/reviews$", 403, headers={"Retry-After": "1"})  # secondary
    github_world.deliver(HEAD_1, "gh-rate")
    github_world.service.wait_idle()
    files = [t for m, p, t in fake.requests if p.endswith("/pulls/2/files")]
    assert len(files) >= 2 and files[1] - files[0] >= 0.9
    assert len([r for r in fake.reviews if r["state"] != "PENDING"]) == 1
    assert fake.check_runs[github_world.run_ids()[0]]["conclusion"] == "failure"


def test_a_review_that_could_not_run_fails_closed(github_world: GitHubWorld) -> None:
    # Neutral would pass a required check although nothing was looked at (issue 13).
    fake = github_world.fake
    fake.fail_next(r"/pulls/2/files$", 502, times=200)
    github_world.deliver(HEAD_1, "gh-down")
    github_world.service.wait_idle(timeout=120)
    job = github_world.service.runtime.store.queue.jobs()[0]
    assert job.state == "dead" and "502" in (job.last_error or "")
    # One run per attempt; the branch rule reads the latest, and none may be left in
    # progress or neutral.
    runs = list(fake.check_runs.values())
    assert runs and {r["conclusion"] for r in runs} == {"failure"}
    assert runs[-1]["output"]["title"] == "Review could not run"


def test_github_annotations_go_fifty_per_request(github_world: GitHubWorld) -> None:
    many = "".join(f"\n\ndef f{i}(x):\n    return eval(x)\n" for i in range(60))
    github_world.push(HEAD_1, head_app(many))
    github_world.deliver(HEAD_1, "gh-many")
    github_world.service.wait_idle()
    run = github_world.fake.check_runs[github_world.run_ids()[0]]
    assert run["output"]["annotations_count"] >= 62
    assert run["updates"] >= 3  # in progress, then 50 + the rest
    review = next(r for r in github_world.fake.reviews if r["state"] != "PENDING")
    assert len(review["comments"]) == 15  # max_inline_comments
    summary = next(
        c for c in github_world.fake.issue_comments if "<!-- redline:summary -->" in c["body"]
    )
    assert "over the 15 inline comments per review" in summary["body"]


def test_github_token_setup_uses_a_commit_status(tmp_path: Path) -> None:
    fake = FakeGitHub()
    with serve_app(fake.app()) as api:
        fake.base = api
        settings = Settings(
            github_webhook_secret=Secret(SECRET),
            data_dir=tmp_path / "d",
            engine="off",
            github_token=Secret(fake.pat),
            github_api_url=api,
            github_write_pause=0.02,
            poll_seconds=0.05,
        )
        with running_service(settings) as service:
            world = GitHubWorld(fake, service)
            world.push(HEAD_1, head_app())
            world.deliver(HEAD_1, "tok-1")
            service.wait_idle()
    assert [s["state"] for s in fake.statuses] == ["pending", "failure"]
    assert fake.check_runs == {}


# --- GitLab ---------------------------------------------------------------------------------


def test_gitlab_review_drafts_positions_summary_status_and_no_duplicates(
    gitlab_world: GitLabWorld,
) -> None:
    fake = gitlab_world.fake
    assert gitlab_world.deliver(HEAD_1, "gl-1").status_code == 202
    gitlab_world.service.wait_idle()
    assert fake.rejections == [] and fake.publishes == 1
    inline = [n for n in _notes(gitlab_world) if n["position"]]
    by_rule = {n["body"].split("**")[1]: n for n in inline}
    shell = by_rule["semgrep/subprocess-shell-true"]["position"]
    assert shell["new_line"] == 11 and "old_line" not in shell
    assert shell["line_range"]["start"]["new_line"] == 10
    yaml_note = by_rule["semgrep/yaml-unsafe-load"]
    assert "```suggestion:-0+0\n    return yaml.safe_load(text)\n```" in yaml_note["body"]
    summaries = [n for n in _notes(gitlab_world) if "<!-- redline:summary -->" in n["body"]]
    assert len(summaries) == 1
    assert [s["state"] for s in fake.statuses] == ["running", "failed"]  # config from base

    gitlab_world.push(HEAD_2, head_app("\n\ndef again(cmd):\n    return eval(cmd)\n"))
    assert gitlab_world.deliver(HEAD_2, "gl-2", oldrev=True).status_code == 202
    gitlab_world.service.wait_idle()
    inline = [n for n in _notes(gitlab_world) if n["position"]]
    fingerprints = [n["body"].split("fp=")[1] for n in inline]
    assert len(fingerprints) == len(set(fingerprints)) == 3
    summaries = [n for n in _notes(gitlab_world) if "<!-- redline:summary -->" in n["body"]]
    assert len(summaries) == 1 and summaries[0]["edits"] == 1
    assert fake.publishes == 2


def test_gitlab_400_position_moves_to_the_summary(gitlab_world: GitLabWorld) -> None:
    gitlab_world.fake.refuse.add(("app.py", 6))
    gitlab_world.deliver(HEAD_1, "gl-400")
    gitlab_world.service.wait_idle()
    inline = [n for n in _notes(gitlab_world) if n["position"]]
    assert [n["body"].split("**")[1] for n in inline] == ["semgrep/subprocess-shell-true"]
    summary = next(n for n in _notes(gitlab_world) if "<!-- redline:summary -->" in n["body"])
    assert "refused inline by the host" in summary["body"]


def test_gitlab_rate_limit_and_server_errors_are_retried(gitlab_world: GitLabWorld) -> None:
    fake = gitlab_world.fake
    fake.fail_next(r"/changes$", 429, headers={"Retry-After": "1"})
    fake.fail_next(r"/draft_notes$", 502)
    gitlab_world.deliver(HEAD_1, "gl-rate")
    gitlab_world.service.wait_idle()
    changes = [t for m, p, t in fake.requests if p.endswith("/changes")]
    assert len(changes) >= 2 and changes[1] - changes[0] >= 0.9
    assert len([n for n in _notes(gitlab_world) if n["position"]]) == 2
    assert fake.statuses[-1]["state"] == "failed"


def test_gitlab_review_that_could_not_run_fails_closed(gitlab_world: GitLabWorld) -> None:
    # "skipped" passes "Pipelines must succeed"; a review that could not look must not.
    gitlab_world.fake.fail_next(r"/changes$", 500, times=200)
    gitlab_world.deliver(HEAD_1, "gl-down")
    gitlab_world.service.wait_idle(timeout=120)
    statuses = gitlab_world.fake.statuses
    assert statuses[-1]["state"] == "failed"
    assert statuses[-1]["description"].startswith("Review could not run")
