"""The first phase over in-memory trees: binary decided by content, a "binary" file that is text
diffed from the trees, kinds believed only when the base agrees, big files left to the rules
(or unscanned past their limit), and every degradation written down."""

from __future__ import annotations

import pytest

from bot.core.diff import parse_diff
from bot.core.errors import UnsafePathError
from bot.core.model import Diff, FileDiff, Skipped
from bot.core.policy import Config, parse_config
from bot.core.trees import MemoryTree
from bot.review.intake import check_paths, take_in


def modified(path: str, old: str = "a", new: str = "b") -> str:
    return (
        f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-{old}\n+{new}\n"
    )


def binary(path: str) -> str:
    return f"diff --git a/{path} b/{path}\nBinary files a/{path} and b/{path} differ\n"


def test_a_plain_file_is_read_and_reviewed() -> None:
    intake = take_in(parse_diff(modified("a.py")), MemoryTree({"a.py": "b\n"}), Config())
    assert [f.path for f in intake.reviewed.files] == ["a.py"]
    assert intake.texts == {"a.py": "b\n"}
    assert intake.skipped == {} and intake.notes == () and intake.unscanned == ()


def test_crlf_texts_are_read_with_lf() -> None:
    intake = take_in(parse_diff(modified("w.py")), MemoryTree({"w.py": "b\r\nc\r\n"}), Config())
    assert intake.texts["w.py"] == "b\nc\n"


def test_binary_by_content_whatever_the_diff_says() -> None:
    intake = take_in(parse_diff(modified("data.py")), MemoryTree({"data.py": b"b\0\1"}), Config())
    assert intake.skipped == {"data.py": "binary"}
    assert intake.reviewed.files == ()


def test_a_binary_file_that_is_binary() -> None:
    intake = take_in(
        parse_diff(binary("logo.png")), MemoryTree({"logo.png": b"\x89PNG\0"}), Config()
    )
    assert intake.skipped == {"logo.png": "binary"}


def test_a_file_the_diff_calls_binary_whose_content_is_text_is_diffed_from_the_trees() -> None:
    # `.gitattributes` can mark code `binary`; the change must not hide code that way.
    before = MemoryTree({"run.py": "import os\n"})
    post = MemoryTree({"run.py": "import os\nos.system(cmd)\n"})
    intake = take_in(parse_diff(binary("run.py")), post, Config(), before)
    assert "run.py" not in intake.skipped
    assert Skipped("run.py", "the diff calls it binary; it is text: reviewed") in intake.notes
    reviewed = intake.reviewed.files[0]
    assert reviewed.status == "modified"
    assert [(ln.kind, ln.text) for ln in reviewed.hunks[0].lines] == [
        ("ctx", "import os"),
        ("add", "os.system(cmd)"),
    ]
    assert intake.effective.files[0] == reviewed  # what the rest of the review reads
    assert intake.texts["run.py"] == "import os\nos.system(cmd)\n"


def test_a_text_file_called_binary_without_a_base_is_new() -> None:
    intake = take_in(parse_diff(binary("new.py")), MemoryTree({"new.py": "x = 1\n"}), Config())
    file = intake.reviewed.files[0]
    assert file.status == "added"
    assert [ln.kind for ln in file.hunks[0].lines] == ["add"]


def test_a_text_file_called_binary_with_no_text_change() -> None:
    tree = MemoryTree({"same.py": "x = 1\n"})
    intake = take_in(parse_diff(binary("same.py")), tree, Config(), tree)
    assert intake.skipped == {"same.py": "binary (no text change)"}


def test_vendored_only_when_the_base_agrees() -> None:
    diff = parse_diff(modified("vendor/lib.py"))
    post = MemoryTree({"vendor/lib.py": "b\n"})
    with_base = take_in(diff, post, Config(), MemoryTree({"vendor/lib.py": "a\n"}))
    assert with_base.skipped == {"vendor/lib.py": "vendored code"}
    without_base = take_in(diff, post, Config(), MemoryTree({}))
    assert without_base.skipped == {} and without_base.texts["vendor/lib.py"] == "b\n"
    no_before = take_in(diff, post, Config(), None)
    assert no_before.skipped == {}


def test_a_generated_header_only_when_the_base_had_it() -> None:
    diff = parse_diff(modified("models.py"))
    post = MemoryTree({"models.py": "# @generated\nb\n"})
    claimed = take_in(diff, post, Config(), MemoryTree({"models.py": "a\n"}))
    assert claimed.skipped == {}  # the change wrote the header itself: reviewed
    agreed = take_in(diff, post, Config(), MemoryTree({"models.py": "# @generated\na\n"}))
    assert agreed.skipped == {"models.py": "generated (header says '@generated' at the base too)"}


def test_a_new_file_under_vendor_is_reviewed() -> None:
    diff = parse_diff("--- /dev/null\n+++ b/vendor/evil.py\n@@ -0,0 +1 @@\n+b\n")
    intake = take_in(diff, MemoryTree({"vendor/evil.py": "b\n"}), Config(), MemoryTree({}))
    assert [f.path for f in intake.reviewed.files] == ["vendor/evil.py"]


def test_ignored_by_the_config_and_lockfiles() -> None:
    config = parse_config('ignore = ["docs/**"]')
    diff = parse_diff(modified("docs/a.md") + modified("poetry.lock"))
    intake = take_in(diff, MemoryTree({"docs/a.md": "b", "poetry.lock": "b"}), config)
    assert intake.skipped == {
        "docs/a.md": "ignored by config (docs/**)",
        "poetry.lock": "lockfile: generated",
    }
    assert intake.unscanned == ()  # the base's choice, not a failure to look


def test_oversized_files_are_unscanned_when_the_rules_read_their_language() -> None:
    config = parse_config("max-scan-bytes = 10")
    diff = parse_diff(modified("big.py") + modified("big.md"))
    post = MemoryTree({"big.py": "b" * 11, "big.md": "b" * 11})
    intake = take_in(diff, post, config)
    reason = "larger than 0 KiB (11 bytes): not read"
    assert intake.skipped == {"big.py": reason, "big.md": reason}
    assert intake.unscanned == (Skipped("big.py", reason),)


def test_files_too_big_for_the_models_are_read_by_the_rules_only() -> None:
    config = parse_config("max-file-bytes = 10")
    diff = parse_diff(modified("wide.py") + modified("small.py"))
    post = MemoryTree({"wide.py": "b" * 20 + "\n", "small.py": "b\n"})
    intake = take_in(diff, post, config)
    assert intake.deep_skipped == frozenset({"wide.py"})
    assert [f.path for f in intake.reviewed.files] == ["wide.py", "small.py"]
    assert "wide.py" in intake.texts
    assert Skipped("wide.py", "larger than 0 KiB: dangerous-code rules only") in intake.notes


def test_a_missing_post_image_degrades_to_the_diff() -> None:
    intake = take_in(parse_diff(modified("gone.py", new="shown")), MemoryTree({}), Config())
    assert intake.texts["gone.py"] == "shown"
    assert Skipped("gone.py", "post-image not found: context from the diff only") in intake.notes


def test_deleted_files_are_reviewed_without_text() -> None:
    diff = parse_diff(
        "diff --git a/old.py b/old.py\ndeleted file mode 100644\n--- a/old.py\n+++ /dev/null\n"
        "@@ -1 +0,0 @@\n-x\n"
    )
    intake = take_in(diff, MemoryTree({}), Config())
    assert [f.path for f in intake.reviewed.files] == ["old.py"]
    assert "old.py" not in intake.texts and intake.notes == ()


def test_undecodable_bytes_are_noted() -> None:
    diff = parse_diff(modified("latin.py").encode().replace(b"+b", b"+\xff"))
    intake = take_in(diff, MemoryTree({"latin.py": b"\xff\n"}), Config())
    assert Skipped("latin.py", "not valid UTF-8: undecodable bytes shown as U+FFFD") in intake.notes
    assert intake.texts["latin.py"] == "\ufffd\n"


def test_effective_keeps_every_file_in_diff_order() -> None:
    diff = parse_diff(modified("a.py") + binary("b.png") + modified("c.py"))
    intake = take_in(diff, MemoryTree({"a.py": "b", "b.png": b"\0", "c.py": "b"}), Config())
    assert [f.path for f in intake.effective.files] == ["a.py", "b.png", "c.py"]
    assert [f.path for f in intake.reviewed.files] == ["a.py", "c.py"]


@pytest.mark.parametrize(
    "file",
    [FileDiff("../etc/passwd", "modified"), FileDiff("a.py", "renamed", old_path="/etc/passwd")],
)
def test_paths_that_escape_the_repository_are_refused(file: FileDiff) -> None:
    with pytest.raises(UnsafePathError):
        check_paths(Diff((file,)))


def test_safe_paths_pass() -> None:
    check_paths(parse_diff(modified("src/a.py")))


def test_a_file_renamed_into_vendor_is_reviewed() -> None:
    diff = parse_diff(
        "diff --git a/src/mod.py b/vendor/mod.py\nsimilarity index 90%\nrename from src/mod.py\n"
        "rename to vendor/mod.py\n--- a/src/mod.py\n+++ b/vendor/mod.py\n@@ -1 +1 @@\n-a\n+b\n"
    )
    before = MemoryTree({"src/mod.py": "a\n", "vendor/mod.py": "old vendored copy\n"})
    intake = take_in(diff, MemoryTree({"vendor/mod.py": "b\n"}), Config(), before)
    assert intake.skipped == {}
    assert [(f.path, f.old_path) for f in intake.reviewed.files] == [
        ("vendor/mod.py", "src/mod.py")
    ]


def test_binary_diffed_from_the_old_path_of_a_rename() -> None:
    # Read before at the old path: only the lines the change adds are new.
    file = FileDiff("new.py", "binary", old_path="old.py")
    intake = take_in(
        Diff((file,)), MemoryTree({"new.py": "a\nb\n"}), Config(), MemoryTree({"old.py": "a\n"})
    )
    (reviewed,) = intake.reviewed.files
    assert [(ln.kind, ln.text) for ln in reviewed.hunks[0].lines] == [("ctx", "a"), ("add", "b")]
