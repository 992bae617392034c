"""Symbolic values from type hints: a function's inputs (named constants, part of a
counterexample), and fresh results of calls the translator summarises (never part of one).
Atomic values, Optional and Literal, sequences, tuples, lists of composite values (with the
identity of their items), sets, dicts, callables, random sources, objects of the module's
classes, and objects of classes it cannot see (any value of that class)."""

from __future__ import annotations

import ast

import z3

from bot.core import pysyntax
from verify.state import LOOP_BOUND, Context
from verify.values import (
    SORTS,
    AnyV,
    BListV,
    DictV,
    FuncV,
    NoneV,
    ObjV,
    OptV,
    RandomV,
    SeqV,
    SetV,
    TupleV,
    Unsupported,
    Value,
    atomic,
)

_ATOMIC = {"int": "int", "float": "float", "bool": "bool", "str": "str"}
_SEQUENCES = {
    "list", "List", "Sequence", "Iterable", "tuple", "Tuple", "MutableSequence", "Collection",
    "Reversible",
}  # fmt: skip
_SETS = {"set", "Set", "frozenset", "FrozenSet", "AbstractSet", "MutableSet"}
_DICTS = {"dict", "Dict", "Mapping", "MutableMapping", "OrderedDict", "DefaultDict", "defaultdict"}
_WRAPPERS = {"Final", "ClassVar", "Annotated", "Required", "NotRequired", "ReadOnly"}
_ANY = {"Any", "object"}


class Inputs:
    """`as_input`: the values are the function's inputs (constants named after the
    parameters, their facts part of the domain); else fresh values (facts about them)."""

    def __init__(self, ctx: Context, typevars: set[str], as_input: bool = True) -> None:
        self.ctx = ctx
        self.typevars = typevars
        self.as_input = as_input

    def const(self, name: str, sort: z3.SortRef) -> z3.ExprRef:
        return z3.Const(name, sort) if self.as_input else self.ctx.fresh(name, sort)

    def fact(self, fact: z3.BoolRef) -> None:
        (self.ctx.domain if self.as_input else self.ctx.facts).append(fact)

    def atomic_kind(self, node: ast.expr | None) -> str | None:
        if node is None:
            return None
        node = self.unwrapped(node)
        name = ast.unparse(node).rsplit(".", 1)[-1]
        if name in _ATOMIC:
            return _ATOMIC[name]
        if name in self.typevars or name in _ANY:
            return "obj"  # a value of a type variable: an element of an uninterpreted sort
        return self.ctx.str_types.get(name)

    def unwrapped(self, node: ast.expr) -> ast.expr:
        """`Final[X]`, `Annotated[X, ...]` and `"X"` read as X."""
        while True:
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                try:
                    node = pysyntax.parse(node.value, mode="eval").body
                except SyntaxError:
                    return node
                continue
            if isinstance(node, ast.Subscript) and _base_name(node) in _WRAPPERS:
                inner = node.slice
                node = inner.elts[0] if isinstance(inner, ast.Tuple) else inner
                continue
            return node

    def fresh(self, name: str, node: ast.expr | None, line: int) -> Value:
        if node is None:
            # No hint, no domain: any value at all, None included.
            return self.anything(name, None, nullable=True, label=f"`{name}` (no type hint)")
        node = self.unwrapped(node)
        if _base_name(node) in _ANY:
            return self.anything(name, None, nullable=True)
        kind = self.atomic_kind(node)
        if kind is not None:
            return atomic(kind, self.const(name, SORTS[kind]))
        if isinstance(node, ast.Constant) and node.value is None:
            return NoneV()
        members = _union_members(node)
        if members is not None:
            return self.union(name, members, line)
        base = _base_name(node)
        args = _type_args(node)
        if base in _ANY or base in self.typevars:
            return self.anything(name, None, nullable=True)
        if base == "Literal":
            return self.literal(name, args, line)
        if base in _SEQUENCES:
            return self.sequence(name, base, args, line)
        if base in _SETS:
            element = self.atomic_kind(args[0]) if args else None
            if element is not None:
                return self.set_of(name, element)
        if base in _DICTS and len(args) == 2:
            key, value = self.atomic_kind(args[0]), self.atomic_kind(args[1])
            if key is not None and value is not None:
                return self.dict_of(name, key, value)
        if base == "Callable" and len(args) == 2 and isinstance(args[0], ast.List):
            kinds = [self.atomic_kind(a) for a in args[0].elts]
            result = self.atomic_kind(args[1])
            if result is not None and all(k is not None for k in kinds):
                f = z3.Function(name, *[SORTS[k] for k in kinds], SORTS[result])  # type: ignore
                return FuncV(f, tuple(kinds), result)  # type: ignore[arg-type]
        if base == "Random":
            return RandomV(name)
        if base in self.ctx.classes and not self.ctx.is_enum(base):
            return self.instance(name, self.ctx.classes[base], line)
        return self.anything(name, base, nullable=False)

    def anything(
        self, name: str, cls: str | None, nullable: bool, label: str | None = None
    ) -> AnyV:
        ident = self.const(f"id({name})", z3.IntSort())
        none = self.const(f"{name} is None", z3.BoolSort()) if nullable else z3.BoolVal(False)
        truthy = self.const(f"bool({name})", z3.BoolSort())
        size = self.const(f"len({name})", z3.IntSort())
        self.fact(z3.And(ident >= 0, size >= 0, z3.Implies(none, z3.Not(truthy))))
        shown = label or (f"`{name}` (any {cls})" if cls else f"`{name}` (any value)")
        return AnyV(shown, ident, none, truthy, size, _class_name(cls))

    def union(self, name: str, members: list[ast.expr], line: int) -> Value:
        nullable = any(isinstance(m, ast.Constant) and m.value is None for m in members)
        rest = [m for m in members if not (isinstance(m, ast.Constant) and m.value is None)]
        inner = (
            self.fresh(name, rest[0], line) if len(rest) == 1 else self.anything(name, None, False)
        )
        if not nullable:
            return inner
        if isinstance(inner, AnyV):
            return AnyV(
                inner.name,
                inner.ident,
                self.const(f"{name} is None", z3.BoolSort()),
                inner.truthy,
                inner.size,
                inner.cls,
            )
        return OptV(self.const(f"{name} is None", z3.BoolSort()), inner)

    def literal(self, name: str, args: list[ast.expr], line: int) -> Value:
        options = [a.value for a in args if isinstance(a, ast.Constant)]
        kinds = {type(o).__name__ for o in options}
        if len(options) != len(args) or len(kinds) != 1 or next(iter(kinds)) not in SORTS:
            return self.anything(name, None, nullable=None in options)
        kind = next(iter(kinds))
        value = atomic(kind, self.const(name, SORTS[kind]))
        literal = {"int": z3.IntVal, "str": z3.StringVal, "bool": z3.BoolVal, "float": z3.RealVal}[
            kind
        ]
        self.fact(z3.Or(*[value.e == literal(o) for o in options]))  # type: ignore[attr-defined]
        return value

    def sequence(self, name: str, base: str, args: list[ast.expr], line: int) -> Value:
        tuple_like = base in ("tuple", "Tuple")
        variadic = (
            len(args) == 2 and isinstance(args[1], ast.Constant) and args[1].value is Ellipsis
        )
        if tuple_like and args and not variadic:
            if len(args) == 1 and isinstance(args[0], ast.Tuple) and not args[0].elts:
                return TupleV(())
            return TupleV(tuple(self.fresh(f"{name}[{i}]", a, line) for i, a in enumerate(args)))
        element = args[0] if args else None
        kind = self.atomic_kind(element) if element is not None else None
        if kind is not None:
            return SeqV(self.const(name, z3.SeqSort(SORTS[kind])), kind, tuple_like)
        size = self.const(f"len({name})", z3.IntSort())
        items = tuple(self.fresh(f"{name}[{i}]", element, line) for i in range(LOOP_BOUND))
        self.ctx.cuts.append(
            ((size > LOOP_BOUND,), f"lists of composite values modelled up to {LOOP_BOUND} items")
        )
        self.fact(size >= 0)
        ids: tuple[z3.ArithRef, ...] = ()
        if self.as_input and all(isinstance(item, SeqV) and not item.tuple_like for item in items):
            ids = self.identities(name, items)
        return BListV(size, items, ids, tuple_like)

    def identities(self, name: str, items: tuple[Value, ...]) -> tuple[z3.ArithRef, ...]:
        """The caller may pass one list twice: identity is part of the input."""
        ids = tuple(z3.Int(f"{name}[{i}] is") for i in range(len(items)))
        for i, ident in enumerate(ids):
            self.fact(z3.And(ident >= 0, ident <= i))
            for j in range(i):
                first, seq = items[j], items[i]
                assert isinstance(first, SeqV) and isinstance(seq, SeqV)
                self.fact(z3.Implies(ident == j, z3.And(ids[j] == j, seq.e == first.e)))
        return ids

    def set_of(self, name: str, element: str) -> SetV:
        has = self.const(f"{name}.members", z3.ArraySort(SORTS[element], z3.BoolSort()))
        size = self.const(f"len({name})", z3.IntSort())
        self.fact(size >= 0)
        return SetV(has, element, size)

    def dict_of(self, name: str, key: str, value: str) -> DictV:
        has = self.const(f"{name}.keys", z3.ArraySort(SORTS[key], z3.BoolSort()))
        val = self.const(f"{name}.values", z3.ArraySort(SORTS[key], SORTS[value]))
        size = self.const(f"len({name})", z3.IntSort())
        self.fact(size >= 0)
        return DictV(has, val, key, value, size)

    def instance(self, name: str, cls: ast.ClassDef, line: int) -> ObjV:
        closed = not visible_bases(cls, self.ctx.classes)
        maker = Inputs(self.ctx, self.typevars, as_input=self.as_input and not closed)
        hints = field_hints(cls)
        fields = {attr: maker.fresh(f"{name}.{attr}", hint, line) for attr, hint in hints.items()}
        ident = self.const(f"id({name})", z3.IntSort())
        self.fact(ident >= 0)
        return ObjV(cls.name, fields, ident, closed)


def field_hints(cls: ast.ClassDef) -> dict[str, ast.expr | None]:
    """The fields of a class and their hints: class-level annotations, then what methods
    assign to `self.x` (hinted through `__init__`'s parameters where the value is one;
    unhinted otherwise: any value)."""
    hints: dict[str, ast.expr | None] = {}
    for node in cls.body:
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and not ast.unparse(node.annotation).startswith(("ClassVar", "typing.ClassVar"))
        ):
            hints[node.target.id] = node.annotation
    for method in cls.body:
        if not isinstance(method, ast.FunctionDef):
            continue
        params = {a.arg: a.annotation for a in method.args.args}
        for child in ast.walk(method):
            target, value = None, None
            if isinstance(child, ast.Assign) and len(child.targets) == 1:
                target, value = child.targets[0], child.value
            elif isinstance(child, ast.AnnAssign):
                target, value = child.target, child.annotation
            if not (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id == "self"
            ):
                continue
            if target.attr in hints:
                continue
            if isinstance(child, ast.AnnAssign):
                hints[target.attr] = child.annotation
            elif (
                method.name == "__init__"
                and isinstance(value, ast.Name)
                and params.get(value.id) is not None
            ):
                hints[target.attr] = params[value.id]
            elif (
                method.name == "__init__"
                and isinstance(value, ast.BoolOp)
                and isinstance(value.op, ast.Or)
                and isinstance(value.values[0], ast.Name)
                and params.get(value.values[0].id) is not None
            ):
                hinted = params[value.values[0].id]
                hints[target.attr] = _strip_optional(hinted) if hinted else None  # `x or default`
            else:
                hints[target.attr] = None
    return hints


def _base_name(node: ast.expr) -> str:
    return ast.unparse(node.value if isinstance(node, ast.Subscript) else node).rsplit(".", 1)[-1]


def _type_args(node: ast.expr) -> list[ast.expr]:
    if not isinstance(node, ast.Subscript):
        return []
    return list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]


def _union_members(node: ast.expr) -> list[ast.expr] | None:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return (_union_members(node.left) or [node.left]) + (
            _union_members(node.right) or [node.right]
        )
    if isinstance(node, ast.Subscript) and _base_name(node) == "Optional":
        return [node.slice, ast.Constant(None)]
    if isinstance(node, ast.Subscript) and _base_name(node) == "Union":
        return _type_args(node)
    return None


def _class_name(cls: str | None) -> str | None:
    exact = {
        "List": "list",
        "Dict": "dict",
        "Set": "set",
        "Tuple": "tuple",
        "FrozenSet": "frozenset",
    }
    return exact.get(cls or "", cls)


def _strip_optional(node: ast.expr) -> ast.expr:
    members = _union_members(node)
    if members is not None:
        rest = [m for m in members if not (isinstance(m, ast.Constant) and m.value is None)]
        if len(rest) == 1:
            return rest[0]
    return node


__all__ = ["Inputs", "Unsupported", "field_hints"]


_PLAIN_BASES = {"object", "ABC", "Generic", "Protocol", "NamedTuple", "Exception"}


def visible_bases(
    cls: ast.ClassDef, classes: dict[str, ast.ClassDef], seen: frozenset[str] = frozenset()
) -> bool:
    """Whether every base of the class is one the translator sees (or one adding nothing)."""
    for base in cls.bases:
        node = base.value if isinstance(base, ast.Subscript) else base
        name = ast.unparse(node).rsplit(".", 1)[-1]
        if name in _PLAIN_BASES:
            continue
        if (
            name in classes
            and name not in seen
            and visible_bases(classes[name], classes, seen | {cls.name})
        ):
            continue
        return False
    return True
