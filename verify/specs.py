"""Contracts of Python functions, read from source without running it: leading asserts
(preconditions), asserts right before a return (postconditions), PEP 316 docstrings, icontract
and deal decorators, and class invariants. Pure `ast`."""

from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass, field
from typing import Literal

from bot.core import pysyntax

Kind = Literal["pre", "post", "assert", "invariant", "raise"]
_DOC_LINE = re.compile(r"^\s*(pre|post|inv)(\[[^\]]*\])?\s*:\s*(.+?)\s*$")
_RAISES = re.compile(r"^\s*:?raises:?\s*:?\s*([\w., ]+)\s*$")
# Sphinx `:raises ValueError: when ...` / `:raise ValueError:`, Google `Raises:` sections.
_SPHINX_RAISES = re.compile(r":raises?\s+([\w.]+)\s*:")
_GOOGLE_RAISES = re.compile(r"^\s*Raises:\s*$")
_GOOGLE_ITEM = re.compile(r"^\s+([A-Z]\w*(?:\.\w+)*)\s*:")


_LINES: dict[int, tuple[str, list[str]]] = {}


def segment(source: str, node: ast.AST) -> str | None:
    """`ast.get_source_segment`, with the source split once (it splits on every call, which
    is quadratic on a long file)."""
    cached = _LINES.get(id(source))
    if cached is None or cached[0] is not source:
        cached = (source, source.splitlines(keepends=True))
        _LINES.clear()
        _LINES[id(source)] = cached
    lines = cached[1]
    start_line = getattr(node, "lineno", None)
    end_line = getattr(node, "end_lineno", None)
    first = getattr(node, "col_offset", None)
    last = getattr(node, "end_col_offset", None)
    if start_line is None or end_line is None or first is None or last is None:
        return None
    start, end = int(start_line) - 1, int(end_line) - 1
    if start >= len(lines) or end >= len(lines):
        return None
    if start == end:
        return str(lines[start].encode()[first:last].decode())
    head = lines[start].encode()[first:].decode()
    tail = lines[end].encode()[:last].decode()
    return str(head + "".join(lines[start + 1 : end]) + tail)


@dataclass(frozen=True)
class Condition:
    kind: Kind
    text: str  # the source of the condition, as written
    expr: ast.expr  # parsed; names: parameters, `__return__`/`_`/`result`, `OLD`/`__old__`
    line: int
    lambda_args: tuple[str, ...] | None = None  # icontract/deal lambdas: parameter names
    deal_result_object: bool = False  # deal.ensure lambda _: _.result / _["x"]


@dataclass
class FunctionSpec:
    name: str  # qualified: Class.method
    node: ast.FunctionDef | ast.AsyncFunctionDef
    class_node: ast.ClassDef | None
    pre: list[Condition] = field(default_factory=list)
    post: list[Condition] = field(default_factory=list)
    invariants: list[Condition] = field(default_factory=list)
    raises: tuple[str, ...] = ()
    body_start: int = 0  # index of the first statement after docstring and leading asserts
    # icontract snapshots: (name in OLD, the captured expression, its lambda's parameters)
    snapshots: list[tuple[str, ast.expr, tuple[str, ...], int]] = field(default_factory=list)
    unreadable: list[Condition] = field(default_factory=list)  # contracts that are no lambda

    @property
    def has_contract(self) -> bool:
        return bool(self.pre or self.post or self.invariants or self.unreadable)


def _parse_expr(text: str, line: int) -> ast.expr | None:
    try:
        node = pysyntax.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return None
    for child in ast.walk(node):
        if hasattr(child, "lineno"):
            child.lineno = line
    return node


def _docstring_conditions(
    doc: str | None, first_line: int
) -> tuple[list[Condition], list[Condition], list[Condition], list[str]]:
    pre: list[Condition] = []
    post: list[Condition] = []
    inv: list[Condition] = []
    raises: list[str] = []
    if not doc:
        return pre, post, inv, raises
    for offset, line in enumerate(doc.splitlines()):
        stripped = line.strip()
        if stripped.startswith("#"):
            continue
        match = _DOC_LINE.match(line)
        number = first_line + offset
        if match:
            kind, _, text = match.groups()
            expr = _parse_expr(text, number)
            target = {"pre": pre, "post": post, "inv": inv}[kind]
            kinds: dict[str, Kind] = {"pre": "pre", "post": "post", "inv": "invariant"}
            condition = Condition(
                kinds[kind],
                text,
                expr if expr is not None else ast.Constant(None),
                number,
            )
            if expr is None:
                condition = Condition(condition.kind, text, _BAD, number)
            target.append(condition)
            continue
        raised = _RAISES.match(line)
        if raised and "raises" in stripped:
            raises.extend(x.strip() for x in raised.group(1).split(",") if x.strip())
        raises.extend(m.rsplit(".", 1)[-1] for m in _SPHINX_RAISES.findall(line))
    raises.extend(_google_raises(doc))
    return pre, post, inv, raises


def _google_raises(doc: str) -> list[str]:
    out: list[str] = []
    section = False
    for line in doc.splitlines():
        if _GOOGLE_RAISES.match(line):
            section = True
            continue
        if section:
            item = _GOOGLE_ITEM.match(line)
            if item:
                out.append(item.group(1).rsplit(".", 1)[-1])
            elif (line.strip() and not line.startswith((" ", "\t"))) or not line.strip():
                section = False
    return out


# A marker expression for conditions that do not parse: reported as unknown, never checked.
_BAD = ast.Name(id="__unparsable__", ctx=ast.Load())
_NOT_LAMBDA = ast.Name(id="__not_a_lambda__", ctx=ast.Load())


def _decorator_conditions(
    func: ast.FunctionDef | ast.AsyncFunctionDef, source: str
) -> tuple[list[Condition], list[Condition], list[str], list[Condition]]:
    """icontract `require`/`ensure` and deal `pre`/`post`/`ensure`/`raises`; conditions
    that are not a lambda (a function given by name) are returned apart, unreadable."""
    pre: list[Condition] = []
    post: list[Condition] = []
    raises: list[str] = []
    unreadable: list[Condition] = []
    for decorator in func.decorator_list:
        if not isinstance(decorator, ast.Call):
            continue
        name = ast.unparse(decorator.func).rsplit(".", 1)[-1]
        if name == "raises":
            raises.extend(ast.unparse(a).rsplit(".", 1)[-1] for a in decorator.args)
            continue
        given = decorator.args or [
            k.value for k in decorator.keywords if k.arg in ("validator", "condition")
        ]
        if name not in ("require", "ensure", "pre", "post") or not given:
            continue
        lam = given[0]
        if not isinstance(lam, ast.Lambda):
            kind: Kind = "pre" if name in ("require", "pre") else "post"
            text = segment(source, lam) or ast.unparse(lam)
            unreadable.append(Condition(kind, text, _NOT_LAMBDA, decorator.lineno))
            continue
        args = tuple(a.arg for a in lam.args.args)
        text = segment(source, lam.body) or ast.unparse(lam.body)
        short = _short_validator(lam, func) if _is_deal(decorator) and name == "pre" else None
        if short is not None:
            pre.append(Condition("pre", text, short[0], decorator.lineno, short[1]))
        elif name in ("require", "pre"):
            pre.append(Condition("pre", text, lam.body, decorator.lineno, args))
        elif name == "post" and _is_deal(decorator) and len(args) == 1:
            # deal.post(lambda result: ...): the only argument is the return value.
            post.append(
                Condition(
                    "post", text, _rename(lam.body, args[0], "__return__"), decorator.lineno, None
                )
            )
        elif name == "ensure" and _is_deal(decorator) and len(args) == 1:
            # deal.ensure(lambda _: _.result ... _["x"]): one object holds args and result.
            post.append(Condition("post", text, lam.body, decorator.lineno, args, True))
        else:
            post.append(Condition("post", text, lam.body, decorator.lineno, args))
    return pre, post, raises, unreadable


def _snapshots(
    func: ast.FunctionDef | ast.AsyncFunctionDef,
) -> list[tuple[str, ast.expr, tuple[str, ...], int]]:
    """icontract `@snapshot(lambda lst: lst[:], name="lst")`: what OLD holds."""
    out = []
    for decorator in func.decorator_list:
        if not (
            isinstance(decorator, ast.Call)
            and ast.unparse(decorator.func).rsplit(".", 1)[-1] == "snapshot"
        ):
            continue
        if not decorator.args or not isinstance(decorator.args[0], ast.Lambda):
            continue
        lam = decorator.args[0]
        args = tuple(a.arg for a in lam.args.args)
        named = next((k.value for k in decorator.keywords if k.arg == "name"), None)
        if len(decorator.args) > 1:
            named = decorator.args[1]
        if isinstance(named, ast.Constant) and isinstance(named.value, str):
            label = named.value
        elif len(args) == 1:
            label = args[0]
        else:
            continue
        out.append((label, lam.body, args, decorator.lineno))
    return out


def _short_validator(
    lam: ast.Lambda, func: ast.FunctionDef | ast.AsyncFunctionDef
) -> tuple[ast.expr, tuple[str, ...]] | None:
    """deal's `lambda _: _.x > 0`: a validator whose one parameter is `_` gets the call's
    arguments as attributes (deal's short signature), so `_.x` is the parameter `x`. None
    where `_` is used otherwise (it stays unknown, as a name that is not a parameter)."""
    if [a.arg for a in lam.args.args] != ["_"] or lam.args.vararg or lam.args.kwarg:
        return None
    params = {a.arg for a in [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]}
    used: set[str] = set()

    class Short(ast.NodeTransformer):
        def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
            inner = node.value
            if isinstance(inner, ast.Name) and inner.id == "_" and node.attr in params:
                used.add(node.attr)
                return ast.copy_location(ast.Name(node.attr, ast.Load()), node)
            return self.generic_visit(node)

    body = Short().visit(copy.deepcopy(lam.body))
    if any(isinstance(n, ast.Name) and n.id == "_" for n in ast.walk(body)):
        return None
    return body, tuple(sorted(used))


def _is_deal(decorator: ast.Call) -> bool:
    return ast.unparse(decorator.func).startswith("deal.")


def _rename(expr: ast.expr, old: str, new: str) -> ast.expr:
    class Renamer(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            return ast.copy_location(ast.Name(new, node.ctx), node) if node.id == old else node

    return Renamer().visit(pysyntax.parse(ast.unparse(expr), mode="eval")).body  # type: ignore


def _leading_asserts(
    func: ast.FunctionDef | ast.AsyncFunctionDef, source: str
) -> tuple[list[Condition], int]:
    body = func.body
    index = 0
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        index = 1
    pre = []
    while index < len(body) and isinstance(body[index], ast.Assert):
        statement = body[index]
        assert isinstance(statement, ast.Assert)
        text = segment(source, statement.test) or ast.unparse(statement.test)
        pre.append(Condition("pre", text, statement.test, statement.lineno))
        index += 1
    return pre, index


def extract(tree: ast.Module, source: str) -> list[FunctionSpec]:
    """Every function and method with its contract (possibly empty)."""
    specs = []

    def visit(nodes: list[ast.stmt], cls: ast.ClassDef | None, prefix: str) -> None:
        for node in nodes:
            if isinstance(node, ast.ClassDef):
                visit(node.body, node, f"{prefix}{node.name}.")
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                specs.append(function_spec(node, cls, prefix, source))

    visit(tree.body, None, "")
    return specs


def class_invariants(cls: ast.ClassDef, source: str) -> list[Condition]:
    doc = ast.get_docstring(cls, clean=False)
    first = cls.body[0].lineno if cls.body else cls.lineno
    _, _, inv, _ = _docstring_conditions(doc, first)
    for decorator in cls.decorator_list:
        if (
            isinstance(decorator, ast.Call)
            and ast.unparse(decorator.func).rsplit(".", 1)[-1] in ("invariant", "inv")
            and decorator.args
            and isinstance(decorator.args[0], ast.Lambda)
        ):
            condition = decorator.args[0]
            text = segment(source, condition.body) or ast.unparse(condition.body)
            inv.append(
                Condition(
                    "invariant",
                    text,
                    condition.body,
                    decorator.lineno,
                    tuple(a.arg for a in condition.args.args),
                )
            )
    return inv


def function_spec(
    node: ast.FunctionDef | ast.AsyncFunctionDef, cls: ast.ClassDef | None, prefix: str, source: str
) -> FunctionSpec:
    doc = ast.get_docstring(node, clean=False)
    doc_line = node.body[0].lineno if node.body else node.lineno
    pre, post, _, raises = _docstring_conditions(doc, doc_line)
    dec_pre, dec_post, dec_raises, unreadable = _decorator_conditions(node, source)
    asserts, start = _leading_asserts(node, source)
    spec = FunctionSpec(
        f"{prefix}{node.name}",
        node,
        cls,
        pre + dec_pre + asserts,
        post + dec_post,
        class_invariants(cls, source) if cls else [],
        tuple(raises + dec_raises),
        start,
        _snapshots(node),
        unreadable,
    )
    return spec
