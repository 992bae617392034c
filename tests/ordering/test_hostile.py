"""Input a pull request controls: trees of any depth, thousands of hunks, files that do not
parse, star and circular imports, a thousand files, a module renamed with its users.
(The speed figures are `redline bench ordering`'s; here, that these finish and stay right.)"""

from __future__ import annotations

import difflib
import time

from bot.core.diff import parse_diff
from bot.core.model import Review
from bot.core.policy import Config
from bot.core.trees import MemoryTree
from bot.review.pipeline import review
from ordering import OrderInput, plan_order

DEEP = "x = " + " + ".join(f"a{i}" for i in range(800))  # 800 levels of BinOp


def item(path: str, text: str, changed: set[int] | None = None, **kw: object) -> OrderInput:
    lines = text.count("\n") + 1
    return OrderInput(path, "python", text, frozenset(changed or range(1, lines + 1)), **kw)  # type: ignore[arg-type]


def test_an_800_term_expression_is_ordered_without_recursion_error() -> None:
    lib = "def a0():\n    return 1\n"
    user = f"from app.lib import a0\n\n\ndef f():\n    {DEEP}\n    return x\n"
    deeper = "y = " + "(" * 90 + "a0" + ")" * 90 + "\nz = " + "not " * 3000 + "a0\n"
    items = [
        item("app/user.py", user, {5}, hunk_spans=((5, 5),)),
        item("app/lib.py", lib, {2}),
        item("app/deeper.py", "from app.lib import a0\n" + deeper),
    ]
    plan = plan_order(items)
    paths = [f.path for f in plan.files]
    assert paths.index("app/lib.py") < paths.index("app/user.py")


def test_thousands_of_hunks_in_one_file_are_ordered_by_their_definitions() -> None:
    # 3,000 hunks, each using the function the next hunk defines: the hunk order is the
    # reverse of the diff order. The cubic version took minutes on this.
    count = 3000
    lines = []
    for i in range(count):
        lines += [f"def f{i}():", f"    return f{i + 1}()" if i + 1 < count else "    return 0", ""]
    spans = tuple((3 * i + 1, 3 * i + 3) for i in range(count))
    text = "\n".join(lines)
    plan = plan_order([item("m.py", text, hunk_spans=spans)])
    assert plan.files[0].hunk_order == tuple(range(count - 1, -1, -1))


def test_a_file_that_does_not_parse_keeps_the_relations_of_what_parses() -> None:
    lib = "class Config:\n    pass\n\n\ndef load():\n    return Config()\n"
    broken = (
        "from app.lib import Config, load\n\n\ndef ok():\n    return load()\n\n\n"
        "def broken(:\n    return Config(\n"
    )
    items = [item("app/a_broken.py", broken, {5, 8, 9}), item("app/lib.py", lib)]
    plan = plan_order(items)
    assert [f.path for f in plan.files] == ["app/lib.py", "app/a_broken.py"]
    reason = plan.files[1].reason
    assert reason.startswith("uses `load` and `Config` from `lib.py`")
    assert "line 8 does not parse" in reason


def test_star_imports_resolve_through_all_and_public_names() -> None:
    lib = "__all__ = ['public']\n\n\ndef public():\n    return 1\n\n\ndef hidden():\n    return 2\n"
    user = "from app.lib import *\n\n\ndef f():\n    return public() + hidden()\n"
    plan = plan_order([item("app/a.py", user, {5}), item("app/lib.py", lib)])
    relation = next(e for e in plan.edges if e.kind == "defines")
    assert relation.symbols == ("public",)  # `hidden` is not in __all__: not imported


def test_circular_imports_name_the_cycle_and_the_cut() -> None:
    a = "from app.b import pong\n\n\ndef ping(n):\n    return pong(n - 1)\n"
    b = "import app.a\n\n\ndef pong(n):\n    return n\n\n\nLIMIT = 3\n"
    # b uses ping only through the module, on a line the change does not touch.
    b += "\n\ndef again():\n    return app.a.ping(LIMIT)\n"
    items = [item("app/a.py", a), item("app/b.py", b, {4, 5, 8})]
    plan = plan_order(items)
    assert plan.cycles == (("app/b.py", "app/a.py"),)
    cut = plan.cuts[0].cut
    assert [(e.src, e.dst, e.kind) for e in cut] == [("app/a.py", "app/b.py", "needs")]
    why = {f.path: f.reason for f in plan.files}
    assert why["app/b.py"].startswith(
        "depends on `a.py` and back (a cycle): read before `ping` from `a.py` because that "
        "link weighs least (its use is on lines the change did not touch)"
    )
    group = next(g for g in plan.groups if "app/a.py" in g.paths)
    assert "contains a dependency cycle (`b.py` and `a.py`)" in group.reason


def test_a_thousand_file_pr_is_ordered_definitions_first() -> None:
    items = []
    for i in range(1000):
        text = f"def f{i}(x):\n    return x + {i}\n"
        if i % 10:
            base = i - i % 10
            text = f"from pkg.m{base:04} import f{base}\n\n\ndef f{i}(x):\n    return f{base}(x)\n"
        items.append(item(f"pkg/m{i:04}.py", text))
    plan = plan_order(items)
    position = {f.path: n for n, f in enumerate(plan.files)}
    assert len(position) == 1000
    for i in range(1000):
        if i % 10:
            assert position[f"pkg/m{i - i % 10:04}.py"] < position[f"pkg/m{i:04}.py"]


def test_a_module_renamed_with_its_users_comes_before_them() -> None:
    # A pure rename (no hunk inside the module) and two users whose imports change.
    moved = "def fetch(url):\n    return url\n"
    first = "from net.client import fetch\n\n\ndef a():\n    return fetch('a')\n"
    second = "import net.client as c\n\n\ndef b():\n    return c.fetch('b')\n"
    items = [
        item("app/a.py", first, {1}),
        item("app/b.py", second, {1}),
        item("net/client.py", moved, set(), status="renamed", old_path="net/http.py"),
    ]
    plan = plan_order(items)
    assert plan.files[0].path == "net/client.py"
    assert plan.files[0].reason == "defines `fetch`, used by `a.py` and `b.py`"


def _review(before: dict[str, str], after: dict[str, str]) -> Review:
    """Through the review core (intake, structural classification, attention, order)."""
    parts = []
    for path in after:
        old = before.get(path, "").splitlines(keepends=True)
        new = after[path].splitlines(keepends=True)
        body = "".join(difflib.unified_diff(old, new, f"a/{path}", f"b/{path}", n=2))
        parts.append(f"diff --git a/{path} b/{path}\n{body}")
    return review(parse_diff("".join(parts)), MemoryTree(after), Config(), [])


def _nested(depth: int, value: int) -> str:
    ifs = "".join("    " * (i + 1) + "if c:\n" for i in range(depth))
    return f"def deep(c):\n{ifs}{'    ' * (depth + 1)}return a0() + {value}\n"


DEEP_CODE = {  # each (before, after): code as deep as Python parses
    "app/ifs.py": (_nested(97, 1), _nested(97, 2)),
    "app/lambdas.py": ("g = " + "lambda: " * 1500 + "a0\n", "g = " + "lambda: " * 1500 + "1\n"),
    "app/sum.py": (DEEP + "\n", DEEP.replace(" a", " b") + "\n"),
    "app/attrs.py": ("x = a0()" + ".b" * 3000 + "\n", "x = a0()" + ".c" * 3000 + "\n"),
    "app/unary.py": ("x = " + "-" * 3000 + "a0()\n", "x = " + "-" * 3000 + "a0() + 1\n"),
}


def test_deeply_nested_code_goes_through_the_review_without_recursion_error() -> None:
    lib = "def a0():\n    return {}\n"
    before = {"app/lib.py": lib.format(1)}
    after = {"app/lib.py": lib.format(2)}
    for path, (old, new) in DEEP_CODE.items():
        before[path] = "from app.lib import a0\n" + old
        after[path] = "from app.lib import a0\n" + new
    outcome = _review(before, after)
    paths = [f.diff.path for f in outcome.files]
    assert sorted(paths) == sorted(after)
    assert paths.index("app/lib.py") < paths.index("app/ifs.py")
    assert all(len(f.hunks) == len(f.diff.hunks) for f in outcome.files)  # each one scored


def test_an_edit_of_every_term_of_a_long_sum_costs_linear_time() -> None:
    # Every name of the sum changes (`a0` stays imported: no rename): aligning the tokens
    # with SequenceMatcher is cubic on this (800 terms took minutes); the review stays
    # linear in the size of the hunk.
    def seconds(terms: int) -> float:
        head = "from lib import a0\n\n"
        old = head + "x = " + " + ".join(f"a{i}" for i in range(terms)) + "\n"
        new = head + "x = " + " + ".join(f"b{i}" for i in range(terms)) + "\n"
        start = time.perf_counter()
        (file,) = _review({"m.py": old}, {"m.py": new}).files
        assert (file.hunks[0].attention, file.hunks[0].note) == ("read", None)
        return time.perf_counter() - start

    small, large = seconds(200), seconds(800)
    assert large < 10 * small + 0.5, (small, large)  # linear: about 4x; cubic: about 60x
