"""Buggy versions of real contract code for `redline bench verify --corpus`: one mutation
each, in the body of a function that states a contract. The operators are the bug
injector's kind (a flipped comparison, a changed constant or operator, a swapped boolean)
and four real bug patterns written by hand: an off-by-one in a slice, a wrong comparison in a
loop, a missed empty case, and a wrong dict default. They work on the AST and are applied to
copies in the bench's work folder, never to the corpus."""

from __future__ import annotations

import ast
import copy
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bot.core import pysyntax

Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Mutant:
    function: str  # qualified: Class.method
    operator: str
    line: int
    source: str


_FLIP = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In,
    ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}  # fmt: skip
_ARITH = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Add,
    ast.FloorDiv: ast.Mult,
    ast.Mod: ast.FloorDiv,
}


def _sites(function: Function) -> Iterator[tuple[str, ast.AST, Callable[[ast.AST], bool]]]:
    """(operator, node, mutate-in-place) for every place one operator applies."""
    loops = [n for n in ast.walk(function) if isinstance(n, ast.For | ast.While)]
    in_loop = {id(c) for loop in loops for c in ast.walk(loop)}
    for node in ast.walk(function):
        if isinstance(node, ast.Compare) and type(node.ops[0]) in _FLIP:
            name = (
                "loop-comparison"
                if id(node) in in_loop
                and isinstance(node.ops[0], ast.Lt | ast.LtE | ast.Gt | ast.GtE)
                else "comparison"
            )
            yield name, node, _flip
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            yield "slice-off-by-one", node, _slice
        elif isinstance(node, ast.If) and _empty_guard(node):
            yield "missed-empty-case", node, lambda n: True  # removed by the caller
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and node.args
        ):
            yield "dict-default", node, _default
        elif isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
            yield "arithmetic", node, _arith
        elif isinstance(node, ast.BoolOp):
            yield "boolean", node, _boolop
        elif (
            isinstance(node, ast.Constant)
            and type(node.value) is int
            and not isinstance(node.value, bool)
        ):
            yield "constant", node, _constant
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.endswith("\n")
        ):
            yield "string", node, _string


def _flip(node: ast.AST) -> bool:
    assert isinstance(node, ast.Compare)
    node.ops[0] = _FLIP[type(node.ops[0])]()
    return True


def _slice(node: ast.AST) -> bool:
    assert isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice)
    bounds = node.slice
    if bounds.upper is not None:
        bounds.upper = ast.BinOp(bounds.upper, ast.Sub(), ast.Constant(1))
    elif bounds.lower is not None:
        bounds.lower = ast.BinOp(bounds.lower, ast.Add(), ast.Constant(1))
    else:
        return False
    return True


def _empty_guard(node: ast.If) -> bool:
    """`if not xs: return ...` and the like: an early exit on an empty (or None) value."""
    test = node.test
    empty = (isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)) or (
        isinstance(test, ast.Compare)
        and any(isinstance(c, ast.Constant) and c.value in (0, "", None) for c in test.comparators)
    )
    exits = bool(node.body) and isinstance(node.body[-1], ast.Return | ast.Raise | ast.Continue)
    return empty and exits and not node.orelse


def _default(node: ast.AST) -> bool:
    assert isinstance(node, ast.Call)
    if len(node.args) == 2:
        node.args.pop()
    else:
        node.args.append(ast.Constant(0))
    return True


def _arith(node: ast.AST) -> bool:
    assert isinstance(node, ast.BinOp)
    node.op = _ARITH[type(node.op)]()
    return True


def _boolop(node: ast.AST) -> bool:
    assert isinstance(node, ast.BoolOp)
    node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    return True


def _constant(node: ast.AST) -> bool:
    assert isinstance(node, ast.Constant) and isinstance(node.value, int)
    node.value = node.value + 1
    return True


def _string(node: ast.AST) -> bool:
    assert isinstance(node, ast.Constant) and isinstance(node.value, str)
    node.value = node.value[:-1]
    return True


_HAND = ("slice-off-by-one", "loop-comparison", "missed-empty-case", "dict-default")


def mutants(source: str, functions: list[str], per_file: int, seed: str) -> list[Mutant]:
    """Up to `per_file` mutants of `source`, in distinct functions of `functions` (qualified
    names), the hand-written patterns first where they apply."""
    tree = pysyntax.parse(source)
    rng = random.Random(seed)
    out: list[Mutant] = []
    for name, function in _functions(tree):
        if name not in functions or len(out) >= per_file:
            continue
        sites = list(_sites(function))
        body_sites = [s for s in sites if _in_body(function, s[1])]
        if not body_sites:
            continue
        hand = [s for s in body_sites if s[0] in _HAND]
        rng.shuffle(hand)
        others = [s for s in body_sites if s[0] not in _HAND]
        rng.shuffle(others)
        # Sites in what the function returns first: a change there reaches the contract.
        returned = {
            id(n) for r in ast.walk(function) if isinstance(r, ast.Return) for n in ast.walk(r)
        }
        others.sort(key=lambda s: id(s[1]) not in returned)

        for operator, node, _ in hand + others:
            mutated = _apply(tree, function, node, operator)
            if mutated is not None and mutated != ast.unparse(tree):
                out.append(
                    Mutant(name, operator, getattr(node, "lineno", function.lineno), mutated)
                )
                break
    return out


def _functions(tree: ast.Module) -> Iterator[tuple[str, Function]]:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name, node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    yield f"{node.name}.{item.name}", item


def _in_body(function: Function, node: ast.AST) -> bool:
    """In the statements, not in the decorators (the contract) or the docstring."""
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return any(node is n for statement in body for n in ast.walk(statement))


def _apply(tree: ast.Module, function: Function, target: ast.AST, operator: str) -> str | None:
    """The source with one site mutated (on a copy: locate the site by its position)."""
    position = [i for i, n in enumerate(ast.walk(tree)) if n is target]
    if not position:
        return None
    clone = copy.deepcopy(tree)
    node = list(ast.walk(clone))[position[0]]
    if operator == "missed-empty-case":
        for parent in ast.walk(clone):
            for field in ("body", "orelse", "finalbody"):
                statements = getattr(parent, field, None)
                if isinstance(statements, list) and node in statements:
                    statements.remove(node)
                    if not statements:
                        statements.append(ast.Pass())
                    return ast.unparse(clone)
        return None
    for name, mutate in _OPERATORS.items():
        if name == operator:
            return ast.unparse(clone) if mutate(node) else None
    return None


_OPERATORS: dict[str, Callable[[ast.AST], bool]] = {
    "comparison": _flip,
    "loop-comparison": _flip,
    "slice-off-by-one": _slice,
    "dict-default": _default,
    "arithmetic": _arith,
    "boolean": _boolop,
    "constant": _constant,
    "string": _string,
}
