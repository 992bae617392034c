"""A fake GitHub REST API (starlette), driven by the real PyGithub client. It enforces the
rules the adapter must respect: review comments only on lines of the diff (422 otherwise,
also for a start line outside the hunk), one pending review per pull request, at most 50
annotations per check-run request, body and summary length limits, App installation tokens
for check runs, rate limits and 5xx on demand; and the git data API and pull-request
creation with their rules (tests/fakes/github_git.py) over a git object store."""

from __future__ import annotations

import base64
import itertools
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.git_store import GitStore
from tests.fakes.github_git import GitData

HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
BODY_LIMIT = 65_536
CHECK_TEXT_LIMIT = 65_535


def diff_lines(patch: str) -> tuple[dict[int, int], dict[int, int]]:
    """Right-side and left-side line numbers a patch shows, each mapped to its hunk."""
    right: dict[int, int] = {}
    left: dict[int, int] = {}
    hunk = -1
    old = new = 0
    for line in patch.split("\n"):
        match = HUNK.match(line)
        if match:
            hunk += 1
            old, new = int(match.group(1)), int(match.group(3))
            continue
        if hunk < 0 or not line or line.startswith("\\"):
            continue
        if line[0] == "+":
            right[new] = hunk
            new += 1
        elif line[0] == "-":
            left[old] = hunk
            old += 1
        else:
            right[new] = hunk
            left[old] = hunk
            old += 1
            new += 1
    return right, left


@dataclass
class FakePull:
    number: int
    head: str
    base: str
    files: list[dict[str, Any]]  # filename, status, patch, previous_filename, changes
    head_repo: str | None = None  # a fork's full name; None: the base repository itself
    draft: bool = False
    changed_files: int | None = None
    head_ref: str = "feature"
    base_ref: str = "main"
    title: str = "A change"
    body: str = ""
    state: str = "open"
    user: dict[str, Any] | None = None  # who opened it (the bot, for suggested commits)


@dataclass
class FakeRepo:
    full_name: str
    pulls: dict[int, FakePull] = field(default_factory=dict)
    contents: dict[str, dict[str, str]] = field(default_factory=dict)  # sha -> path -> text
    git: GitStore = field(default_factory=GitStore)


class FakeGitHub:
    def __init__(
        self,
        private_key_pem: str | None = None,
        public_key_pem: str | None = None,
        app_id: int = 4242,
        pat: str = "ghp_" + "x" * 36,
        token_ttl: float = 3600.0,
    ) -> None:
        self.public_key = public_key_pem
        self.app_id = app_id
        self.pat = pat
        self.token_ttl = token_ttl
        self.repos: dict[str, FakeRepo] = {}
        self.tokens: dict[str, float] = {}  # installation token -> expiry
        self.tokens_issued = 0
        self.reviews: list[dict[str, Any]] = []
        self.review_comments: list[dict[str, Any]] = []
        self.issue_comments: list[dict[str, Any]] = []
        self.check_runs: dict[int, dict[str, Any]] = {}
        self.statuses: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str, float]] = []  # method, path, time
        self.rejections: list[tuple[str, Any]] = []
        self.failures: list[tuple[str, int, dict[str, str]]] = []  # (path regex, status, hdrs)
        # Lines GitHub refuses although the diff shows them (it happens with stale diffs).
        self.refuse: set[tuple[str, int]] = set()
        self._ids = itertools.count(1000)
        self.base = "http://testserver"
        self.app_slug = "redline"
        self.token_login = "redline-token-user"  # the user a personal access token belongs to
        self.permissions: dict[tuple[str, str], str] = {}  # (repo, login) -> admin|write|read
        # The App installation's permissions for suggested commits (`contents`, `pull_requests`).
        self.contents_write = True
        self.pulls_write = True
        self.created_pulls: list[int] = []
        self.git_data = GitData(self)

    def _user(self, who: str) -> dict[str, Any]:
        if who == "pat":
            return {"login": self.token_login, "id": 7, "type": "User"}
        return {"login": f"{self.app_slug}[bot]", "id": 9, "type": "Bot"}

    def _app_json(self) -> dict[str, Any]:
        return {
            "id": self.app_id,
            "slug": self.app_slug,
            "name": "redline",
            "owner": {"login": "redline-review", "id": 3, "type": "Organization"},
            "html_url": "https://github.com/apps/redline",
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
            "permissions": {},
            "events": [],
        }

    def add_foreign_comment(
        self, repo: str, number: int, body: str, login: str, inline: bool = False
    ) -> None:
        """A comment someone else wrote (a PR author planting a marker, say)."""
        comment = {
            "id": next(self._ids),
            "body": body,
            "repo": repo,
            "pr": number,
            "edits": 0,
            "user": {"login": login, "id": 55, "type": "User"},
            "url": self._url(f"/repos/{repo}/issues/comments/x"),
            "html_url": "",
            "issue_url": "",
        }
        if inline:
            comment.update(path="app.py", line=1, side="RIGHT", commit_id="0" * 40)
            self.review_comments.append(comment)
        else:
            self.issue_comments.append(comment)

    # --- set-up ------------------------------------------------------------------------
    def add_pull(
        self, repo: str, pull: FakePull, head_files: dict[str, str], base_files: dict[str, str]
    ) -> None:
        """The pull request, its head and base as commits (the head's files over the base's),
        the base branch, and the head branch (in the repository itself, or for a fork under
        `refs/pull/N/head` only). A later head of the same pull request has the earlier one as
        its parent."""
        fake = self.repos.setdefault(repo, FakeRepo(repo))
        earlier = fake.pulls.get(pull.number)
        fake.pulls[pull.number] = pull
        fake.contents.setdefault(pull.head, {}).update(head_files)
        fake.contents.setdefault(pull.base, {}).update(base_files)
        git = fake.git
        if pull.base not in git.commits:
            git.seed(pull.base, base_files)
        parent = earlier.head if earlier is not None and earlier.head != pull.head else pull.base
        git.seed(pull.head, {**base_files, **head_files}, (parent,))
        git.refs.setdefault(f"refs/heads/{pull.base_ref}", pull.base)
        git.refs[f"refs/pull/{pull.number}/head"] = pull.head
        if pull.head_repo is None:
            git.refs[f"refs/heads/{pull.head_ref}"] = pull.head

    def fail_next(
        self, path_pattern: str, status: int, times: int = 1, headers: dict[str, str] | None = None
    ) -> None:
        for _ in range(times):
            self.failures.append((path_pattern, status, headers or {}))

    # --- helpers -----------------------------------------------------------------------
    def _auth(self, request: Request, app_jwt: bool = False) -> str | None:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if app_jwt:
            if scheme.lower() != "bearer" or self.public_key is None:
                return None
            try:
                claims = jwt.decode(value, self.public_key, algorithms=["RS256"])
            except jwt.PyJWTError:
                return None
            return "app" if str(claims.get("iss")) == str(self.app_id) else None
        if value == self.pat:
            return "pat"
        expiry = self.tokens.get(value)
        if expiry is not None and expiry > time.time():
            return "installation"
        return None

    def _url(self, path: str) -> str:
        return f"{self.base}{path}"

    def _repo_json(self, repo: FakeRepo) -> dict[str, Any]:
        owner, name = repo.full_name.split("/")
        return {
            "id": abs(hash(repo.full_name)) % 10**8,
            "name": name,
            "full_name": repo.full_name,
            "owner": {"login": owner, "id": 1, "type": "User"},
            "url": self._url(f"/repos/{repo.full_name}"),
            "private": False,
        }

    def _pull_json(self, repo: FakeRepo, pull: FakePull) -> dict[str, Any]:
        return self.git_data.pull_json(repo, pull)

    def _reject(self, reason: str, detail: Any, status: int = 422) -> JSONResponse:
        self.rejections.append((reason, detail))
        return JSONResponse(
            {
                "message": "Unprocessable Entity" if status == 422 else reason,
                "errors": [reason],
                "documentation_url": "https://docs.github.com/rest",
            },
            status_code=status,
        )

    # --- the app -----------------------------------------------------------------------
    def app(self) -> Starlette:
        async def dispatch(request: Request) -> Response:
            path = request.url.path
            self.requests.append((request.method, path, time.time()))
            for index, (pattern, status, headers) in enumerate(self.failures):
                if re.search(pattern, path):
                    del self.failures[index]
                    message = (
                        "You have exceeded a secondary rate limit"
                        if status == 403
                        else "injected failure"
                    )
                    return JSONResponse({"message": message}, status_code=status, headers=headers)
            try:
                return await self._route(request, path)
            except KeyError as exc:
                return JSONResponse({"message": f"Not Found: {exc}"}, status_code=404)

        return Starlette(
            routes=[
                Route("/{path:path}", dispatch, methods=["GET", "POST", "PATCH", "DELETE", "PUT"])
            ]
        )

    async def _route(self, request: Request, path: str) -> Response:
        method = request.method
        match = re.fullmatch(r"/app/installations/(\d+)/access_tokens", path)
        if match and method == "POST":
            if self._auth(request, app_jwt=True) != "app":
                return JSONResponse(
                    {"message": "A JSON web token could not be decoded"}, status_code=401
                )
            token = f"ghs_{next(self._ids)}"
            self.tokens[token] = time.time() + self.token_ttl
            self.tokens_issued += 1
            expires = datetime.now(UTC) + timedelta(seconds=self.token_ttl)
            return JSONResponse(
                {
                    "token": token,
                    "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "permissions": {},
                },
                status_code=201,
            )
        if path == "/app" and method == "GET":
            if self._auth(request, app_jwt=True) != "app":
                return JSONResponse(
                    {"message": "A JSON web token could not be decoded"}, status_code=401
                )
            return JSONResponse(self._app_json())
        who = self._auth(request)
        if who is None:
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        if path == "/user" and method == "GET":
            if who != "pat":  # as the real API: an installation token has no user
                return JSONResponse(
                    {"message": "Resource not accessible by integration"}, status_code=403
                )
            return JSONResponse({"login": self.token_login, "id": 7, "type": "User"})
        request.state.user = self._user(who)
        match = re.fullmatch(r"/repos/([^/]+/[^/]+)(/.*)?", path)
        if not match:
            raise KeyError(path)
        repo = self.repos[match.group(1)]
        rest = match.group(2) or ""
        body: Any = await request.json() if method in ("POST", "PATCH") else None
        if rest == "" and method == "GET":
            return JSONResponse(self._repo_json(repo))
        query = dict(request.query_params)
        answer = self.git_data.route(repo, method, rest, body, query, who, request.state.user)
        if answer is not None:
            return answer
        if m := re.fullmatch(r"/collaborators/([^/]+)/permission", rest):
            level = self.permissions.get((repo.full_name, m.group(1)))
            if level is None:
                raise KeyError(m.group(1))  # the real API: 404 for a non-collaborator
            return JSONResponse(
                {"permission": level, "user": {"login": m.group(1), "id": 8, "type": "User"}}
            )
        if m := re.fullmatch(r"/pulls/(\d+)", rest):
            return JSONResponse(self._pull_json(repo, repo.pulls[int(m.group(1))]))
        if m := re.fullmatch(r"/pulls/(\d+)/files", rest):
            return self._files(request, repo, repo.pulls[int(m.group(1))])
        if m := re.fullmatch(r"/contents/(.+)", rest):
            ref = request.query_params.get("ref", "")
            text = repo.contents.get(ref, {}).get(m.group(1))
            data = text.encode() if text is not None else repo.git.read(ref, m.group(1))
            if data is None:
                raise KeyError(m.group(1))
            return JSONResponse(
                {
                    "type": "file",
                    "encoding": "base64",
                    "size": len(data),
                    "name": m.group(1).rsplit("/", 1)[-1],
                    "path": m.group(1),
                    "sha": "0" * 40,
                    "content": base64.b64encode(data).decode(),
                    "url": self._url(f"/repos/{repo.full_name}/contents/{m.group(1)}"),
                }
            )
        if m := re.fullmatch(r"/commits/([0-9a-f]+)", rest):
            return JSONResponse(
                {
                    "sha": m.group(1),
                    "url": self._url(f"/repos/{repo.full_name}/commits/{m.group(1)}"),
                }
            )
        if m := re.fullmatch(r"/pulls/(\d+)/reviews", rest):
            return self._create_review(repo, repo.pulls[int(m.group(1))], body, request.state.user)
        if m := re.fullmatch(r"/pulls/(\d+)/reviews/(\d+)", rest):
            review = next(r for r in self.reviews if r["id"] == int(m.group(2)))
            if method == "DELETE":
                if review["state"] != "PENDING":
                    return self._reject("only pending reviews can be deleted", review["id"])
                self.reviews.remove(review)
                return JSONResponse(review)
            return JSONResponse(review)
        if m := re.fullmatch(r"/pulls/(\d+)/comments", rest):
            number = int(m.group(1))
            return JSONResponse(
                [
                    c
                    for c in self.review_comments
                    if c["repo"] == repo.full_name and c["pr"] == number
                ]
            )
        if m := re.fullmatch(r"/issues/(\d+)/comments", rest):
            number = int(m.group(1))
            if method == "POST":
                return self._issue_comment(repo, number, body, request.state.user)
            return JSONResponse(
                [
                    c
                    for c in self.issue_comments
                    if c["repo"] == repo.full_name and c["pr"] == number
                ]
            )
        if m := re.fullmatch(r"/issues/comments/(\d+)", rest):
            comment = next(c for c in self.issue_comments if c["id"] == int(m.group(1)))
            if method == "PATCH":
                if comment["user"]["login"] != request.state.user["login"]:
                    return JSONResponse(
                        {"message": "Must have admin rights to Repository."}, status_code=403
                    )
                if len(body.get("body", "")) > BODY_LIMIT:
                    return self._reject("body is too long (maximum is 65536 characters)", None)
                comment["body"] = body["body"]
                comment["edits"] += 1
            return JSONResponse(comment)
        if rest == "/check-runs" and method == "POST":
            if who != "installation":
                return JSONResponse(
                    {"message": "You must authenticate as a GitHub App"}, status_code=403
                )
            return self._check_run(repo, None, body)
        if m := re.fullmatch(r"/check-runs/(\d+)", rest):
            if who != "installation":
                return JSONResponse(
                    {"message": "You must authenticate as a GitHub App"}, status_code=403
                )
            if method == "PATCH":
                return self._check_run(repo, int(m.group(1)), body)
            return JSONResponse(self.check_runs[int(m.group(1))])
        if m := re.fullmatch(r"/commits/([0-9a-f]+)/check-runs", rest):
            runs = [
                r
                for r in self.check_runs.values()
                if r["head_sha"] == m.group(1) and r["repo"] == repo.full_name
            ]
            name = request.query_params.get("check_name")
            if name:
                runs = [r for r in runs if r["name"] == name]
            return JSONResponse({"total_count": len(runs), "check_runs": runs})
        if m := re.fullmatch(r"/statuses/([0-9a-f]+)", rest):
            status = {
                "sha": m.group(1),
                "repo": repo.full_name,
                **body,
                "id": next(self._ids),
                "url": self._url(path),
            }
            self.statuses.append(status)
            return JSONResponse(status, status_code=201)
        raise KeyError(path)

    def _files(self, request: Request, repo: FakeRepo, pull: FakePull) -> Response:
        per_page = int(request.query_params.get("per_page", 30))
        page = int(request.query_params.get("page", 1))
        chunk = pull.files[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(pull.files):
            url = self._url(f"/repos/{repo.full_name}/pulls/{pull.number}/files")
            last = (len(pull.files) + per_page - 1) // per_page
            headers["Link"] = (
                f'<{url}?per_page={per_page}&page={page + 1}>; rel="next", '
                f'<{url}?per_page={per_page}&page={last}>; rel="last"'
            )
        data = [
            {
                "sha": "0" * 40,
                "filename": f["filename"],
                "status": f["status"],
                "additions": f.get("changes", 1),
                "deletions": 0,
                "changes": f.get("changes", 1),
                "patch": f.get("patch"),
                "previous_filename": f.get("previous_filename"),
                "blob_url": "",
                "raw_url": "",
                "contents_url": "",
            }
            for f in chunk
        ]
        for item in data:
            if item["patch"] is None:
                del item["patch"]
            if item["previous_filename"] is None:
                del item["previous_filename"]
        return JSONResponse(data, headers=headers)

    def _create_review(
        self, repo: FakeRepo, pull: FakePull, body: dict[str, Any], user: dict[str, Any]
    ) -> Response:
        if body.get("commit_id") not in (None, pull.head):
            return self._reject("commit_id is not the head of the pull request", body)
        files = {f["filename"]: f for f in pull.files}
        for comment in body.get("comments", []):
            file = files.get(comment.get("path"))
            if file is None or not file.get("patch"):
                return self._reject("Path could not be resolved", comment)
            right, left = diff_lines(file["patch"])
            side_lines = left if comment.get("side") == "LEFT" else right
            if (
                comment.get("line") not in side_lines
                or (comment.get("path"), comment.get("line")) in self.refuse
            ):
                return self._reject("Line could not be resolved", comment)
            if "start_line" in comment:
                start_side = left if comment.get("start_side") == "LEFT" else right
                if (
                    comment["start_line"] not in start_side
                    or start_side[comment["start_line"]] != side_lines[comment["line"]]
                    or comment["start_line"] > comment["line"]
                ):
                    return self._reject("start_line must be part of the same hunk", comment)
            if len(comment.get("body", "")) > BODY_LIMIT:
                return self._reject("body is too long", comment)
        pending = "event" not in body
        if pending and any(
            r["state"] == "PENDING" and r["pr"] == pull.number for r in self.reviews
        ):
            return self._reject("User can only have one pending review per pull request", body)
        review_id = next(self._ids)
        review = {
            "id": review_id,
            "pr": pull.number,
            "repo": repo.full_name,
            "state": "PENDING" if pending else "COMMENTED",
            "body": body.get("body", ""),
            "commit_id": pull.head,
            "comments": body.get("comments", []),
            "event": body.get("event"),
            "user": user,
            "html_url": "",
            "submitted_at": None,
            "pull_request_url": self._url(f"/repos/{repo.full_name}/pulls/{pull.number}"),
            "url": self._url(f"/repos/{repo.full_name}/pulls/{pull.number}/reviews/{review_id}"),
        }
        self.reviews.append(review)
        if not pending:
            for comment in body.get("comments", []):
                self.review_comments.append(
                    {
                        **comment,
                        "id": next(self._ids),
                        "repo": repo.full_name,
                        "pr": pull.number,
                        "pull_request_review_id": review_id,
                        "commit_id": pull.head,
                        "user": user,
                        "url": self._url(f"/repos/{repo.full_name}/pulls/comments/x"),
                    }
                )
        return JSONResponse(review)

    def _issue_comment(
        self, repo: FakeRepo, number: int, body: dict[str, Any], user: dict[str, Any]
    ) -> Response:
        if len(body.get("body", "")) > BODY_LIMIT:
            return self._reject("body is too long (maximum is 65536 characters)", None)
        comment_id = next(self._ids)
        comment = {
            "id": comment_id,
            "body": body["body"],
            "repo": repo.full_name,
            "pr": number,
            "edits": 0,
            "user": user,
            "url": self._url(f"/repos/{repo.full_name}/issues/comments/{comment_id}"),
            "html_url": "",
            "issue_url": "",
        }
        self.issue_comments.append(comment)
        return JSONResponse(comment, status_code=201)

    def _check_run(self, repo: FakeRepo, run_id: int | None, body: dict[str, Any]) -> Response:
        output = body.get("output") or {}
        annotations = output.get("annotations") or []
        if len(annotations) > 50:
            return self._reject("at most 50 annotations per request", len(annotations))
        if (
            len(output.get("summary") or "") > CHECK_TEXT_LIMIT
            or len(output.get("text") or "") > CHECK_TEXT_LIMIT
        ):
            return self._reject("output summary is too long", None)
        if output and ("title" not in output or "summary" not in output):
            return self._reject("output needs a title and a summary", output)
        if run_id is None:
            run_id = next(self._ids)
            self.check_runs[run_id] = {
                "id": run_id,
                "name": body["name"],
                "head_sha": body["head_sha"],
                "repo": repo.full_name,
                "status": body.get("status", "queued"),
                "conclusion": None,
                "output": {"title": None, "summary": None, "annotations_count": 0},
                "annotations": [],
                "updates": 0,
                "url": self._url(f"/repos/{repo.full_name}/check-runs/{run_id}"),
            }
        run = self.check_runs[run_id]
        run["updates"] += 1
        for key in ("status", "conclusion"):
            if key in body:
                run[key] = body[key]
        if output:
            run["output"]["title"] = output.get("title")
            run["output"]["summary"] = output.get("summary")
            run["annotations"].extend(annotations)
            run["output"]["annotations_count"] = len(run["annotations"])
        return JSONResponse(run, status_code=201 if run["updates"] == 1 else 200)
