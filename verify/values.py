"""Symbolic values for the translator: Python's int, bool, float (as real), str, None,
Optional values, tuples, homogeneous sequences (Z3 sequences), bounded lists of composite
values, dicts and sets as arrays with a size, uninterpreted callables, objects of the module's
classes, objects the translator does not model (`AnyV`: any value at all), and random
sources. The operations on them are in verify/operations.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import z3


class Unsupported(Exception):
    """A construct the translator does not model: the verdict is unknown, never wrong.
    `construct` names it for the bench's table (`node:With`, `builtin:sorted`,
    `method:str.split`, `type:Path`, `budget:time`, ...)."""

    def __init__(self, what: str, line: int = 0, construct: str | None = None) -> None:
        super().__init__(f"{what} (line {line})" if line else what)
        self.what = what
        self.line = line
        self.construct = construct or "other"


class Exhausted(Unsupported):
    """The time budget ran out inside the executor."""

    def __init__(self, what: str = "time budget exhausted") -> None:
        super().__init__(what, 0, "budget:time")


class Value:
    kind = "value"


@dataclass(frozen=True, eq=False)
class IntV(Value):
    e: z3.ArithRef
    kind = "int"


@dataclass(frozen=True, eq=False)
class RealV(Value):
    e: z3.ArithRef
    kind = "float"


@dataclass(frozen=True, eq=False)
class BoolV(Value):
    e: z3.BoolRef
    kind = "bool"


@dataclass(frozen=True, eq=False)
class StrV(Value):
    e: z3.SeqRef
    kind = "str"


@dataclass(frozen=True, eq=False)
class ElemV(Value):
    """A value of a type variable (or `Any` inside a container): an element of an
    uninterpreted sort. `==` on it is an equivalence (the one thing assumed of such values);
    anything else it does goes through the functions below, which nothing constrains."""

    e: z3.ExprRef
    kind = "obj"


@dataclass(frozen=True, eq=False)
class NoneV(Value):
    kind = "none"


@dataclass(frozen=True, eq=False)
class OptV(Value):
    """`Optional[T]`: None where `none` holds, else `value`."""

    none: z3.BoolRef
    value: Value
    kind = "optional"


@dataclass(frozen=True, eq=False)
class AnyV(Value):
    """An object the translator does not model: an unhinted parameter, an instance of a class
    it cannot see, the result of a call it cannot follow. Any value at all: what is known
    about it is its identity, whether it is None, its truth and its size (fresh, so that
    asking twice gives the same answer), and its class where a hint or a constructor names
    it. Operations on it give further `AnyV`s."""

    name: str  # what it stands for, for the reasons given in verdicts
    ident: z3.ArithRef
    none: z3.BoolRef
    truthy: z3.BoolRef
    size: z3.ArithRef
    cls: str | None = None
    kind = "any"


@dataclass(frozen=True, eq=False)
class TupleV(Value):
    items: tuple[Value, ...]
    kind = "tuple"


@dataclass(frozen=True, eq=False)
class SeqV(Value):
    """A list/tuple of atomic elements of one type, of symbolic length."""

    e: z3.SeqRef
    elem: str  # int | float | bool | str
    tuple_like: bool = False
    kind = "list"


@dataclass(frozen=True, eq=False)
class BListV(Value):
    """A list of composite values: symbolic length, at most len(items) elements modelled."""

    length: z3.ArithRef
    items: tuple[Value, ...]
    # Object identity of the items (a parameter's inner lists may be one list twice): item i
    # is the same object as item ids[i] (ids[i] <= i, pointing at the first occurrence).
    # Empty: every item is its own object.
    ids: tuple[z3.ArithRef, ...] = ()
    tuple_like: bool = False
    kind = "list"


@dataclass(frozen=True, eq=False)
class DictV(Value):
    """A dict of atomic keys and values, as arrays: membership and values, and its size
    (kept exact through stores; a counterexample's dict must agree with it)."""

    has: z3.ArrayRef
    val: z3.ArrayRef
    key: str
    value: str
    size: z3.ArithRef
    kind = "dict"


@dataclass(frozen=True, eq=False)
class SetV(Value):
    """A set of atomic elements, as an array of membership and a size. `exact` says whether
    the size is exact (a parameter, a literal) or only bounded (set() of a sequence)."""

    has: z3.ArrayRef
    elem: str
    size: z3.ArithRef
    kind = "set"


@dataclass(frozen=True, eq=False)
class AssocV(Value):
    """A dict built in the function: entries (present, key, value), later ones win."""

    entries: tuple[tuple[z3.BoolRef, Value, Value], ...]
    kind = "dict"


@dataclass(frozen=True, eq=False)
class FuncV(Value):
    """An uninterpreted pure callable over atomic types."""

    f: z3.FuncDeclRef
    args: tuple[str, ...]
    result: str
    kind = "callable"


@dataclass(frozen=True, eq=False)
class ObjV(Value):
    """An object of one of the module's classes, its fields as values. `ident` is its
    identity (None for the internal records of contracts: OLD, deal's `_`)."""

    cls: str
    fields: dict[str, Value] = field(default_factory=dict)
    ident: z3.ArithRef | None = None
    # Its class has a base the translator cannot see, which may constrain the fields (a
    # validating model): they are never part of a counterexample.
    closed: bool = False
    kind = "object"


@dataclass(frozen=True, eq=False)
class RandomV(Value):
    name: str
    kind = "random"


@dataclass(frozen=True, eq=False)
class MethodChoice(Value):
    """`getattr(obj, name)`: one of the object's methods, chosen by a symbolic name."""

    obj: ObjV
    name: z3.SeqRef
    kind = "method"


@dataclass(frozen=True, eq=False)
class ModuleV(Value):
    """A name the module imports or defines at its top level that is a module, function or
    class (`re`, `re.match`, `os.path.join`, `builtins.len`, `<module>.helper`): called, it
    is modelled where its dotted name is known, else it is code the translator does not
    follow."""

    dotted: str
    kind = "module"

    @property
    def last(self) -> str:
        return self.dotted.rsplit(".", 1)[-1]


@dataclass(frozen=True, eq=False)
class PatternV(Value):
    """A compiled regular expression with a constant pattern."""

    pattern: str
    flags: int
    kind = "pattern"


@dataclass(frozen=True, eq=False)
class LambdaV(Value):
    """A lambda and the names it closes over: called, its body is evaluated."""

    node: Any  # ast.Lambda
    env: dict[str, Value]
    kind = "callable"


@dataclass(frozen=True, eq=False)
class BoundMethod(Value):
    """`obj.method` read without calling it: called later, it is the method's call."""

    obj: Value
    name: str
    kind = "method"


OBJ = z3.DeclareSort("Obj")
SORTS = {
    "int": z3.IntSort(),
    "float": z3.RealSort(),
    "bool": z3.BoolSort(),
    "str": z3.StringSort(),
    "obj": OBJ,
}
ATOMIC_KINDS = tuple(SORTS)
OBJ_NONE = z3.Function("obj is None", OBJ, z3.BoolSort())
OBJ_TRUE = z3.Function("bool(obj)", OBJ, z3.BoolSort())
OBJ_LEN = z3.Function("len(obj)", OBJ, z3.IntSort())
OBJ_ID = z3.Function("id(obj)", OBJ, z3.IntSort())


def atomic(kind: str, e: Any) -> Value:
    return {"int": IntV, "float": RealV, "bool": BoolV, "str": StrV, "obj": ElemV}[kind](e)


# An object the translator does not model, used where Python needs an int (an index, a
# range's bound) or a float: whatever number it stands for, the same each time.
ANY_AS_INT = z3.Function("int(any)", z3.IntSort(), z3.IntSort())
ANY_AS_REAL = z3.Function("float(any)", z3.IntSort(), z3.RealSort())


def to_real(v: Value, line: int = 0) -> z3.ArithRef:
    if isinstance(v, RealV):
        return v.e
    if isinstance(v, IntV):
        return z3.ToReal(v.e)
    if isinstance(v, BoolV):
        return z3.If(v.e, z3.RealVal(1), z3.RealVal(0))
    if isinstance(v, AnyV):
        return ANY_AS_REAL(v.ident)
    raise Unsupported(f"a number was expected, got {v.kind}", line, f"type:{v.kind}")


def to_int(v: Value, line: int = 0) -> z3.ArithRef:
    if isinstance(v, IntV):
        return v.e
    if isinstance(v, BoolV):
        return z3.If(v.e, z3.IntVal(1), z3.IntVal(0))
    if isinstance(v, AnyV):
        return ANY_AS_INT(v.ident)
    raise Unsupported(f"an int was expected, got {v.kind}", line, f"type:{v.kind}")


def atomic_expr(value: Value, kind: str, line: int) -> z3.ExprRef:
    """The Z3 term of `value` as an element of a sequence of `kind`."""
    if isinstance(value, AnyV):  # it may be of another type: not an element of this sort
        raise Unsupported(f"{value.name} where a {kind} was expected", line, "type:any")
    if kind == "float":
        return to_real(value, line)
    if kind == "int":
        return to_int(value, line)
    if kind == "bool" and isinstance(value, BoolV):
        return value.e
    if kind == "str" and isinstance(value, StrV):
        return value.e

    if kind == "obj" and isinstance(value, ElemV):
        return value.e
    raise Unsupported(f"a {value.kind} where a {kind} was expected", line, f"type:{value.kind}")


def uses_real(v: Value) -> bool:
    if isinstance(v, RealV):
        return True
    if isinstance(v, SeqV):
        return v.elem == "float"
    if isinstance(v, TupleV | BListV):
        return any(uses_real(x) for x in v.items)
    return False


def mutable(v: Value) -> bool:
    """Whether code it is passed to may change it in place."""
    if isinstance(v, SeqV | BListV):
        return not v.tuple_like
    if isinstance(v, TupleV):
        return any(mutable(x) for x in v.items)
    if isinstance(v, OptV):
        return mutable(v.value)
    return isinstance(v, DictV | SetV | AssocV | ObjV)
