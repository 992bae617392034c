"""Which real webhook deliveries ask for a review, which are recorded, which are ignored."""

from __future__ import annotations

import copy

import pytest

from tests.webhooks.helpers import sample
from webhooks import events


@pytest.mark.parametrize(
    "name",
    [
        "pull_request__opened",
        "pull_request__reopened",
        "pull_request__synchronize",
        "pull_request__ready_for_review",
    ],
)
def test_pull_request_actions_ask_for_a_review(name: str) -> None:
    payload = sample(name)
    payload["pull_request"]["draft"] = False
    decision = events.github("pull_request", payload)
    assert decision.kind == "review" and decision.spec is not None
    spec = decision.spec
    assert (spec.host, spec.repo, spec.pr) == (
        "github",
        payload["repository"]["full_name"],
        payload["number"],
    )
    assert spec.head_sha == payload["pull_request"]["head"]["sha"]
    assert spec.base_sha == payload["pull_request"]["base"]["sha"]


@pytest.mark.parametrize(
    "name",
    [
        "pull_request__closed",
        "pull_request__labeled",
        "pull_request__assigned",
        "pull_request__locked",
    ],
)
def test_other_pull_request_actions_are_ignored(name: str) -> None:
    assert events.github("pull_request", sample(name)).kind == "ignore"


def test_edited_only_when_the_base_changed() -> None:
    payload = copy.deepcopy(sample("pull_request__opened"))
    payload["action"] = "edited"
    payload["changes"] = {"title": {"from": "old"}}
    assert events.github("pull_request", payload).kind == "ignore"
    payload["changes"] = {"base": {"ref": {"from": "develop"}, "sha": {"from": "abc"}}}
    assert events.github("pull_request", payload).kind == "review"


def test_drafts_are_skipped_unless_configured() -> None:
    payload = copy.deepcopy(sample("pull_request__opened"))
    payload["pull_request"]["draft"] = True
    assert events.github("pull_request", payload).reason == "draft pull request"
    assert events.github("pull_request", payload, review_drafts=True).kind == "review"


def test_bot_senders_are_ignored() -> None:
    payload = copy.deepcopy(sample("pull_request__synchronize"))
    payload["sender"]["type"] = "Bot"
    assert events.github("pull_request", payload).reason == "sent by a bot"
    payload["sender"] = {"login": "redline[bot]", "type": "User"}
    assert events.github("pull_request", payload, bot_logins=("redline[bot]",)).kind == "ignore"


def test_check_run_rerequested_reruns() -> None:
    payload = copy.deepcopy(sample("check_run__rerequested"))
    payload["check_run"]["name"] = "redline"
    payload["check_run"]["pull_requests"] = [
        {"number": 7, "head": {"sha": "a" * 40}, "base": {"sha": "b" * 40}}
    ]
    decision = events.github("check_run", payload)
    assert decision.kind == "review" and decision.spec is not None
    assert (decision.spec.pr, decision.spec.kind) == (7, "rerun")
    assert events.github("check_run", sample("check_run__completed")).kind == "ignore"


def test_installation_is_recorded() -> None:
    decision = events.github("installation", sample("installation__created"))
    assert decision.kind == "record" and decision.installation is not None
    assert decision.installation[2] == "created"


def test_comment_command_reruns_on_pull_requests_only() -> None:
    payload = copy.deepcopy(sample("issue_comment__created"))
    payload["issue"]["pull_request"] = {"url": "x"}
    payload["comment"]["body"] = "thanks!\n/redline review\n"
    decision = events.github("issue_comment", payload)
    assert decision.kind == "review" and decision.spec is not None
    assert decision.spec.kind == "rerun" and decision.spec.head_sha is None
    payload["comment"]["body"] = "please review"
    assert events.github("issue_comment", payload).kind == "ignore"
    assert events.github("issue_comment", sample("issue_comment__created")).reason == (
        "comment on an issue, not a pull request"
    )


def test_ping_and_unknown_events() -> None:
    assert events.github("ping", sample("ping__payload")).kind == "ping"
    assert events.github("push", sample("push__payload")).kind == "ignore"


def test_gitlab_merge_request_open_and_update() -> None:
    payload = sample("merge_request__open")
    decision = events.gitlab("Merge Request Hook", payload)
    assert decision.kind == "review" and decision.spec is not None
    assert decision.spec.repo == payload["project"]["path_with_namespace"]
    assert decision.spec.pr == payload["object_attributes"]["iid"]
    assert decision.spec.project_id == payload["project"]["id"]
    update = copy.deepcopy(payload)
    update["object_attributes"]["action"] = "update"
    assert events.gitlab("Merge Request Hook", update).kind == "ignore"  # no new code
    update["object_attributes"]["oldrev"] = "c" * 40
    assert events.gitlab("Merge Request Hook", update).kind == "review"
    closed = copy.deepcopy(payload)
    closed["object_attributes"]["action"] = "close"
    assert events.gitlab("Merge Request Hook", closed).kind == "ignore"


def test_gitlab_note_command() -> None:
    mr = sample("merge_request__open")
    note = {
        "object_kind": "note",
        "project": mr["project"],
        "user": mr["user"],
        "object_attributes": {"id": 1, "note": "/redline review", "noteable_type": "MergeRequest"},
        "merge_request": {"iid": 39, "last_commit": {"id": "d" * 40}},
    }
    decision = events.gitlab("Note Hook", note)
    assert decision.kind == "review" and decision.spec is not None
    assert decision.spec.kind == "rerun" and decision.spec.head_sha == "d" * 40
    assert decision.spec.payload["command"] == "review"
    note["object_attributes"]["note"] = "looks good\n/redline fix"
    decision = events.gitlab("Note Hook", note)
    assert decision.spec is not None and decision.reason == "/redline fix"
    assert decision.spec.kind == "rerun" and decision.spec.payload["command"] == "fix"
    note["object_attributes"]["note"] = "/redline fixup"
    assert events.gitlab("Note Hook", note).kind == "ignore"


def test_fix_command_is_a_rerun_that_asks_for_every_fix() -> None:
    """`/redline fix` starts a rerun like `/redline review` (the worker checks the commenter's
    write access the same way) that carries the command."""
    payload = copy.deepcopy(sample("issue_comment__created"))
    payload["issue"]["pull_request"] = {"url": "x"}
    payload["comment"]["body"] = "/redline fix\n"
    decision = events.github("issue_comment", payload)
    assert decision.kind == "review" and decision.spec is not None
    assert decision.reason == "/redline fix" and decision.spec.kind == "rerun"
    assert decision.spec.payload["command"] == "fix"
    assert decision.spec.payload["commenter"] == payload["comment"]["user"]["login"]
    assert decision.spec.trigger_keys[0] == f"comment:{payload['comment']['id']}"
    for body in ("/redline fixes", "please /redline fix", "`/redline` fix"):
        payload["comment"]["body"] = body
        assert events.github("issue_comment", payload).kind == "ignore", body


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: p.pop("number"),
        lambda p: p["pull_request"].pop("head"),
        lambda p: p["pull_request"]["head"].__setitem__("sha", 12),
        lambda p: p.pop("repository"),
    ],
)
def test_missing_fields_are_payload_errors(mutate: object) -> None:
    payload = copy.deepcopy(sample("pull_request__synchronize"))
    mutate(payload)  # type: ignore[operator]
    with pytest.raises(events.PayloadError):
        events.github("pull_request", payload)


def test_non_object_payload() -> None:
    with pytest.raises(events.PayloadError):
        events.github("pull_request", [1, 2])
    with pytest.raises(events.PayloadError):
        events.gitlab("Merge Request Hook", "text")
