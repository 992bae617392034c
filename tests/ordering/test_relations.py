"""Relations from resolved names: each pattern behind the misses on real commits, and the
bare-name matches that must not make a relation or a reason."""

from __future__ import annotations

from ordering import OrderInput, plan_order


def item(path: str, text: str, changed: set[int] | None = None, **kw: object) -> OrderInput:
    lines = text.count("\n") + 1
    return OrderInput(path, "python", text, frozenset(changed or range(1, lines + 1)), **kw)  # type: ignore[arg-type]


def order(items: list[OrderInput]) -> list[str]:
    return [f.path for f in plan_order(items).files]


def reasons(items: list[OrderInput]) -> dict[str, str]:
    return {f.path: f.reason for f in plan_order(items).files}


def relations(items: list[OrderInput]) -> set[tuple[str, str, str]]:
    return {
        (e.src, e.dst, e.kind)
        for e in plan_order(items).edges
        if e.kind in ("defines", "needs", "reexports", "subclass", "tests")
    }


def test_new_exception_in_exceptions_module_comes_before_the_modules_raising_it() -> None:
    # The exception module's hunk is mechanical-looking (a two-line class), and it used to
    # be sent to the "mechanical" group at the end: it defines what the others raise.
    exceptions = "class Error(Exception):\n    pass\n\n\nclass ReadTimeout(Error):\n    pass\n"
    reader = "from pkg.exceptions import ReadTimeout\n\n\ndef read():\n    raise ReadTimeout()\n"
    writer = "from .exceptions import ReadTimeout\n\n\ndef write():\n    raise ReadTimeout('w')\n"
    items = [
        item("pkg/reader.py", reader, {1, 5}),
        item("pkg/writer.py", writer, {1, 5}),
        item("pkg/exceptions.py", exceptions, {5, 6}, mechanical=True),
    ]
    assert order(items)[0] == "pkg/exceptions.py"
    why = reasons(items)
    assert why["pkg/exceptions.py"].startswith(
        "defines `ReadTimeout`, used by `reader.py` and `writer.py`"
    )
    assert why["pkg/writer.py"] == "uses `ReadTimeout` from `exceptions.py`"


def test_changed_class_before_modules_using_it_on_unchanged_lines() -> None:
    # The class changes inside a method; its users change elsewhere, and use it on lines the
    # change does not touch: the class's module is still read first.
    model = "class Box:\n    def size(self):\n        return 2\n"
    users = {
        f"app/z{i}.py": (
            "import logging\nfrom app.model import Box\n\n\n"
            f"def f{i}():\n    return Box().size()\n\n\nLEVEL = {i}\n"
        )
        for i in range(3)
    }
    items = [item(path, text, {9}) for path, text in users.items()]
    items.append(item("app/model.py", model, {3}))
    assert order(items)[0] == "app/model.py"
    assert ("app/model.py", "app/z1.py", "needs") in relations(items)
    assert reasons(items)["app/model.py"].startswith("defines `Box`, used by")


def test_test_helper_package_comes_before_the_tests_that_use_it() -> None:
    helper = "def make_client(timeout=1):\n    return object()\n"
    first = "from tests.utils import make_client\n\n\ndef test_a():\n    assert make_client()\n"
    second = "from .utils import make_client\n\n\ndef test_b():\n    assert make_client(2)\n"
    third = "from utils import make_client\n\n\ndef test_c():\n    assert make_client(3)\n"
    items = [
        item("tests/test_a.py", first, {5}),
        item("tests/test_b.py", second, {5}),
        item("tests/test_c.py", third, {5}),
        item("tests/utils/__init__.py", helper, {1}),
    ]
    paths = order(items)
    assert paths[0] == "tests/utils/__init__.py"
    assert reasons(items)["tests/utils/__init__.py"] == (
        "test helper: defines `make_client`, used by `test_a.py`, `test_b.py` and `test_c.py`"
    )


def test_package_reexport_links_the_definition_through_init() -> None:
    init = "from .models import Box\n\n__all__ = ['Box']\n"
    models = "class Box:\n    def size(self):\n        return 1\n"
    user = "from pkg import Box\n\n\ndef f():\n    return Box().size()\n"
    items = [
        item("pkg/__init__.py", init, {1}),
        item("pkg/models.py", models, {3}),
        item("app/user.py", user, {5}),
    ]
    assert order(items) == ["pkg/models.py", "pkg/__init__.py", "app/user.py"]
    why = reasons(items)
    assert why["pkg/__init__.py"] == "re-exports `Box` to `user.py`"
    assert why["app/user.py"] == "uses `Box` from `__init__.py`"


def test_unchanged_init_as_support_file_still_resolves_the_reexport() -> None:
    init = "from .models import *\n"
    models = "__all__ = ['Box']\n\n\nclass Box:\n    def size(self):\n        return 1\n"
    user = "from pkg import Box\n\n\ndef f():\n    return Box().size()\n"
    items = [item("pkg/models.py", models, {6}), item("app/user.py", user, {5})]
    assert relations(items) == set()  # pkg/__init__.py unknown: nothing resolves
    plan = plan_order(items, {"pkg/__init__.py": init})
    assert [f.path for f in plan.files] == ["pkg/models.py", "app/user.py"]
    assert plan.files[1].reason == "uses `Box` from `models.py`"


def test_base_class_in_another_file_is_read_first_even_unchanged() -> None:
    base = (
        "class Storage:\n    def save(self, key):\n        raise NotImplementedError\n\n\nX = 1\n"
    )
    child = (
        "from app import storage\n\n\nclass DiskStorage(storage.Storage):\n"
        "    def save(self, key):\n        return key\n"
    )
    items = [item("app/disk.py", child, {6}), item("app/storage.py", base, {6})]
    assert order(items) == ["app/storage.py", "app/disk.py"]
    assert reasons(items)["app/disk.py"] == "subclasses `Storage` from `storage.py`"


def test_aliased_module_import_resolves_attribute_uses() -> None:
    lib = "def compute(x):\n    return x * 2\n"
    user = "import app.numeric.lib as L\n\n\ndef f():\n    return L.compute(3)\n"
    items = [item("app/z_user.py", user, {5}), item("app/numeric/lib.py", lib, {2})]
    assert order(items) == ["app/numeric/lib.py", "app/z_user.py"]
    assert reasons(items)["app/z_user.py"] == "uses `compute` from `lib.py`"


def test_decorator_from_another_module() -> None:
    hooks = "def register(fn):\n    return fn\n"
    user = "from app.hooks import register\n\n\n@register\ndef handler():\n    return 1\n"
    items = [item("app/a_user.py", user, {6}), item("app/hooks.py", hooks, {2})]
    assert order(items) == ["app/hooks.py", "app/a_user.py"]


def test_bare_name_match_without_import_makes_no_relation() -> None:
    # iostream's `error` is its own parameter; it does not import httpclient.
    client = "def error(message):\n    return message\n"
    stream = "def close(error=None):\n    return error\n"
    items = [item("tornado/httpclient.py", client), item("tornado/iostream.py", stream)]
    assert relations(items) == set()
    assert "uses" not in reasons(items)["tornado/iostream.py"]


def test_a_local_variable_shadows_an_imported_name() -> None:
    lib = "def headers():\n    return {}\n"
    user = "from app.lib import headers\n\n\ndef f(headers):\n    return headers['a']\n"
    items = [item("app/a_user.py", user, {5}), item("app/lib.py", lib, {2})]
    assert not any(kind == "defines" for _, _, kind in relations(items))


def test_annotation_only_commit_gets_no_invented_group_label() -> None:
    # Twenty files each gain an annotation mentioning `headers`; none defines it for another.
    items = [
        item(f"pkg/m{i:02}.py", f"def f{i}(headers: dict) -> None:\n    return None\n", {1})
        for i in range(20)
    ]
    plan = plan_order(items)
    assert all("headers" not in g.label for g in plan.groups)
    assert all("`headers`" not in f.reason for f in plan.files)


def test_every_stated_relation_resolves_through_an_import() -> None:
    """A sample of relations of every kind, each checked by the benchmark's resolver (full
    parses, Python's own scoping): the name must resolve in the user to the definer."""
    from bot.bench.ordering_pairs import def_use_pairs

    files = {
        "pkg/__init__.py": "from .core import Engine\nfrom .extra import *\n",
        "pkg/core.py": "class Engine:\n    def run(self):\n        return 1\n",
        "pkg/extra.py": "__all__ = ['gear']\n\n\ndef gear():\n    return 3\n",
        "pkg/util.py": "def helper():\n    return 2\n\n\ndef error():\n    return 0\n",
        "app/a.py": "from pkg import Engine, gear\nimport pkg.util as u\n\n\ndef a():\n"
        "    return Engine().run() + u.helper() + gear()\n",
        "app/b.py": "from pkg.core import Engine as E\n\n\nclass Fast(E):\n    pass\n",
        "app/c.py": "def error():\n    return 'mine'\n\n\ndef c(helper):\n    return helper\n",
        "tests/test_a.py": "from app.a import a\n\n\ndef test_a():\n    assert a()\n",
    }
    items = [item(p, t) for p, t in files.items()]
    stated = [e for e in plan_order(items).edges if e.symbols and e.kind != "path"]
    assert len(stated) >= 6
    every = {p: set(range(1, t.count("\n") + 2)) for p, t in files.items()}
    resolved = def_use_pairs(files, every, set()).resolved
    for edge in stated:
        found = resolved.get(edge.dst, frozenset())
        assert any((edge.src, s.split(".")[0]) in found for s in edge.symbols), edge
    assert not any(e.dst == "app/c.py" for e in stated)  # its names are its own


def test_a_review_reads_unchanged_package_inits_to_resolve_reexports() -> None:
    """Through the pipeline: `pkg/__init__.py` is not in the diff, but the review reads it
    from the post-image tree to see that `from pkg import Box` means pkg/models.py."""
    from bot.core.diff import parse_diff
    from bot.core.policy import Config
    from bot.core.trees import MemoryTree
    from bot.review.pipeline import review

    patch = (
        "diff --git a/app/user.py b/app/user.py\n--- a/app/user.py\n+++ b/app/user.py\n"
        "@@ -1,2 +1,2 @@\n from pkg import Box\n-value = Box(1)\n+value = Box(2)\n"
        "diff --git a/pkg/models.py b/pkg/models.py\n--- a/pkg/models.py\n+++ b/pkg/models.py\n"
        "@@ -1,2 +1,2 @@\n class Box:\n-    size = 1\n+    size = 2\n"
    )
    tree = MemoryTree(
        {
            "app/user.py": "from pkg import Box\nvalue = Box(2)\n",
            "pkg/models.py": "class Box:\n    size = 2\n",
            "pkg/__init__.py": "from .models import Box\n",
        }
    )
    outcome = review(parse_diff(patch), tree, Config(), [])
    assert [f.diff.path for f in outcome.files] == ["pkg/models.py", "app/user.py"]
    assert outcome.files[1].reason == "uses `Box` from `models.py`"


def test_risk_and_groups_never_pull_a_use_ahead_of_its_definition() -> None:
    # A chain util -> service -> api across two packages, the users far riskier than the
    # definitions, and a risky unrelated file: preferences order only what relations leave free.
    util = "def clean(value):\n    return value.strip()\n"
    service = "from core.util import clean\n\n\ndef handle(x):\n    return clean(x)\n"
    api = "from web.service import handle\n\n\ndef route(x):\n    return handle(x)\n"
    items = [
        item("web/api.py", api, {5}, risk=0.95),
        item("web/service.py", service, {5}, risk=0.9),
        item("core/util.py", util, {2}, risk=0.05),
        item("other/job.py", "LIMIT = 3\n", risk=0.8),
    ]
    plan = plan_order(items)
    paths = [f.path for f in plan.files]
    assert paths.index("core/util.py") < paths.index("web/service.py") < paths.index("web/api.py")
    chain = {"core/util.py", "web/service.py", "web/api.py"}
    assert any(chain <= set(g.paths) for g in plan.groups)  # one group, not split
