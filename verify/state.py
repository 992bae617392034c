"""The state of symbolic execution: a path (its condition, environment and outcome), the
obligations met on the way, unrolled streams of elements, and the per-run context."""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

import z3

from verify.values import Value

LOOP_BOUND = 8  # loop iterations and sequence elements unrolled
CALL_DEPTH = 4  # same-module calls inlined
MAX_PATHS = 256
MAX_LITERAL_DIGITS = 400


@dataclass(frozen=True)
class Path:
    cond: tuple[z3.BoolRef, ...]
    env: dict[str, Value]
    status: str = "live"  # live | return | raise | break | continue | cut
    value: Value | None = None
    raised: str | None = None
    line: int = 0
    rebound: frozenset[str] = frozenset()
    # Names bound to objects that may be shared with something else (a loop variable over a
    # list of lists, an alias of another name): mutating them needs a heap model we lack.
    borrowed: frozenset[str] = frozenset()
    # Loop variables that are items of a parameter's list of lists: (name, container, index),
    # so a mutation through the name reaches the container and the items it aliases.
    origins: tuple[tuple[str, str, int], ...] = ()

    def add(self, condition: z3.BoolRef) -> Path:
        return dataclasses.replace(self, cond=(*self.cond, condition))

    def bind(
        self, name: str, value: Value, rebinding: bool = True, borrowed: bool | None = None
    ) -> Path:
        env = dict(self.env)
        env[name] = value
        rebound = self.rebound | {name} if rebinding else self.rebound
        shared = self.borrowed
        if borrowed is True:
            shared = shared | {name}
        elif borrowed is False:
            shared = shared - {name}
        origins = self.origins
        if rebinding and any(o[0] == name for o in origins):
            origins = tuple(o for o in origins if o[0] != name)
        return dataclasses.replace(self, env=env, rebound=rebound, borrowed=shared, origins=origins)

    def end(
        self, status: str, value: Value | None = None, raised: str | None = None, line: int = 0
    ) -> Path:
        return dataclasses.replace(self, status=status, value=value, raised=raised, line=line)


@dataclass
class Obligation:
    kind: str  # assert | raise | pre
    text: str
    line: int
    cond: tuple[z3.BoolRef, ...]
    check: z3.BoolRef  # must hold on the path
    raises: str | None = None  # the exception Python raises where it does not


Results = list[tuple[Path, Value | None]]  # value None: the path ended (raised, cut)


@dataclass(frozen=True)
class Stream:
    """The elements of an iterable, unrolled: (present, element) for the first LOOP_BOUND,
    whether there are more, and the exact count where it is known."""

    elements: Sequence[tuple[z3.BoolRef, Value]]
    more: z3.BoolRef
    size: z3.ArithRef | None = None
    filtered: bool = False


@dataclass
class Context:
    module: ast.Module
    source: str
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    obligations: list[Obligation] = field(default_factory=list)
    cuts: list[tuple[tuple[z3.BoolRef, ...], str]] = field(default_factory=list)
    collect: bool = True
    reals: bool = False
    fresh_count: int = 0
    oracle: dict[str, z3.ExprRef] = field(default_factory=dict)  # concrete choices
    choices: dict[str, z3.ExprRef] = field(default_factory=dict)  # nondeterministic picks
    post_asserts: set[int] = field(default_factory=set)
    domain: list[z3.BoolRef] = field(default_factory=list)  # facts about the inputs
    facts: list[z3.BoolRef] = field(default_factory=list)  # about fresh values made on the way
    abstractions: list[tuple[tuple[z3.BoolRef, ...], str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for node in self.module.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions[node.name] = node
            elif isinstance(node, ast.ClassDef):
                self.classes[node.name] = node

    def fresh(self, prefix: str, sort: z3.SortRef) -> z3.ExprRef:
        self.fresh_count += 1
        name = f"{prefix}!{self.fresh_count}"
        if name in self.oracle:
            return self.oracle[name]
        const = z3.Const(name, sort)
        self.choices[name] = const
        return const


def is_false(condition: z3.BoolRef) -> bool:
    return bool(z3.is_false(z3.simplify(condition)))


class Ended(Exception):
    """An expression ended its path (raised): carried out to the statement level."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
