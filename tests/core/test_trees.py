"""Trees without I/O: files held in memory (text stored as UTF-8 bytes) and the empty tree;
both are `Tree`s the review reads through."""

from __future__ import annotations

from bot.core.ports import Tree
from bot.core.trees import EmptyTree, MemoryTree


def test_memory_tree_reads_bytes_and_text_as_bytes() -> None:
    tree = MemoryTree({"a.py": "ü = 1\n", "blob.bin": b"\0\1\2"})
    assert tree.read("a.py") == "ü = 1\n".encode()
    assert tree.size("a.py") == len("ü = 1\n".encode())  # bytes, not characters
    assert tree.read("blob.bin") == b"\0\1\2" and tree.size("blob.bin") == 3


def test_missing_files_are_none_and_empty_files_are_not() -> None:
    tree = MemoryTree({"empty.txt": ""})
    assert tree.read("empty.txt") == b"" and tree.size("empty.txt") == 0
    assert tree.read("nope.py") is None and tree.size("nope.py") is None


def test_memory_tree_copies_its_input() -> None:
    files: dict[str, bytes | str] = {"a.py": "x"}
    tree = MemoryTree(files)
    files["a.py"] = "changed"
    files["b.py"] = "new"
    assert tree.read("a.py") == b"x" and tree.read("b.py") is None


def test_empty_tree_has_nothing() -> None:
    tree = EmptyTree()
    assert tree.read("a.py") is None and tree.size("a.py") is None


def test_both_are_trees() -> None:
    trees: list[Tree] = [MemoryTree({}), EmptyTree()]
    assert [t.read("x") for t in trees] == [None, None]
