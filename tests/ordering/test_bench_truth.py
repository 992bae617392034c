"""The ordering benchmark's ground truth: which file's new definitions another file uses."""

from __future__ import annotations

from bot.bench.ordering import true_edges


def test_a_local_variable_is_not_a_definition_other_files_use() -> None:
    files = {
        "pkg/cli.py": (
            "class CustomAction:\n"
            "    required = ()\n"
            "\n"
            "def register(in_obj):\n"
            "    import pkg.v4.cli\n"
            "\n"
            "    return CustomAction(in_obj=in_obj)\n"
        ),
        "pkg/v4/cli.py": (
            "from pkg import cli\n"
            "\n"
            "def run(name):\n"
            "    in_obj = cli.CustomAction.required\n"
            "    return in_obj\n"
        ),
    }
    added = {"pkg/cli.py": {1, 2, 7}, "pkg/v4/cli.py": {4}}
    # v4 uses the new class; cli.py's `in_obj` is its own parameter, not v4's local.
    assert true_edges(files, added) == {("pkg/cli.py", "pkg/v4/cli.py")}


def test_module_and_class_level_definitions_count() -> None:
    files = {
        "pkg/a.py": "LIMIT: int = 3\n\nclass Box:\n    def size(self):\n        return LIMIT\n",
        "pkg/b.py": "from pkg.a import LIMIT, Box\n\nvalue = Box().size() + LIMIT\n",
    }
    added = {"pkg/a.py": {1, 4}, "pkg/b.py": {3}}
    assert true_edges(files, added) == {("pkg/a.py", "pkg/b.py")}
