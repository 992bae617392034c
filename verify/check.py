"""Verdicts for each condition of each function: proved (every path, no bound reached),
refuted (with a counterexample confirmed by re-running the translation on it, never the
function), or unknown (with the reason). This module sets up a function's run: its inputs
from the hints (with the aliasing the caller may cause), what it assumes on entry, the OLD
values; verify/decide.py decides each condition."""

from __future__ import annotations

import ast
import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import z3

from bot.core import pysyntax
from bot.core.model import Verdict
from verify.executor import Context, Executor, Obligation, Path
from verify.inputs import Inputs
from verify.operations import reset_names
from verify.specs import Condition, FunctionSpec, extract, function_spec
from verify.state import local_names
from verify.values import DictV, Exhausted, ObjV, SeqV, SetV, Unsupported, Value

_RESULT_NAMES = ("__return__", "_", "result")


@dataclass(frozen=True)
class Project:
    """What the files around the one being verified say about names it imports: the classes
    they define, and those that are str or int in all but name."""

    classes: frozenset[str] = frozenset()
    str_types: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Outcome:
    """A verdict, and for an unknown one the construct (or budget) that stopped it."""

    verdict: Verdict
    construct: str | None = None


@dataclass
class Run:
    ctx: Context
    args: dict[str, Value]
    paths: list[Path]
    obligations: list[Obligation]
    assumption: z3.BoolRef
    old: ObjV | None = None
    error: Unsupported | None = None
    facts: list[z3.BoolRef] = field(default_factory=list)
    aliases: tuple[tuple[str, str, z3.BoolRef], ...] = ()


def _post_asserts(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[int]:
    lines = set()
    for parent in ast.walk(node):
        body = getattr(parent, "body", None)
        if not isinstance(body, list):
            continue
        for first, second in itertools.pairwise(body):
            if isinstance(first, ast.Assert) and isinstance(second, ast.Return):
                lines.add(first.lineno)
    return lines


def abstract(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """An abstract method (or a stub): its contract is for the implementations."""
    names = [ast.unparse(d).rsplit(".", 1)[-1] for d in node.decorator_list]
    if "abstractmethod" in names or "overload" in names:
        return True
    body = [
        s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
    ]
    return not body or all(isinstance(s, ast.Pass) for s in body)


def public(name: str) -> bool:
    """Methods whose callers may rely on the class invariant (icontract's rule)."""
    return not name.startswith("_") or name == "__init__"


def _refuse_signature(spec: FunctionSpec) -> None:
    """Generators, coroutines and variadic parameters have no model: unknown, never guessed."""
    if any(isinstance(n, ast.Yield | ast.YieldFrom | ast.Await) for n in ast.walk(spec.node)):
        raise Unsupported("a generator or coroutine function", spec.node.lineno, "node:Yield")
    if spec.node.args.vararg is not None or spec.node.args.kwarg is not None:
        raise Unsupported(
            "a function with *args or **kwargs parameters", spec.node.lineno, "param:varargs"
        )


class Checker:
    def __init__(
        self,
        source: str,
        path: str,
        timeout: float = 2.0,
        deadline: float | None = None,
        project: Project | None = None,
    ) -> None:
        self.source = source
        self.path = path
        self.timeout = timeout
        self.deadline = deadline
        self.project = project or Project()
        self.tree = pysyntax.parse(source)
        self.typevars = {
            t.id
            for node in ast.walk(self.tree)
            if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and ast.unparse(node.value.func).endswith("TypeVar")
            for t in node.targets
            if isinstance(t, ast.Name)
        }

    def specs(self) -> list[FunctionSpec]:
        out = []
        for spec in extract(self.tree, self.source):
            body_asserts = any(
                isinstance(n, ast.Assert)
                for statement in spec.node.body[spec.body_start :]
                for n in ast.walk(statement)
            )
            if (spec.has_contract or body_asserts) and not abstract(spec.node):
                out.append(spec)
        return out

    def limit(self, seconds: float) -> float:
        """A deadline `seconds` from now, within the run's total."""
        deadline = time.monotonic() + seconds
        return deadline if self.deadline is None else min(deadline, self.deadline)

    def context(self, deadline: float | None) -> Context:
        ctx = Context(self.tree, self.source)
        ctx.known_classes = self.project.classes | frozenset(ctx.classes)
        ctx.str_types = {**dict(self.project.str_types), **ctx.str_types}
        ctx.deadline = deadline
        return ctx

    # --- one symbolic run --------------------------------------------------------------------
    def run(
        self,
        spec: FunctionSpec,
        oracle: dict[str, z3.ExprRef] | None = None,
        args: dict[str, Value] | None = None,
        deadline: float | None = None,
    ) -> Run:
        reset_names()
        ctx = self.context(deadline)
        ctx.oracle = oracle or {}
        ctx.post_asserts = _post_asserts(spec.node)
        ctx.local_names = local_names(spec.node)
        executor = Executor(ctx)
        try:
            _refuse_signature(spec)
            if args is None:
                args = self.inputs(spec, ctx)
            start = Path((), dict(args), aliases=self.aliases(spec, args, ctx))
            old = self.old_values(spec, executor, args, start)
            assumption = self.assumption(spec, executor, ctx, args, old)
            paths = executor.block(spec.node.body[spec.body_start :], [start.add(assumption)])
            return Run(
                ctx,
                args,
                paths,
                list(ctx.obligations),
                assumption,
                old,
                None,
                ctx.facts,
                start.aliases,
            )
        except Unsupported as exc:
            return Run(ctx, args or {}, [], [], z3.BoolVal(True), None, exc)
        except RecursionError:
            return Run(
                ctx,
                args or {},
                [],
                [],
                z3.BoolVal(True),
                None,
                Unsupported("nesting too deep to translate", 0, "budget:nesting"),
            )

    def assumption(
        self,
        spec: FunctionSpec,
        executor: Executor,
        ctx: Context,
        args: dict[str, Value],
        old: ObjV,
    ) -> z3.BoolRef:
        """What a run may assume at entry: the inputs' domains, the preconditions, and for a
        method that assumes them, the class's invariants on an object as constructed."""
        assumptions = list(ctx.domain)
        for condition in spec.pre:
            assumptions.append(self.condition(executor, condition, args, None, args, old))
        if self.assumes_invariants(spec):
            assumptions += self.constructed(spec, executor, args["self"])
            for invariant in spec.invariants:
                assumptions.append(
                    self.condition(executor, invariant, args, None, {"self": args["self"]}, old)
                )
        return z3.And(*assumptions) if assumptions else z3.BoolVal(True)

    def constructed(self, spec: FunctionSpec, executor: Executor, obj: Value) -> list[z3.BoolRef]:
        """An object as its constructor leaves it: a field `__init__` sets from a parameter,
        and nothing else in the class sets, meets that parameter's preconditions."""
        cls = spec.class_node
        init = (
            next(
                (n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"),
                None,
            )
            if cls
            else None
        )
        if cls is None or init is None or not isinstance(obj, ObjV):
            return []
        direct: dict[str, str] = {}  # parameter -> field
        writes: dict[str, int] = {}
        for node in ast.walk(cls):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id == "self"
            ):
                writes[node.attr] = writes.get(node.attr, 0) + 1
        for statement in init.body:
            if (
                isinstance(statement, ast.Assign)
                and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Attribute)
                and isinstance(statement.targets[0].value, ast.Name)
                and statement.targets[0].value.id == "self"
                and isinstance(statement.value, ast.Name)
            ):
                direct[statement.value.id] = statement.targets[0].attr
        direct = {p: f for p, f in direct.items() if writes.get(f) == 1 and f in obj.fields}
        out = []
        for condition in function_spec(init, cls, "", self.source).pre:
            names = set(condition.lambda_args or ()) | {
                n.id for n in ast.walk(condition.expr) if isinstance(n, ast.Name)
            }
            names -= {"self"}
            if not names or not names <= set(direct):
                continue
            env = {p: obj.fields[direct[p]] for p in names}
            try:
                out.append(executor.formula(condition.expr, env, condition.line))
            except Unsupported:
                continue
        return out

    def assumes_invariants(self, spec: FunctionSpec) -> bool:
        node = spec.node
        static = any(
            ast.unparse(d).endswith(("staticmethod", "classmethod")) for d in node.decorator_list
        )
        return (
            spec.class_node is not None
            and node.name != "__init__"
            and public(node.name)
            and not static
        )

    def checks_invariants(self, spec: FunctionSpec) -> bool:
        node = spec.node
        static = any(
            ast.unparse(d).endswith(("staticmethod", "classmethod")) for d in node.decorator_list
        )
        return (
            spec.class_node is not None
            and public(node.name)
            and not static
            and bool(spec.invariants)
        )

    def inputs(self, spec: FunctionSpec, ctx: Context) -> dict[str, Value]:
        """The parameters from their hints; `self` an object of the class; `*args` a tuple
        and `**kwargs` a dict (of the hinted type, or anything)."""
        inputs = Inputs(ctx, self.typevars)
        node = spec.node
        args: dict[str, Value] = {}
        params = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
        static = any(ast.unparse(d).endswith("staticmethod") for d in node.decorator_list)
        for index, param in enumerate(params):
            if (
                index == 0
                and spec.class_node is not None
                and not static
                and param.arg in ("self", "cls")
            ):
                if param.arg == "self":
                    args["self"] = inputs.instance("self", spec.class_node, node.lineno)
                else:
                    args["cls"] = inputs.anything("cls", spec.class_node.name, False)
            else:
                args[param.arg] = inputs.fresh(param.arg, param.annotation, node.lineno)
        if node.args.vararg is not None:
            hint = node.args.vararg.annotation
            tuple_hint = pysyntax.parse(
                f"Tuple[{ast.unparse(hint) if hint else 'Any'}, ...]", mode="eval"
            ).body
            args[node.args.vararg.arg] = inputs.fresh(node.args.vararg.arg, tuple_hint, node.lineno)
        if node.args.kwarg is not None:
            args[node.args.kwarg.arg] = inputs.anything(node.args.kwarg.arg, "dict", False)
        return args

    def aliases(
        self, spec: FunctionSpec, args: dict[str, Value], ctx: Context
    ) -> tuple[tuple[str, str, z3.BoolRef], ...]:
        """Two mutable parameters of one shape may be one object: the caller's choice, so
        part of the input (`a is b`), with equal contents where it holds."""
        out = []
        names = list(args)
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                same = _same_shape(args[a], args[b])
                if same is None:
                    continue
                alias = ctx.oracle.get(f"{a} is {b}", z3.Bool(f"{a} is {b}"))
                ctx.domain.append(z3.Implies(alias, same))
                out.append((a, b, alias))
        return tuple(out)

    def old_values(
        self, spec: FunctionSpec, executor: Executor, args: dict[str, Value], start: Path
    ) -> ObjV:
        """OLD: the parameters as they were on entry, and what `@snapshot`s captured."""
        fields = dict(args)
        for name, expr, lambda_args, line in spec.snapshots:
            env = {n: args[n] for n in lambda_args if n in args}
            if len(env) != len(lambda_args):
                raise Unsupported(
                    f"the snapshot `{name}` names a parameter that does not exist",
                    line,
                    "contract:snapshot",
                )
            results = executor.expr(expr, Path((), env))
            if len(results) != 1 or results[0][1] is None:
                raise Unsupported(
                    f"the snapshot `{name}` branches or raises", line, "contract:snapshot"
                )
            fields[name] = results[0][1]
        return ObjV("__old__", fields)

    def condition(
        self,
        executor: Executor,
        condition: Condition,
        args: dict[str, Value],
        result: Value | None,
        final: dict[str, Value],
        old: ObjV | None = None,
    ) -> z3.BoolRef:
        if isinstance(condition.expr, ast.Name) and condition.expr.id == "__unparsable__":
            raise Unsupported(
                f"the condition `{condition.text}` does not parse",
                condition.line,
                "contract:syntax",
            )
        if isinstance(condition.expr, ast.Name) and condition.expr.id == "__not_a_lambda__":
            raise Unsupported(
                f"the condition `{condition.text}` is not a lambda",
                condition.line,
                "contract:not-lambda",
            )
        env: dict[str, Value] = dict(final)
        old = old or ObjV("__old__", dict(args))
        if condition.deal_result_object:
            fields = dict(final)
            if result is not None:
                fields["result"] = result
            env = {condition.lambda_args[0]: ObjV("__deal__", fields)}  # type: ignore[index]
        elif condition.lambda_args is not None:
            env = {}
            for name in condition.lambda_args:
                if name == "result" and result is not None:
                    env[name] = result
                elif name == "OLD":
                    env[name] = old
                elif name in final:
                    env[name] = final[name]
                else:
                    raise Unsupported(
                        f"the condition names `{name}`, which is not a parameter",
                        condition.line,
                        "contract:name",
                    )
        else:
            env["__old__"] = old
            env["OLD"] = old
            if result is not None:
                for name in _RESULT_NAMES:
                    env.setdefault(name, result)
        return executor.formula(condition.expr, env, condition.line)

    def final_view(self, args: dict[str, Value], path: Path) -> dict[str, Value]:
        """Parameters as a postcondition sees them: mutated objects, not rebindings."""
        view = dict(args)
        for name in args:
            if name in path.env and name not in path.rebound:
                view[name] = path.env[name]
        return view

    # --- verdicts ------------------------------------------------------------------------------
    def check(self, spec: FunctionSpec) -> Iterator[Outcome]:
        from verify.decide import Decider

        started = time.perf_counter()
        run = self.run(spec, deadline=self.limit(self.timeout))
        yield from Decider(self, spec, run, started).outcomes()


def _same_shape(a: Value, b: Value) -> z3.BoolRef | None:
    """Where `a is b` is possible: their contents equal."""
    if (
        isinstance(a, SeqV)
        and isinstance(b, SeqV)
        and not a.tuple_like
        and not b.tuple_like
        and a.elem == b.elem
    ):
        return a.e == b.e
    if isinstance(a, DictV) and isinstance(b, DictV) and (a.key, a.value) == (b.key, b.value):
        return z3.And(a.has == b.has, a.val == b.val, a.size == b.size)
    if isinstance(a, SetV) and isinstance(b, SetV) and a.elem == b.elem:
        return z3.And(a.has == b.has, a.size == b.size)
    if (
        isinstance(a, ObjV)
        and isinstance(b, ObjV)
        and a.cls == b.cls
        and a.ident is not None
        and b.ident is not None
    ):
        from verify.operations import equal

        same = [a.ident == b.ident]
        for name in a.fields:
            if name in b.fields:
                try:
                    same.append(equal(a.fields[name], b.fields[name]))
                except Unsupported:
                    return None
        return z3.And(*same)
    return None


def verify_outcomes(
    source: str,
    path: str,
    timeout: float = 2.0,
    only: Callable[[FunctionSpec], bool] | None = None,
    deadline: float | None = None,
    project: Project | None = None,
) -> Iterator[Outcome]:
    """Verdicts (with what stopped the unknown ones) for the functions of one file."""
    try:
        checker = Checker(source, path, timeout, deadline, project)
    except SyntaxError as exc:
        yield _file_unknown(path, exc.lineno or 1, f"syntax error: {exc.msg}", "file:syntax")
        return
    except (RecursionError, ValueError, MemoryError) as exc:
        reason = (
            "nesting too deep to parse"
            if isinstance(exc, RecursionError)
            else f"cannot parse: {type(exc).__name__}"
        )
        yield _file_unknown(path, 1, reason, "file:parse")
        return
    for spec in checker.specs():
        if only is not None and not only(spec):
            continue
        if deadline is not None and time.monotonic() > deadline:
            yield _function_unknown(path, spec, "time budget exhausted", "budget:total")
            continue
        try:
            yield from checker.check(spec)
        except RecursionError:
            yield _function_unknown(path, spec, "nesting too deep to translate", "budget:nesting")
        except Exhausted:
            yield _function_unknown(path, spec, "time budget exhausted", "budget:time")
        except Exception as exc:  # a translator bug degrades one function, not the run
            yield _function_unknown(
                path, spec, f"translator error: {type(exc).__name__}: {exc}", "translator:error"
            )


def verify_source(
    source: str,
    path: str,
    timeout: float = 2.0,
    only: Callable[[FunctionSpec], bool] | None = None,
    deadline: float | None = None,
    project: Project | None = None,
) -> Iterator[Verdict]:
    """Verdicts for the functions of one file (those `only` accepts)."""
    for outcome in verify_outcomes(source, path, timeout, only, deadline, project):
        yield outcome.verdict


def _file_unknown(path: str, line: int, reason: str, construct: str) -> Outcome:
    verdict = Verdict(
        path=path,
        function="<module>",
        line=line,
        kind="raise",
        condition="the file parses",
        status="unknown",
        counterexample=None,
        reason=reason,
        ms=0,
    )
    return Outcome(verdict, construct)


def _function_unknown(path: str, spec: FunctionSpec, reason: str, construct: str) -> Outcome:
    verdict = Verdict(
        path=path,
        function=spec.name,
        line=spec.node.lineno,
        kind="post",
        condition="(function)",
        status="unknown",
        counterexample=None,
        reason=reason,
        ms=0,
    )
    return Outcome(verdict, construct)


__all__ = ["Checker", "Outcome", "Project", "Run", "Verdict", "verify_outcomes", "verify_source"]
