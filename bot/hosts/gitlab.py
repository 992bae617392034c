"""GitLab through python-gitlab: the MR changes with their diff_refs as a diff, inline
comments as draft notes with full positions (published together: one notification), ```suggestion
blocks in GitLab's range syntax, a summary note edited in place, a commit status, and suggested
commits made with the commits API (actions on top of the head, `start_sha`) and offered as a
merge request into the MR's source branch. Nothing is ever pushed to a fork."""

from __future__ import annotations

import functools
import hashlib
import os
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import gitlab
from gitlab.exceptions import GitlabError

from bot.core.diff import parse_diff
from bot.core.errors import HostError
from bot.core.host import (
    BranchTip,
    FetchedDiff,
    GateStatus,
    InlineComment,
    PostResult,
    PullRequest,
    ReviewPost,
    SuggestedRequest,
)
from bot.core.markers import Marks, scope_of
from bot.hosts.errors import from_status

T = TypeVar("T")
STATUS_NAME = "redline"
DEVELOPER = 30  # GitLab's access level that can push
_STATE = {
    "in_progress": "running",
    "success": "success",
    "failure": "failed",
    "neutral": "skipped",
    "error": "skipped",
}


def _translate(method: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return method(*args, **kwargs)
        except GitlabError as exc:
            code = getattr(exc, "response_code", None) or 0
            raise from_status("GitLab", code, exc.error_message) from exc
        except (ConnectionError, TimeoutError, OSError) as exc:
            raise HostError(f"GitLab unreachable: {exc}") from exc

    return wrapper


def line_code(path: str, old: int, new: int) -> str:
    return f"{hashlib.sha1(path.encode()).hexdigest()}_{old}_{new}"


def line_positions(diff_text: str) -> dict[str, dict[tuple[str, int], tuple[int, int]]]:
    """For each file: (side, line) -> (old position, new position) as GitLab counts them
    (added lines carry the old counter, removed lines the new one), for line codes."""
    out: dict[str, dict[tuple[str, int], tuple[int, int]]] = {}
    for file in parse_diff(diff_text).files:
        table = out.setdefault(file.path, {})
        for hunk in file.hunks:
            old, new = hunk.old_start, hunk.new_start
            for line in hunk.lines:
                if line.kind == "add":
                    table[("new", new)] = (old, new)
                    new += 1
                elif line.kind == "del":
                    table[("old", old)] = (old, new)
                    old += 1
                else:
                    table[("new", new)] = table[("old", old)] = (old, new)
                    old += 1
                    new += 1
    return out


class _Client(gitlab.Gitlab):
    """python-gitlab with a bounded number of retries per request (its default is 10, with
    backoff: minutes when the host is down; our job queue retries on top)."""

    retries = 4

    def http_request(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("max_retries", self.retries)
        return super().http_request(*args, **kwargs)


class GitLabHost:
    name = "gitlab"
    request_sigil = "!"  # how GitLab refers to a merge request

    def __init__(
        self, url: str, token: str, timeout: float = 15, marks: Marks | None = None
    ) -> None:
        # 429s are waited out (Retry-After) and 5xx retried by python-gitlab itself
        # (obey_rate_limit is on by default; max_retries per request defaults to 10).
        self.client = _Client(
            url, private_token=token, timeout=timeout, retry_transient_errors=True, per_page=100
        )
        self._diffs: dict[tuple[str, int, str], str] = {}
        self.marks = marks or Marks(os.urandom(32))
        self._identity: str | None = None
        self._lock = threading.Lock()

    def _project(self, pr: PullRequest) -> Any:
        return self.client.projects.get(pr.project_id or pr.repo, lazy=True)

    def _mr(self, pr: PullRequest) -> Any:
        return self._project(pr).mergerequests.get(pr.number)

    @_translate
    def pull_request(
        self,
        repo: str,
        number: int,
        head_sha: str | None = None,
        installation_id: int | None = None,
        project_id: int | None = None,
    ) -> PullRequest:
        project = self.client.projects.get(project_id or repo, lazy=True)
        mr = project.mergerequests.get(number)
        refs = mr.diff_refs or {}
        return PullRequest(
            "gitlab",
            repo,
            number,
            refs.get("head_sha") or mr.sha,
            refs.get("base_sha") or mr.sha,
            start_sha=refs.get("start_sha"),
            fork=mr.source_project_id != mr.target_project_id,
            draft=bool(getattr(mr, "draft", False)),
            project_id=project_id,
        )

    @_translate
    def can_trigger(self, pr: PullRequest, login: str, user_id: int | None = None) -> bool:
        """Developer (30) or better on the project, inherited memberships included."""
        if user_id is None:
            return False
        try:
            member = self._project(pr).members_all.get(user_id)
        except GitlabError as exc:
            if getattr(exc, "response_code", None) == 404:
                return False
            raise
        return int(getattr(member, "access_level", 0)) >= DEVELOPER

    @_translate
    def fetch_diff(self, pr: PullRequest) -> FetchedDiff:
        changes = self._mr(pr).changes()
        parts = []
        large = []
        for change in changes.get("changes", []):
            old, new = change["old_path"], change["new_path"]
            head = f"diff --git a/{old} b/{new}\n"
            if change.get("new_file"):
                head += "new file mode 100644\n"
            elif change.get("deleted_file"):
                head += "deleted file mode 100644\n"
            elif change.get("renamed_file"):
                head += f"similarity index 90%\nrename from {old}\nrename to {new}\n"
            body = change.get("diff") or ""
            if change.get("too_large"):
                large.append(new)
            if not body:
                parts.append(
                    head
                    if change.get("renamed_file")
                    else head + f"Binary files a/{old} and b/{new} differ\n"
                )
                continue
            source = "/dev/null" if change.get("new_file") else f"a/{old}"
            target = "/dev/null" if change.get("deleted_file") else f"b/{new}"
            parts.append(
                head
                + f"--- {source}\n+++ {target}\n"
                + body
                + ("" if body.endswith("\n") else "\n")
            )
        text = "".join(parts)
        with self._lock:
            self._diffs[(pr.repo, pr.number, pr.head_sha)] = text
        notes = []
        if changes.get("overflow"):
            notes.append("GitLab cut the merge request's changes (overflow)")
        if large:
            notes.append("GitLab gives no diff for " + ", ".join(large[:10]) + " (too large)")
        return FetchedDiff(text, "; ".join(notes) or None)

    @_translate
    def identity(self) -> str:
        """The username of the token's user: the author of the bot's notes."""
        with self._lock:
            if self._identity is None:
                self.client.auth()
                user = self.client.user
                assert user is not None
                self._identity = str(user.username)
            return self._identity

    def _ours(self, note: Any) -> bool:
        author = getattr(note, "author", None) or {}
        return not getattr(note, "system", False) and author.get("username") == self.identity()

    @_translate
    def fetch_file(self, pr: PullRequest, path: str, sha: str) -> bytes | None:
        try:
            data = self._project(pr).files.raw(file_path=path, ref=sha)
        except GitlabError as exc:
            # python-gitlab raises GitlabGetError (not a GitlabHttpError) for a missing file.
            if getattr(exc, "response_code", None) == 404:
                return None
            raise
        return bytes(data) if data is not None else None

    @_translate
    def posted_fingerprints(self, pr: PullRequest) -> set[str]:
        """Fingerprints from the bot's own notes, signed with the server's key for this MR."""
        scope = scope_of(pr.host, pr.repo, pr.number)
        found = set()
        for note in self._mr(pr).notes.list(get_all=True):
            if self._ours(note):
                fingerprint = self.marks.read(scope, note.body or "")
                if fingerprint:
                    found.add(fingerprint)
        return found

    def _position(
        self,
        pr: PullRequest,
        comment: InlineComment,
        positions: dict[tuple[str, int], tuple[int, int]],
    ) -> dict[str, Any]:
        position: dict[str, Any] = {
            "position_type": "text",
            "base_sha": pr.base_sha,
            "head_sha": pr.head_sha,
            "start_sha": pr.start_sha or pr.base_sha,
            "old_path": comment.path,
            "new_path": comment.path,
        }
        if comment.side == "LEFT":
            position["old_line"] = comment.line
        else:
            position["new_line"] = comment.line
            if comment.old_line is not None:  # a context line: both numbers
                position["old_line"] = comment.old_line
        if comment.start_line is not None and comment.start_line != comment.line:
            side = "old" if comment.side == "LEFT" else "new"

            def end(line: int) -> dict[str, Any]:
                old, new = positions.get((side, line), (line, line))
                point: dict[str, Any] = {
                    "line_code": line_code(comment.path, old, new),
                    "type": side,
                }
                point[f"{side}_line"] = line
                return point

            position["line_range"] = {"start": end(comment.start_line), "end": end(comment.line)}
        return position

    @_translate
    def post_review(self, pr: PullRequest, review: ReviewPost) -> PostResult:
        mr = self._mr(pr)
        with self._lock:
            diff_text = self._diffs.get((pr.repo, pr.number, pr.head_sha))
        positions = line_positions(diff_text) if diff_text else {}
        created = []
        rejected = []
        for comment in review.comments:
            body = _gitlab_suggestion(comment)
            try:
                mr.draft_notes.create(
                    {
                        "note": body,
                        "position": self._position(pr, comment, positions.get(comment.path, {})),
                    }
                )
            except GitlabError as exc:
                if getattr(exc, "response_code", None) == 400:
                    rejected.append(comment.fingerprint)  # a position GitLab refuses
                    continue
                raise
            created.append(comment.fingerprint)
        if created:
            mr.draft_notes.bulk_publish()  # one notification for the whole review
        self._upsert_summary(mr, review.summary_marker, review.summary)
        return PostResult(tuple(created), tuple(rejected))

    def _upsert_summary(self, mr: Any, marker: str, body: str) -> None:
        for note in mr.notes.list(get_all=True):
            if marker in (note.body or "") and self._ours(note):
                if note.body != body:
                    note.body = body
                    note.save()
                return
        mr.notes.create({"body": body})

    @_translate
    def set_status(self, pr: PullRequest, status: GateStatus) -> None:
        commit = self._project(pr).commits.get(pr.head_sha, lazy=True)
        commit.statuses.create(
            {
                "state": _STATE[status.state],
                "name": STATUS_NAME,
                "description": f"{status.title}: {status.summary}"[:255],
            }
        )

    # --- suggested commits (the SuggestedCommits capability) ---------------------------------
    @_translate
    def head_branch(self, pr: PullRequest) -> str:
        return str(self._mr(pr).source_branch)

    @_translate
    def branch_tip(self, pr: PullRequest, branch: str) -> BranchTip | None:
        try:
            found = self._project(pr).branches.get(branch)
        except GitlabError as exc:
            if getattr(exc, "response_code", None) == 404:
                return None
            raise
        commit = found.commit or {}
        return BranchTip(
            str(commit["id"]),
            tuple(str(p) for p in commit.get("parent_ids") or ()),
            str(commit.get("message") or ""),
        )

    @_translate
    def push_commit(
        self,
        pr: PullRequest,
        branch: str,
        files: Mapping[str, str],
        message: str,
        replace: str | None,
    ) -> str:
        """One commit of `update` actions started at the head (`start_sha`). With `replace` (the
        commit the branch held when judged) the branch is forced, which GitLab otherwise
        refuses when it exists; refused here when the branch moved since."""
        data: dict[str, Any] = {
            "branch": branch,
            "commit_message": message,
            "start_sha": pr.head_sha,
            "actions": [
                {"action": "update", "file_path": path, "content": text}
                for path, text in sorted(files.items())
            ],
        }
        project = self._project(pr)
        if replace is not None:
            if project.branches.get(branch).commit["id"] != replace:
                raise HostError(f"GitLab: {branch} moved while redline was writing to it", False)
            data["force"] = True
        commit = project.commits.create(data)
        return str(commit.id)

    @_translate
    def open_request(self, pr: PullRequest, branch: str, title: str, body: str) -> SuggestedRequest:
        project = self._project(pr)
        target = self._mr(pr).source_branch
        found = project.mergerequests.list(
            state="opened", source_branch=branch, target_branch=target, get_all=False
        )
        if found:
            mr = found[0]
            if mr.description != body or mr.title != title:
                mr.title, mr.description = title, body
                mr.save()
            return SuggestedRequest(int(mr.iid), str(mr.web_url), False)
        mr = project.mergerequests.create(
            {
                "source_branch": branch,
                "target_branch": target,
                "title": title,
                "description": body,
                "remove_source_branch": True,
            }
        )
        return SuggestedRequest(int(mr.iid), str(mr.web_url), True)

    @_translate
    def own_requests(self, pr: PullRequest, prefix: str) -> list[tuple[int, str]]:
        project = self._project(pr)
        target = self._mr(pr).source_branch
        mrs = project.mergerequests.list(state="opened", target_branch=target, get_all=True)
        return [
            (int(mr.iid), str(mr.source_branch))
            for mr in mrs
            if str(mr.source_branch).startswith(prefix)
            and mr.source_project_id == mr.target_project_id
            and (getattr(mr, "author", None) or {}).get("username") == self.identity()
        ]

    @_translate
    def close_request(
        self, pr: PullRequest, number: int, note: str, delete_branch: str | None
    ) -> None:
        project = self._project(pr)
        mr = project.mergerequests.get(number, lazy=True)
        mr.notes.create({"body": note})
        mr.state_event = "close"
        mr.save()
        if delete_branch is not None:
            project.branches.delete(delete_branch)


def _gitlab_suggestion(comment: InlineComment) -> str:
    """GitLab's suggestions say how many lines above and below the commented line they
    replace: the comment sits on the range's last line."""
    above = 0 if comment.start_line is None else comment.line - comment.start_line
    return re.sub(r"```suggestion\n", f"```suggestion:-{above}+0\n", comment.body)
