"""The README says what the code does: its example `.redline.toml` is accepted as written, it
lists every REDLINE_* setting, and its links stay inside the project."""

from __future__ import annotations

import re
from pathlib import Path

from bot.core.policy import parse_config
from bot.service.settings import VARIABLES

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_the_example_configuration_parses() -> None:
    block = re.search(r"```toml\n(.*?)```", README, re.S)
    assert block is not None
    config = parse_config(block.group(1))
    assert config.fail_closed == "rules" and config.llm_band == (0.2, 0.6)


def test_every_setting_is_documented() -> None:
    missing = [v.name for v in VARIABLES if f"REDLINE_{v.name}" not in README]
    assert not missing


def test_links_stay_inside_the_project() -> None:
    root = Path(__file__).resolve().parents[1]
    for target in re.findall(r"\]\(([^)#]+)\)", README):
        if target.startswith("http"):
            continue
        assert (root / target).resolve().is_relative_to(root), target
        assert (root / target).exists(), target
    assert "../shared" not in README
