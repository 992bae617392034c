"""The ordering benchmark's ground truth, computed apart from the ordering: def-use pairs from
a resolver with Python's own scoping, and mechanical labels from syntax-tree comparison."""

from __future__ import annotations

import difflib

from bot.bench.ordering_labels import mechanical_labels
from bot.bench.ordering_pairs import def_use_pairs
from bot.core.diff import parse_diff


def every_line(files: dict[str, str]) -> dict[str, set[int]]:
    return {p: set(range(1, t.count("\n") + 2)) for p, t in files.items()}


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
    touched = {"pkg/cli.py": {1, 2, 7}, "pkg/v4/cli.py": {4}}
    pairs = def_use_pairs(files, touched, set())
    # v4 uses the new class; cli.py's `in_obj` is its own parameter, not v4's local.
    assert pairs.changed == {("pkg/cli.py", "pkg/v4/cli.py")}


def test_a_parameter_shadowing_an_imported_name_is_no_use() -> None:
    files = {
        "app/lib.py": "def error(x):\n    return x\n",
        "app/user.py": "from app.lib import error\n\n\ndef f(error):\n    return error\n",
    }
    pairs = def_use_pairs(files, {"app/lib.py": {2}, "app/user.py": {5}}, set())
    assert pairs.changed == frozenset()
    assert pairs.anywhere == {("app/lib.py", "app/user.py")}  # the import itself uses it


def test_uses_through_reexports_aliases_and_stars() -> None:
    files = {
        "pkg/__init__.py": "from .core import Box\n",
        "pkg/core.py": "class Box:\n    pass\n\n\ndef make():\n    return Box()\n",
        "pkg/star.py": "from pkg.core import *\n\n\ndef g():\n    return make()\n",
        "app/a.py": "import pkg as p\n\n\ndef f():\n    return p.Box()\n",
    }
    pairs = def_use_pairs(files, every_line(files), set())
    assert ("pkg/core.py", "app/a.py") in pairs.changed
    assert ("pkg/core.py", "pkg/star.py") in pairs.changed
    assert ("pkg/__init__.py", "Box") in pairs.resolved["app/a.py"]


def labels(before: dict[str, str], after: dict[str, str]) -> list[tuple[str | None, bool]]:
    parts = []
    for path in before:
        body = "".join(
            difflib.unified_diff(
                before[path].splitlines(True),
                after[path].splitlines(True),
                f"a/{path}",
                f"b/{path}",
                n=1,
            )
        )
        parts.append(f"diff --git a/{path} b/{path}\n{body}")
    diff = parse_diff("".join(parts))
    found = mechanical_labels(after, diff.files)
    return [(found[(f.path, h.index)].kind, found[(f.path, h.index)].control)
            for f in diff.files for h in f.hunks]  # fmt: skip


def test_mechanical_labels_from_tree_comparison() -> None:
    filler = "\n".join(f"k{i} = {i}" for i in range(6))
    before = {
        "m.py": f"import b\nimport a\n{filler}\nx = f(1,\n      2)\n{filler}\n"
        f"if ready:\n    go()\n{filler}\n__version__ = '1.0.0'\n",
    }
    after = {
        "m.py": f"import a\nimport b\n{filler}\nx = f(1, 2)\n{filler}\n"
        f"if not ready:\n    go()\n{filler}\n__version__ = '1.0.1'\n",
    }
    assert labels(before, after) == [
        ("imports", False),
        ("formatting", False),
        (None, True),
        ("version", False),
    ]
