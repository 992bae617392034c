"""Python's parser, made safe to call from the analyzers' threads.

On CPython 3.11, which redline runs on, the counter that `ast.parse` uses to check the depth of
the tree it builds is kept per interpreter, not per call (see gh-106905): every thread shares
it. When a garbage collection in the middle of one parse lets another thread parse, each sees
the other's depth, and one fails with `SystemError: AST constructor recursion depth mismatch`.
A review runs its analyzers in threads, so a file failed to parse only because another analyzer
was reading a file too, and the analyzer reported an error (CI saw it in three golden reviews).
Every parse in redline goes through this lock (ruff bans `ast.parse` elsewhere); a parse takes
milliseconds, so the analyzers barely wait on it.
"""

from __future__ import annotations

import ast
import os
import threading
from typing import Literal, overload

_PARSING = threading.Lock()


def _fresh_lock_in_child() -> None:
    # verify forks its checker; a fork while another thread parsed would give the child a lock
    # held by a thread it does not have, and its first parse would wait forever.
    global _PARSING
    _PARSING = threading.Lock()


os.register_at_fork(after_in_child=_fresh_lock_in_child)


@overload
def parse(source: str, filename: str = ..., *, mode: Literal["exec"] = ...) -> ast.Module: ...
@overload
def parse(source: str, filename: str = ..., *, mode: Literal["eval"]) -> ast.Expression: ...


def parse(source: str, filename: str = "<unknown>", *, mode: str = "exec") -> ast.AST:
    """`ast.parse`, one thread at a time. Raises what it raises (`SyntaxError`, `ValueError`
    for NUL bytes, `RecursionError`, `MemoryError`)."""
    with _PARSING:
        return ast.parse(source, filename, mode=mode)  # noqa: TID251 (the one permitted call)
