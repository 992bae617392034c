"""What the builtin models share: their signatures, argument evaluation, and fresh values of
a known type for what is modelled only by its type."""

from __future__ import annotations

import ast
from collections.abc import Callable

import z3

from verify.core import Core, Rebind
from verify.state import Path, Results
from verify.values import SORTS, SeqV, StrV, Unsupported, Value, atomic

# A builtin function: the executor, the call node, the path and the line.
Builtin = Callable[[Core, ast.Call, Path, int], Results]
# A family of methods: the outcome, or None where the family does not model the method.
Method = Callable[
    [Core, Value, str, list[Value], Rebind | None, ast.Call, Path, int],
    tuple[Path, Value | None] | None,
]

__all__ = ["Builtin", "Method", "Rebind", "call_args", "fresh_of", "keyword", "no_keywords"]


def call_args(ex: Core, node: ast.Call, path: Path) -> list[tuple[Path, list[Value]]]:
    return ex.exprs(list(node.args), path)


def no_keywords(node: ast.Call, what: str, line: int) -> None:
    if node.keywords:
        raise Unsupported(f"{what} with keyword arguments", line, f"builtin:{what}(keywords)")


def keyword(node: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in node.keywords if k.arg == name), None)


def fresh_of(ex: Core, kind: str, name: str) -> Value:
    """A value of a known type and nothing else known: `int`, `str`, `list[str]`, ..."""
    if kind in SORTS:
        return atomic(kind, ex.ctx.fresh(name, SORTS[kind]))
    if kind.startswith("list[") and kind[5:-1] in SORTS:
        elem = kind[5:-1]
        return SeqV(ex.ctx.fresh(name, z3.SeqSort(SORTS[elem])), elem)
    if kind == "none":
        from verify.values import NoneV

        return NoneV()
    return ex.any_value(name)


def fresh_str(ex: Core, name: str) -> StrV:
    return StrV(ex.ctx.fresh(name, z3.StringSort()))
