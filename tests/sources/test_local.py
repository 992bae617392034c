"""Where a CLI review's inputs come from: a diff file or stdin with a post-image directory, or
a git range whose policy comes from BASE; and a directory as a tree, which refuses paths that
escape it, symlinks included."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from bot.core.errors import ConfigError, GitError, UnsafePathError, UsageError
from bot.core.trees import EmptyTree
from bot.sources import git as gitio
from bot.sources.directory import DirectoryTree
from bot.sources.local import from_diff, from_range
from tests.conftest import Repo

PATCH = "--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"


def _patch(tmp_path: Path) -> Path:
    target = tmp_path / "change.diff"
    target.write_text(PATCH)
    return target


# --- a diff file ---------------------------------------------------------------------------------


def test_a_diff_file_alone_has_no_post_image_and_the_default_policy(tmp_path: Path) -> None:
    source = from_diff(str(_patch(tmp_path)), None, None)
    assert [f.path for f in source.diff.files] == ["app.py"]
    assert isinstance(source.post, EmptyTree) and source.before is None
    assert source.config.paranoia == "default" and source.label == str(tmp_path / "change.diff")


def test_with_repo_the_post_image_and_policy_come_from_that_directory(tmp_path: Path) -> None:
    root = tmp_path / "checkout"
    root.mkdir()
    (root / "app.py").write_text("x = 2\n")
    (root / ".redline.toml").write_text('paranoia = "high"\n')
    source = from_diff(str(_patch(tmp_path)), str(root), None)
    assert source.post.read("app.py") == b"x = 2\n" and source.base is source.post
    assert source.config.paranoia == "high"


def test_an_explicit_config_wins_over_the_directorys(tmp_path: Path) -> None:
    root = tmp_path / "checkout"
    root.mkdir()
    (root / ".redline.toml").write_text('paranoia = "high"\n')
    explicit = tmp_path / "ci.toml"
    explicit.write_text('paranoia = "low"\nfail-on = "warning"\n')
    source = from_diff(str(_patch(tmp_path)), str(root), str(explicit))
    assert (source.config.paranoia, source.config.fail_on) == ("low", "warning")


def test_a_diff_read_from_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(PATCH.encode())))
    source = from_diff("-", None, None)
    assert source.label == "stdin" and [f.path for f in source.diff.files] == ["app.py"]


@pytest.mark.parametrize(
    ("diff", "repo", "config", "says"),
    [
        ("missing.diff", None, None, "--diff: no such file: missing.diff"),
        (".", None, None, "--diff: no such file: ."),  # a directory is not a diff
        ("PATCH", "no/such/dir", None, "--repo: not a directory: no/such/dir"),
        ("PATCH", None, "no/such.toml", "--config: no such file: no/such.toml"),
    ],
)
def test_bad_diff_inputs_are_usage_errors_naming_the_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, diff: str, repo: str, config: str, says: str
) -> None:
    monkeypatch.chdir(tmp_path)
    _patch(tmp_path)
    with pytest.raises(UsageError) as refused:
        from_diff("change.diff" if diff == "PATCH" else diff, repo, config)
    assert str(refused.value) == says


def test_a_bad_policy_file_names_the_file_and_the_key(tmp_path: Path) -> None:
    root = tmp_path / "checkout"
    root.mkdir()
    (root / ".redline.toml").write_text('paranoia = "extreme"\n')
    with pytest.raises(ConfigError, match=r"^\.redline\.toml: .*paranoia"):
        from_diff(str(_patch(tmp_path)), str(root), None)


# --- a git range ---------------------------------------------------------------------------------


def test_a_range_takes_policy_from_base_and_files_from_head(repo: Repo) -> None:
    repo.commit("base", {".redline.toml": 'paranoia = "high"\n', "app.py": "x = 1\n"})
    repo.commit("head", {".redline.toml": 'paranoia = "low"\n', "app.py": "x = 2\n"})
    repo.write("app.py", "not committed\n")
    source = from_range("HEAD~1..HEAD", str(repo.root), None)
    assert source.config.paranoia == "high"  # the change cannot relax its own review
    assert source.post.read("app.py") == b"x = 2\n"
    assert source.before is not None and source.before.read("app.py") == b"x = 1\n"
    assert source.base.read(".redline.toml") == b'paranoia = "high"\n'
    assert sorted(f.path for f in source.diff.files) == [".redline.toml", "app.py"]
    assert source.label == "HEAD~1..HEAD"


def test_a_three_dot_range_starts_at_the_merge_base(repo: Repo) -> None:
    fork = repo.commit("base", {"app.py": "x = 1\n"})
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("feature", {"feature.py": "y = 1\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("main", {"main.py": "z = 1\n", ".redline.toml": 'paranoia = "max"\n'})
    source = from_range("main...feature", str(repo.root), None)
    assert [f.path for f in source.diff.files] == ["feature.py"]
    assert source.config.paranoia == "default"  # the fork point has no .redline.toml
    assert source.before is not None
    assert source.before.read("app.py") == gitio.GitTree(repo.root, fork).read("app.py")


def test_a_range_from_inside_the_repository_without_repo(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.commit("base", {"pkg/a.py": "x = 1\n"})
    repo.commit("head", {"pkg/a.py": "x = 2\n"})
    monkeypatch.chdir(repo.root / "pkg")
    source = from_range("HEAD~1..HEAD", None, None)
    assert [f.path for f in source.diff.files] == ["pkg/a.py"]  # paths from the top level


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("HEAD", "--range needs BASE..HEAD"),
        ("nope..HEAD", "unknown revision 'nope'"),
        ("HEAD..nope", "unknown revision 'nope'"),
        ("-p..HEAD", "not a revision: '-p'"),
    ],
)
def test_a_bad_range_is_a_git_error(repo: Repo, spec: str, says: str) -> None:
    repo.commit("one", {"a.py": "x = 1\n"})
    with pytest.raises(GitError, match=says):
        from_range(spec, str(repo.root), None)


def test_a_range_outside_a_repository_or_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--repo: not a directory"):
        from_range("a..b", str(tmp_path / "missing"), None)
    with pytest.raises(GitError, match="not a git repository"):
        from_range("a..b", str(tmp_path), None)


# --- a directory as a tree -----------------------------------------------------------------------


def test_a_directory_tree_reads_files_and_nothing_else(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_bytes(b"x = 1\n\xff")
    tree = DirectoryTree(tmp_path)
    assert tree.read("pkg/a.py") == b"x = 1\n\xff" and tree.size("pkg/a.py") == 7
    assert tree.read("pkg") is None and tree.size("pkg") is None
    assert tree.read("pkg/missing.py") is None and tree.size("pkg/missing.py") is None


@pytest.mark.parametrize("path", ["../outside.txt", "pkg/../../outside.txt", "/etc/passwd", ""])
def test_a_directory_tree_refuses_paths_that_escape(tmp_path: Path, path: str) -> None:
    root = tmp_path / "root"
    (root / "pkg").mkdir(parents=True)
    (tmp_path / "outside.txt").write_text("secret\n")
    tree = DirectoryTree(root)
    with pytest.raises(UnsafePathError):
        tree.read(path)
    with pytest.raises(UnsafePathError):
        tree.size(path)


def test_a_symlink_is_followed_only_inside_the_tree(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "real.py").write_text("inside\n")
    (tmp_path / "secret.txt").write_text("outside\n")
    (root / "alias.py").symlink_to(root / "real.py")
    (root / "escape.txt").symlink_to(tmp_path / "secret.txt")
    (root / "linked-dir").symlink_to(tmp_path, target_is_directory=True)
    tree = DirectoryTree(root)
    assert tree.read("alias.py") == b"inside\n"
    with pytest.raises(UnsafePathError, match="resolves outside"):
        tree.read("escape.txt")
    with pytest.raises(UnsafePathError, match="resolves outside"):
        tree.read("linked-dir/secret.txt")
