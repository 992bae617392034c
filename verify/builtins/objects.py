"""isinstance, hasattr, getattr, id, hash, repr, str, type, callable, print, and the
`implies` of PEP 316 contracts; `isinstance` through the builtin types, the module's class
hierarchy and the classes named by hints and constructors."""

from __future__ import annotations

import ast

import z3

from verify.builtins.common import Builtin, call_args, fresh_str
from verify.builtins.strings import to_str
from verify.core import Core
from verify.exceptions import ancestry
from verify.operations import truth
from verify.state import Path, Results
from verify.values import (
    AnyV,
    AssocV,
    BListV,
    BoolV,
    DictV,
    FuncV,
    IntV,
    MethodChoice,
    ModuleV,
    NoneV,
    ObjV,
    OptV,
    RealV,
    SeqV,
    SetV,
    StrV,
    TupleV,
    Unsupported,
    Value,
)

# What each builtin value is an instance of (besides `object`).
_KINDS: dict[type, set[str]] = {
    IntV: {"int", "Integral", "Number", "Real", "Hashable"},
    BoolV: {"bool", "int", "Integral", "Number", "Real", "Hashable"},
    RealV: {"float", "Number", "Real", "Hashable"},
    StrV: {
        "str",
        "Sequence",
        "Iterable",
        "Collection",
        "Container",
        "Sized",
        "Hashable",
        "Reversible",
    },
    TupleV: {"tuple", "Sequence", "Iterable", "Collection", "Container", "Sized", "Reversible"},
    DictV: {"dict", "Mapping", "MutableMapping", "Iterable", "Collection", "Container", "Sized"},
    AssocV: {"dict", "Mapping", "MutableMapping", "Iterable", "Collection", "Container", "Sized"},
    SetV: {"AbstractSet", "Set", "Iterable", "Collection", "Container", "Sized"},
    NoneV: {"NoneType", "type(None)", "Hashable"},
}
_BUILTIN_TYPES = {
    "int", "bool", "float", "str", "tuple", "list", "dict", "set", "frozenset", "bytes",
    "NoneType", "type(None)", "complex", "bytearray", "object",
    "Sequence", "MutableSequence", "Mapping", "MutableMapping", "Iterable", "Collection",
    "Container", "Sized", "Hashable", "Reversible", "AbstractSet", "Set", "MutableSet",
    "Number", "Integral", "Real", "Callable", "Iterator", "Generator",
}  # fmt: skip


def _class_names(node: ast.expr) -> list[str] | None:
    elements = node.elts if isinstance(node, ast.Tuple) else [node]
    names = []
    for e in elements:
        if not isinstance(e, ast.Name | ast.Attribute | ast.Call):
            return None
        text = ast.unparse(e)
        names.append("type(None)" if text == "type(None)" else text.rsplit(".", 1)[-1])
    return names


def instance_of(ex: Core, value: Value, name: str) -> z3.BoolRef:
    """Whether `value` is an instance of the class `name`."""
    if name == "object":
        return z3.BoolVal(True)
    if isinstance(value, OptV):
        inner = instance_of(ex, value.value, name)
        return z3.If(value.none, z3.BoolVal(name in ("NoneType", "type(None)")), inner)
    if isinstance(value, SeqV | BListV):
        kinds = {
            "tuple" if value.tuple_like else "list",
            "Sequence",
            "Iterable",
            "Collection",
            "Container",
            "Sized",
            "Reversible",
        }
        if not value.tuple_like:
            kinds.add("MutableSequence")
        return z3.BoolVal(name in kinds)
    for kind, names in _KINDS.items():
        if isinstance(value, kind):
            if name in names:
                return z3.BoolVal(True)
            if name in _BUILTIN_TYPES or name in ex.ctx.classes:
                return z3.BoolVal(False)
            return ex.ctx.fresh(f"isinstance({name})", z3.BoolSort())
    if isinstance(value, ObjV):
        chain, known = ancestry(value.cls, ex.ctx.classes)
        if name in chain:
            return z3.BoolVal(True)
        if known and (name in _BUILTIN_TYPES or name in ex.ctx.classes):
            return z3.BoolVal(False)
        return ex.ctx.fresh(f"isinstance({name})", z3.BoolSort())
    if isinstance(value, AnyV):
        return _any_instance(ex, value, name)
    if isinstance(value, FuncV | MethodChoice | ModuleV) and name == "Callable":
        return z3.BoolVal(True)
    return ex.ctx.fresh(f"isinstance({name})", z3.BoolSort())


def _any_instance(ex: Core, value: AnyV, name: str) -> z3.BoolRef:
    none = value.none
    if name in ("NoneType", "type(None)"):
        return none
    if value.cls is not None:
        chain, known = ancestry(value.cls, ex.ctx.classes)
        if name in chain:
            return z3.Not(none)
        if (
            known
            and value.cls in ex.ctx.classes
            and (name in _BUILTIN_TYPES or name in ex.ctx.classes)
        ):
            return z3.BoolVal(False)
    relation = z3.Function(f"isinstance:{name}", z3.IntSort(), z3.BoolSort())
    return z3.And(z3.Not(none), relation(value.ident))


def _isinstance(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
    if len(node.args) != 2 or node.keywords:
        raise Unsupported("isinstance() with these arguments", line, "builtin:isinstance(args)")
    names = _class_names(node.args[1])
    out: Results = []
    for p, value in ex.expr(node.args[0], path):
        if value is None:
            out.append((p, None))
            continue
        if names is None:
            out.append((p, BoolV(ex.ctx.fresh("isinstance", z3.BoolSort()))))
            continue
        out.append((p, BoolV(z3.Or(*[instance_of(ex, value, n) for n in names]))))
    return out


def _implies(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
    return [
        (p, BoolV(z3.Implies(truth(vs[0], line), truth(vs[1], line))))
        for p, vs in call_args(ex, node, path)
    ]


def _hasattr(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
    out: Results = []
    for p, vs in call_args(ex, node, path):
        obj, name = vs[0], vs[1]
        literal = z3.simplify(name.e) if isinstance(name, StrV) else None
        if (
            isinstance(obj, ObjV)
            and literal is not None
            and z3.is_string_value(literal)
            and literal.as_string() in obj.fields
        ):
            out.append((p, BoolV(z3.BoolVal(True))))
        else:
            out.append((p, BoolV(ex.ctx.fresh("hasattr", z3.BoolSort()))))
    return out


def _getattr(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
    out: Results = []
    for p, vs in call_args(ex, node, path):
        obj, name = vs[0], vs[1]
        literal = z3.simplify(name.e) if isinstance(name, StrV) else None
        if literal is not None and z3.is_string_value(literal) and len(vs) == 2:
            out.extend(ex.attribute(obj, literal.as_string(), p, line))
        elif (
            isinstance(obj, ObjV)
            and isinstance(name, StrV)
            and obj.cls in ex.ctx.classes
            and len(vs) == 2
        ):
            out.append((p, MethodChoice(obj, name.e)))
        else:
            out.extend(ex.opaque_call(node, p, line, "getattr()"))
    return out


def _identity(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
    out: Results = []
    for p, vs in call_args(ex, node, path):
        value = vs[0]
        if isinstance(value, AnyV | ObjV) and value.ident is not None:
            out.append((p, IntV(value.ident)))
        else:
            out.append((p, IntV(ex.ctx.fresh("id()", z3.IntSort()))))
    return out


def _hash(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
    out: Results = []
    for p, vs in call_args(ex, node, path):
        ex.ctx.note_unmodelled("hash()")
        if isinstance(vs[0], IntV):
            out.append((p, vs[0]))  # small ints hash to themselves; large ones do not
            continue
        out.append((p, IntV(ex.ctx.fresh("hash()", z3.IntSort()))))
    return out


def _str(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
    if not node.args:
        return [(path, StrV(z3.StringVal("")))]
    if len(node.args) > 1 or node.keywords:
        raise Unsupported("str() with an encoding", line, "builtin:str(args)")
    return [(p, to_str(ex, vs[0], p, line)) for p, vs in call_args(ex, node, path)]


def _repr(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
    out: Results = []
    for p, vs in call_args(ex, node, path):
        if isinstance(vs[0], IntV | BoolV | NoneV):
            out.append((p, to_str(ex, vs[0], p, line)))
        else:
            ex.ctx.note_unmodelled("repr()")
            out.append((p, fresh_str(ex, "repr()")))
    return out


def _print(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
    return [(p, NoneV()) for p, _ in call_args(ex, node, path)]


def _opaque(name: str, kind: str | None = None) -> Builtin:
    def run(ex: Core, node: ast.Call, path: Path, line: int) -> Results:
        results = ex.opaque_call(node, path, line, f"`{name}()`")
        if kind == "bool":
            return [
                (p, None if v is None else BoolV(ex.ctx.fresh(name, z3.BoolSort())))
                for p, v in results
            ]
        return results

    return run


OBJECTS: dict[str, Builtin] = {
    "isinstance": _isinstance,
    "implies": _implies,
    "hasattr": _hasattr,
    "getattr": _getattr,
    "id": _identity,
    "hash": _hash,
    "str": _str,
    "repr": _repr,
    "print": _print,
    "callable": _opaque("callable", "bool"),
    "issubclass": _opaque("issubclass", "bool"),
    "type": _opaque("type"),
    "iter": _opaque("iter"),
    "next": _opaque("next"),
    "map": _opaque("map"),
    "filter": _opaque("filter"),
    "open": _opaque("open"),
    "super": _opaque("super"),
    "vars": _opaque("vars"),
    "format": _opaque("format"),
}
