"""Symbolic execution over the AST of a Python subset: every path through a function as a
path condition, an environment and an outcome (return value or raised exception), with the
obligations met on the way (asserts, division by zero, indexes, keys, callee preconditions).
Nothing is executed: the semantics are the translator's own.

The executor is assembled from its parts, one module each: statements, loops (and
comprehensions), expressions, subscripts and calls; the builtins model lives apart, in
verify/builtins/, one module per family."""

from __future__ import annotations

from verify.calls import Calls
from verify.expressions import Expressions
from verify.loops import Loops
from verify.state import CALL_DEPTH, LOOP_BOUND, MAX_PATHS, Context, Obligation, Path, Stream
from verify.statements import Statements
from verify.subscripts import Subscripts

__all__ = [
    "CALL_DEPTH",
    "LOOP_BOUND",
    "MAX_PATHS",
    "Context",
    "Executor",
    "Obligation",
    "Path",
    "Stream",
]


class Executor(Statements, Loops, Expressions, Subscripts, Calls):
    """One symbolic run's interpreter: the parts share the context (`ctx`) and the depth of
    inlined calls."""
