"""GitHub through PyGithub: App or token auth, the PR files API as a diff, one review per run
with anchored inline comments (422s recovered), a summary comment edited in place, a check
run (a commit status for token setups) that can gate the merge, and suggested commits built
with the git data API (blobs, a tree on the head's tree, a commit on the head, a ref) and
offered as a pull request into the PR's head branch.

Fork pull requests get comments and a status only: nothing is ever pushed."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from github import (
    Auth,
    Github,
    GithubException,
    GithubIntegration,
    GithubRetry,
    InputGitTreeElement,
    RateLimitExceededException,
)
from github.CheckRun import CheckRun
from github.GithubObject import NotSet
from github.PullRequest import PullRequest as GhPull
from github.Repository import Repository

from bot.core.errors import HostError, RateLimited
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
CHECK_NAME = "redline"
ANNOTATIONS_PER_REQUEST = 50
CHECK_TEXT_LIMIT = 65_535
MAX_FILES = 3000  # the PR files API lists at most this many
_CONCLUSION = {"success": "success", "failure": "failure", "neutral": "neutral", "error": "neutral"}
# Commit statuses have no "neutral": a review that could not run is an error, not a failure.
_REGULAR = ("100644", "100755")  # file modes a suggested commit may rewrite
_STATUS = {
    "in_progress": "pending",
    "success": "success",
    "failure": "failure",
    "neutral": "error",
    "error": "error",
}


def _translate(method: Callable[..., T]) -> Callable[..., T]:
    """PyGithub's exceptions become ours, once, here."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return method(*args, **kwargs)
        except RateLimitExceededException as exc:
            retry = (exc.headers or {}).get("retry-after")
            raise RateLimited(
                f"GitHub rate limit: {exc.data}",
                True,
                float(retry) if retry and str(retry).isdigit() else None,
            ) from exc
        except GithubException as exc:
            raise from_status("GitHub", exc.status, exc.data, forbidden_is_transient=True) from exc
        except (ConnectionError, TimeoutError, OSError) as exc:
            raise HostError(f"GitHub unreachable: {exc}") from exc

    return wrapper


class GitHubHost:
    name = "github"
    request_sigil = "#"  # how GitHub refers to a pull request

    def __init__(
        self,
        api_url: str = "https://api.github.com",
        token: str | None = None,
        app_id: str | None = None,
        private_key: str | None = None,
        write_pause: float = 1.0,
        read_pause: float = 0.0,
        retries: int = 5,
        secondary_wait: float = 60.0,
        timeout: int = 15,
        marks: Marks | None = None,
    ) -> None:
        if not token and not (app_id and private_key):
            raise HostError(
                "GitHub needs REDLINE_GITHUB_TOKEN or an App id and private key", transient=False
            )
        self.api_url = api_url.rstrip("/")
        self.token = token
        self.app_auth = Auth.AppAuth(app_id, private_key) if app_id and private_key else None
        self.options: dict[str, Any] = {
            "base_url": self.api_url,
            "timeout": timeout,
            # Pace content-creating requests: GitHub's secondary limits punish bursts.
            "seconds_between_writes": write_pause,
            "seconds_between_requests": read_pause,
            "retry": GithubRetry(
                total=retries,
                backoff_factor=0.5,
                status_forcelist=[500, 502, 503, 504],
                secondary_rate_wait=secondary_wait,
            ),
        }
        # Without the server's key, markers from an earlier process are not believed: a finding
        # may be posted again, but a planted marker can never silence one.
        self.marks = marks or Marks(os.urandom(32))
        self._identity: str | None = None
        self._clients: dict[int | None, Github] = {}
        self._checks: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    @property
    def uses_checks(self) -> bool:
        return self.app_auth is not None

    @_translate
    def identity(self) -> str:
        """The login the bot's comments carry: the App's bot user, or the token's user."""
        with self._lock:
            if self._identity is None:
                if self.app_auth is not None:
                    app = GithubIntegration(auth=self.app_auth, base_url=self.api_url).get_app()
                    self._identity = f"{app.slug}[bot]"
                else:
                    assert self.token is not None
                    self._identity = self.client(None).get_user().login
            return self._identity

    def _ours(self, comment: Any) -> bool:
        user = getattr(comment, "user", None)
        return user is not None and user.login == self.identity()

    def client(self, installation_id: int | None) -> Github:
        key = installation_id if self.app_auth is not None else None
        with self._lock:
            if key not in self._clients:
                if self.app_auth is not None:
                    if installation_id is None:
                        raise HostError(
                            "GitHub App job without an installation id", transient=False
                        )
                    # Installation tokens are renewed by PyGithub before they expire.
                    auth: Auth.Auth = self.app_auth.get_installation_auth(installation_id)
                else:
                    assert self.token is not None
                    auth = Auth.Token(self.token)
                self._clients[key] = Github(auth=auth, **self.options)
            return self._clients[key]

    def _repo(self, pr: PullRequest) -> Repository:
        return self.client(pr.installation_id).get_repo(pr.repo)

    def _pull(self, pr: PullRequest) -> GhPull:
        return self._repo(pr).get_pull(pr.number)

    @_translate
    def pull_request(
        self,
        repo: str,
        number: int,
        head_sha: str | None = None,
        installation_id: int | None = None,
        project_id: int | None = None,
    ) -> PullRequest:
        pull = self.client(installation_id).get_repo(repo).get_pull(number)
        head_repo = pull.head.repo.full_name if pull.head.repo else None
        return PullRequest(
            "github",
            repo,
            number,
            pull.head.sha,
            pull.base.sha,
            fork=head_repo is not None and head_repo != repo,
            draft=bool(pull.draft),
            installation_id=installation_id,
        )

    @_translate
    def can_trigger(self, pr: PullRequest, login: str, user_id: int | None = None) -> bool:
        """Write access or better, by the collaborator permission API."""
        try:
            level = self._repo(pr).get_collaborator_permission(login)
        except GithubException as exc:
            if exc.status == 404:  # not a collaborator at all
                return False
            raise
        return level in ("admin", "maintain", "write")

    @_translate
    def fetch_diff(self, pr: PullRequest) -> FetchedDiff:
        pull = self._pull(pr)
        parts: list[str] = []
        missing: list[str] = []
        seen = 0
        for file in pull.get_files():
            seen += 1
            parts.append(_file_diff(file, missing))
        notes = []
        if pull.changed_files > seen:
            notes.append(
                f"GitHub's API lists at most {MAX_FILES} files: {seen} of "
                f"{pull.changed_files} changed files were reviewed"
            )
        if missing:
            notes.append(
                "the API gives no diff for "
                + ", ".join(missing[:10])
                + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
                + " (too large)"
            )
        return FetchedDiff("".join(parts), "; ".join(notes) or None)

    @_translate
    def fetch_file(self, pr: PullRequest, path: str, sha: str) -> bytes | None:
        try:
            content = self._repo(pr).get_contents(path, ref=sha)
        except GithubException as exc:
            if exc.status == 404:
                return None
            raise
        if isinstance(content, list) or content.encoding == "none":
            return None  # a directory, or a file too large for the contents API
        return bytes(content.decoded_content)

    @_translate
    def posted_fingerprints(self, pr: PullRequest) -> set[str]:
        """Fingerprints of findings already posted: from the bot's own comments only, and only
        markers signed with the server's key for this pull request."""
        pull = self._pull(pr)
        scope = scope_of(pr.host, pr.repo, pr.number)
        found = set()
        for comment in pull.get_review_comments():
            if self._ours(comment):
                fingerprint = self.marks.read(scope, comment.body or "")
                if fingerprint:
                    found.add(fingerprint)
        return found

    @_translate
    def post_review(self, pr: PullRequest, review: ReviewPost) -> PostResult:
        repo = self._repo(pr)
        pull = repo.get_pull(pr.number)
        comments = list(review.comments)
        rejected: list[str] = []
        if comments:
            commit = repo.get_commit(pr.head_sha)
            try:
                self._create_review(pull, commit, comments, review.event)
            except GithubException as exc:
                if exc.status != 422:
                    raise
                rejected = self._find_rejected(pull, commit, comments)
                comments = [c for c in comments if c.fingerprint not in rejected]
                if comments:
                    self._create_review(pull, commit, comments, review.event)
        self._upsert_summary(pull, review.summary_marker, review.summary)
        return PostResult(tuple(c.fingerprint for c in comments), tuple(rejected))

    def _create_review(
        self, pull: GhPull, commit: Any, comments: list[InlineComment], event: str | None
    ) -> Any:
        body = (
            f"redline: {len(comments)} finding{'s' if len(comments) != 1 else ''} inline; "
            "the summary comment has the reading order and the rest."
        )
        return pull.create_review(
            commit=commit,
            body=body,
            event=event if event is not None else NotSet,
            comments=[_review_comment(c) for c in comments],  # type: ignore[misc]
        )

    def _find_rejected(self, pull: GhPull, commit: Any, comments: list[InlineComment]) -> list[str]:
        """Which comments GitHub refuses: each one is tried in a pending (unpublished)
        review that is deleted again, so nobody sees the probing."""
        rejected = []
        for comment in comments:
            try:
                pending = self._create_review(pull, commit, [comment], None)
            except GithubException as exc:
                if exc.status == 422:
                    rejected.append(comment.fingerprint)
                    continue
                raise
            pending.delete()
        return rejected

    def _upsert_summary(self, pull: GhPull, marker: str, body: str) -> None:
        """Edit the bot's own summary (found by marker AND author), or post one."""
        for comment in pull.get_issue_comments():
            if marker in (comment.body or "") and self._ours(comment):
                if comment.body != body:
                    comment.edit(body)
                return
        pull.create_issue_comment(body)

    @_translate
    def set_status(self, pr: PullRequest, status: GateStatus) -> None:
        repo = self._repo(pr)
        if not self.uses_checks:
            repo.get_commit(pr.head_sha).create_status(
                _STATUS[status.state], description=status.title[:140], context=CHECK_NAME
            )
            return
        key = (pr.repo, pr.head_sha)
        if status.state == "in_progress":
            run = repo.create_check_run(
                CHECK_NAME,
                pr.head_sha,
                status="in_progress",
                output={"title": status.title, "summary": status.summary[:CHECK_TEXT_LIMIT]},
            )
            self._checks[key] = run.id
            return
        run_id = self._checks.get(key)
        found: CheckRun | None = repo.get_check_run(run_id) if run_id else None
        if found is None:
            existing = list(repo.get_commit(pr.head_sha).get_check_runs(check_name=CHECK_NAME))
            found = existing[0] if existing else repo.create_check_run(CHECK_NAME, pr.head_sha)
        run = found
        annotations = [
            {
                "path": a.path,
                "start_line": a.start_line,
                "end_line": a.end_line,
                "annotation_level": a.level,
                "title": a.title[:255],
                "message": a.message[:64000],
            }
            for a in status.annotations
        ]
        batches = [
            annotations[i : i + ANNOTATIONS_PER_REQUEST]
            for i in range(0, len(annotations), ANNOTATIONS_PER_REQUEST)
        ] or [[]]
        for index, batch in enumerate(batches):
            output: dict[str, Any] = {
                "title": status.title[:255],
                "summary": status.summary[:CHECK_TEXT_LIMIT],
            }
            if batch:
                output["annotations"] = batch
            if index == 0:
                run.edit(status="completed", conclusion=_CONCLUSION[status.state], output=output)
            else:
                run.edit(output=output)  # annotations add up across updates

    # --- suggested commits (the SuggestedCommits capability) ---------------------------------
    @_translate
    def head_branch(self, pr: PullRequest) -> str:
        return str(self._pull(pr).head.ref)

    @_translate
    def branch_tip(self, pr: PullRequest, branch: str) -> BranchTip | None:
        repo = self._repo(pr)
        try:
            sha = repo.get_git_ref(f"heads/{branch}").object.sha
        except GithubException as exc:
            if exc.status == 404:
                return None
            raise
        commit = repo.get_git_commit(sha)
        return BranchTip(sha, tuple(p.sha for p in commit.parents), commit.message)

    @_translate
    def push_commit(
        self,
        pr: PullRequest,
        branch: str,
        files: Mapping[str, str],
        message: str,
        replace: str | None,
    ) -> str:
        """Blobs, a tree on the head's tree (each file keeps its mode), a commit whose parent
        is the head, then the ref: created, or moved there from `replace` (forced, since that
        commit is replaced, not built on; refused when the branch moved since it was judged,
        which leaves a moment's race only: the REST API has no compare-and-swap on refs)."""
        repo = self._repo(pr)
        head = repo.get_git_commit(pr.head_sha)
        modes = _modes(repo, head.tree.sha, files)
        elements = []
        for path, text in sorted(files.items()):
            mode = modes.get(path)
            if mode not in _REGULAR:
                raise HostError(f"GitHub: {path} is not a regular file at the head", False)
            blob = repo.create_git_blob(text, "utf-8")
            elements.append(InputGitTreeElement(path, mode, "blob", sha=blob.sha))
        tree = repo.create_git_tree(elements, base_tree=head.tree)
        commit = repo.create_git_commit(message, tree, [head])
        if replace is not None:
            ref = repo.get_git_ref(f"heads/{branch}")
            if ref.object.sha != replace:
                raise HostError(f"GitHub: {branch} moved while redline was writing to it", False)
            ref.edit(commit.sha, force=True)
        else:
            repo.create_git_ref(f"refs/heads/{branch}", commit.sha)
        return str(commit.sha)

    @_translate
    def open_request(self, pr: PullRequest, branch: str, title: str, body: str) -> SuggestedRequest:
        repo = self._repo(pr)
        target = self._pull(pr).head.ref
        owner = repo.full_name.split("/")[0]
        for pull in repo.get_pulls(state="open", head=f"{owner}:{branch}", base=target):
            if pull.body != body or pull.title != title:
                pull.edit(title=title, body=body)
            return SuggestedRequest(pull.number, pull.html_url, False)
        pull = repo.create_pull(base=target, head=branch, title=title, body=body)
        return SuggestedRequest(pull.number, pull.html_url, True)

    @_translate
    def own_requests(self, pr: PullRequest, prefix: str) -> list[tuple[int, str]]:
        repo = self._repo(pr)
        target = self._pull(pr).head.ref
        return [
            (pull.number, pull.head.ref)
            for pull in repo.get_pulls(state="open", base=target)
            if pull.head.ref.startswith(prefix)
            and pull.head.repo is not None
            and pull.head.repo.full_name == repo.full_name
            and self._ours(pull)
        ]

    @_translate
    def close_request(
        self, pr: PullRequest, number: int, note: str, delete_branch: str | None
    ) -> None:
        repo = self._repo(pr)
        pull = repo.get_pull(number)
        pull.create_issue_comment(note)
        pull.edit(state="closed")
        if delete_branch is not None:
            repo.get_git_ref(f"heads/{delete_branch}").delete()


def _modes(repo: Repository, root: str, paths: Iterable[str]) -> dict[str, str]:
    """The mode of each path in the tree `root`, reading one tree per directory involved."""
    listings: dict[str, dict[str, tuple[str, str]]] = {}

    def listing(directory: str) -> dict[str, tuple[str, str]]:
        if directory not in listings:
            sha: str | None = root
            if directory:
                parent, _, name = directory.rpartition("/")
                entry = listing(parent).get(name)
                sha = entry[1] if entry is not None and entry[0] == "040000" else None
            tree = repo.get_git_tree(sha).tree if sha is not None else []
            listings[directory] = {e.path: (e.mode, e.sha) for e in tree}
        return listings[directory]

    out = {}
    for path in paths:
        directory, _, name = path.rpartition("/")
        entry = listing(directory).get(name)
        if entry is not None:
            out[path] = entry[0]
    return out


def _review_comment(comment: InlineComment) -> dict[str, Any]:
    data: dict[str, Any] = {
        "path": comment.path,
        "line": comment.line,
        "side": comment.side,
        "body": comment.body,
    }
    if comment.start_line is not None and comment.start_line != comment.line:
        data["start_line"] = comment.start_line
        data["start_side"] = comment.side
    return data


def _file_diff(file: Any, missing: list[str]) -> str:
    new = file.filename
    old = file.previous_filename or new
    head = f"diff --git a/{old} b/{new}\n"
    if file.status == "renamed":
        head += f"similarity index 90%\nrename from {old}\nrename to {new}\n"
    elif file.status == "added":
        head += "new file mode 100644\n"
    elif file.status == "removed":
        head += "deleted file mode 100644\n"
    patch = file.patch
    if patch is None:
        if file.changes:
            missing.append(new)
        if file.status == "renamed" and not file.changes:
            return head
        return head + f"Binary files a/{old} and b/{new} differ\n"
    source = "/dev/null" if file.status == "added" else f"a/{old}"
    target = "/dev/null" if file.status == "removed" else f"b/{new}"
    if not patch.endswith("\n"):
        patch += "\n"
    return str(head + f"--- {source}\n+++ {target}\n" + patch)
