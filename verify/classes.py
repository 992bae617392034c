"""Objects of the module's classes: construction through `__init__` (inlined), dataclasses
(their generated `__init__`, field defaults and `__post_init__`), classes that are str or
int in all but name, and classes the translator cannot construct (any object of the class)."""

from __future__ import annotations

import ast
import dataclasses

from bot.core import pysyntax
from verify.core import Core
from verify.specs import function_spec
from verify.state import Path, Results
from verify.values import ObjV, StrV, Unsupported, Value

_FIELD_FACTORIES = {
    "list": "[]",
    "dict": "{}",
    "set": "set()",
    "tuple": "()",
    "str": "''",
    "int": "0",
}


def is_dataclass(cls: ast.ClassDef) -> bool:
    return any(
        ast.unparse(d.func if isinstance(d, ast.Call) else d).rsplit(".", 1)[-1]
        in ("dataclass", "define", "frozen")
        for d in cls.decorator_list
    )


def _method(cls: ast.ClassDef, name: str) -> ast.FunctionDef | None:
    return next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == name), None)


def construct(ex: Core, cls: ast.ClassDef, node: ast.Call, path: Path, line: int) -> Results:
    atomic_kind = ex.ctx.str_types.get(cls.name)
    if atomic_kind is not None:
        return _atomic_instance(ex, cls, atomic_kind, node, path, line)
    if ex.ctx.is_enum(cls.name):
        return ex.opaque_call(node, path, line, f"the enum `{cls.name}`", cls.name)
    init = _method(cls, "__init__")
    if init is None and is_dataclass(cls):
        return _dataclass_instance(ex, cls, node, path, line)
    obj = ObjV(cls.name, {}, ex.new_ident())
    if init is None:
        if any(ast.unparse(b) not in ("object", "ABC", "abc.ABC") for b in cls.bases):
            # A base class the translator may not see builds it.
            return ex.opaque_call(node, path, line, f"constructing `{cls.name}`", cls.name)
        return [(path, obj)]
    out: Results = []
    for p, args, _ in ex.bind_args(init, node, path, line, [obj]):
        for end in ex.call(init, args, p, line, cls):
            caller = dataclasses.replace(
                end,
                env=p.env,
                rebound=p.rebound,
                borrowed=p.borrowed,
                origins=p.origins,
                aliases=p.aliases,
                status="live",
            )
            if end.status == "return":
                made = end.env.get("self", obj)
                out.append((caller, made))
            else:
                out.append(
                    (
                        dataclasses.replace(
                            caller,
                            status=end.status,
                            raised=end.raised,
                            what=end.what,
                            what_kind=end.what_kind,
                            line=end.line,
                        ),
                        None,
                    )
                )
    return out


def dataclass_fields(cls: ast.ClassDef) -> list[tuple[str, ast.expr | None, bool]]:
    """(name, default expression, in __init__) for each field, in order."""
    fields = []
    for stmt in cls.body:
        if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
            continue
        if ast.unparse(stmt.annotation).startswith(("ClassVar", "typing.ClassVar")):
            continue
        default: ast.expr | None = stmt.value
        init = True
        if isinstance(stmt.value, ast.Call) and ast.unparse(stmt.value.func).rsplit(".", 1)[-1] in (
            "field",
            "Field",
        ):
            default = None
            for keyword in stmt.value.keywords:
                if keyword.arg == "default":
                    default = keyword.value
                elif keyword.arg == "default_factory":
                    factory = ast.unparse(keyword.value)
                    if factory not in _FIELD_FACTORIES:
                        raise Unsupported(
                            f"a dataclass field with `default_factory={factory}`",
                            stmt.lineno,
                            "class:default_factory",
                        )
                    default = pysyntax.parse(_FIELD_FACTORIES[factory], mode="eval").body
                elif keyword.arg == "init" and isinstance(keyword.value, ast.Constant):
                    init = bool(keyword.value.value)
        fields.append((stmt.target.id, default, init))
    return fields


def _dataclass_instance(
    ex: Core, cls: ast.ClassDef, node: ast.Call, path: Path, line: int
) -> Results:
    fields = dataclass_fields(cls)
    in_init = [f for f in fields if f[2]]
    if len(node.args) > len(in_init):
        raise Unsupported(f"too many arguments to `{cls.name}`", line, "call:arity")
    out: Results = []
    nodes = list(node.args) + [k.value for k in node.keywords]
    for p, values in ex.exprs(nodes, path):
        given: dict[str, Value] = {
            name: v for (name, _, _), v in zip(in_init, values, strict=False)
        }
        for keyword, value in zip(node.keywords, values[len(node.args) :], strict=True):
            assert keyword.arg is not None
            given[keyword.arg] = value
        for name, default, _ in fields:
            if name not in given:
                if default is None:
                    raise Unsupported(
                        f"missing argument `{name}` to `{cls.name}`", line, "call:arity"
                    )
                results = ex.expr(default, Path((), {}))
                if len(results) != 1 or results[0][1] is None:
                    raise Unsupported("a default that branches", line, "call:default")
                given[name] = results[0][1]
        obj = ObjV(cls.name, given, ex.new_ident())
        post_init = _method(cls, "__post_init__")
        if post_init is None:
            out.append((p, obj))
            continue
        for end in ex.call(post_init, {"self": obj}, p, line, cls):
            caller = dataclasses.replace(end, env=p.env, rebound=p.rebound, status="live")
            if end.status == "return":
                out.append((caller, end.env.get("self", obj)))
            else:
                out.append(
                    (
                        dataclasses.replace(
                            caller,
                            status=end.status,
                            raised=end.raised,
                            what=end.what,
                            line=end.line,
                        ),
                        None,
                    )
                )
    return out


def _atomic_instance(
    ex: Core, cls: ast.ClassDef, kind: str, node: ast.Call, path: Path, line: int
) -> Results:
    """`Identifier("x")` for `class Identifier(str)`: the str itself, once the constructor's
    preconditions are met."""
    if len(node.args) != 1 or node.keywords:
        raise Unsupported(f"constructing `{cls.name}` with these arguments", line, "call:arity")
    constructor = _method(cls, "__new__") or _method(cls, "__init__")
    out: Results = []
    for p, value in ex.expr(node.args[0], path):
        if value is None:
            out.append((p, None))
            continue
        if constructor is not None:
            spec = function_spec(constructor, cls, "", ex.ctx.source)
            params = [a.arg for a in constructor.args.args]
            env = {params[1]: value} if len(params) > 1 else {}
            for condition in spec.pre:
                formula = ex.formula(condition.expr, env, condition.line, condition.lambda_args, p)
                ex.oblige(p, "pre", f"{cls.name}: {condition.text}", line, formula, "precondition")
                p = p.add(formula)
        if kind == "str" and not isinstance(value, StrV):
            raise Unsupported(f"`{cls.name}` of a {value.kind}", line, "call:str-subclass")
        out.append((p, value))
    return out
