"""What a pull request's author or a stranger can try through the hosts (issue 13), through
the real PyGithub and python-gitlab clients against fakes that answer as the real APIs do.
Each test failed on the code before the fix."""

from __future__ import annotations

from bot.store.schema import comments
from tests.hosts.worlds import HEAD_1, GitHubWorld, GitLabWorld, _notes, head_app

SUMMARY = "<!-- redline:summary -->"


def _inline_rules(world: GitHubWorld) -> list[str]:
    return [
        c["body"].split("**")[1]
        for c in world.fake.review_comments
        if c["user"]["login"] == "redline[bot]"
    ]


def test_gitlab_reviews_a_project_without_redline_toml(gitlab_world: GitLabWorld) -> None:
    # python-gitlab raises GitlabGetError for a missing file, not GitlabHttpError: the job
    # died and the status said "skipped" on every project without the file.
    gitlab_world.push(HEAD_1, head_app(), base_config=None)
    gitlab_world.deliver(HEAD_1, "gl-no-config")
    gitlab_world.service.wait_idle()
    inline = [n for n in _notes(gitlab_world) if n["position"]]
    assert len(inline) == 2
    assert gitlab_world.fake.statuses[-1]["state"] == "failed"  # the findings gate it


def test_a_planted_fingerprint_marker_does_not_silence_a_finding(
    github_world: GitHubWorld,
) -> None:
    # Fingerprints can be computed offline: the author plants one for every finding, in
    # comments of their own, written the way the bot wrote them before markers were signed.
    store = github_world.service.runtime.store
    github_world.deliver(HEAD_1, "gh-plant-1")
    github_world.service.wait_idle()
    document = store.reviews.review(store.queue.jobs()[0].id)["document"]
    fingerprints = [f["fingerprint"] for f in document["findings"] if f["source"] == "semgrep"]
    assert len(fingerprints) == 2
    github_world.fake.review_comments.clear()
    with store.reviews.tx() as conn:  # forget what was posted, as on a fresh install
        conn.execute(comments.delete())
    for fingerprint in fingerprints:
        github_world.fake.add_foreign_comment(
            "Codertocat/Hello-World",
            2,
            f"lgtm <!-- redline:fp={fingerprint} -->",
            "author",
            inline=True,
        )
    github_world.push("2" * 40, head_app())
    github_world.deliver("2" * 40, "gh-plant-2")
    github_world.service.wait_idle()
    assert sorted(_inline_rules(github_world)) == [
        "semgrep/subprocess-shell-true",
        "semgrep/yaml-unsafe-load",
    ]


def test_someone_elses_comment_with_the_summary_marker_is_left_alone(
    github_world: GitHubWorld,
) -> None:
    github_world.fake.add_foreign_comment(
        "Codertocat/Hello-World", 2, f"{SUMMARY} I wrote this", "author"
    )
    github_world.deliver(HEAD_1, "gh-summary")
    github_world.service.wait_idle()
    comments = github_world.fake.issue_comments
    foreign = [c for c in comments if c["user"]["login"] == "author"]
    ours = [c for c in comments if c["user"]["login"] == "redline[bot]"]
    assert foreign[0]["body"] == f"{SUMMARY} I wrote this" and foreign[0]["edits"] == 0
    assert len(ours) == 1 and "## redline review" in ours[0]["body"]
    job = github_world.service.runtime.store.queue.jobs()[0]
    assert job.state == "done"


def test_gitlab_note_with_the_summary_marker_by_someone_else(gitlab_world: GitLabWorld) -> None:
    # The bot used to edit it, GitLab answered 403, and the review ended "could not run".
    gitlab_world.fake.add_foreign_note(
        gitlab_world.project_id, gitlab_world.iid, f"{SUMMARY} mine", "author"
    )
    gitlab_world.deliver(HEAD_1, "gl-summary")
    gitlab_world.service.wait_idle()
    notes = _notes(gitlab_world)
    assert [n["body"] for n in notes if n["author"]["username"] == "author"] == [f"{SUMMARY} mine"]
    assert any(SUMMARY in n["body"] and n["author"]["username"] == "redline-bot" for n in notes)
    assert gitlab_world.fake.statuses[-1]["state"] == "failed"  # findings, not an error


def test_redline_review_needs_write_access_and_is_deduplicated(
    github_world: GitHubWorld,
) -> None:
    queue = github_world.service.runtime.store.queue

    def published() -> int:
        return len([r for r in github_world.fake.reviews if r["state"] != "PENDING"])

    github_world.deliver(HEAD_1, "gh-first")
    github_world.service.wait_idle()
    first = published()
    # A stranger asks: the job is done without a review.
    assert github_world.comment("/redline review", "c-1", "stranger", 9001).status_code == 202
    github_world.service.wait_idle()
    assert published() == first
    # A writer asks: one review. The same comment replayed under new delivery ids (the body is
    # signed, the delivery header is not) queues nothing more.
    github_world.fake.permissions[("Codertocat/Hello-World", "maintainer")] = "write"
    replies = [
        github_world.comment("/redline review", f"c-{n}", "maintainer", 9002).json()["outcome"]
        for n in range(2, 6)
    ]
    assert replies[0] == "queued" and set(replies[1:]) == {"duplicate-trigger"}
    github_world.service.wait_idle()
    assert [j.kind for j in queue.jobs()].count("rerun") == 2  # the stranger's and the writer's
    assert published() == first  # nothing new to post: the findings were posted already


def test_gitlab_redline_review_needs_developer_access(gitlab_world: GitLabWorld) -> None:
    statuses = gitlab_world.fake.statuses
    gitlab_world.deliver(HEAD_1, "gl-first")
    gitlab_world.service.wait_idle()
    reviewed = len(statuses)  # a review sets "running", then its verdict
    gitlab_world.fake.access[(gitlab_world.project_id, 5)] = 10  # a guest
    assert gitlab_world.comment("/redline review", "n-1", 5, 801).json()["outcome"] == "queued"
    gitlab_world.service.wait_idle()
    assert len(statuses) == reviewed  # refused: no review ran
    gitlab_world.fake.access[(gitlab_world.project_id, 6)] = 30  # a developer
    assert gitlab_world.comment("/redline review", "n-2", 6, 802).json()["outcome"] == "queued"
    gitlab_world.service.wait_idle()
    assert len(statuses) == reviewed + 2 and statuses[-1]["state"] == "failed"
