"""What to deliver from a review's validated fixes, as values; no I/O.

- A fix is a one-click suggestion when its finding's inline comment carries it (posted now or
  earlier, anchored on exactly the lines it replaces); the review plan decides that.
- Every other validated fix goes into one suggested commit per head, on the branch
  `redline/fix/<pr>-<short head sha>`, on top of the head. `/redline fix` puts every validated
  fix of the head in it.
- A fork gets the same fixes as a patch (redline never pushes to a fork), and so does a PR
  whose suggested-commit branch holds commits redline did not make (left alone).
- The commit says what it is in trailers (`Redline-Head`, `Redline-Fixes`): a branch whose tip
  is a commit on top of this head with this head's trailer is redline's own, and it is reused
  while it holds every fix wanted, or replaced by one holding both (never shrunk).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.core.errors import EngineError
from bot.core.host import BranchTip, SuggestedRequest
from bot.core.model import Fix
from engine.patch import apply_fixes, non_overlapping

BRANCH_PREFIX = "redline/fix/"
HEAD_TRAILER = "Redline-Head"
FIXES_TRAILER = "Redline-Fixes"
FP_CHARS = 12  # a fix is named in the trailer by its finding's fingerprint, this long
MESSAGE_LINES = 40  # fixes listed in the commit message, then a count
# Characters that would let a path forge a line of the message (a trailer) or hide text.
_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f\u0085\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
)

ExistingState = Literal["none", "at-head", "ours", "foreign"]
Action = Literal["nothing", "create", "replace", "reuse", "foreign"]
OutcomeKind = Literal["none", "commit", "fork", "foreign", "failed", "unsupported", "fix-branch"]


def branch_prefix(number: int) -> str:
    return f"{BRANCH_PREFIX}{number}-"


def branch_name(number: int, head_sha: str) -> str:
    """The suggested-commit branch of pull request `number` at `head_sha`."""
    return f"{branch_prefix(number)}{head_sha[:7]}"


def is_fix_branch(branch: str) -> bool:
    return branch.startswith(BRANCH_PREFIX)


@dataclass(frozen=True)
class Delivery:
    """The plan for one head: one-click suggestions, and the suggested commit's contents."""

    number: int
    head_sha: str
    one_click: tuple[Fix, ...]
    commit: tuple[Fix, ...]  # the fixes the commit (or the fork's patch) applies
    files: tuple[tuple[str, str], ...]  # (path, new text) of every file the commit changes
    patch: str  # the commit's fixes as one unified diff (`git apply`)
    left_out: tuple[tuple[Fix, str], ...] = ()  # fixes that could not go in, and why
    everything: bool = False  # `/redline fix`: every validated fix, suggestions included
    sigil: str = "#"  # how the host refers to a pull/merge request: #2 on GitHub, !2 on GitLab

    def ref(self, number: int | None = None) -> str:
        return f"{self.sigil}{self.number if number is None else number}"

    @property
    def branch(self) -> str:
        return branch_name(self.number, self.head_sha)

    @property
    def names(self) -> frozenset[str]:
        return frozenset(fix.finding[:FP_CHARS] for fix in self.commit)

    def message(self) -> str:
        return commit_message(self.ref(), self.head_sha, self.commit)


def _shown(text: str) -> str:
    return _UNPRINTABLE.sub("?", text)


def commit_message(ref: str, head_sha: str, fixes: Sequence[Fix]) -> str:
    """`ref`: the pull request as its host refers to it (`#2`, `!2`)."""
    count = len(fixes)
    lines = [f"redline: {count} suggested fix{'es' if count != 1 else ''} for {ref}", ""]
    for fix in fixes[:MESSAGE_LINES]:
        lines.append(f"- {_shown(fix.path)}:{fix.start}: {_shown(fix.rule)} ({fix.origin})")
    if count > MESSAGE_LINES:
        lines.append(f"- and {count - MESSAGE_LINES} more")
    lines += [
        "",
        "Every fix passed redline's shadow validation before it was offered.",
        "",
        f"{HEAD_TRAILER}: {head_sha}",
        f"{FIXES_TRAILER}: {' '.join(sorted({f.finding[:FP_CHARS] for f in fixes}))}",
    ]
    return "\n".join(lines) + "\n"


def trailers(message: str) -> dict[str, str]:
    """The trailers of a commit message's last paragraph (`Key: value` lines)."""
    paragraphs = [p for p in message.strip().split("\n\n") if p.strip()]
    out: dict[str, str] = {}
    for line in (paragraphs[-1] if paragraphs else "").splitlines():
        key, sep, value = line.partition(": ")
        if sep and re.fullmatch(r"[A-Za-z][A-Za-z-]*", key):
            out[key] = value.strip()
    return out


@dataclass(frozen=True)
class Existing:
    state: ExistingState
    names: frozenset[str] = frozenset()  # the fixes redline's own commit holds


def judge(tip: BranchTip | None, head_sha: str) -> Existing:
    """What the branch already holds: nothing, just the head, redline's commit on this head,
    or commits redline did not make (anything else: another head's commit, someone's push)."""
    if tip is None:
        return Existing("none")
    if tip.sha == head_sha:
        return Existing("at-head")
    found = trailers(tip.message)
    if tip.parents == (head_sha,) and found.get(HEAD_TRAILER) == head_sha:
        return Existing("ours", frozenset(found.get(FIXES_TRAILER, "").split()))
    return Existing("foreign")


def decide(existing: Existing, delivery: Delivery) -> Action:
    if not delivery.commit:
        return "nothing"
    if existing.state == "none":
        return "create"
    if existing.state == "foreign":
        return "foreign"
    if existing.state == "ours" and delivery.names <= existing.names:
        return "reuse"
    return "replace"


def plan_delivery(
    fixes: Sequence[Fix],
    texts: Mapping[str, str],
    raw: Mapping[str, bytes | None],
    one_click: Iterable[str],
    number: int,
    head_sha: str,
    everything: bool = False,
    keep: Iterable[str] = (),
    sigil: str = "#",
) -> Delivery:
    """`texts`: the files as the fixes were made on them; `raw`: the head's bytes of each file
    a fix touches (what the commit rewrites); `one_click`: fingerprints of findings whose
    inline comment carries their fix; `keep`: names of fixes the commit must hold too (those of
    redline's existing commit)."""
    clicked, kept = set(one_click), set(keep)
    suggestions = tuple(
        f for f in fixes if not everything and f.suggestion and f.finding in clicked
    )
    chosen = [
        f for f in fixes if everything or f not in suggestions or f.finding[:FP_CHARS] in kept
    ]
    applied = non_overlapping(chosen)
    left_out = [(f, "it overlaps another fix") for f in chosen if f not in applied]
    by_path: dict[str, list[Fix]] = {}
    for fix in applied:
        by_path.setdefault(fix.path, []).append(fix)
    files: list[tuple[str, str]] = []
    patches: list[str] = []
    good: list[Fix] = []
    for path, file_fixes in sorted(by_path.items()):
        try:
            before, after = rewrite(path, texts.get(path), raw.get(path), file_fixes)
        except EngineError as exc:
            left_out += [(f, str(exc)) for f in file_fixes]
            continue
        files.append((path, after))
        patches.append(file_patch(path, before, after))
        good += file_fixes
    return Delivery(
        number,
        head_sha,
        suggestions,
        tuple(good),
        tuple(files),
        "".join(patches),
        tuple(left_out),
        everything,
        sigil,
    )


def rewrite(
    path: str, reviewed: str | None, raw: bytes | None, fixes: Sequence[Fix]
) -> tuple[str, str]:
    """The file's exact text on the head and after the fixes. A file is rewritten only when
    its bytes are the text the fixes were made on: whole (not a view pieced from the diff),
    UTF-8, with one kind of line ending (CRLF files keep theirs)."""
    if raw is None or reviewed is None:
        raise EngineError(f"{path}: the file could not be read whole")
    try:
        exact = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EngineError(f"{path}: not UTF-8 text") from exc
    crlf = "\r\n" in exact
    if crlf and exact.count("\r\n") != exact.count("\n"):
        raise EngineError(f"{path}: mixed line endings")
    if exact.replace("\r\n", "\n") != reviewed:
        raise EngineError(f"{path}: the file on the branch is not the file the fixes were made on")
    after = apply_fixes({path: reviewed}, fixes)[path]
    return exact, after.replace("\n", "\r\n") if crlf else after


def file_patch(path: str, before: str, after: str, context: int = 3) -> str:
    """One file's change as a unified diff (`git apply` / `patch -p1`)."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        f"a/{path}",
        f"b/{path}",
        n=context,
    )
    body = [
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    ]
    return f"diff --git a/{path} b/{path}\n" + "".join(body) if body else ""


@dataclass(frozen=True)
class Outcome:
    """What became of a delivery, for the summary.

    `kind`: `commit` (the suggested commit is on its branch, `request` offers it), `fork`,
    `foreign` (the branch has commits redline did not make: left alone), `failed` (the host
    refused; `detail` says why), `unsupported` (the host takes no suggested commits),
    `fix-branch` (the PR is itself a suggested commit), `none` (no fix needs a commit). All
    but `commit` and `none` fall back to the patch in the summary."""

    kind: OutcomeKind
    delivery: Delivery
    request: SuggestedRequest | None = None
    action: Action = "nothing"
    detail: str = ""
    closed: tuple[int, ...] = ()  # older suggested requests of this PR closed now

    @property
    def patch_instead(self) -> bool:
        return bool(self.delivery.commit) and self.kind in (
            "fork",
            "foreign",
            "failed",
            "unsupported",
            "fix-branch",
        )
