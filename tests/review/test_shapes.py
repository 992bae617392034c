"""The syntax-tree comparisons under the mechanical classifier (bot/review/shapes.py): the
pre-image rebuilt from the post-image, the statements around a hunk, and what comparing them
before and after the hunk alone decides."""

from __future__ import annotations

import ast
import difflib
import time

from bot.core.diff import parse_diff
from bot.core.model import FileDiff
from bot.review.shapes import (
    Compared,
    compare_trees,
    pre_image,
    python_file,
    region,
    shape,
    walk,
)


def file_diff(before: str, after: str, path: str = "m.py") -> FileDiff:
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    body = "".join(difflib.unified_diff(old, new, f"a/{path}", f"b/{path}", n=1))
    return parse_diff(f"diff --git a/{path} b/{path}\n{body}").files[0]


def compared(before: str, after: str) -> list[Compared | None]:
    """Each hunk of the change, compared through the post-image as the classifier does."""
    file = file_diff(before, after)
    parsed = python_file(file, after)
    assert parsed is not None
    return [parsed.compare(hunk) for hunk in file.hunks]


def test_the_pre_image_is_rebuilt_from_the_post_image_and_the_hunks() -> None:
    before = "".join(f"line{i} = {i}\n" for i in range(30))
    after = before.replace("line3 = 3", "line3 = 33").replace("line20 = 20\n", "")
    file = file_diff(before, after)
    assert len(file.hunks) == 2
    assert pre_image(after, file) == before.split("\n")


def test_a_post_image_that_does_not_match_the_diff_gives_no_pre_image() -> None:
    before = "a = 1\nb = 2\nc = 3\n"
    file = file_diff(before, before.replace("b = 2", "b = 3"))
    assert pre_image("a = 1\nb = 3\nX = 9\n", file) is None  # a context line differs
    assert python_file(file, "a = 1\nb = 3\nX = 9\n") is None


def test_python_file_is_only_for_python_that_parses() -> None:
    before = "def f(:\n    return 1\n"  # the pre-image does not parse
    file = file_diff(before, before.replace("return 1", "return 2"))
    assert python_file(file, before.replace("return 1", "return 2")) is None
    text = "x = 1\n"
    other = file_diff(text, "x = 2\n", path="m.js")
    assert other.language != "python" and python_file(other, "x = 2\n") is None
    assert python_file(file_diff(text, "x = 2\n"), None) is None


def test_the_region_is_the_innermost_run_of_whole_statements() -> None:
    code = (
        "def f(x):\n"  # 1
        "    if x:\n"  # 2
        "        a = 1\n"  # 3
        "        b = 2\n"  # 4
        "    return x\n"  # 5
        "\n"
        "Y = 1\n"  # 7
    )
    tree = ast.parse(code)
    assert region(tree, 3, 3) == (3, 3)  # inside the `if` block: just the statement
    assert region(tree, 3, 4) == (3, 4)
    assert region(tree, 4, 5) == (2, 5)  # leaves the `if`: the statements of the body
    assert region(tree, 3, 3, deep=False) == (1, 5)  # top level only: the whole function
    assert region(tree, 6, 6) == (6, 6)  # a blank line between statements: itself
    # Found by binary search among thousands of statements; a decorator belongs to its def.
    many = "".join(f"@wrap\ndef f{i}():\n    return {i}\n" for i in range(3000))
    assert region(ast.parse(many), 4501, 4501) == (4501, 4503)  # f1500's decorator
    assert region(ast.parse(many), 4503, 4504) == (4501, 4506)  # across f1500 and f1501


def test_shape_ignores_positions_and_blanks_names_or_values_on_the_side() -> None:
    one, _ = shape(ast.parse("x = f(a,\n      b)"))
    two, _ = shape(ast.parse("x = f(a, b)"))
    assert one == two
    blanked, names = shape(ast.parse("x = f(a)"), blank_names=True)
    renamed, new_names = shape(ast.parse("y = g(a)"), blank_names=True)
    assert blanked == renamed and (names, new_names) == (["x", "f", "a"], ["y", "g", "a"])
    _, values = shape(ast.parse("v = '1.2.3'"), blank_values=True)
    assert values == ["1.2.3"]


def tree(code: str) -> ast.Module:
    return ast.parse(code)


def _compare(before: str, after: str) -> Compared:
    file = file_diff(before, after)
    return compare_trees(tree(before), tree(after), file.hunks[0])


def test_compare_trees_decides_each_mechanical_kind() -> None:
    assert _compare("x = f(a,\n      b)\n", "x = f(a, b)  # joined\n").kind == "formatting"
    assert _compare("import b\nimport a\n", "import a\nimport b\n").kind == "imports"
    assert _compare("x = old(1)\n", "x = new(1)\n").kind == "rename"
    assert _compare("__version__ = '1.2.3'\n", "__version__ = '1.2.4'\n").kind == "version"
    changed = _compare("x = f(1)\n", "x = f(2)\n")
    assert (changed.kind, changed.control) == (None, False)


def test_a_changed_condition_or_control_statement_is_control() -> None:
    condition = _compare("if x is not None:\n    go()\n", "if x:\n    go()\n")
    assert (condition.kind, condition.control) == (None, True)
    guard = _compare("go()\n", "if ready:\n    go()\n")
    assert guard.control
    returned = _compare("def f():\n    go()\n", "def f():\n    return go()\n")
    assert returned.control
    # A rename inside a condition is still a rename, but says it touches a condition.
    renamed = _compare("if limit > 3:\n    go()\n", "if cap > 3:\n    go()\n")
    assert (renamed.kind, renamed.control) == ("rename", True)


def test_what_is_not_a_mechanical_edit() -> None:
    # Two names merged into one: no consistent renaming, the code reads differently.
    assert _compare("x = a + b\n", "x = a + a\n").kind is None
    # Importing from another module is not a re-sort, nor a rename.
    assert _compare("from a import x\nimport b\n", "from c import x\nimport b\n").kind is None
    # A number changed outside a version line is code.
    assert _compare("LIMIT = 3\n", "LIMIT = 4\n").kind is None
    assert _compare("retries = '1.2'\n", "retries = '1.3'\n").kind is None


def test_a_hunk_is_compared_within_the_statements_around_it() -> None:
    body = "".join(f"def f{i}(x):\n    y = x + {i}\n    return y\n\n\n" for i in range(6))
    reformatted = body.replace("y = x + 2", "y = (x\n         + 2)")
    (only,) = compared(body, reformatted)
    assert only is not None and only.kind == "formatting"
    # Moving `save()` out of its block: same tokens, different code.
    guarded = "def f(ok):\n    if ok:\n        log()\n        save()\n    return 1\n"
    (moved,) = compared(guarded, guarded.replace("        save()", "    save()"))
    assert moved is not None and moved.kind is None
    # When the new side does not parse around the hunk, there is no tree to compare.
    single = "def f(ok):\n    if ok:\n        save()\n    return 1\n"
    assert compared(single, single.replace("        save()", "    save()")) == [None]


def test_walk_visits_every_node_of_a_deep_tree_without_recursion() -> None:
    code = "x = " + " + ".join(f"a{i}" for i in range(800)) + "\n"
    nodes = list(walk(ast.parse(code)))
    assert sum(isinstance(n, ast.Name) for n in nodes) == 801
    assert sum(isinstance(n, ast.BinOp) for n in nodes) == 799


def test_a_long_chain_of_conditions_is_compared_in_linear_time() -> None:
    # A chain of ternaries nests its conditions: one walk each would be quadratic.
    def chain(n: int, last: str) -> str:
        return "x = " + " if c else ".join(["a"] * n) + f" if c else {last}\n"

    timings = []
    for size in (150, 300):
        start = time.perf_counter()
        result = _compare(chain(size, "0"), chain(size, "1"))
        timings.append(time.perf_counter() - start)
        assert (result.kind, result.control) == (None, True)
    # Twice the size costs about twice the time (generous: the machine is shared).
    assert timings[1] < 8 * timings[0] + 0.05
