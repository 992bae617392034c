"""The first phase: refuse unsafe paths, decide coverage (which files are analysed, which are
skipped and why), and read the post-images of the rest.

What the change itself says about its files (a binary attribute, a "generated" header, a
vendored path, its size) never takes them out of the dangerous-code rules: binary is decided
by content, kinds by the base, and big files are still read by the rule pack."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from bot.core.diff import parse_diff
from bot.core.errors import DiffParseError
from bot.core.model import Diff, FileDiff, FileStatus, Skipped
from bot.core.paths import check_relative
from bot.core.policy import Config
from bot.core.ports import Tree
from bot.review import coverage


@dataclass(frozen=True)
class Intake:
    """What coverage decided: the files to analyze, their texts, and what was skipped."""

    reviewed: Diff
    effective: Diff  # every file of the diff, those read as text despite the diff included
    texts: dict[str, str]
    skipped: dict[str, str]
    notes: tuple[Skipped, ...]
    deep_skipped: frozenset[str] = frozenset()  # read by the rule pack only
    unscanned: tuple[Skipped, ...] = ()  # files the dangerous-code rules could not read


def check_paths(diff: Diff) -> None:
    """Refuse a diff whose paths would escape the repository."""
    for file in diff.files:
        check_relative(file.path)
        if file.old_path:
            check_relative(file.old_path)


def _as_text_diff(file: FileDiff, head: bytes, before: Tree | None) -> FileDiff | None:
    """A file the diff calls binary whose content is text, diffed from the trees."""
    old_data = before.read(file.old_path or file.path) if before is not None else None
    if old_data is not None and coverage.is_binary(old_data):
        old_data = None
    old = old_data.decode("utf-8", "replace").splitlines(keepends=True) if old_data else []
    new = head.decode("utf-8", "replace").splitlines(keepends=True)
    lines = list(difflib.unified_diff(old, new, f"a/{file.path}", f"b/{file.path}", n=3))
    if not lines:
        return None
    body = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    try:
        parsed = parse_diff(f"diff --git a/{file.path} b/{file.path}\n{body}")
    except DiffParseError:
        return None
    status: FileStatus = "added" if old_data is None else "modified"
    return FileDiff(file.path, status, parsed.files[0].hunks, lossy=file.lossy)


class _Reader:
    """Per-file coverage decisions, collected."""

    def __init__(self, post: Tree, before: Tree | None, config: Config) -> None:
        self.post, self.before, self.config = post, before, config
        self.reviewed: list[FileDiff] = []
        self.replaced: dict[str, FileDiff] = {}
        self.texts: dict[str, str] = {}
        self.skipped: dict[str, str] = {}
        self.notes: list[Skipped] = []
        self.deep: set[str] = set()
        self.unscanned: list[Skipped] = []

    def skip(self, file: FileDiff, reason: str, unscanned: bool = False) -> None:
        self.skipped[file.path] = reason
        if unscanned and file.language in coverage.RULE_PACK_LANGUAGES:
            self.unscanned.append(Skipped(file.path, reason))

    def take(self, file: FileDiff) -> None:
        reason = coverage.skip_by_policy(file, self.config)
        if reason is not None:
            return self.skip(file, reason)
        if file.status == "deleted":
            return self.keep(file, None)
        size = self.post.size(file.path)
        if size is not None and (too_big := coverage.too_large(size, self.config)):
            return self.skip(file, too_big, unscanned=True)
        data = self.post.read(file.path)
        if file.status == "binary":
            return self.binary(file, data)
        if data is not None and coverage.is_binary(data):
            return self.skip(file, "binary")
        if data is not None and (kind := self.kind(file, data)):
            return self.skip(file, kind)
        self.keep(file, data)

    def kind(self, file: FileDiff, data: bytes) -> str | None:
        # Read the base only when the head claims a kind: the base must agree.
        if coverage.path_kind(file.path) is None and coverage.generated_header(data) is None:
            return None
        old = self.before.read(file.old_path or file.path) if self.before else None
        return coverage.skip_by_kind(file, old)

    def binary(self, file: FileDiff, data: bytes | None) -> None:
        if data is None or coverage.is_binary(data):
            return self.skip(file, "binary")
        as_text = _as_text_diff(file, data, self.before)
        if as_text is None:
            return self.skip(file, "binary (no text change)")
        self.notes.append(Skipped(file.path, "the diff calls it binary; it is text: reviewed"))
        self.replaced[file.path] = as_text
        self.keep(as_text, data)

    def keep(self, file: FileDiff, data: bytes | None) -> None:
        if data is not None:
            self.texts[file.path] = data.decode("utf-8", "replace").replace("\r\n", "\n")
        elif file.status != "deleted":
            # Degrade to what the diff shows, for this file only.
            self.texts[file.path] = file.partial_text()
            self.notes.append(
                Skipped(file.path, "post-image not found: context from the diff only")
            )
        if file.lossy:
            self.notes.append(
                Skipped(file.path, "not valid UTF-8: undecodable bytes shown as U+FFFD")
            )
        text = self.texts.get(file.path)
        if text is not None and (limit := coverage.deep_limit(text, self.config)):
            self.deep.add(file.path)
            self.notes.append(Skipped(file.path, limit))
        self.reviewed.append(file)


def take_in(diff: Diff, post: Tree, config: Config, before: Tree | None = None) -> Intake:
    """`before` is the pre-image tree when there is one (a git range, a host's base)."""
    reader = _Reader(post, before, config)
    for file in diff.files:
        reader.take(file)
    effective = tuple(reader.replaced.get(f.path, f) for f in diff.files)
    return Intake(
        Diff(tuple(reader.reviewed)),
        Diff(effective),
        reader.texts,
        reader.skipped,
        tuple(reader.notes),
        frozenset(reader.deep),
        tuple(reader.unscanned),
    )
