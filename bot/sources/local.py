"""Where a CLI review's inputs come from: a diff file or stdin with an optional post-image
directory, or a git range (post-images at HEAD, config and rule files at BASE)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from bot.core.diff import parse_diff
from bot.core.errors import UsageError
from bot.core.model import Diff
from bot.core.policy import Config, parse_config
from bot.core.ports import Tree
from bot.core.trees import EmptyTree
from bot.sources import git as gitio
from bot.sources.directory import DirectoryTree

CONFIG_NAME = ".redline.toml"


@dataclass(frozen=True)
class Source:
    diff: Diff
    post: Tree
    base: Tree  # where policy and rule files come from
    config: Config
    label: str  # what was reviewed, for messages
    before: Tree | None = None  # the pre-image, when there is one (a git range)


def _read_diff_bytes(spec: str) -> bytes:
    if spec == "-":
        return sys.stdin.buffer.read()
    path = Path(spec)
    if not path.is_file():
        raise UsageError(f"--diff: no such file: {spec}")
    return path.read_bytes()


def load_config(tree: Tree, explicit: str | None = None) -> Config:
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise UsageError(f"--config: no such file: {explicit}")
        return parse_config(path.read_text(encoding="utf-8"), explicit)
    data = tree.read(CONFIG_NAME)
    if data is None:
        return Config()
    return parse_config(data.decode("utf-8", "replace"), CONFIG_NAME)


def from_diff(spec: str, repo: str | None, config_path: str | None) -> Source:
    post: Tree = EmptyTree()
    if repo is not None:
        root = Path(repo)
        if not root.is_dir():
            raise UsageError(f"--repo: not a directory: {repo}")
        post = DirectoryTree(root)
    diff = parse_diff(_read_diff_bytes(spec))
    # Without a base revision the policy comes from --repo (or --config): say so in the docs;
    # CI should use --range, where it comes from BASE.
    return Source(
        diff, post, post, load_config(post, config_path), "stdin" if spec == "-" else spec
    )


def from_range(spec: str, repo: str | None, config_path: str | None) -> Source:
    start = Path(repo) if repo is not None else Path.cwd()
    if not start.is_dir():
        raise UsageError(f"--repo: not a directory: {repo}")
    root = gitio.toplevel(start)
    base_name, head_name, three_dot = gitio.split_range(spec)
    base = gitio.resolve(root, base_name)
    head = gitio.resolve(root, head_name)
    if three_dot:
        base = gitio.merge_base(root, base, head)
    diff = parse_diff(gitio.range_diff(root, base, head))
    base_tree = gitio.GitTree(root, base)
    config = load_config(base_tree, config_path)
    return Source(diff, gitio.GitTree(root, head), base_tree, config, spec, before=base_tree)
