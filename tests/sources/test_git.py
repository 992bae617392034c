"""The git adapter on real repositories: ranges (two and three dots), revisions that do not
exist or look like options, diffs that ignore the user's git configuration, and trees read
from a commit, not from the working directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.diff import parse_diff
from bot.core.errors import GitError, UsageError
from bot.sources import git as gitio
from tests.conftest import Repo


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("main..feature", ("main", "feature", False)),
        ("main...feature", ("main", "feature", True)),
        ("HEAD~2..HEAD", ("HEAD~2", "HEAD", False)),
        ("v1.0...v1.1", ("v1.0", "v1.1", True)),
    ],
)
def test_a_range_splits_into_its_ends(spec: str, expected: tuple[str, str, bool]) -> None:
    assert gitio.split_range(spec) == expected


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("HEAD", "--range needs BASE..HEAD, got 'HEAD'"),
        ("main.feature", "--range needs BASE..HEAD"),
        ("..HEAD", "--range needs both ends, got '..HEAD'"),
        ("main..", "--range needs both ends"),
        ("main...", "--range needs both ends"),
    ],
)
def test_a_malformed_range_is_a_usage_error(spec: str, says: str) -> None:
    with pytest.raises(GitError, match=says) as refused:
        gitio.split_range(spec)
    assert isinstance(refused.value, UsageError)  # the CLI exits 2


def test_revisions_resolve_to_commits_and_unknown_ones_are_named(repo: Repo) -> None:
    first = repo.commit("one", {"a.py": "x = 1\n"})
    repo.git("tag", "v1")
    second = repo.commit("two", {"a.py": "x = 2\n"})
    assert gitio.resolve(repo.root, "HEAD") == second
    assert gitio.resolve(repo.root, "v1") == first == gitio.resolve(repo.root, "HEAD~1")
    assert gitio.resolve(repo.root, first[:10]) == first
    with pytest.raises(GitError, match=f"unknown revision 'nope' in {repo.root}"):
        gitio.resolve(repo.root, "nope")
    with pytest.raises(GitError, match="unknown revision 'HEAD~5'"):
        gitio.resolve(repo.root, "HEAD~5")
    tree = repo.git("rev-parse", "HEAD^{tree}").strip()
    with pytest.raises(GitError, match="unknown revision"):
        gitio.resolve(repo.root, tree)  # a tree is not a commit


@pytest.mark.parametrize("rev", ["--output=/tmp/pwned", "-p", "--all"])
def test_a_revision_that_looks_like_an_option_is_refused(repo: Repo, rev: str) -> None:
    repo.commit("one", {"a.py": "x = 1\n"})
    with pytest.raises(GitError, match="not a revision"):
        gitio.resolve(repo.root, rev)


def test_toplevel_is_found_from_a_subdirectory_and_refused_outside(
    repo: Repo, tmp_path: Path
) -> None:
    repo.commit("one", {"pkg/mod/a.py": "x = 1\n"})
    assert gitio.toplevel(repo.root / "pkg" / "mod") == repo.root.resolve()
    outside = tmp_path / "plain"
    outside.mkdir()
    with pytest.raises(GitError, match=r"git rev-parse failed: .*not a git repository"):
        gitio.toplevel(outside)


def test_the_diff_ignores_the_users_prefix_color_and_external_diff(repo: Repo) -> None:
    base = repo.commit("one", {"app/a.py": "x = 1\n"})
    head = repo.commit("two", {"app/a.py": "x = 2\n"})
    repo.git("config", "diff.noprefix", "true")
    repo.git("config", "color.ui", "always")
    repo.git("config", "diff.mnemonicPrefix", "true")
    repo.git("config", "diff.external", "/bin/false")
    diff = parse_diff(gitio.range_diff(repo.root, base, head))
    assert [(f.path, f.status) for f in diff.files] == [("app/a.py", "modified")]
    assert b"\x1b[" not in gitio.range_diff(repo.root, base, head)


def test_renames_are_detected(repo: Repo) -> None:
    body = "".join(f"line_{i} = {i}\n" for i in range(40))
    base = repo.commit("one", {"old/name.py": body})
    head = repo.commit("moved", {"new/name.py": body + "extra = 1\n"}, remove=("old/name.py",))
    (renamed,) = parse_diff(gitio.range_diff(repo.root, base, head)).files
    assert (renamed.path, renamed.old_path, renamed.status) == (
        "new/name.py",
        "old/name.py",
        "renamed",
    )
    assert renamed.changed_count == 1


def test_three_dots_review_only_the_branchs_own_changes(repo: Repo) -> None:
    repo.commit("base", {"shared.py": "x = 1\n"})
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("feature work", {"feature.py": "y = 1\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("main moved on", {"mainline.py": "z = 1\n"})
    base, head = gitio.resolve(repo.root, "main"), gitio.resolve(repo.root, "feature")
    fork = gitio.merge_base(repo.root, base, head)
    assert fork == gitio.resolve(repo.root, "main~1")
    own = parse_diff(gitio.range_diff(repo.root, fork, head))
    assert [(f.path, f.status) for f in own.files] == [("feature.py", "added")]
    two_dots = parse_diff(gitio.range_diff(repo.root, base, head))
    assert sorted((f.path, f.status) for f in two_dots.files) == [
        ("feature.py", "added"),
        ("mainline.py", "deleted"),  # what two dots wrongly blame on the branch
    ]


def test_an_empty_range_is_an_empty_diff(repo: Repo) -> None:
    head = repo.commit("one", {"a.py": "x = 1\n"})
    assert gitio.range_diff(repo.root, head, head) == b""


def test_a_tree_reads_the_commit_not_the_working_directory(repo: Repo) -> None:
    blob = bytes(range(256)) * 4
    first = repo.commit("one", {"a.py": "x = 1\n", "data/blob.bin": blob, "dir/b.py": "b\n"})
    repo.commit("two", {"a.py": "x = 2\n"})
    repo.write("a.py", "uncommitted\n")
    repo.write("untracked.py", "u\n")
    head = gitio.GitTree(repo.root, gitio.resolve(repo.root, "HEAD"))
    old = gitio.GitTree(repo.root, first)
    assert head.read("a.py") == b"x = 2\n" and old.read("a.py") == b"x = 1\n"
    assert head.read("data/blob.bin") == blob and head.size("data/blob.bin") == len(blob)
    assert head.read("untracked.py") is None and head.size("untracked.py") is None
    assert head.read("dir") is None and head.size("dir") is None  # a tree, not a file
    assert head.read_many(["dir/b.py", "missing.py", "a.py"]) == {
        "dir/b.py": b"b\n",
        "missing.py": None,
        "a.py": b"x = 2\n",
    }
    assert head.sizes(["a.py", "nope", "dir/b.py"]) == {"a.py": 6, "nope": None, "dir/b.py": 2}


def test_a_tree_reads_odd_names_and_skips_a_name_with_a_newline(repo: Repo) -> None:
    head = repo.commit(
        "odd", {"x:notes.txt": "colon\n", "sp ace.py": "s\n", "\u00e9t\u00e9.py": "utf8\n"}
    )
    tree = gitio.GitTree(repo.root, head)
    assert tree.read("x:notes.txt") == b"colon\n"
    assert tree.read("sp ace.py") == b"s\n"
    assert tree.read("\u00e9t\u00e9.py") == b"utf8\n"
    assert tree.read("two\nlines.py") is None  # would split the batch request in two


def test_a_tree_never_reads_a_file_outside_the_repository(repo: Repo, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("outside\n")
    head = repo.commit("one", {"a.py": "x = 1\n"})
    tree = gitio.GitTree(repo.root, head)
    assert tree.read(str(secret)) is None  # an absolute path names nothing in a commit
    with pytest.raises(GitError, match="outside repository"):
        tree.read("../secret.txt")


def test_a_git_command_that_fails_says_which_and_why(tmp_path: Path) -> None:
    with pytest.raises(GitError, match=r"^git log failed: "):
        gitio.git(tmp_path, "log")
