"""Python's exceptions as the translator knows them: the name a `raise` raises, and whether
an `except` clause catches it (surely, maybe, or not), through the builtin hierarchy and the
module's own exception classes."""

from __future__ import annotations

import ast
from typing import Literal

# Each builtin exception's base (what the translator raises, and the usual suspects).
BASES = {
    "BaseException": "",
    "Exception": "BaseException",
    "KeyboardInterrupt": "BaseException",
    "SystemExit": "BaseException",
    "GeneratorExit": "BaseException",
    "ArithmeticError": "Exception",
    "ZeroDivisionError": "ArithmeticError",
    "OverflowError": "ArithmeticError",
    "FloatingPointError": "ArithmeticError",
    "LookupError": "Exception",
    "IndexError": "LookupError",
    "KeyError": "LookupError",
    "AssertionError": "Exception",
    "AttributeError": "Exception",
    "NameError": "Exception",
    "UnboundLocalError": "NameError",
    "TypeError": "Exception",
    "ValueError": "Exception",
    "UnicodeError": "ValueError",
    "UnicodeDecodeError": "UnicodeError",
    "UnicodeEncodeError": "UnicodeError",
    "RuntimeError": "Exception",
    "NotImplementedError": "RuntimeError",
    "RecursionError": "RuntimeError",
    "StopIteration": "Exception",
    "OSError": "Exception",
    "IOError": "Exception",
    "FileNotFoundError": "OSError",
    "FileExistsError": "OSError",
    "PermissionError": "OSError",
    "IsADirectoryError": "OSError",
    "NotADirectoryError": "OSError",
    "TimeoutError": "OSError",
    "ImportError": "Exception",
    "ModuleNotFoundError": "ImportError",
}

Catch = Literal["yes", "maybe", "no"]


def exception_name(node: ast.expr | None) -> str:
    if node is None:
        return "Exception"  # a bare re-raise: whatever is being handled
    if isinstance(node, ast.Call):
        node = node.func
    return ast.unparse(node).rsplit(".", 1)[-1]


def ancestry(name: str, classes: dict[str, ast.ClassDef]) -> tuple[list[str], bool]:
    """The exception and its bases, and whether the chain is fully known."""
    chain: list[str] = []
    pending = [name]
    known = True
    while pending:
        current = pending.pop()
        if current in chain or not current:
            continue
        chain.append(current)
        if current in BASES:
            pending.append(BASES[current])
        elif current in classes:
            bases = [ast.unparse(b).rsplit(".", 1)[-1] for b in classes[current].bases]
            pending.extend(bases or ["object"])
        elif current != "object":
            known = False
    return chain, known


def catches(
    handler: ast.ExceptHandler, raised: str | None, classes: dict[str, ast.ClassDef]
) -> Catch:
    """Whether `except ...` catches `raised` (None: an exception from code the translator
    does not model, which any clause may catch)."""
    if handler.type is None:
        return "yes"
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    names = [ast.unparse(e).rsplit(".", 1)[-1] for e in types]
    if "BaseException" in names or (raised is None and "Exception" in names):
        return "yes"
    if raised is None:
        return "maybe"
    chain, known = ancestry(raised, classes)
    if any(n in chain for n in names):
        return "yes"
    # A name the translator cannot place (imported, or a variable) may be a base of the
    # raised exception; one of the builtin hierarchy or the module's classes is not.
    unplaced = [n for n in names if n not in BASES and n not in classes]
    if unplaced or not known:
        return "maybe"
    return "no"
