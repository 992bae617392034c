"""The fake GitLab's repository and merge-request writes, with the real API's rules:

- `GET /repository/branches/:branch` (404 "Branch Not Found"), `DELETE` the same (204, 404);
- `POST /repository/commits`: `branch`, `commit_message` and `actions` required; a new branch
  needs `start_branch` or `start_sha` (not both); an existing branch with one of them is refused
  (400 "A branch called ... already exists") unless `force`; each action checked as GitLab
  does: `create` on an existing path, `update` / `delete` / `move` on a missing one, content
  missing where one is needed, an unknown action, a stale `last_commit_id` (400 each);
- `GET /merge_requests` (`state`, `source_branch`, `target_branch`), `POST /merge_requests`
  (both branches must exist, one open merge request per source and target: 409, no commits
  between them), `PUT /merge_requests/:iid` (title, description, `state_event` close/reopen).

Answers have the shapes the real API gives, so python-gitlab parses them."""

from __future__ import annotations

import base64
import itertools
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from starlette.responses import JSONResponse, Response

from tests.fakes.git_store import Entry, GitStore

if TYPE_CHECKING:
    from tests.fakes.gitlab_api import FakeGitLab, FakeMR

ACTIONS = ("create", "delete", "move", "update", "chmod")


class GitLabGit:
    """The routes, over one fake; `route` answers None for a path that is not its own."""

    def __init__(self, fake: FakeGitLab) -> None:
        self.fake = fake
        self.stores: dict[int, GitStore] = {}
        self.created_mrs: list[int] = []
        self.commits_made: list[dict[str, Any]] = []  # every accepted commits-API body
        self._iids = itertools.count(1000)

    def store(self, pid: int) -> GitStore:
        return self.stores.setdefault(pid, GitStore())

    def _bad(self, message: str, detail: Any = None, status: int = 400) -> JSONResponse:
        self.fake.rejections.append((message, detail))
        return JSONResponse({"message": message}, status_code=status)

    # --- json shapes ------------------------------------------------------------------------
    def commit_json(self, pid: int, sha: str) -> dict[str, Any]:
        commit = self.store(pid).commits[sha]
        title = commit.message.split("\n", 1)[0]
        return {
            "id": sha,
            "short_id": sha[:8],
            "title": title,
            "message": commit.message,
            "parent_ids": list(commit.parents),
            "author_name": commit.author.get("name", ""),
            "author_email": commit.author.get("email", ""),
            "authored_date": commit.date,
            "committer_name": commit.author.get("name", ""),
            "committer_email": commit.author.get("email", ""),
            "committed_date": commit.date,
            "created_at": commit.date,
            "web_url": f"https://gitlab.example/{self.fake.projects.get(pid, pid)}/-/commit/{sha}",
        }

    def branch_json(self, pid: int, name: str) -> dict[str, Any]:
        sha = self.store(pid).refs[f"refs/heads/{name}"]
        return {
            "name": name,
            "merged": False,
            "protected": False,
            "default": False,
            "developers_can_push": False,
            "developers_can_merge": False,
            "can_push": True,
            "web_url": f"https://gitlab.example/{self.fake.projects.get(pid, pid)}/-/tree/{name}",
            "commit": self.commit_json(pid, sha),
        }

    # --- routing ----------------------------------------------------------------------------
    def route(
        self, pid: int, method: str, rest: str, body: Any, query: dict[str, str]
    ) -> Response | None:
        if rest.startswith("/repository/branches/"):
            name = unquote(rest[len("/repository/branches/") :])
            ref = f"refs/heads/{name}"
            if ref not in self.store(pid).refs:
                return JSONResponse({"message": "404 Branch Not Found"}, status_code=404)
            if method == "DELETE":
                del self.store(pid).refs[ref]
                return Response(status_code=204)
            return JSONResponse(self.branch_json(pid, name))
        if rest == "/repository/commits" and method == "POST":
            return self._commit(pid, body if isinstance(body, dict) else {})
        if rest == "/merge_requests":
            if method == "POST":
                return self._create_mr(pid, body if isinstance(body, dict) else {})
            return self._list_mrs(pid, query)
        return None

    # --- the commits API --------------------------------------------------------------------
    def _commit(self, pid: int, body: dict[str, Any]) -> Response:
        store = self.store(pid)
        for name in ("branch", "commit_message", "actions"):
            if not body.get(name):
                return self._bad(f"{name} is missing", body)
        branch = str(body["branch"])
        start_branch, start_sha = body.get("start_branch"), body.get("start_sha")
        if start_branch and start_sha:
            return self._bad("start_branch, start_sha are mutually exclusive", body)
        current = store.refs.get(f"refs/heads/{branch}")
        if start_sha:
            if start_sha not in store.commits:
                return self._bad(f"Cannot find start_sha {start_sha}", body)
            start = str(start_sha)
        elif start_branch:
            found = store.refs.get(f"refs/heads/{start_branch}")
            if found is None:
                return self._bad(f"Cannot find start_branch {start_branch}", body)
            start = found
        elif current is None:
            return self._bad("You can only create or edit files when you are on a branch", body)
        else:
            start = current
        if current is not None and (start_branch or start_sha) and not body.get("force"):
            return self._bad(
                f"A branch called '{branch}' already exists. "
                "Switch to that branch in order to make changes",
                body,
            )
        files = store.files_at(start)
        for index, action in enumerate(body["actions"]):
            error = self._apply(store, files, action, index, start)
            if error is not None:
                return self._bad(error, action)
        tree = store.build(files)
        if tree == store.commits[start].tree:
            return self._bad("No changes were made to the files", body)
        author = {"name": "redline", "email": "redline-bot@gitlab.example"}
        sha = store.commit(tree, (start,), str(body["commit_message"]), author)
        store.refs[f"refs/heads/{branch}"] = sha
        self.commits_made.append(body)
        return JSONResponse(self.commit_json(pid, sha), status_code=201)

    def _apply(
        self, store: GitStore, files: dict[str, Entry], action: Any, index: int, start: str
    ) -> str | None:
        """One action applied to `files` (path -> entry), or GitLab's reason to refuse it."""
        if not isinstance(action, dict) or action.get("action") not in ACTIONS:
            return f"actions[{index}][action] does not have a valid value"
        kind, path = action["action"], action.get("file_path")
        if not isinstance(path, str) or not path or path.startswith("/") or ".." in path.split("/"):
            return f"actions[{index}][file_path] is invalid"
        exists = path in files
        if kind == "create" and exists:
            return "A file with this name already exists"
        if kind in ("update", "delete", "chmod") and not exists:
            return "A file with this name doesn't exist"
        last = action.get("last_commit_id")
        if last is not None and kind in ("update", "delete", "move") and last != start:
            return (
                "You are attempting to update a file that has changed since you started editing it."
            )
        content = action.get("content")
        if kind in ("create", "update") and not isinstance(content, str):
            return f"actions[{index}][content] is missing"
        if kind == "delete":
            del files[path]
        elif kind == "chmod":
            mode = "100755" if action.get("execute_filemode") else "100644"
            files[path] = (mode, "blob", files[path][2])
        elif kind == "move":
            previous = action.get("previous_path")
            if previous not in files:
                return "A file with this name doesn't exist"
            if exists:
                return "A file with this name already exists"
            entry = files.pop(str(previous))
            if isinstance(content, str):
                entry = (entry[0], "blob", store.blob(self._bytes(content, action)))
            files[path] = entry
        else:
            assert isinstance(content, str)
            mode = files[path][0] if exists else "100644"
            files[path] = (mode, "blob", store.blob(self._bytes(content, action)))
        return None

    @staticmethod
    def _bytes(content: str, action: dict[str, Any]) -> bytes:
        if action.get("encoding") == "base64":
            return base64.b64decode(content)
        return content.encode("utf-8")

    # --- merge requests ---------------------------------------------------------------------
    def _list_mrs(self, pid: int, query: dict[str, str]) -> Response:
        state = query.get("state", "all")
        found = []
        for (project, _iid), mr in sorted(self.fake.mrs.items(), reverse=True):
            if project != pid:
                continue
            if state != "all" and mr.state != state:
                continue
            if query.get("source_branch") not in (None, mr.source_branch):
                continue
            if query.get("target_branch") not in (None, mr.target_branch):
                continue
            found.append(self.fake._mr_json(pid, mr))
        return JSONResponse(found, headers={"X-Page": "1", "X-Total": str(len(found))})

    def _create_mr(self, pid: int, body: dict[str, Any]) -> Response:
        from tests.fakes.gitlab_api import FakeMR

        store = self.store(pid)
        for name in ("source_branch", "target_branch", "title"):
            if not body.get(name):
                return self._bad(f"{name} is missing", body)
        source, target = str(body["source_branch"]), str(body["target_branch"])
        head = store.refs.get(f"refs/heads/{source}")
        base = store.refs.get(f"refs/heads/{target}")
        if head is None or base is None:
            missing = source if head is None else target
            return self._bad(f"Branch {missing!r} does not exist", body, status=422)
        for (project, iid), mr in self.fake.mrs.items():
            if (
                project == pid
                and mr.state == "opened"
                and (mr.source_branch, mr.target_branch) == (source, target)
            ):
                message = (
                    f"Another open merge request already exists for this source branch: !{iid}"
                )
                self.fake.rejections.append((message, body))
                return JSONResponse({"message": [message]}, status_code=409)
        if store.is_ancestor(head, base):
            return self._bad("There are no changes between these branches", body, status=422)
        iid = next(self._iids)
        mr = FakeMR(
            iid,
            head,
            base,
            base,
            [],
            {},
            {},
            source_branch=source,
            target_branch=target,
            title=str(body["title"]),
            description=str(body.get("description") or ""),
            author=dict(self.fake.user),
            remove_source_branch=bool(body.get("remove_source_branch")),
            created_at=time.time(),
        )
        self.fake.mrs[(pid, iid)] = mr
        self.created_mrs.append(iid)
        return JSONResponse(self.fake._mr_json(pid, mr), status_code=201)

    def update_mr(self, pid: int, mr: FakeMR, body: dict[str, Any]) -> Response:
        for key in ("title", "description"):
            if key in body:
                setattr(mr, key, str(body[key]))
        event = body.get("state_event")
        if event is not None:
            if event not in ("close", "reopen"):
                return self._bad("state_event does not have a valid value", body)
            mr.state = "closed" if event == "close" else "opened"
        return JSONResponse(self.fake._mr_json(pid, mr))
