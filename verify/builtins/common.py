"""What the builtin models share: their signatures and argument evaluation."""

from __future__ import annotations

import ast
from collections.abc import Callable

from verify.core import Core
from verify.state import Path, Results
from verify.values import Value

# A builtin function: the executor, the call node, the path and the line.
Builtin = Callable[[Core, ast.Call, Path, int], Results]
# How a mutated receiver is stored back (None: it may be shared, so it cannot be).
Rebind = Callable[[Path, Value], Path]
# A family of methods: the outcome, or None where the family does not model the method.
Method = Callable[
    [Core, Value, str, list[Value], Rebind | None, Path, int], tuple[Path, Value | None] | None
]


def call_args(ex: Core, node: ast.Call, path: Path) -> list[tuple[Path, list[Value]]]:
    return ex.exprs(list(node.args), path)
