"""A fake GitLab v4 API (starlette), driven by the real python-gitlab client. It enforces
positions as GitLab does: the diff_refs SHAs, `new_line` for added lines, `old_line` for
removed ones, both for context lines, and a correct `line_code` on both ends of a line range
(400 otherwise); draft notes published in bulk; rate limits and 5xx on demand; and branches,
the commits API with actions and merge-request creation with their rules
(tests/fakes/gitlab_git.py) over a git object store per project."""

from __future__ import annotations

import hashlib
import itertools
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.gitlab_git import GitLabGit

HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def gitlab_lines(diff: str) -> dict[tuple[str, int], tuple[str, int, int]]:
    """(side, line) -> (kind, old counter, new counter) for one file's diff, as GitLab
    numbers them."""
    table: dict[tuple[str, int], tuple[str, int, int]] = {}
    old = new = 0
    for line in diff.split("\n"):
        match = HUNK.match(line)
        if match:
            old, new = int(match.group(1)), int(match.group(3))
            continue
        if not line or line.startswith("\\"):
            continue
        if line[0] == "+":
            table[("new", new)] = ("add", old, new)
            new += 1
        elif line[0] == "-":
            table[("old", old)] = ("del", old, new)
            old += 1
        else:
            table[("new", new)] = table[("old", old)] = ("ctx", old, new)
            old += 1
            new += 1
    return table


def code(path: str, old: int, new: int) -> str:
    return f"{hashlib.sha1(path.encode()).hexdigest()}_{old}_{new}"


@dataclass
class FakeMR:
    iid: int
    head: str
    base: str
    start: str
    changes: list[dict[str, Any]]  # old_path, new_path, diff, new_file, ...
    files_head: dict[str, str]
    files_base: dict[str, str]
    source_project_id: int | None = None  # a fork's project; None: the project itself
    overflow: bool = False
    notes: list[dict[str, Any]] = field(default_factory=list)
    drafts: list[dict[str, Any]] = field(default_factory=list)
    source_branch: str = "feature"
    target_branch: str = "main"
    title: str = "A change"
    description: str = ""
    state: str = "opened"
    author: dict[str, Any] = field(
        default_factory=lambda: {"id": 12, "username": "author", "name": "An author"}
    )
    remove_source_branch: bool = False
    created_at: float = 0.0


class FakeGitLab:
    def __init__(self, token: str = "glpat-" + "y" * 20) -> None:
        self.token = token
        self.projects: dict[int, str] = {}
        self.mrs: dict[tuple[int, int], FakeMR] = {}
        self.statuses: list[dict[str, Any]] = []
        self.rejections: list[tuple[str, Any]] = []
        self.requests: list[tuple[str, str, float]] = []
        self.failures: list[tuple[str, int, dict[str, str]]] = []
        self.publishes = 0
        self.refuse: set[tuple[str, int]] = set()  # (path, new line) GitLab refuses
        self._ids = itertools.count(500)
        self.user = {"id": 77, "username": "redline-bot", "name": "redline", "state": "active"}
        self.access: dict[tuple[int, int], int] = {}  # (project, user id) -> access level
        self.git = GitLabGit(self)

    def add_foreign_note(self, project_id: int, iid: int, body: str, username: str) -> None:
        """A note someone else wrote (an author planting the bot's markers, say)."""
        self.mrs[(project_id, iid)].notes.append(
            {
                "id": next(self._ids),
                "body": body,
                "system": False,
                "edits": 0,
                "position": None,
                "author": {"id": 55, "username": username, "name": username},
            }
        )

    def add_mr(self, project_id: int, path: str, mr: FakeMR) -> None:
        """The merge request, its base and head as commits (the head's files over the base's),
        the target branch, and the source branch when it is in the project (not a fork). A
        later head of the same merge request has the earlier one as its parent."""
        self.projects[project_id] = path
        earlier = self.mrs.get((project_id, mr.iid))
        self.mrs[(project_id, mr.iid)] = mr
        store = self.git.store(project_id)
        if mr.base not in store.commits:
            store.seed(mr.base, mr.files_base)
        parent = earlier.head if earlier is not None and earlier.head != mr.head else mr.base
        store.seed(mr.head, {**mr.files_base, **mr.files_head}, (parent,))
        store.refs.setdefault(f"refs/heads/{mr.target_branch}", mr.base)
        if mr.source_project_id in (None, project_id):
            store.refs[f"refs/heads/{mr.source_branch}"] = mr.head

    def fail_next(
        self, pattern: str, status: int, times: int = 1, headers: dict[str, str] | None = None
    ) -> None:
        for _ in range(times):
            self.failures.append((pattern, status, headers or {}))

    def _project(self, key: str) -> int:
        key = unquote(key)
        if key.isdigit():
            return int(key)
        return next(pid for pid, path in self.projects.items() if path == key)

    def _bad(self, message: str, detail: Any) -> JSONResponse:
        self.rejections.append((message, detail))
        return JSONResponse({"message": f"400 Bad request - {message}"}, status_code=400)

    def app(self) -> Starlette:
        async def dispatch(request: Request) -> Response:
            path = request.url.path
            self.requests.append((request.method, path, time.time()))
            for index, (pattern, status, headers) in enumerate(self.failures):
                if re.search(pattern, path):
                    del self.failures[index]
                    return JSONResponse(
                        {"message": "injected"}, status_code=status, headers=headers
                    )
            if request.headers.get("private-token") != self.token:
                return JSONResponse({"message": "401 Unauthorized"}, status_code=401)
            try:
                return await self._route(request, path)
            except (KeyError, StopIteration) as exc:
                return JSONResponse({"message": f"404 Not Found {exc}"}, status_code=404)

        return Starlette(
            routes=[Route("/{path:path}", dispatch, methods=["GET", "POST", "PUT", "DELETE"])]
        )

    def _mr_json(self, pid: int, mr: FakeMR) -> dict[str, Any]:
        head = mr.head
        if mr.source_project_id in (None, pid):  # a merge request follows its source branch
            head = self.git.store(pid).refs.get(f"refs/heads/{mr.source_branch}", mr.head)
        path = self.projects.get(pid, str(pid))
        return {
            "id": mr.iid + 9000,
            "iid": mr.iid,
            "project_id": pid,
            "title": mr.title,
            "description": mr.description,
            "state": mr.state,
            "sha": head,
            "draft": False,
            "source_branch": mr.source_branch,
            "target_branch": mr.target_branch,
            "source_project_id": mr.source_project_id or pid,
            "target_project_id": pid,
            "author": mr.author,
            "force_remove_source_branch": mr.remove_source_branch,
            "web_url": f"https://gitlab.example/{path}/-/merge_requests/{mr.iid}",
            "diff_refs": {"base_sha": mr.base, "head_sha": mr.head, "start_sha": mr.start},
        }

    async def _route(self, request: Request, path: str) -> Response:
        if path == "/api/v4/user" and request.method == "GET":
            return JSONResponse(self.user)
        raw = request.scope.get("raw_path", path.encode()).decode()
        match = re.fullmatch(r"/api/v4/projects/([^/]+)(/.*)?", raw)
        if not match:
            raise KeyError(path)
        pid = self._project(match.group(1))
        rest = match.group(2) or ""
        method = request.method
        body: Any = (
            await request.json() if method in ("POST", "PUT") and await request.body() else {}
        )
        if m := re.fullmatch(r"/members/all/(\d+)", rest):
            level = self.access.get((pid, int(m.group(1))))
            if level is None:
                raise KeyError(m.group(1))
            return JSONResponse(
                {"id": int(m.group(1)), "username": f"user{m.group(1)}", "access_level": level}
            )
        answer = self.git.route(pid, method, rest, body, dict(request.query_params))
        if answer is not None:
            return answer
        if m := re.fullmatch(r"/merge_requests/(\d+)", rest):
            mr = self.mrs[(pid, int(m.group(1)))]
            if method == "PUT":
                return self.git.update_mr(pid, mr, body)
            return JSONResponse(self._mr_json(pid, mr))
        if m := re.fullmatch(r"/merge_requests/(\d+)/changes", rest):
            mr = self.mrs[(pid, int(m.group(1)))]
            return JSONResponse(
                {**self._mr_json(pid, mr), "changes": mr.changes, "overflow": mr.overflow}
            )
        if m := re.fullmatch(r"/repository/files/(.+)/raw", rest):
            file_path = unquote(m.group(1))
            ref = request.query_params.get("ref")
            for mr in self.mrs.values():
                tree = (
                    mr.files_head if ref == mr.head else mr.files_base if ref == mr.base else None
                )
                if tree is not None and file_path in tree:
                    return Response(tree[file_path].encode(), media_type="text/plain")
            data = self.git.store(pid).read(ref or "", file_path)
            if data is None:
                raise KeyError(file_path)
            return Response(data, media_type="text/plain")
        if m := re.fullmatch(r"/merge_requests/(\d+)/notes", rest):
            mr = self.mrs[(pid, int(m.group(1)))]
            if method == "POST":
                note = {
                    "id": next(self._ids),
                    "body": body["body"],
                    "system": False,
                    "edits": 0,
                    "position": None,
                    "author": self.user,
                }
                mr.notes.append(note)
                return JSONResponse(note, status_code=201)
            return self._paginate(request, mr.notes)
        if m := re.fullmatch(r"/merge_requests/(\d+)/notes/(\d+)", rest):
            mr = self.mrs[(pid, int(m.group(1)))]
            note = next(n for n in mr.notes if n["id"] == int(m.group(2)))
            if method == "PUT":
                if note.get("author", {}).get("id") != self.user["id"]:
                    return JSONResponse({"message": "403 Forbidden"}, status_code=403)
                note["body"] = body["body"]
                note["edits"] += 1
            return JSONResponse(note)
        if m := re.fullmatch(r"/merge_requests/(\d+)/draft_notes", rest):
            mr = self.mrs[(pid, int(m.group(1)))]
            error = self._check_position(mr, body.get("position"))
            if error:
                return self._bad(error, body.get("position"))
            draft = {"id": next(self._ids), "note": body["note"], "position": body["position"]}
            mr.drafts.append(draft)
            return JSONResponse(draft, status_code=201)
        if m := re.fullmatch(r"/merge_requests/(\d+)/draft_notes/bulk_publish", rest):
            mr = self.mrs[(pid, int(m.group(1)))]
            self.publishes += 1
            for draft in mr.drafts:
                mr.notes.append(
                    {
                        "id": next(self._ids),
                        "body": draft["note"],
                        "system": False,
                        "edits": 0,
                        "position": draft["position"],
                        "author": self.user,
                    }
                )
            mr.drafts.clear()
            return Response(status_code=204)
        if m := re.fullmatch(r"/statuses/([0-9a-f]+)", rest):
            status = {"sha": m.group(1), "project": pid, "id": next(self._ids), **body}
            if status.get("state") not in (
                "pending",
                "running",
                "success",
                "failed",
                "canceled",
                "skipped",
            ):
                return self._bad("state is invalid", body)
            self.statuses.append(status)
            return JSONResponse(status, status_code=201)
        raise KeyError(path)

    def _paginate(self, request: Request, items: list[dict[str, Any]]) -> Response:
        per_page = int(request.query_params.get("per_page", 20))
        page = int(request.query_params.get("page", 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {"X-Page": str(page), "X-Per-Page": str(per_page), "X-Total": str(len(items))}
        if page * per_page < len(items):
            url = str(request.url.include_query_params(page=page + 1))
            headers["Link"] = f'<{url}>; rel="next"'
            headers["X-Next-Page"] = str(page + 1)
        return JSONResponse(chunk, headers=headers)

    def _check_position(self, mr: FakeMR, position: Any) -> str | None:
        if not isinstance(position, dict):
            return None  # a general draft note
        if (position.get("base_sha"), position.get("head_sha"), position.get("start_sha")) != (
            mr.base,
            mr.head,
            mr.start,
        ):
            return 'Note {:position=>["is incomplete"]} (diff_refs do not match)'
        change = next((c for c in mr.changes if c["new_path"] == position.get("new_path")), None)
        if change is None:
            return 'Note {:position=>["is invalid"]} (no such file)'
        lines = gitlab_lines(change["diff"])
        new_line, old_line = position.get("new_line"), position.get("old_line")
        if (change["new_path"], new_line) in self.refuse:
            return 'Note {:line_code=>["can\'t be blank"]}'
        if new_line is not None:
            found = lines.get(("new", int(new_line)))
            if found is None:
                return 'Note {:line_code=>["can\'t be blank"]} (line not in the diff)'
            kind, old, _ = found
            if kind == "ctx" and old_line != old:
                return 'Note {:line_code=>["can\'t be blank"]} (context line needs old_line)'
            if kind == "add" and old_line is not None:
                return 'Note {:line_code=>["can\'t be blank"]} (added line with old_line)'
        elif old_line is not None:
            found = lines.get(("old", int(old_line)))
            if found is None or found[0] != "del":
                return 'Note {:line_code=>["can\'t be blank"]} (old line not removed)'
        else:
            return 'Note {:position=>["is incomplete"]}'
        line_range = position.get("line_range")
        if line_range is not None:
            for end in ("start", "end"):
                point = line_range.get(end) or {}
                side = point.get("type")
                number = point.get(f"{side}_line")
                found = lines.get((side, int(number))) if side and number else None
                expected = code(change["new_path"], found[1], found[2]) if found else None
                if not point.get("line_code") or point.get("line_code") != expected:
                    return 'Note {:line_code=>["can\'t be blank"]} (line_range)'
        return None
