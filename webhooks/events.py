"""Webhook payloads to decisions, with no I/O: which deliveries ask for a review, which are
recorded, which are ignored (and why). GitHub App events and GitLab project hooks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.core.errors import PayloadError
from bot.core.jobs import JobSpec

# `/redline review` reviews the head again; `/redline fix` also puts every validated fix of the
# head into one suggested commit. Both are reruns: the worker checks the commenter's access.
COMMAND = re.compile(r"(?m)^\s*/redline\s+(review|fix)\b")
GITHUB_PR_ACTIONS = frozenset({"opened", "reopened", "synchronize", "ready_for_review"})


@dataclass(frozen=True)
class Decision:
    kind: str  # review | record | ping | ignore
    reason: str
    spec: JobSpec | None = None
    installation: tuple[int, str | None, str] | None = None  # (id, account, action)


def ignore(reason: str) -> Decision:
    return Decision("ignore", reason)


def _get(data: Any, *path: str | int) -> Any:
    for key in path:
        if isinstance(key, int):
            if not isinstance(data, list) or len(data) <= key:
                raise PayloadError(f"missing field {'.'.join(map(str, path))}")
            data = data[key]
        else:
            if not isinstance(data, dict) or key not in data:
                raise PayloadError(f"missing field {'.'.join(map(str, path))}")
            data = data[key]
    return data


def _str(data: Any, *path: str | int) -> str:
    value = _get(data, *path)
    if not isinstance(value, str) or not value:
        raise PayloadError(f"field {'.'.join(map(str, path))} must be a non-empty string")
    return value


def _int(data: Any, *path: str | int) -> int:
    value = _get(data, *path)
    if isinstance(value, bool) or not isinstance(value, int):
        raise PayloadError(f"field {'.'.join(map(str, path))} must be an integer")
    return value


def _optional_int(data: Any, *path: str) -> int | None:
    try:
        return _int(data, *path)
    except PayloadError:
        return None


def _triggers(repo: str, number: int, commenter: str, comment_id: int) -> tuple[str, ...]:
    """A comment starts a job once; a commenter's reruns of one pull request are limited to
    one a window (the store applies the window: this code reads no clock)."""
    return (f"comment:{comment_id}", f"rerun:{repo}#{number}:{commenter}")


def _github_installation(event: str, payload: dict[str, Any]) -> Decision:
    installation = _int(payload, "installation", "id")
    account = payload.get("installation", {}).get("account", {}).get("login")
    return Decision(
        "record",
        f"{event} {payload.get('action')}",
        installation=(installation, account, str(payload.get("action"))),
    )


def _github_pull_request(
    payload: dict[str, Any], installation_id: int | None, review_drafts: bool
) -> Decision:
    action = _str(payload, "action")
    pr = _get(payload, "pull_request")
    if action == "edited":
        # A retargeted pull request has a new diff; a new title or body does not.
        changes = payload.get("changes") or {}
        if "base" not in changes:
            return ignore("edited without a base change")
    elif action not in GITHUB_PR_ACTIONS:
        return ignore(f"pull_request {action}")
    if pr.get("draft") and not review_drafts and action != "ready_for_review":
        return ignore("draft pull request")
    head_repo = (pr.get("head") or {}).get("repo") or {}
    base_repo = _str(payload, "repository", "full_name")
    return Decision(
        "review",
        f"pull_request {action}",
        JobSpec(
            host="github",
            repo=base_repo,
            pr=_int(payload, "number"),
            head_sha=_str(pr, "head", "sha"),
            base_sha=_str(pr, "base", "sha"),
            installation_id=installation_id,
            payload={
                "fork": head_repo.get("full_name") not in (None, base_repo),
                "event": f"pull_request.{action}",
            },
        ),
    )


def _github_comment(payload: dict[str, Any], installation_id: int | None) -> Decision:
    if payload.get("action") != "created":
        return ignore(f"issue_comment {payload.get('action')}")
    issue = _get(payload, "issue")
    if not isinstance(issue, dict) or "pull_request" not in issue:
        return ignore("comment on an issue, not a pull request")
    command = COMMAND.search(str(_get(payload, "comment", "body")))
    if command is None:
        return ignore("comment without /redline review or /redline fix")
    repo = _str(payload, "repository", "full_name")
    number = _int(issue, "number")
    commenter = _str(payload, "comment", "user", "login")
    return Decision(
        "review",
        f"/redline {command.group(1)}",
        JobSpec(
            host="github",
            repo=repo,
            pr=number,
            installation_id=installation_id,
            kind="rerun",
            payload={
                "event": "issue_comment",
                "commenter": commenter,
                "command": command.group(1),
            },
            trigger_keys=_triggers(repo, number, commenter, _int(payload, "comment", "id")),
        ),
    )


def _github_check_run(payload: dict[str, Any], installation_id: int | None) -> Decision:
    if payload.get("action") != "rerequested":
        return ignore(f"check_run {payload.get('action')}")
    run = _get(payload, "check_run")
    if run.get("name") not in (None, "redline"):
        return ignore("check run of another app")
    prs = run.get("pull_requests") or []
    if not prs:
        return ignore("check run without a pull request")
    return Decision(
        "review",
        "check_run rerequested",
        JobSpec(
            host="github",
            repo=_str(payload, "repository", "full_name"),
            pr=_int(prs[0], "number"),
            head_sha=_str(run, "head_sha"),
            base_sha=(prs[0].get("base") or {}).get("sha"),
            installation_id=installation_id,
            kind="rerun",
            payload={"event": "check_run.rerequested"},
        ),
    )


def github(
    event: str, payload: Any, *, review_drafts: bool = False, bot_logins: tuple[str, ...] = ()
) -> Decision:
    if not isinstance(payload, dict):
        raise PayloadError("the payload must be a JSON object")
    if event == "ping":
        return Decision("ping", "ping")
    if event == "installation" or event == "installation_repositories":
        return _github_installation(event, payload)
    sender = payload.get("sender") or {}
    if isinstance(sender, dict) and (
        sender.get("type") == "Bot" or sender.get("login") in bot_logins
    ):
        return ignore("sent by a bot")
    installation_id = _optional_int(payload, "installation", "id")
    if event == "pull_request":
        return _github_pull_request(payload, installation_id, review_drafts)
    if event == "issue_comment":
        return _github_comment(payload, installation_id)
    if event == "check_run":
        return _github_check_run(payload, installation_id)
    return ignore(f"event {event} not handled")


def _gitlab_merge_request(payload: dict[str, Any], review_drafts: bool) -> Decision:
    attributes = _get(payload, "object_attributes")
    action = str(attributes.get("action") or "")
    if action == "update" and not attributes.get("oldrev"):
        return ignore("merge request updated without new commits")
    if action not in ("open", "reopen", "update"):
        return ignore(f"merge request {action or 'without action'}")
    if (attributes.get("draft") or attributes.get("work_in_progress")) and not review_drafts:
        return ignore("draft merge request")
    project_id = _int(payload, "project", "id")
    return Decision(
        "review",
        f"merge_request {action}",
        JobSpec(
            host="gitlab",
            repo=_str(payload, "project", "path_with_namespace"),
            pr=_int(attributes, "iid"),
            head_sha=_str(attributes, "last_commit", "id"),
            project_id=project_id,
            payload={
                "fork": attributes.get("source_project_id") not in (None, project_id),
                "event": f"merge_request.{action}",
            },
        ),
    )


def _gitlab_note(payload: dict[str, Any]) -> Decision:
    attributes = _get(payload, "object_attributes")
    if attributes.get("noteable_type") != "MergeRequest":
        return ignore("note not on a merge request")
    command = COMMAND.search(str(attributes.get("note") or ""))
    if command is None:
        return ignore("note without /redline review or /redline fix")
    mr = _get(payload, "merge_request")
    repo = _str(payload, "project", "path_with_namespace")
    number = _int(mr, "iid")
    commenter = _str(payload, "user", "username")
    return Decision(
        "review",
        f"/redline {command.group(1)}",
        JobSpec(
            host="gitlab",
            repo=repo,
            pr=number,
            head_sha=(mr.get("last_commit") or {}).get("id"),
            project_id=_int(payload, "project", "id"),
            kind="rerun",
            payload={
                "event": "note",
                "commenter": commenter,
                "command": command.group(1),
                "commenter_id": _optional_int(payload, "user", "id"),
            },
            trigger_keys=_triggers(repo, number, commenter, _int(attributes, "id")),
        ),
    )


def gitlab(
    event: str, payload: Any, *, review_drafts: bool = False, bot_logins: tuple[str, ...] = ()
) -> Decision:
    if not isinstance(payload, dict):
        raise PayloadError("the payload must be a JSON object")
    user = payload.get("user") or {}
    if isinstance(user, dict) and user.get("username") in bot_logins:
        return ignore("sent by a bot")
    kind = payload.get("object_kind")
    if event == "Merge Request Hook" or kind == "merge_request":
        return _gitlab_merge_request(payload, review_drafts)
    if event == "Note Hook" or kind == "note":
        return _gitlab_note(payload)
    return ignore(f"event {event or kind} not handled")
