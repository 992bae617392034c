"""The import contracts (pyproject.toml, `lint-imports`) bite: a copy of the packages with one
wrong import per contract breaks every contract, and the real tree keeps them all."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "webhooks", "review_models", "ordering", "verify", "engine")

# One import that each contract forbids, as (module file, the line added to it).
WRONG = {
    "Layers: imports only point down": ("bot/core/_probe_layers.py", "import bot.review"),
    "The L1 packages are independent of each other": ("ordering/_probe.py", "import verify"),
    "The adapters are independent of each other (the adapters do not analyse)": (
        "bot/hosts/_probe.py",
        "import bot.store",
    ),
    "The core is pure: no database, web, host client, model or solver libraries": (
        "bot/render/_probe.py",
        "import sqlalchemy",
    ),
    "Intake never loads models or hosts; webhook parsing never loads the store": (
        "webhooks/events.py",
        "import bot.store",
    ),
    "Ordering, verify and the models know no host": ("engine/_probe.py", "import github"),
    "Detector inference never loads the injector, the training data code or torch": (
        "bot/analyzers/static.py",
        "import review_models.inject",
    ),
}


def _contract_names() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return [c["name"] for c in config["tool"]["importlinter"]["contracts"]]


def _lint(where: Path) -> subprocess.CompletedProcess[str]:
    lint = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(lint) if lint.exists() else "lint-imports", "--no-cache"],
        cwd=where,
        env={"PYTHONPATH": str(where), "PATH": str(Path(sys.executable).parent)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_every_contract_has_a_wrong_import_here() -> None:
    assert sorted(WRONG) == sorted(_contract_names())


def test_each_contract_breaks_on_its_wrong_import(tmp_path: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pt", "*.npz", "weights")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for path, line in WRONG.values():
        target = tmp_path / path
        before = target.read_text(encoding="utf-8") if target.exists() else ""
        target.write_text(f"{before}\n{line}  # noqa\n", encoding="utf-8")
    result = _lint(tmp_path)
    assert result.returncode != 0
    for name in WRONG:
        assert f"{name} BROKEN" in result.stdout, name
    assert f"0 kept, {len(WRONG)} broken" in result.stdout


def test_the_tree_keeps_every_contract() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout[-2000:]


def test_webhook_parsing_loads_neither_the_store_nor_torch() -> None:
    probe = (
        "import sys, webhooks.events\n"
        "heavy = {'sqlalchemy', 'alembic', 'torch', 'github', 'gitlab'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"
    assert "sqlalchemy" not in out.stderr and "torch" not in out.stderr
