"""The fake GitHub's git data API and pull-request creation, with the real API's rules:

- `POST /git/blobs` (utf-8 or base64), `POST /git/trees` (entries by `sha` or `content`,
  `base_tree` must be a tree, a blob sha must be a blob, valid modes and paths),
  `GET /git/trees/{sha}` (`recursive=1`), `POST /git/commits` (the tree and every parent must
  exist), `GET /git/commits/{sha}`;
- `GET /git/ref/{ref}`, `POST /git/refs` (a full `refs/...` name with two slashes, an existing
  commit, 422 when the ref exists), `PATCH /git/refs/{ref}` (a non-fast-forward update refused
  unless `force`), `DELETE /git/refs/{ref}`;
- `GET /pulls` (`state`, `head=owner:branch`, `base`), `POST /pulls` (base and head branches
  must exist, one open pull request per head and base, commits between them),
  `PATCH /pulls/{n}` (title, body, state);
- an App installation without `contents: write` (or `pull_requests: write`) gets 403
  "Resource not accessible by integration" on writes.

Answers have the shapes the real API gives, so PyGithub parses them."""

from __future__ import annotations

import base64
import re
from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse, Response

from tests.fakes.git_store import FILE_MODES, MODES, TREE_MODE, Entry, GitStore

if TYPE_CHECKING:
    from tests.fakes.github_api import FakeGitHub, FakePull, FakeRepo

DOCS = "https://docs.github.com/rest/git"
_KIND = {
    "100644": "blob",
    "100755": "blob",
    "120000": "blob",
    TREE_MODE: "tree",
    "160000": "commit",
}


def _error(fake: FakeGitHub, status: int, message: str, detail: Any = None) -> JSONResponse:
    fake.rejections.append((message, detail))
    return JSONResponse({"message": message, "documentation_url": DOCS}, status_code=status)


def _validation(fake: FakeGitHub, field: str, code: str, message: str | None = None) -> Response:
    error: dict[str, Any] = {"resource": "PullRequest", "field": field, "code": code}
    if message:
        error = {"resource": "PullRequest", "code": "custom", "message": message}
    fake.rejections.append((message or f"{field} {code}", None))
    return JSONResponse(
        {"message": "Validation Failed", "errors": [error], "documentation_url": DOCS},
        status_code=422,
    )


class GitData:
    """The routes, over one fake; `route` answers None for a path that is not its own."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake

    def url(self, repo: FakeRepo, path: str) -> str:
        return self.fake._url(f"/repos/{repo.full_name}{path}")

    # --- json shapes ------------------------------------------------------------------------
    def commit_json(self, repo: FakeRepo, sha: str) -> dict[str, Any]:
        commit = repo.git.commits[sha]
        person = {**commit.author, "date": commit.date}
        return {
            "sha": sha,
            "node_id": f"C_{sha[:10]}",
            "url": self.url(repo, f"/git/commits/{sha}"),
            "html_url": f"https://github.example/{repo.full_name}/commit/{sha}",
            "author": person,
            "committer": person,
            "message": commit.message,
            "tree": {"sha": commit.tree, "url": self.url(repo, f"/git/trees/{commit.tree}")},
            "parents": [
                {"sha": p, "url": self.url(repo, f"/git/commits/{p}"), "html_url": ""}
                for p in commit.parents
            ],
            "verification": {"verified": False, "reason": "unsigned", "signature": None},
        }

    def tree_json(self, repo: FakeRepo, sha: str, recursive: bool = False) -> dict[str, Any]:
        store = repo.git
        if recursive:
            items = sorted(self._walk(store, sha, "").items())
        else:
            items = sorted(store.trees[sha].items())
        tree = []
        for path, (mode, kind, entry_sha) in items:
            item: dict[str, Any] = {"path": path, "mode": mode, "type": kind, "sha": entry_sha}
            if kind == "blob":
                item["size"] = len(store.blobs.get(entry_sha, b""))
                item["url"] = self.url(repo, f"/git/blobs/{entry_sha}")
            elif kind == "tree":
                item["url"] = self.url(repo, f"/git/trees/{entry_sha}")
            tree.append(item)
        return {
            "sha": sha,
            "url": self.url(repo, f"/git/trees/{sha}"),
            "tree": tree,
            "truncated": False,
        }

    def _walk(self, store: GitStore, sha: str, prefix: str) -> dict[str, Entry]:
        out: dict[str, Entry] = {}
        for name, entry in store.trees[sha].items():
            out[prefix + name] = entry
            if entry[1] == "tree":
                out.update(self._walk(store, entry[2], f"{prefix}{name}/"))
        return out

    def ref_json(self, repo: FakeRepo, ref: str) -> dict[str, Any]:
        sha = repo.git.refs[ref]
        return {
            "ref": ref,
            "node_id": f"REF_{abs(hash(ref)) % 10**8}",
            "url": self.url(repo, f"/git/{ref}"),
            "object": {"type": "commit", "sha": sha, "url": self.url(repo, f"/git/commits/{sha}")},
        }

    def pull_json(self, repo: FakeRepo, pull: FakePull) -> dict[str, Any]:
        url = self.fake._url(f"/repos/{repo.full_name}/pulls/{pull.number}")
        head_repo = self.fake._repo_json(type(repo)(pull.head_repo or repo.full_name))
        owner = (pull.head_repo or repo.full_name).split("/")[0]
        # A pull request's head follows its branch (in this repository).
        head = pull.head
        if pull.head_repo is None:
            head = repo.git.refs.get(f"refs/heads/{pull.head_ref}", pull.head)
        base = pull.base  # the reviewed pull request's base as given; created ones follow
        if pull.user is not None:
            base = repo.git.refs.get(f"refs/heads/{pull.base_ref}", pull.base)
        data = {
            "id": pull.number + 5000,
            "number": pull.number,
            "state": pull.state,
            "title": pull.title,
            "body": pull.body,
            "draft": pull.draft,
            "merged": False,
            "url": url,
            "html_url": f"https://github.example/{repo.full_name}/pull/{pull.number}",
            "issue_url": self.fake._url(f"/repos/{repo.full_name}/issues/{pull.number}"),
            "head": {
                "sha": head,
                "ref": pull.head_ref,
                "label": f"{owner}:{pull.head_ref}",
                "repo": head_repo,
            },
            "base": {
                "sha": base,
                "ref": pull.base_ref,
                "label": f"{repo.full_name.split('/')[0]}:{pull.base_ref}",
                "repo": self.fake._repo_json(repo),
            },
            "changed_files": pull.changed_files or len(pull.files),
        }
        if pull.user is not None:
            data["user"] = pull.user
        return data

    # --- routing ----------------------------------------------------------------------------
    def route(
        self,
        repo: FakeRepo,
        method: str,
        rest: str,
        body: Any,
        query: dict[str, str],
        who: str,
        user: dict[str, Any],
    ) -> Response | None:
        writes = method in ("POST", "PATCH", "DELETE")
        if rest.startswith("/git/"):
            if writes and who == "installation" and not self.fake.contents_write:
                return _error(self.fake, 403, "Resource not accessible by integration", rest)
            return self._git(repo, method, rest, body or {}, query)
        if rest == "/pulls":
            if method == "POST":
                if who == "installation" and not self.fake.pulls_write:
                    return _error(self.fake, 403, "Resource not accessible by integration", rest)
                return self._create_pull(repo, body or {}, user)
            return self._list_pulls(repo, query)
        if (m := re.fullmatch(r"/pulls/(\d+)", rest)) and method == "PATCH":
            pull = repo.pulls[int(m.group(1))]
            for key in ("title", "body", "state"):
                if key in (body or {}):
                    setattr(pull, key, body[key])
            return JSONResponse(self.fake._pull_json(repo, pull))
        return None

    def _git(
        self, repo: FakeRepo, method: str, rest: str, body: dict[str, Any], query: dict[str, str]
    ) -> Response:
        store = repo.git
        if rest == "/git/blobs" and method == "POST":
            return self._blob(repo, body)
        if rest == "/git/trees" and method == "POST":
            return self._tree(repo, body)
        if (m := re.fullmatch(r"/git/trees/([0-9a-f]{40})", rest)) and method == "GET":
            if m.group(1) not in store.trees:
                raise KeyError(m.group(1))
            return JSONResponse(self.tree_json(repo, m.group(1), query.get("recursive") == "1"))
        if rest == "/git/commits" and method == "POST":
            return self._commit(repo, body)
        if (m := re.fullmatch(r"/git/commits/([0-9a-f]{40})", rest)) and method == "GET":
            if m.group(1) not in store.commits:
                raise KeyError(m.group(1))
            return JSONResponse(self.commit_json(repo, m.group(1)))
        if (m := re.fullmatch(r"/git/ref/(heads/.+|tags/.+|pull/.+)", rest)) and method == "GET":
            ref = "refs/" + m.group(1)
            if ref not in store.refs:
                raise KeyError(ref)
            return JSONResponse(self.ref_json(repo, ref))
        if rest == "/git/refs" and method == "POST":
            return self._create_ref(repo, body)
        if m := re.fullmatch(r"/git/refs/(heads/.+|tags/.+)", rest):
            if method == "PATCH":
                return self._update_ref(repo, "refs/" + m.group(1), body)
            if method == "DELETE":
                ref = "refs/" + m.group(1)
                if ref not in store.refs:
                    return _error(self.fake, 422, "Reference does not exist", ref)
                del store.refs[ref]
                return Response(status_code=204)
        raise KeyError(rest)

    def _blob(self, repo: FakeRepo, body: dict[str, Any]) -> Response:
        content, encoding = body.get("content"), body.get("encoding", "utf-8")
        if not isinstance(content, str):
            return _error(self.fake, 422, "Invalid request: content is not a string", body)
        if encoding == "utf-8":
            data = content.encode("utf-8")
        elif encoding == "base64":
            data = base64.b64decode(content)
        else:
            return _error(self.fake, 422, f"encoding {encoding!r} is not supported", body)
        sha = repo.git.blob(data)
        return JSONResponse({"sha": sha, "url": self.url(repo, f"/git/blobs/{sha}")}, 201)

    def _tree(self, repo: FakeRepo, body: dict[str, Any]) -> Response:
        store = repo.git
        base = body.get("base_tree")
        if base is not None and base not in store.trees:
            return _error(self.fake, 422, "base_tree is not a valid tree oid", base)
        files: dict[str, Entry] = store.flat(base) if base else {}
        for item in body.get("tree") or []:
            path, mode, kind = item.get("path", ""), item.get("mode"), item.get("type")
            parts = path.split("/")
            if not path or path.startswith("/") or any(p in ("", ".", "..") for p in parts):
                return _error(self.fake, 422, "tree.path contains a malformed path component", item)
            if mode not in MODES or _KIND[mode] != kind:
                return _error(self.fake, 422, "Must supply a valid tree.mode and tree.type", item)
            if ("sha" in item) == ("content" in item):
                return _error(self.fake, 422, "Must supply either tree.sha or tree.content", item)
            if "content" in item:
                sha = store.blob(str(item["content"]).encode())
            elif item["sha"] is None:
                files.pop(path, None)  # a null sha deletes the path
                continue
            else:
                sha = item["sha"]
                if mode in FILE_MODES and sha not in store.blobs:
                    return _error(self.fake, 422, f"tree.sha {sha} is not a valid blob", item)
            files[path] = (mode, kind, sha)
        root = store.build(files)
        return JSONResponse(self.tree_json(repo, root), status_code=201)

    def _commit(self, repo: FakeRepo, body: dict[str, Any]) -> Response:
        store = repo.git
        if not body.get("message"):
            return _error(self.fake, 422, "Invalid request: message is missing", body)
        tree = body.get("tree")
        if tree not in store.trees:
            return _error(self.fake, 422, "Tree SHA does not exist", tree)
        parents = tuple(body.get("parents") or ())
        for parent in parents:
            if parent not in store.commits:
                return _error(
                    self.fake, 422, "Parent SHA does not exist or is not a commit object", parent
                )
        author = body.get("author") or {"name": "redline[bot]", "email": "bot@redline.example"}
        sha = store.commit(tree, parents, body["message"], author)
        return JSONResponse(self.commit_json(repo, sha), status_code=201)

    def _create_ref(self, repo: FakeRepo, body: dict[str, Any]) -> Response:
        ref, sha = str(body.get("ref", "")), body.get("sha")
        if not ref.startswith("refs/") or ref.count("/") < 2:
            return _error(
                self.fake,
                422,
                "Reference name must start with 'refs/' and have at least two slashes.",
                ref,
            )
        if sha not in repo.git.commits:
            return _error(self.fake, 422, "Object does not exist", sha)
        if ref in repo.git.refs:
            return _error(self.fake, 422, "Reference already exists", ref)
        repo.git.refs[ref] = sha
        return JSONResponse(self.ref_json(repo, ref), status_code=201)

    def _update_ref(self, repo: FakeRepo, ref: str, body: dict[str, Any]) -> Response:
        store, sha = repo.git, body.get("sha")
        if ref not in store.refs:
            return _error(self.fake, 422, "Reference does not exist", ref)
        if sha not in store.commits:
            return _error(self.fake, 422, "Object does not exist", sha)
        if not body.get("force") and not store.is_ancestor(store.refs[ref], sha):
            return _error(self.fake, 422, "Update is not a fast forward", (ref, sha))
        store.refs[ref] = sha
        return JSONResponse(self.ref_json(repo, ref))

    # --- pull requests ----------------------------------------------------------------------
    def _list_pulls(self, repo: FakeRepo, query: dict[str, str]) -> Response:
        state = query.get("state", "open")
        head, base = query.get("head"), query.get("base")
        owner = repo.full_name.split("/")[0]
        found = []
        for pull in sorted(repo.pulls.values(), key=lambda p: p.number, reverse=True):
            label = f"{(pull.head_repo or repo.full_name).split('/')[0]}:{pull.head_ref}"
            if state != "all" and pull.state != state:
                continue
            if head is not None and label != (head if ":" in head else f"{owner}:{head}"):
                continue
            if base is not None and pull.base_ref != base:
                continue
            found.append(self.fake._pull_json(repo, pull))
        return JSONResponse(found)

    def _create_pull(self, repo: FakeRepo, body: dict[str, Any], user: dict[str, Any]) -> Response:
        from tests.fakes.github_api import FakePull

        store = repo.git
        base, head = str(body.get("base", "")), str(body.get("head", ""))
        owner = repo.full_name.split("/")[0]
        head_branch = head.split(":", 1)[1] if ":" in head else head
        if not body.get("title"):
            return _validation(self.fake, "title", "missing_field")
        base_sha = store.refs.get(f"refs/heads/{base}")
        head_sha = store.refs.get(f"refs/heads/{head_branch}")
        if base_sha is None:
            return _validation(self.fake, "base", "invalid")
        if head_sha is None:
            return _validation(self.fake, "head", "invalid")
        for pull in repo.pulls.values():
            if pull.state == "open" and pull.head_ref == head_branch and pull.base_ref == base:
                message = f"A pull request already exists for {owner}:{head_branch}."
                return _validation(self.fake, "head", "custom", message)
        if store.is_ancestor(head_sha, base_sha):
            return _validation(
                self.fake, "head", "custom", f"No commits between {base} and {head_branch}"
            )
        number = max([*repo.pulls, 0]) + 1
        created = FakePull(
            number,
            head_sha,
            base_sha,
            [],
            head_ref=head_branch,
            base_ref=base,
            title=str(body["title"]),
            body=str(body.get("body") or ""),
            user=user,
        )
        repo.pulls[number] = created
        self.fake.created_pulls.append(number)
        return JSONResponse(self.pull_json(repo, created), status_code=201)
