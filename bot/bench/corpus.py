"""Real Python files from this machine for benchmarks (the standard library)."""

from __future__ import annotations

import sysconfig
from pathlib import Path


def stdlib_files(limit: int, min_lines: int = 120, max_lines: int = 1500) -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    chosen = []
    for path in sorted(root.glob("*.py")):
        try:
            count = path.read_text(encoding="utf-8").count("\n")
        except (UnicodeDecodeError, OSError):
            continue
        if min_lines <= count <= max_lines:
            chosen.append(path)
        if len(chosen) >= limit:
            break
    return chosen
