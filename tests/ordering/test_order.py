"""The reading order: each relation kind, cycles, tests after code, generated last,
determinism, hunk order, and the reasons a person reads."""

from __future__ import annotations

import json
import random

from ordering import OrderInput, plan_order
from tests.conftest import Repo, Run


def item(path: str, text: str, changed: set[int] | None = None, **kw: object) -> OrderInput:
    lines = text.count("\n") + 1
    language = {
        "py": "python",
        "ts": "typescript",
        "js": "javascript",
        "go": "go",
        "java": "java",
    }.get(path.rsplit(".", 1)[-1], "other")
    return OrderInput(path, language, text, frozenset(changed or range(1, lines + 1)), **kw)  # type: ignore[arg-type]


def order(items: list[OrderInput]) -> list[str]:
    return [f.path for f in plan_order(items).files]


def reasons(items: list[OrderInput]) -> dict[str, str]:
    return {f.path: f.reason for f in plan_order(items).files}


CONFIG = "import os\n\n\ndef load_config(path):\n    return {'path': path}\n"
CLI = "from app.config import load_config\n\n\ndef main():\n    return load_config('a')\n"
SERVER = "from app.config import load_config\n\n\ndef serve():\n    return load_config('b')\n"


def test_definition_before_its_uses_with_reason() -> None:
    items = [item("app/server.py", SERVER), item("app/cli.py", CLI), item("app/config.py", CONFIG)]
    assert order(items)[0] == "app/config.py"
    why = reasons(items)
    assert why["app/config.py"] == "defines `load_config`, used by `cli.py` and `server.py`"
    assert why["app/cli.py"] == "uses `load_config` from `config.py`"


def test_calls_between_changed_functions_without_import_of_the_name() -> None:
    helpers = "def normalise_email(value):\n    return value.strip().lower()\n"
    user = "import app.helpers\n\n\ndef signup(raw):\n    return app.helpers.normalise_email(raw)\n"
    items = [item("app/signup.py", user), item("app/helpers.py", helpers)]
    assert order(items) == ["app/helpers.py", "app/signup.py"]


def test_unchanged_definition_in_changed_file_does_not_link() -> None:
    """Only definitions the change touches count: an untouched def is no reason to go first."""
    base = "def load(x):\n    return x\n\n\ndef other():\n    return 2\n"
    user = "from app.zz_base import load\n\n\ndef run():\n    return load(1)\n"
    items = [item("app/zz_base.py", base, {5, 6}), item("app/aa_user.py", user, {4, 5})]
    plan = plan_order(items)
    assert {e.kind for e in plan.edges} == {"imports"}


def test_class_hierarchy_base_before_override() -> None:
    base = "class Storage:\n    def save(self, key):\n        raise NotImplementedError\n"
    child = (
        "from app.storage import Storage\n\n\nclass DiskStorage(Storage):\n"
        "    def save(self, key):\n        return key\n"
    )
    items = [item("app/disk.py", child), item("app/storage.py", base)]
    assert order(items) == ["app/storage.py", "app/disk.py"]
    assert "base class `Storage`" in reasons(items)["app/storage.py"]


def test_plain_import_groups_and_orders_when_nothing_else_does() -> None:
    low = "VALUE = 1\n"
    high = "import app.z_low\n\n\nX = 2\n"
    items = [
        item("app/a_high.py", high, {4}),
        item("app/z_low.py", low, {1}),
        item("other/b.py", "Y = 3\n"),
    ]
    plan = plan_order(items)
    paths = [f.path for f in plan.files]
    assert paths.index("app/z_low.py") < paths.index("app/a_high.py")
    assert len(plan.groups) == 2


def test_tests_come_right_after_their_code() -> None:
    test_cli = "from app.cli import main\n\n\ndef test_main():\n    assert main()\n"
    test_config = "def test_loads():\n    assert True\n"  # linked by its name only
    items = [
        item("tests/test_cli.py", test_cli),
        item("tests/test_config.py", test_config),
        item("app/config.py", CONFIG),
        item("app/cli.py", CLI),
    ]
    assert order(items) == [
        "app/config.py",
        "tests/test_config.py",
        "app/cli.py",
        "tests/test_cli.py",
    ]
    why = reasons(items)
    assert why["tests/test_cli.py"] == "tests for `cli.py`"


def test_test_helpers_come_before_the_tests_that_use_them() -> None:
    helper = "def make_client():\n    return object()\n"
    test = (
        "from app.cli import main\nfrom tests.helpers import make_client\n\n\n"
        "def test_main():\n    assert main(make_client())\n"
    )
    items = [
        item("tests/test_cli.py", test),
        item("tests/helpers.py", helper),
        item("app/cli.py", CLI),
        item("app/config.py", CONFIG),
    ]
    paths = order(items)
    assert paths.index("tests/helpers.py") < paths.index("tests/test_cli.py")
    assert paths.index("app/cli.py") < paths.index("tests/test_cli.py")


def test_config_schema_and_migrations_before_the_code_that_reads_them() -> None:
    settings = "[server]\nport = 8080\n"
    reader = "import tomllib\n\n\ndef port():\n    return tomllib.load(open('settings.toml'))\n"
    schema = "CREATE TABLE accounts (id integer primary key, email text);\n"
    model = "def find(db, email):\n    return db.execute('SELECT id FROM accounts WHERE email=?')\n"
    migration = "def upgrade():\n    op.create_table('invoices')\n"
    billing = "def total(db):\n    return db.execute('SELECT sum(x) FROM invoices')\n"
    items = [
        item("app/reader.py", reader),
        item("settings.toml", settings),
        item("app/model.py", model),
        item("db/schema.sql", schema),
        item("app/billing.py", billing),
        item("alembic/versions/001_invoices.py", migration),
    ]
    paths = order(items)
    assert paths.index("settings.toml") < paths.index("app/reader.py")
    assert paths.index("db/schema.sql") < paths.index("app/model.py")
    assert paths.index("alembic/versions/001_invoices.py") < paths.index("app/billing.py")
    assert reasons(items)["db/schema.sql"] == "schema read by `model.py`"


def test_javascript_typescript_go_java_imports() -> None:
    ts_lib = "export function price(n: number) {\n  return n * 2;\n}\n"
    ts_use = "import { price } from './price';\nconst p = price(2);\n"
    go_lib = "package money\n\nfunc Round(x float64) float64 {\n\treturn x\n}\n"
    go_use = (
        'package main\n\nimport "example.com/shop/money"\n\nfunc main() {\n\tmoney.Round(1)\n}\n'
    )
    java_lib = "package com.shop;\n\npublic class Cart {\n  public int total() { return 1; }\n}\n"
    java_use = (
        "package com.shop.web;\n\nimport com.shop.Cart;\n\npublic class Page {\n"
        "  int show(Cart c) { return c.total(); }\n}\n"
    )
    items = [
        item("web/checkout.ts", ts_use),
        item("web/price.ts", ts_lib),
        item("cmd/main.go", go_use),
        item("money/round.go", go_lib),
        item("src/com/shop/web/Page.java", java_use),
        item("src/com/shop/Cart.java", java_lib),
    ]
    paths = order(items)
    assert paths.index("web/price.ts") < paths.index("web/checkout.ts")
    assert paths.index("money/round.go") < paths.index("cmd/main.go")
    assert paths.index("src/com/shop/Cart.java") < paths.index("src/com/shop/web/Page.java")


def test_path_heuristics_header_before_source() -> None:
    items = [
        item("src/buf.c", "int f(void) { return 1; }\n"),
        item("src/buf.h", "int f(void);\n"),
        item("zz/other.c", "int g;\n"),
    ]
    paths = order(items)
    assert paths.index("src/buf.h") < paths.index("src/buf.c")


def test_cycles_are_kept_together_and_said() -> None:
    a = "from app.b import pong\n\n\ndef ping(n):\n    return pong(n - 1)\n"
    b = "from app.a import ping\n\n\ndef pong(n):\n    return ping(n - 1) if n else 0\n"
    c = "def unrelated():\n    return 1\n"
    items = [item("app/a.py", a), item("app/c.py", c), item("app/b.py", b)]
    plan = plan_order(items)
    paths = [f.path for f in plan.files]
    assert abs(paths.index("app/a.py") - paths.index("app/b.py")) == 1
    assert plan.cycles == (("app/a.py", "app/b.py"),)
    assert "a cycle" in reasons(items)["app/a.py"]
    group = next(g for g in plan.groups if "app/a.py" in g.paths)
    assert "cycle" in group.reason


def test_generated_and_mechanical_changes_come_last_grouped() -> None:
    items = [
        item("poetry.lock", "x\n", generated="lockfile: generated"),
        item("app/renamed.py", "X = 1\n", mechanical=True),
        item("app/config.py", CONFIG),
        item("README.md", "# docs\n"),
    ]
    plan = plan_order(items)
    paths = [f.path for f in plan.files]
    assert paths[0] == "app/config.py"
    assert paths[-2:] == ["app/renamed.py", "poetry.lock"]
    last = plan.groups[-1]
    assert last.label == "Mechanical and generated changes"
    assert plan.files[-1].reason == "lockfile: generated"


def test_riskier_independent_change_first() -> None:
    items = [
        item("a.py", "A = 1\n", risk=0.1),
        item("b.py", "B = 1\n", risk=0.9),
        item("c.py", "C = 1\n", risk=0.5),
    ]
    assert order(items) == ["b.py", "c.py", "a.py"]
    assert "risky" in reasons(items)["b.py"]


def test_deterministic_whatever_the_input_order() -> None:
    items = [
        item("app/server.py", SERVER),
        item("app/cli.py", CLI),
        item("app/config.py", CONFIG),
        item("tests/test_cli.py", "from app.cli import main\n"),
        item("docs/x.md", "x\n"),
        item("b.lock", "x\n", generated="lockfile: generated"),
    ]
    expected = plan_order(items)
    rng = random.Random(3)
    for _ in range(10):
        shuffled = items[:]
        rng.shuffle(shuffled)
        assert plan_order(shuffled) == expected


def test_hunk_order_within_a_file() -> None:
    text = "def use():\n    return helper() + 1\n\n\n\n\n\n\n\n\ndef helper():\n    return 41\n"
    plan = plan_order(
        [OrderInput("m.py", "python", text, frozenset({2, 11, 12}), hunk_spans=((1, 3), (10, 12)))]
    )
    assert plan.files[0].hunk_order == (1, 0)


def test_order_subcommand(repo: Repo, run_cli: Run) -> None:
    repo.commit("base", {"app/__init__.py": ""})
    repo.commit(
        "head",
        {
            "app/config.py": CONFIG,
            "app/cli.py": CLI,
            "tests/test_cli.py": "from app.cli import main\n",
        },
    )
    code, out, _ = run_cli(
        "order", "--range", "HEAD~1..HEAD", "--repo", str(repo.root), "--format", "json"
    )
    assert code == 0
    payload = json.loads(out)
    assert [f["path"] for f in payload["files"]] == [
        "app/config.py",
        "app/cli.py",
        "tests/test_cli.py",
    ]
    code, out, _ = run_cli("order", "--range", "HEAD~1..HEAD", "--repo", str(repo.root))
    assert out.startswith("Suggested reading order") and "1. app/config.py" in out
