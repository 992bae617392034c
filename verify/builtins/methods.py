"""Methods of builtin values, dispatched to their family's model: lists, strings, dicts,
sets, compiled patterns and random sources. A method no family models is unsupported
(unknown, never guessed)."""

from __future__ import annotations

import ast

from verify.builtins.common import Method
from verify.builtins.dicts import dict_method
from verify.builtins.lists import list_method
from verify.builtins.randoms import random_method
from verify.builtins.regex import pattern_method
from verify.builtins.sets import set_method
from verify.builtins.strings import str_method
from verify.core import Core, Rebind
from verify.state import Path
from verify.values import Unsupported, Value

FAMILIES: tuple[Method, ...] = (
    list_method,
    str_method,
    dict_method,
    set_method,
    pattern_method,
    random_method,
)


def builtin_method(
    ex: Core,
    receiver: Value,
    method: str,
    args: list[Value],
    rebind: Rebind | None,
    node: ast.Call,
    path: Path,
    line: int,
) -> tuple[Path, Value | None]:
    for family in FAMILIES:
        outcome = family(ex, receiver, method, args, rebind, node, path, line)
        if outcome is not None:
            return outcome
    raise Unsupported(
        f"method `{method}` of {receiver.kind}", line, f"method:{receiver.kind}.{method}"
    )
