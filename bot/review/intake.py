"""The first phase: refuse unsafe paths, decide coverage (which files are analysed, which are
skipped and why), and read the post-images of the rest."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.model import Diff, FileDiff, Skipped
from bot.core.paths import check_relative
from bot.core.policy import Config
from bot.core.ports import Tree
from bot.review import coverage


@dataclass(frozen=True)
class Intake:
    """What coverage decided: the files to analyze, their texts, and what was skipped."""

    reviewed: Diff
    texts: dict[str, str]
    skipped: dict[str, str]
    notes: tuple[Skipped, ...]


def check_paths(diff: Diff) -> None:
    """Refuse a diff whose paths would escape the repository."""
    for file in diff.files:
        check_relative(file.path)
        if file.old_path:
            check_relative(file.old_path)


def take_in(diff: Diff, post: Tree, config: Config) -> Intake:
    reviewed: list[FileDiff] = []
    texts: dict[str, str] = {}
    skipped: dict[str, str] = {}
    notes: list[Skipped] = []
    for file in diff.files:
        size = post.size(file.path) if file.status not in ("deleted", "binary") else None
        reason = coverage.skip_before_reading(file, config, size)
        data = None
        if reason is None and file.status not in ("deleted",):
            data = post.read(file.path)
            if data is not None:
                reason = coverage.skip_after_reading(data)
        if reason is not None:
            skipped[file.path] = reason
            continue
        if data is not None:
            texts[file.path] = data.decode("utf-8", "replace").replace("\r\n", "\n")
        elif file.status != "deleted":
            # Degrade to what the diff shows, for this file only.
            texts[file.path] = file.partial_text()
            notes.append(Skipped(file.path, "post-image not found: context from the diff only"))
        if file.lossy:
            notes.append(Skipped(file.path, "not valid UTF-8: undecodable bytes shown as U+FFFD"))
        reviewed.append(file)
    return Intake(Diff(tuple(reviewed)), texts, skipped, tuple(notes))
