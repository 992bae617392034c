"""Verdicts for each condition of each function: proved (every path, no bound reached),
refuted (with a counterexample confirmed by running the function again on it, concretely, with
the translator's own semantics), or unknown (with the reason)."""

from __future__ import annotations

import ast
import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import z3

from bot.core.model import Verdict, VerdictStatus
from verify.counterexamples import concrete, to_json
from verify.executor import Context, Executor, Obligation, Path
from verify.inputs import Inputs
from verify.specs import Condition, FunctionSpec, extract
from verify.values import (
    NoneV,
    ObjV,
    Unsupported,
    Value,
)

_RESULT_NAMES = ("__return__", "_", "result")

# --- the checker -----------------------------------------------------------------------------


@dataclass
class _Run:
    ctx: Context
    args: dict[str, Value]
    paths: list[Path]
    obligations: list[Obligation]
    assumption: z3.BoolRef
    error: Unsupported | None = None


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


class Checker:
    def __init__(
        self, source: str, path: str, timeout: float = 2.0, deadline: float | None = None
    ) -> None:
        self.source = source
        self.path = path
        self.timeout = timeout
        self.deadline = deadline
        self.tree = ast.parse(source)
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
            if spec.has_contract or body_asserts:
                out.append(spec)
        return out

    # One symbolic run of the function with the given inputs.
    def run(
        self,
        spec: FunctionSpec,
        oracle: dict[str, z3.ExprRef] | None = None,
        args: dict[str, Value] | None = None,
    ) -> _Run:
        ctx = Context(self.tree, self.source)
        ctx.oracle = oracle or {}
        ctx.post_asserts = _post_asserts(spec.node)
        executor = Executor(ctx)
        inputs = Inputs(ctx, self.typevars)
        node = spec.node
        try:
            if args is None:
                args = {}
                params = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
                for index, param in enumerate(params):
                    if index == 0 and spec.class_node is not None and param.arg in ("self", "cls"):
                        args[param.arg] = inputs.instance("self", spec.class_node, node.lineno)
                    else:
                        args[param.arg] = inputs.fresh(param.arg, param.annotation, node.lineno)
            start = Path((), dict(args))
            assumptions = list(ctx.domain)
            for condition in spec.pre:
                assumptions.append(self.condition(executor, condition, args, None, args))
            if spec.class_node is not None and node.name != "__init__":
                for invariant in spec.invariants:
                    assumptions.append(self.condition(executor, invariant, args, None, args))
            assumption = z3.And(*assumptions) if assumptions else z3.BoolVal(True)
            start = start.add(assumption)
            paths = executor.block(node.body[spec.body_start :], [start])
            if ctx.facts:
                assumption = z3.And(assumption, *ctx.facts)
            return _Run(ctx, args, paths, list(ctx.obligations), assumption)
        except Unsupported as exc:
            return _Run(ctx, args or {}, [], [], z3.BoolVal(True), exc)
        except RecursionError:
            return _Run(
                ctx,
                args or {},
                [],
                [],
                z3.BoolVal(True),
                Unsupported("nesting too deep to translate"),
            )

    def condition(
        self,
        executor: Executor,
        condition: Condition,
        args: dict[str, Value],
        result: Value | None,
        final: dict[str, Value],
    ) -> z3.BoolRef:
        if isinstance(condition.expr, ast.Name) and condition.expr.id == "__unparsable__":
            raise Unsupported(f"the condition `{condition.text}` does not parse", condition.line)
        env: dict[str, Value] = dict(final)
        old = ObjV("__old__", dict(args))
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
                elif name == "self" and "self" in final:
                    env[name] = final["self"]
                else:
                    raise Unsupported(
                        f"the condition names `{name}`, which is not a parameter", condition.line
                    )
        else:
            env["__old__"] = old
            env["OLD"] = old
            if result is not None:
                for name in _RESULT_NAMES:
                    env.setdefault(name, result)
        return executor.formula(condition.expr, env, condition.line)

    # --- verdicts ---------------------------------------------------------------------------
    def check(self, spec: FunctionSpec) -> Iterator[Verdict]:
        started = time.perf_counter()
        run = self.run(spec)
        groups: dict[tuple[str, str, int], list[tuple[Obligation, Value | None]]] = {}
        order: list[tuple[str, str, int]] = []

        def add(key: tuple[str, str, int], item: tuple[Obligation, Value | None]) -> None:
            if key not in groups:
                groups[key] = []
                order.append(key)
            groups[key].append(item)

        for condition in [*spec.post, *(spec.invariants if spec.class_node else [])]:
            kind = "post" if condition in spec.post else "invariant"
            key = (kind, condition.text, condition.line)
            if key not in groups:
                groups[key] = []
                order.append(key)
        if run.error is not None:
            # A function that promised nothing (body asserts only) and cannot be translated
            # has nothing to report.
            for key in order:
                yield self.verdict(
                    spec,
                    key,
                    "unknown",
                    reason=run.error.what,
                    line=run.error.line,
                    started=started,
                )
            return
        executor = Executor(run.ctx)
        executor.ctx.collect = False
        post_error: Unsupported | None = None
        for path in run.paths:
            final = self.final_view(run.args, path)
            if path.status in ("return", "live"):
                result = path.value if path.status == "return" else NoneV()
                for condition in spec.post:
                    try:
                        check = self.condition(executor, condition, run.args, result, final)
                    except Unsupported as exc:
                        post_error = exc
                        continue
                    add(
                        ("post", condition.text, condition.line),
                        (
                            Obligation(
                                "post", condition.text, condition.line, path.cond, check, None
                            ),
                            result,
                        ),
                    )
                if spec.class_node is not None:
                    for invariant in spec.invariants:
                        try:
                            check = self.condition(
                                executor,
                                invariant,
                                run.args,
                                None,
                                {"self": final.get("self", NoneV())},
                            )
                        except Unsupported as exc:
                            post_error = exc
                            continue
                        add(
                            ("invariant", invariant.text, invariant.line),
                            (
                                Obligation(
                                    "invariant",
                                    invariant.text,
                                    invariant.line,
                                    path.cond,
                                    check,
                                    None,
                                ),
                                result,
                            ),
                        )
            elif path.status == "raise" and not self.declared(spec, path.raised):
                text = f"raises {path.raised}"
                add(
                    ("raise", text, path.line),
                    (
                        Obligation(
                            "raise", text, path.line, path.cond, z3.BoolVal(False), path.raised
                        ),
                        None,
                    ),
                )
        for obligation in run.obligations:
            if obligation.kind == "raise" and self.declared(spec, obligation.raises):
                continue
            add((obligation.kind, obligation.text, obligation.line), (obligation, None))
        if not self.satisfiable(run.assumption):
            for key in order or [("pre", "(preconditions)", spec.node.lineno)]:
                yield self.verdict(
                    spec,
                    key,
                    "unknown",
                    started=started,
                    reason="no input satisfies the preconditions",
                )
            return
        bound = self.bound_reason(run)
        for key in order:
            if post_error is not None and not groups[key] and key[0] in ("post", "invariant"):
                yield self.verdict(spec, key, "unknown", reason=post_error.what, started=started)
                continue
            if not groups[key] and key[0] in ("post", "invariant"):
                yield self.verdict(
                    spec,
                    key,
                    "unknown",
                    started=started,
                    reason=next(
                        (r for _, r in run.ctx.cuts if "recursion" in r),
                        "no path of the function returns normally",
                    ),
                )
                continue
            if post_error is not None and key[0] in ("post", "invariant") and not groups[key]:
                yield self.verdict(spec, key, "unknown", reason=post_error.what, started=started)
                continue
            yield self.decide(spec, run, key, groups[key], bound, post_error, started)
            started = time.perf_counter()

    def declared(self, spec: FunctionSpec, raised: str | None) -> bool:
        # NotImplementedError marks an abstract method: raising it is the point.
        return raised is not None and (raised in spec.raises or raised == "NotImplementedError")

    def satisfiable(self, formula: z3.BoolRef) -> bool:
        solver = z3.Solver()
        solver.set("timeout", int(self.timeout * 1000))
        solver.add(formula)
        return bool(solver.check() != z3.unsat)

    def final_view(self, args: dict[str, Value], path: Path) -> dict[str, Value]:
        """Parameters as a postcondition sees them: mutated objects, not rebindings."""
        view = dict(args)
        for name in args:
            if name in path.env and name not in path.rebound:
                view[name] = path.env[name]
        return view

    def bound_reason(self, run: _Run) -> str | None:
        for cut, reason in run.ctx.cuts:
            solver = z3.Solver()
            solver.set("timeout", int(self.timeout * 1000))
            solver.add(run.assumption, *cut)
            if solver.check() != z3.unsat:
                return reason
        return None

    def decide(
        self,
        spec: FunctionSpec,
        run: _Run,
        key: tuple[str, str, int],
        items: list[tuple[Obligation, Value | None]],
        bound: str | None,
        post_error: Unsupported | None,
        started: float,
    ) -> Verdict:
        unknown_reason = post_error.what if post_error and key[0] in ("post", "invariant") else None
        for obligation, result in items:
            if self.deadline is not None and time.monotonic() > self.deadline:
                return self.verdict(
                    spec, key, "unknown", reason="time budget exhausted", started=started
                )
            solver = z3.Solver()
            solver.set("timeout", int(self.timeout * 1000))
            solver.add(run.assumption, *obligation.cond, z3.Not(obligation.check))
            # Counterexamples only within the unrolled bounds: beyond them the model is
            # incomplete, and a "counterexample" there could be an artefact.
            for cut, _ in [*run.ctx.cuts, *run.ctx.abstractions]:
                solver.add(z3.Not(z3.And(*cut)) if cut else z3.BoolVal(False))
            outcome = solver.check()
            if outcome == z3.unknown:
                unknown_reason = f"solver gave up ({solver.reason_unknown() or 'timeout'})"
                continue
            if outcome == z3.unsat:
                continue
            model = solver.model()
            example: dict[str, Any] = {
                "args": {name: to_json(v, model, run.ctx) for name, v in run.args.items()}
            }
            if obligation.raises:
                example["raises"] = obligation.raises
            else:
                example["returns"] = to_json(result, model, run.ctx) if result is not None else None
            if self.confirm(spec, run, key, model):
                return self.verdict(spec, key, "refuted", example, self.note(run), started=started)
            unknown_reason = "a counterexample was found but could not be confirmed"
        if unknown_reason is not None:
            return self.verdict(spec, key, "unknown", reason=unknown_reason, started=started)
        trivial = all(z3.is_true(z3.simplify(o.check)) for o, _ in items)
        if bound is not None and not trivial:
            return self.verdict(
                spec, key, "unknown", reason=f"not proved: {bound}", started=started
            )
        return self.verdict(spec, key, "proved", reason=self.note(run), started=started)

    def note(self, run: _Run) -> str | None:
        return "floats modelled as reals" if run.ctx.reals else None

    def confirm(
        self, spec: FunctionSpec, run: _Run, key: tuple[str, str, int], model: z3.ModelRef
    ) -> bool:
        """Run the function again on the counterexample, concretely, and see it fail."""
        args = {name: concrete(value, model) for name, value in run.args.items()}
        oracle = {
            name: model.eval(const, model_completion=True)
            for name, const in run.ctx.choices.items()
        }
        again = self.run(spec, oracle, args)
        if again.error is not None:
            return False
        if any(
            z3.is_true(model.eval(z3.And(*cut), model_completion=True))
            for cut, _ in [*again.ctx.cuts, *again.ctx.abstractions]
            if cut
        ):
            return False  # the run went past a bound: not a concrete counterexample

        def holds(expr: z3.BoolRef) -> bool:
            return bool(z3.is_true(model.eval(z3.simplify(expr), model_completion=True)))

        if not holds(again.assumption):
            return False
        kind, text, line = key
        stated = [
            c
            for c in (spec.post if kind == "post" else spec.invariants)
            if (c.text, c.line) == (text, line)
        ]
        if kind in ("post", "invariant") and stated:
            executor = Executor(again.ctx)
            executor.ctx.collect = False
            for path in again.paths:
                if path.status not in ("return", "live") or not holds(z3.And(*path.cond)):
                    continue
                final = self.final_view(again.args, path)
                result = path.value if path.status == "return" else NoneV()
                conditions = spec.post if kind == "post" else spec.invariants
                for condition in conditions:
                    if (condition.text, condition.line) == (text, line):
                        env = final if kind == "post" else {"self": final.get("self", NoneV())}
                        check = self.condition(
                            executor, condition, again.args, result if kind == "post" else None, env
                        )
                        if not holds(check):
                            return True
            return False
        if kind == "raise" and text.startswith("raises "):
            return any(
                p.status == "raise" and p.line == line and holds(z3.And(*p.cond))
                for p in again.paths
            )
        return any(
            (o.kind, o.text, o.line) == key and holds(z3.And(*o.cond)) and not holds(o.check)
            for o in again.obligations
        )

    def verdict(
        self,
        spec: FunctionSpec,
        key: tuple[str, str, int],
        status: VerdictStatus,
        counterexample: dict[str, Any] | None = None,
        reason: str | None = None,
        line: int | None = None,
        started: float = 0.0,
    ) -> Verdict:
        kind, text, condition_line = key
        return Verdict(
            path=self.path,
            function=spec.name,
            line=condition_line or line or spec.node.lineno,
            kind=kind,
            condition=" ".join(text.split()),
            status=status,
            counterexample=counterexample,
            reason=reason,
            ms=round((time.perf_counter() - started) * 1000),
        )


def verify_source(
    source: str,
    path: str,
    timeout: float = 2.0,
    only: Callable[[FunctionSpec], bool] | None = None,
    deadline: float | None = None,
) -> Iterator[Verdict]:
    """Verdicts for the functions of one file (those `only` accepts)."""
    try:
        checker = Checker(source, path, timeout, deadline)
    except SyntaxError as exc:
        yield Verdict(
            path=path,
            function="<module>",
            line=exc.lineno or 1,
            kind="raise",
            condition="the file parses",
            status="unknown",
            counterexample=None,
            reason=f"syntax error: {exc.msg}",
            ms=0,
        )
        return
    except (RecursionError, ValueError) as exc:
        yield Verdict(
            path=path,
            function="<module>",
            line=1,
            kind="raise",
            condition="the file parses",
            status="unknown",
            counterexample=None,
            reason="nesting too deep to parse"
            if isinstance(exc, RecursionError)
            else f"cannot parse: {type(exc).__name__}",
            ms=0,
        )
        return
    for spec in checker.specs():
        if only is not None and not only(spec):
            continue
        try:
            yield from checker.check(spec)
        except RecursionError:
            yield Verdict(
                path=path,
                function=spec.name,
                line=spec.node.lineno,
                kind="post",
                condition="(function)",
                status="unknown",
                counterexample=None,
                reason="nesting too deep to translate",
                ms=0,
            )
        except Exception as exc:  # a translator bug degrades one function, not the run
            yield Verdict(
                path=path,
                function=spec.name,
                line=spec.node.lineno,
                kind="post",
                condition="(function)",
                status="unknown",
                counterexample=None,
                reason=f"translator error: {type(exc).__name__}: {exc}",
                ms=0,
            )
