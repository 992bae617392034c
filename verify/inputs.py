"""Fresh symbolic inputs from type hints: atomic values, sequences, tuples, lists of
composite values (with the identity of their items), dicts, callables, random sources and
objects of the module's classes."""

from __future__ import annotations

import ast

import z3

from verify.state import LOOP_BOUND, Context
from verify.values import (
    SORTS,
    BListV,
    DictV,
    FuncV,
    NoneV,
    ObjV,
    RandomV,
    SeqV,
    TupleV,
    Unsupported,
    Value,
    atomic,
)

_ATOMIC = {"int": "int", "float": "float", "bool": "bool", "str": "str"}
_SEQUENCES = {
    "list",
    "List",
    "Sequence",
    "Iterable",
    "tuple",
    "Tuple",
    "MutableSequence",
    "Collection",
}


class Inputs:
    def __init__(self, ctx: Context, typevars: set[str]) -> None:
        self.ctx = ctx
        self.typevars = typevars

    def atomic_kind(self, node: ast.expr | None) -> str | None:
        if node is None:
            return None
        name = ast.unparse(node).rsplit(".", 1)[-1]
        if name in _ATOMIC:
            return _ATOMIC[name]
        if name in self.typevars or name in ("Any", "object"):
            return "int"  # a generic element: any type will do for a counterexample
        return None

    def fresh(self, name: str, node: ast.expr | None, line: int) -> Value:
        if node is None:
            raise Unsupported(f"parameter `{name}` has no type hint", line)
        kind = self.atomic_kind(node)
        if kind is not None:
            return atomic(kind, z3.Const(name, SORTS[kind]))
        if isinstance(node, ast.Constant) and node.value is None:
            return NoneV()
        base = ast.unparse(node.value if isinstance(node, ast.Subscript) else node)
        base = base.rsplit(".", 1)[-1]
        args: list[ast.expr] = []
        if isinstance(node, ast.Subscript):
            args = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
        if base in _SEQUENCES:
            tuple_like = base in ("tuple", "Tuple")
            if (
                tuple_like
                and args
                and not (
                    len(args) == 2
                    and isinstance(args[1], ast.Constant)
                    and args[1].value is Ellipsis
                )
            ):
                return TupleV(
                    tuple(self.fresh(f"{name}[{i}]", a, line) for i, a in enumerate(args))
                )
            element = args[0] if args else None
            kind = self.atomic_kind(element) if element is not None else "int"
            if kind is not None:
                return SeqV(z3.Const(name, z3.SeqSort(SORTS[kind])), kind, tuple_like)
            size = z3.Int(f"len({name})")
            items = tuple(self.fresh(f"{name}[{i}]", element, line) for i in range(LOOP_BOUND))
            self.ctx.cuts.append(
                ((size > LOOP_BOUND,), f"lists of composite values modelled up to {LOOP_BOUND}")
            )
            self.ctx.domain.append(size >= 0)
            ids: tuple[z3.ArithRef, ...] = ()
            if all(isinstance(item, SeqV) and not item.tuple_like for item in items):
                # The caller may pass one list twice: identity is part of the input.
                ids = tuple(z3.Int(f"{name}[{i}] is") for i in range(len(items)))
                for i, ident in enumerate(ids):
                    self.ctx.domain.append(z3.And(ident >= 0, ident <= i))
                    for j in range(i):
                        first, seq = items[j], items[i]
                        assert isinstance(first, SeqV) and isinstance(seq, SeqV)
                        self.ctx.domain.append(
                            z3.Implies(ident == j, z3.And(ids[j] == j, seq.e == first.e))
                        )
            return BListV(size, items, ids)
        if base in ("dict", "Dict", "Mapping", "MutableMapping") and len(args) == 2:
            key, value = self.atomic_kind(args[0]), self.atomic_kind(args[1])
            if key is None or value is None:
                raise Unsupported(f"parameter `{name}`: dict of composite values", line)
            return DictV(
                z3.Array(f"{name}.keys", SORTS[key], z3.BoolSort()),
                z3.Array(f"{name}.values", SORTS[key], SORTS[value]),
                key,
                value,
            )
        if base == "Callable" and len(args) == 2 and isinstance(args[0], ast.List):
            kinds = [self.atomic_kind(a) for a in args[0].elts]
            result = self.atomic_kind(args[1])
            if result is None or any(k is None for k in kinds):
                raise Unsupported(f"parameter `{name}`: callable over composite values", line)
            f = z3.Function(name, *[SORTS[k] for k in kinds], SORTS[result])  # type: ignore
            return FuncV(f, tuple(kinds), result)  # type: ignore[arg-type]
        if base == "Random":
            return RandomV(name)
        if base in self.ctx.classes:
            return self.instance(name, self.ctx.classes[base], line)
        raise Unsupported(f"parameter `{name}` of type `{ast.unparse(node)}`", line)

    def instance(self, name: str, cls: ast.ClassDef, line: int) -> ObjV:
        annotations: dict[str, ast.expr] = {}
        for node in cls.body:
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                annotations[node.target.id] = node.annotation
        init = next(
            (n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None
        )
        if init is not None:
            hints = {a.arg: a.annotation for a in init.args.args}
            for child in ast.walk(init):
                if (
                    isinstance(child, ast.Assign)
                    and len(child.targets) == 1
                    and isinstance(child.targets[0], ast.Attribute)
                    and isinstance(child.targets[0].value, ast.Name)
                    and child.targets[0].value.id == "self"
                ):
                    attr = child.targets[0].attr
                    if attr not in annotations:
                        source = child.value
                        if isinstance(source, ast.BoolOp):
                            source = source.values[0]
                        hint = hints.get(source.id) if isinstance(source, ast.Name) else None
                        if hint is not None:
                            annotations[attr] = _strip_optional(hint)
        fields = {
            attr: self.fresh(f"{name}.{attr}", hint, line) for attr, hint in annotations.items()
        }
        return ObjV(cls.name, fields)


def _strip_optional(node: ast.expr) -> ast.expr:
    if isinstance(node, ast.Subscript) and ast.unparse(node.value).endswith("Optional"):
        return node.slice
    return node
