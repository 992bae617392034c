"""The state of symbolic execution: a path (its condition, environment and outcome), the
obligations met on the way, unrolled streams of elements, and the per-run context with its
time budget."""

from __future__ import annotations

import ast
import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import z3

from verify.values import Exhausted, Value

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
    # A raised path: the exception's name (None: one from code the translator does not
    # model, which is never reported), the line, and what was violated, as the verdict's
    # condition ("division by zero", "xs[i] in range") with its kind (raise | assert | post).
    raised: str | None = None
    line: int = 0
    what: str | None = None
    what_kind: str = "raise"
    rebound: frozenset[str] = frozenset()
    # Names bound to objects that may be shared with something else (a loop variable over a
    # list of lists, an alias of another name): mutating them needs a heap model we lack.
    borrowed: frozenset[str] = frozenset()
    # Loop variables that are items of a parameter's list of lists: (name, container, index),
    # so a mutation through the name reaches the container and the items it aliases.
    origins: tuple[tuple[str, str, int], ...] = ()
    # Parameters that may be one object (two lists passed as the same list): (a, b, same).
    # A mutation through one is seen through the other where `same` holds.
    aliases: tuple[tuple[str, str, z3.BoolRef], ...] = ()
    # The path is one the translator cannot tell from another (an exception that a handler
    # may or may not catch, one that unmodelled code may raise): good for proofs, never for
    # a counterexample.
    uncertain: bool = False

    def add(self, condition: z3.BoolRef) -> Path:
        return dataclasses.replace(self, cond=(*self.cond, condition))

    def bind(
        self, name: str, value: Value, rebinding: bool = True, borrowed: bool | None = None
    ) -> Path:
        """`name = value` (rebinding) or the object under `name` changed in place (not
        rebinding: its aliases see the change)."""
        from verify.operations import merge
        from verify.values import ObjV

        env = dict(self.env)
        env[name] = value
        aliases = self.aliases
        if rebinding:
            aliases = tuple(
                a for a in aliases if name not in (a[0], a[1]) and not a[1].startswith(f"{name}.")
            )
        else:
            for a, b, same in aliases:
                if "." in b:  # `a` is the object in the field `b` ("owner.attr")
                    owner, attr = b.split(".", 1)
                    holder = env.get(owner)
                    if name == a and isinstance(holder, ObjV) and attr in holder.fields:
                        fields = {**holder.fields, attr: merge(same, value, holder.fields[attr])}
                        env[owner] = ObjV(holder.cls, fields, holder.ident)
                    elif (
                        name == owner
                        and isinstance(value, ObjV)
                        and attr in value.fields
                        and a in env
                    ):
                        env[a] = merge(same, value.fields[attr], env[a])
                    continue
                other = b if a == name else a if b == name else None
                if other is not None and other in env:
                    env[other] = merge(same, value, env[other])
        rebound = self.rebound | {name} if rebinding else self.rebound
        shared = self.borrowed
        if borrowed is True:
            shared = shared | {name}
        elif borrowed is False:
            shared = shared - {name}
        origins = self.origins
        if rebinding and any(o[0] == name for o in origins):
            origins = tuple(o for o in origins if o[0] != name)
        return dataclasses.replace(
            self, env=env, rebound=rebound, borrowed=shared, origins=origins, aliases=aliases
        )

    def unalias(self, location: str) -> Path:
        """The field `location` ("owner.attr") now holds another object."""
        kept = tuple(a for a in self.aliases if a[1] != location)
        return dataclasses.replace(self, aliases=kept)

    def alias(self, name: str, location: str) -> Path:
        """`name` and `location` (a name, or "owner.attr") are one object."""
        return dataclasses.replace(
            self, aliases=(*self.aliases, (name, location, z3.BoolVal(True)))
        )

    def end(
        self,
        status: str,
        value: Value | None = None,
        raised: str | None = None,
        line: int = 0,
        what: str | None = None,
        what_kind: str = "raise",
    ) -> Path:
        return dataclasses.replace(
            self,
            status=status,
            value=value,
            raised=raised,
            line=line,
            what=what,
            what_kind=what_kind,
        )


@dataclass
class Obligation:
    kind: str  # pre (a callee's precondition at a call site)
    text: str
    line: int
    cond: tuple[z3.BoolRef, ...]
    check: z3.BoolRef  # must hold on the path
    raises: str | None = None  # what Python (or the contract library) raises where it does not


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
    # Module-level names: constants bound once to a literal, and every other name the module
    # binds (imports, assignments), which are values the translator does not model.
    constants: dict[str, ast.expr] = field(default_factory=dict)
    module_names: set[str] = field(default_factory=set)
    imports: dict[str, str] = field(default_factory=dict)  # local name -> dotted name
    patterns: dict[str, tuple[str, int]] = field(default_factory=dict)  # re.compile constants
    star_import: bool = False
    module_name: str = "<module>"
    known_classes: frozenset[str] = frozenset()  # class names defined elsewhere in the project
    # Classes that are str (or int) in all but name: `class Identifier(str)` with no methods
    # of its own but a constructor, `Identifier = NewType("Identifier", str)`.
    str_types: dict[str, str] = field(default_factory=dict)
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
    # Terminal paths an expression ended (a raise), collected at the statement level.
    sink: list[Path] = field(default_factory=list)
    # Every place a modelled exception may be raised: (kind, what, line), in order, kept
    # even where the path is plainly impossible (the verdict is then a proof).
    points: list[tuple[str, str, int]] = field(default_factory=list)
    feasible: set[tuple[str, str, int]] = field(default_factory=set)  # a raise path was made

    try_depth: int = 0  # inside a try body: unmodelled code's exceptions may be caught
    unmodelled_calls: int = 0  # how often code the translator does not follow ran
    local_names: frozenset[str] = frozenset()  # the running function's locals
    # Locals that closures use: name -> whether one rebinds it (`nonlocal`).
    captured: dict[str, bool] = field(default_factory=dict)

    unmodelled: list[str] = field(default_factory=list)  # what the run could not follow
    deadline: float | None = None  # time.monotonic() after which the run gives up
    axioms: set[tuple[str, str]] = field(default_factory=set)  # which are among the facts
    ticks: int = 0

    def __post_init__(self) -> None:
        for node in self.module.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions[node.name] = node
            elif isinstance(node, ast.ClassDef):
                self.classes[node.name] = node
        bindings = _module_bindings(self.module)
        self.constants, self.module_names, self.star_import, self.imports = bindings
        self.patterns = _patterns(self.module, self.imports)
        self.str_types = {**atomic_aliases(self.module), **self.str_types}

    def is_enum(self, name: str) -> bool:
        cls = self.classes.get(name)
        return cls is not None and any(
            ast.unparse(b).rsplit(".", 1)[-1] in ("Enum", "IntEnum", "StrEnum", "Flag")
            for b in cls.bases
        )

    def fresh(self, prefix: str, sort: z3.SortRef) -> z3.ExprRef:
        """A value nothing determines (an over-approximation). Never fixed by a
        counterexample: a refutation must hold whatever it is."""
        self.fresh_count += 1
        return z3.Const(f"{prefix}~{self.fresh_count}", sort)

    def choice(self, prefix: str, sort: z3.SortRef) -> z3.ExprRef:
        """A nondeterministic input of the function (a random source's pick): part of a
        counterexample, replayed through the oracle when it is confirmed."""
        self.fresh_count += 1
        name = f"{prefix}!{self.fresh_count}"
        if name in self.oracle:
            return self.oracle[name]
        const = z3.Const(name, sort)
        self.choices[name] = const
        return const

    def note_unmodelled(self, what: str) -> None:
        if what not in self.unmodelled:
            self.unmodelled.append(what)

    def tick(self) -> None:
        """Give up when the time budget is spent (checked at every statement and call)."""
        self.ticks += 1
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise Exhausted()


def _module_bindings(
    module: ast.Module,
) -> tuple[dict[str, ast.expr], set[str], bool, dict[str, str]]:
    counts: dict[str, int] = {}
    literal: dict[str, ast.expr] = {}
    names: set[str] = set()
    imports: dict[str, str] = {}
    star = False
    for node in module.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                imports[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom):
            prefix = "." * node.level + (node.module or "")
            for alias in node.names:
                if alias.name != "*":
                    imports[alias.asname or alias.name] = (
                        f"{prefix}.{alias.name}".lstrip(".")
                        if not node.level
                        else f"{prefix}.{alias.name}"
                    )
    for child in ast.walk(module):
        if isinstance(child, ast.Import | ast.ImportFrom):
            for alias in child.names:
                if alias.name == "*":
                    star = True
                else:
                    names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(child, ast.Global):
            for declared in child.names:
                counts[declared] = counts.get(declared, 0) + 2  # rebound elsewhere
    for statement in module.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets, value = [statement.target], statement.value
        elif isinstance(statement, ast.AugAssign):
            targets = [statement.target]
        for target in targets:
            for bound in ast.walk(target):
                if isinstance(bound, ast.Name):
                    names.add(bound.id)
                    counts[bound.id] = counts.get(bound.id, 0) + 1
                    if value is not None and isinstance(target, ast.Name) and _literal(value):
                        literal[bound.id] = value
        if isinstance(statement, ast.For | ast.With | ast.Try | ast.If):
            for sub in ast.walk(statement):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                    names.add(sub.id)
                    counts[sub.id] = counts.get(sub.id, 0) + 2
    constants = {k: v for k, v in literal.items() if counts.get(k) == 1}
    for name in list(imports):
        if counts.get(name):
            del imports[name]  # rebound after the import: not the imported object
    return constants, names, star, imports


def atomic_aliases(module: ast.Module) -> dict[str, str]:
    """Names that stand for str, int, float or bool: NewTypes of them, and subclasses that
    add nothing but a constructor (their instances behave as the base type)."""
    out: dict[str, str] = {}
    atoms = {"str", "int", "float", "bool"}
    for node in ast.walk(module):
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Call)
            and ast.unparse(node.value.func).rsplit(".", 1)[-1] == "NewType"
            and len(node.value.args) == 2
            and ast.unparse(node.value.args[1]) in atoms
        ):
            out[node.targets[0].id] = ast.unparse(node.value.args[1])
        elif (
            isinstance(node, ast.ClassDef)
            and len(node.bases) == 1
            and ast.unparse(node.bases[0]) in atoms
        ):
            methods = {
                n.name for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            }
            if methods <= {"__new__", "__init__"}:
                out[node.name] = ast.unparse(node.bases[0])
    return out


def _patterns(module: ast.Module, imports: dict[str, str]) -> dict[str, tuple[str, int]]:
    """Module constants `NAME = re.compile("...")` with a literal pattern (and flags)."""
    out: dict[str, tuple[str, int]] = {}
    for node in module.body:
        if not (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Call)
            and node.value.args
            and isinstance(node.value.args[0], ast.Constant)
            and isinstance(node.value.args[0].value, str)
        ):
            continue
        func = node.value.func
        dotted = ast.unparse(func)
        head = dotted.split(".")[0]
        full = dotted.replace(head, imports.get(head, head), 1)
        if full != "re.compile":
            continue
        flags = 0
        for extra in node.value.args[1:] + [k.value for k in node.value.keywords]:
            flag = _flag(extra, imports)
            if flag is None:
                break
            flags |= flag
        else:
            out[node.targets[0].id] = (node.value.args[0].value, flags)
    return out


def _flag(node: ast.expr, imports: dict[str, str]) -> int | None:
    import re

    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        left, right = _flag(node.left, imports), _flag(node.right, imports)
        return None if left is None or right is None else left | right
    name = ast.unparse(node).rsplit(".", 1)[-1]
    value = getattr(re, name, None) if name.isupper() else None
    return int(value) if isinstance(value, re.RegexFlag) else None


def _literal(node: ast.expr) -> bool:
    """A constant expression: literals, tuples and unary minus of literals."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, int | float | str | bool) or node.value is None
    if isinstance(node, ast.Tuple):
        return all(_literal(e) for e in node.elts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _literal(node.operand)
    return False


def local_names(function: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
    """The names a function binds in its own scope (not in nested functions, classes,
    lambdas or comprehensions), parameters aside: used unbound, they raise."""
    names: set[str] = set()
    globals_: set[str] = set()
    pending: list[ast.AST] = list(function.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Global | ast.Nonlocal):
            globals_.update(node.names)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
            continue
        if isinstance(
            node, ast.Lambda | ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp
        ):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            names.add(node.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        pending.extend(ast.iter_child_nodes(node))
    params = function.args
    bound = {a.arg for a in [*params.posonlyargs, *params.args, *params.kwonlyargs]}
    bound |= {a.arg for a in (params.vararg, params.kwarg) if a is not None}
    return frozenset(names - bound - globals_)


def is_false(condition: z3.BoolRef) -> bool:

    return bool(z3.is_false(z3.simplify(condition)))
