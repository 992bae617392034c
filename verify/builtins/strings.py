"""str methods through Z3's sequence theory: startswith, endswith, find and index."""

from __future__ import annotations

import z3

from verify.builtins.common import Rebind
from verify.core import Core
from verify.state import Path
from verify.values import BoolV, IntV, StrV, Value


def str_method(
    ex: Core,
    receiver: Value,
    method: str,
    args: list[Value],
    rebind: Rebind | None,
    path: Path,
    line: int,
) -> tuple[Path, Value | None] | None:
    if not isinstance(receiver, StrV):
        return None
    if method in ("startswith", "endswith") and args and isinstance(args[0], StrV):
        function = z3.PrefixOf if method == "startswith" else z3.SuffixOf
        return path, BoolV(function(args[0].e, receiver.e))
    if method in ("find", "index") and args and isinstance(args[0], StrV):
        position = z3.IndexOf(receiver.e, args[0].e, 0)
        if method == "index":
            ex.oblige(path, "raise", "substring found", line, position >= 0, "ValueError")
        return path, IntV(position)
    return None
