"""The builtins model, one module per family (like CrossHair's libimpl/): numbers, folds
over iterables, containers, objects, strings, regular expressions, random sources, and the
methods of lists, strings, dicts and sets. Each function gets the executor, the call node,
the path and the line. `MODULE_FUNCTIONS` are the functions of imported modules the
translator models, by dotted name."""

from __future__ import annotations

import ast

from verify.builtins.common import Builtin, call_args, fresh_of
from verify.builtins.containers import CONTAINERS
from verify.builtins.folds import FOLDS
from verify.builtins.numbers import MATH, NUMBERS
from verify.builtins.objects import OBJECTS
from verify.builtins.randoms import RANDOM
from verify.builtins.regex import REGEX
from verify.core import Core
from verify.state import Path, Results
from verify.values import PatternV, StrV, Unsupported

BUILTINS: dict[str, Builtin] = {**CONTAINERS, **FOLDS, **NUMBERS, **OBJECTS}


def _first_argument(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
    """typing.cast(T, x) is x; copy.copy(x) and copy.deepcopy(x) equal x (values here)."""
    if not node.args:
        raise Unsupported("a call without its argument", line, "call:arity")
    return ex.expr(node.args[-1] if "cast" in ast.unparse(node.func) else node.args[0], path)


def _compile(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
    from verify.builtins.regex import _flags

    if (
        not node.args
        or not isinstance(node.args[0], ast.Constant)
        or not isinstance(node.args[0].value, str)
    ):
        raise Unsupported(
            "re.compile of a pattern that is not a constant", line, "re:symbolic-pattern"
        )
    return [
        (
            path,
            PatternV(
                node.args[0].value,
                _flags(ast.Call(node.func, node.args[:0] + node.args[1:], node.keywords), line),
            ),
        )
    ]


def _typed(kind: str) -> Builtin:
    """A library function the translator does not follow but whose result type is known."""

    def run(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
        return [
            (p, None if v is None else fresh_of(ex, kind, ast.unparse(node.func)))
            for p, v in ex.opaque_call(node, path, line, f"`{ast.unparse(node.func)}`")
        ]

    return run


def _dedent(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
    out: Results = []
    for p, vs in call_args(ex, node, path):
        if vs and isinstance(vs[0], StrV):
            out.append((p, fresh_of(ex, "str", "dedent()")))
            ex.ctx.note_unmodelled("textwrap.dedent")
        else:
            out.extend(ex.opaque_call(node, p, line, "`textwrap.dedent`"))
    return out


_TYPED = {
    "os.path.join": "str", "os.path.basename": "str", "os.path.dirname": "str",
    "os.path.abspath": "str", "os.path.normpath": "str", "os.path.relpath": "str",
    "os.path.exists": "bool", "os.path.isfile": "bool", "os.path.isdir": "bool",
    "os.path.isabs": "bool", "os.getcwd": "str", "json.dumps": "str", "textwrap.indent": "str",
    "textwrap.fill": "str", "hashlib.sha256": "any", "uuid.uuid4": "any", "time.time": "float",
    "time.monotonic": "float", "time.perf_counter": "float", "keyword.iskeyword": "bool",
    "inflection.camelize": "str", "inflection.underscore": "str",
}  # fmt: skip


def _no_return(raised: str) -> Builtin:
    """typing.assert_never, sys.exit: the call raises; nothing after it runs."""

    def run(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
        for p, _ in call_args(ex, node, path):
            ex.raise_path(p, raised, f"raises {raised}", line)
        return []

    return run


MODULE_FUNCTIONS: dict[str, Builtin] = {
    "typing.assert_never": _no_return("AssertionError"),
    "typing_extensions.assert_never": _no_return("AssertionError"),
    "sys.exit": _no_return("SystemExit"),
    **REGEX,
    **MATH,
    **RANDOM,
    "re.compile": _compile,
    "typing.cast": _first_argument,
    "copy.copy": _first_argument,
    "copy.deepcopy": _first_argument,
    "textwrap.dedent": _dedent,
    **{name: _typed(kind) for name, kind in _TYPED.items()},
}

__all__ = ["BUILTINS", "MODULE_FUNCTIONS", "Builtin", "call_args"]
