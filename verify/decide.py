"""Deciding each condition of one function's run, each within its own time budget: the
paths where it must hold, a counterexample searched for within the unrolled bounds and then
confirmed by re-running the translation on the concrete inputs (for every value of what the
translator does not model), or a proof where no bound can be reached."""

from __future__ import annotations

import ast
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import z3

from bot.core.model import Verdict, VerdictStatus
from verify import report
from verify.counterexamples import NotRealizable, concrete, finite, to_json
from verify.exceptions import ancestry
from verify.executor import Executor
from verify.specs import Condition, FunctionSpec
from verify.values import AnyV, FuncV, NoneV, Unsupported, Value

if TYPE_CHECKING:
    from verify.check import Checker, Outcome, Run

Key = tuple[str, str, int]  # kind, condition text, line


@dataclass(frozen=True)
class Item:
    """One path where a condition must hold: its condition, the check, the result."""

    cond: tuple[z3.BoolRef, ...]
    check: z3.BoolRef
    result: Value | None = None
    raises: str | None = None
    uncertain: bool = False
    made: Value | None = None  # the object `__init__` leaves, which its invariants judge


class Decider:
    def __init__(self, checker: Checker, spec: FunctionSpec, run: Run, started: float) -> None:
        self.checker = checker
        self.spec = spec
        self.run = run
        self.started = started
        self.groups: dict[Key, list[Item]] = {}
        self.order: list[Key] = []
        self.errors: dict[Key, Unsupported] = {}

    # --- what must hold where --------------------------------------------------------------
    def stated(self) -> list[tuple[str, Condition]]:
        conditions = [("post", c) for c in self.spec.post]
        conditions += [(c.kind, c) for c in self.spec.unreadable if c.kind == "post"]
        if self.checker.checks_invariants(self.spec):
            conditions += [("invariant", c) for c in self.spec.invariants]
        return conditions

    def add(self, key: Key, item: Item | None = None) -> None:
        if key not in self.groups:
            self.groups[key] = []
            self.order.append(key)
        if item is not None:
            self.groups[key].append(item)

    def collect(self) -> None:
        for kind, condition in self.stated():
            self.add((kind, condition.text, condition.line))
        for condition in self.spec.unreadable:
            if condition.kind == "pre":
                self.add(("pre", condition.text, condition.line))
                self.errors[("pre", condition.text, condition.line)] = Unsupported(
                    f"the condition `{condition.text}` is not a lambda",
                    condition.line,
                    "contract:not-lambda",
                )
        escaping = {(p.what_kind, p.what, p.line) for p in self.run.paths if p.status == "raise"}
        for point in self.run.ctx.points:
            kind, what, line = point
            if point in self.run.ctx.feasible and point not in escaping:
                continue  # raised and handled inside the function: not its caller's concern
            if kind != "raise" or not self.declared_point(what, line):
                self.add(point)

        executor = Executor(self.run.ctx)
        executor.ctx.collect = False
        for path in self.run.paths:
            if path.status in ("return", "live"):
                self.returned(executor, path)
            elif (
                path.status == "raise"
                and path.what is not None
                and not self.declared(path.raised, path.what_kind)
            ):
                self.add(
                    (path.what_kind, path.what, path.line),
                    Item(path.cond, z3.BoolVal(False), None, path.raised, path.uncertain),
                )
        for obligation in self.run.obligations:
            self.add(
                (obligation.kind, obligation.text, obligation.line),
                Item(obligation.cond, obligation.check, None, obligation.raises),
            )

    def returned(self, executor: Executor, path: Any) -> None:
        final = self.checker.final_view(self.run.args, path)
        result = path.value if path.status == "return" else NoneV()
        for kind, condition in self.stated():
            key = (kind, condition.text, condition.line)
            env = final if kind == "post" else {"self": final.get("self", NoneV())}
            try:
                check = self.checker.condition(
                    executor,
                    condition,
                    self.run.args,
                    result if kind == "post" else None,
                    env,
                    self.run.old,
                )
            except Unsupported as exc:
                self.errors.setdefault(key, exc)
                continue
            made = final.get("self") if self.spec.name.endswith("__init__") else None
            self.add(key, Item(path.cond, check, result, None, path.uncertain, made))

    def declared_point(self, what: str, line: int) -> bool:
        """Whether every path raising at this point raises a declared exception."""
        raised = [
            p.raised
            for p in self.run.paths
            if p.status == "raise" and (p.what, p.line) == (what, line)
        ]
        return bool(raised) and all(self.declared(r, "raise") for r in raised)

    def declared(self, raised: str | None, kind: str) -> bool:
        if raised is None or kind != "raise":
            return False
        if raised == "NotImplementedError":
            return True  # an abstract method: raising it is the point
        chain, _ = ancestry(raised, self.run.ctx.classes)
        return any(name in chain for name in self.spec.raises)

    # --- outcomes -------------------------------------------------------------------------------
    def outcomes(self) -> Iterator[Outcome]:
        run = self.run
        if run.error is not None:
            for kind, condition in self.stated() or [
                ("post", Condition("post", "(function)", ast.Constant(True), self.spec.node.lineno))
            ]:
                key = (kind, condition.text, condition.line)
                yield self.verdict(
                    key, "unknown", reason=_reason(run.error), construct=run.error.construct
                )
            return
        self.collect()
        if not self.satisfiable(z3.And(run.assumption, *run.ctx.facts)):
            for key in self.order or [("pre", "(preconditions)", self.spec.node.lineno)]:
                yield self.verdict(
                    key,
                    "unknown",
                    reason="no input satisfies the preconditions",
                    construct="contract:unsatisfiable",
                )
            return
        bound = self.bound()
        for key in self.order:
            self.started = time.perf_counter()
            yield self.decide(key, bound)

    def decide(self, key: Key, bound: tuple[str, str] | None) -> Outcome:
        items = self.groups[key]
        error = self.errors.get(key)
        if error is not None and (not items or key[0] == "pre"):
            return self.verdict(key, "unknown", reason=_reason(error), construct=error.construct)
        if not items and any((k, c.text, c.line) == key for k, c in self.stated()):
            recursion = next((r for _, r in self.run.ctx.cuts if "recursion" in r), None)
            reason = recursion or "no path of the function returns normally"
            return self.verdict(
                key,
                "unknown",
                reason=reason,
                construct="bound:recursion" if recursion else "paths:none",
            )
        deadline = self.checker.limit(self.checker.timeout)
        found = self.search(key, items, deadline) if items else None
        if isinstance(found, Verdict):
            return _outcome(found, None)
        if found is not None:
            return self.verdict(key, "unknown", reason=found[0], construct=found[1])
        if error is not None:
            return self.verdict(key, "unknown", reason=_reason(error), construct=error.construct)
        trivial = (
            all(z3.is_true(z3.simplify(i.check)) for i in items)
            and key[0] in ("post", "invariant")
            and self.constant_condition(key)
        )
        if bound is not None and not trivial:
            return self.verdict(key, "unknown", reason=report.bounded(bound[0]), construct=bound[1])
        loops = any(isinstance(n, ast.For | ast.While) for n in ast.walk(self.spec.node)) or bool(
            self.run.ctx.cuts
        )
        reason = report.proof(loops, self.run.ctx.reals, [])
        return self.verdict(key, "proved", reason=reason)

    def constant_condition(self, key: Key) -> bool:
        """A stated condition that is a constant (`post: True`) holds however a path ends."""
        for kind, condition in self.stated():
            if (kind, condition.text, condition.line) == key:
                return isinstance(condition.expr, ast.Constant) and bool(condition.expr.value)
        return False

    def search(
        self, key: Key, items: list[Item], deadline: float
    ) -> Verdict | tuple[str, str] | None:
        """A confirmed refutation, or why the condition stays unknown, or None: it holds on
        every path."""
        run = self.run
        violated = [z3.And(*item.cond, z3.Not(item.check)) for item in items]
        solver = z3.Solver()
        solver.add(run.assumption, *run.ctx.facts, z3.Or(*violated))
        # Counterexamples only within the unrolled bounds: beyond them the model is
        # incomplete, and a "counterexample" there could be an artefact.
        blocked = [
            z3.And(*cut) if cut else z3.BoolVal(True)
            for cut, _ in [*run.ctx.cuts, *run.ctx.abstractions]
        ]
        searched = z3.And(*[z3.Not(b) for b in blocked]) if blocked else z3.BoolVal(True)
        bounded_inputs = [f for name, v in run.args.items() for f in finite(v, name)]
        if bounded_inputs:
            searched = z3.And(searched, *bounded_inputs)
        unconfirmed: tuple[str, str] | None = None
        for _attempt in range(2):
            outcome, why = self.solve(solver, deadline, searched)
            if why is not None:
                return unconfirmed or why
            if outcome == z3.unsat:
                if unconfirmed is not None or (not blocked and not bounded_inputs):
                    return unconfirmed
                return self.past_bounds(solver, deadline)
            model = solver.model()
            index = next(
                (
                    i
                    for i, v in enumerate(violated)
                    if z3.is_true(model.eval(v, model_completion=True))
                ),
                0,
            )
            refuted = self.refutation(key, items[index], model, deadline)
            if refuted is not None:
                return refuted
            inputs = self.opaque_inputs() + self.run.ctx.unmodelled
            unconfirmed = (report.unknown_unconfirmed(inputs), "unconfirmed")
            solver.add(z3.Not(violated[index]))  # look for another path's counterexample
        return unconfirmed

    def solve(
        self, solver: z3.Solver, deadline: float, *assumptions: z3.BoolRef
    ) -> tuple[z3.CheckSatResult, tuple[str, str] | None]:
        """A solver call within the condition's budget; a reason where it decided nothing."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return z3.unknown, self.exhausted()
        solver.set("timeout", max(1, int(remaining * 1000)))
        outcome = solver.check(*assumptions)
        if outcome != z3.unknown:
            return outcome, None
        reason = solver.reason_unknown() or "timeout"
        if "timeout" in reason or "canceled" in reason:
            return outcome, self.exhausted()
        return outcome, (f"the solver gave up ({reason})", "budget:solver")

    def refutation(
        self, key: Key, item: Item, model: z3.ModelRef, deadline: float
    ) -> Verdict | None:
        example = self.example(model, item)
        if example is None or item.uncertain or not self.confirm(key, model, deadline):
            return None
        message = report.refutation(
            self.spec.name, key[0], key[1], example, self.run.ctx.unmodelled
        )
        if self.run.ctx.reals:
            message += " (floats modelled as reals)"
        return self.make(key, "refuted", example, message)

    def exhausted(self) -> tuple[str, str]:
        """Which budget ran out: the run's total, or this condition's."""
        total = self.checker.deadline
        if total is not None and time.monotonic() >= total - 0.05:
            return "time budget exhausted", "budget:total"
        return _exhausted(self.checker.timeout)

    def opaque_inputs(self) -> list[str]:
        return [v.name for v in self.run.args.values() if isinstance(v, AnyV)]

    def past_bounds(self, solver: z3.Solver, deadline: float) -> tuple[str, str] | None:
        """No counterexample within the bounds: is there a violation past them (where the
        model is open), which keeps the condition from being proved?"""
        # A share of the budget: past the bound the model is open, and a proof is rare.
        share = time.monotonic() + max(0.05, (deadline - time.monotonic()) / 3)
        outcome, why = self.solve(solver, min(deadline, share))
        if outcome == z3.unsat:
            return None
        if why is not None:
            reachable = [r for c, r in [*self.run.ctx.cuts, *self.run.ctx.abstractions]]
            return (
                (report.bounded(reachable[0]), _bound_construct(reachable[0])) if reachable else why
            )
        model = solver.model()
        for cut, reason in [*self.run.ctx.cuts, *self.run.ctx.abstractions]:
            if z3.is_true(model.eval(z3.And(*cut), model_completion=True)):
                return report.bounded(reason), _bound_construct(reason)
        return report.bounded("past the unrolled bound"), "bound:loop"

    def example(self, model: z3.ModelRef, item: Item) -> dict[str, Any] | None:
        try:
            args = {name: to_json(v, model, self.run.ctx) for name, v in self.run.args.items()}
            if self.spec.name.endswith("__init__"):
                # `self` on entry to `__init__` is no input of the call: what it made is.
                args.pop("self", None)
            example: dict[str, Any] = {"args": args}
            if item.made is not None and not item.raises:
                example["made"] = to_json(item.made, model, self.run.ctx)
            if item.raises:
                example["raises"] = item.raises
            else:
                example["returns"] = (
                    to_json(item.result, model, self.run.ctx) if item.result is not None else None
                )
        except NotRealizable:
            return None
        same = [
            f"{a} is {b}"
            for a, b, alias in _aliases(self.run)
            if z3.is_true(model.eval(alias, model_completion=True))
        ]
        if same:
            example["aliases"] = same
        return example

    # --- confirmation --------------------------------------------------------------------------
    def confirm(self, key: Key, model: z3.ModelRef, deadline: float) -> bool:
        """Re-run the translation on the concrete inputs: the violation must follow for
        every value of what the translator does not model (a for-all check), on a path
        that reaches no bound."""
        try:
            args = {name: concrete(value, model) for name, value in self.run.args.items()}
        except NotRealizable:
            return False
        oracle = {
            name: model.eval(const, model_completion=True)
            for name, const in self.run.ctx.choices.items()
        }
        for a, b, alias in _aliases(self.run):
            oracle[f"{a} is {b}"] = model.eval(alias, model_completion=True)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        again = self.checker.run(self.spec, oracle, args, deadline=time.monotonic() + remaining)
        if again.error is not None:
            return False
        violation = self.violations(key, again)
        if violation is None:
            return False
        cuts = [z3.And(*cut) for cut, _ in [*again.ctx.cuts, *again.ctx.abstractions] if cut]
        claim = z3.And(again.assumption, violation, *[z3.Not(c) for c in cuts])
        solver = z3.Solver()
        solver.set("timeout", max(1, int((deadline - time.monotonic()) * 1000)))
        solver.add(*again.ctx.facts, *self.fixed_functions(model), z3.Not(claim))
        return bool(solver.check() == z3.unsat)

    def fixed_functions(self, model: z3.ModelRef) -> list[z3.BoolRef]:
        """Callable inputs are part of the counterexample: as the model interprets them."""
        out = []
        for value in self.run.args.values():
            if not isinstance(value, FuncV):
                continue
            interpretation = model[value.f]
            variables = [z3.Const(f"x{i}~", value.f.domain(i)) for i in range(value.f.arity())]
            if interpretation is None:
                continue
            body = interpretation.else_value()
            for entry in reversed(interpretation.as_list()[:-1]):
                point = z3.And(*[v == a for v, a in zip(variables, entry[:-1], strict=True)])
                body = z3.If(point, entry[-1], body)
            out.append(
                z3.ForAll(variables, value.f(*variables) == body)
                if variables
                else value.f() == body
            )
        return out

    def violations(self, key: Key, again: Run) -> z3.BoolRef | None:
        kind, text, line = key
        parts: list[z3.BoolRef] = []
        if kind in ("post", "invariant") and any(
            (c.text, c.line) == (text, line) for _, c in self.stated()
        ):
            executor = Executor(again.ctx)
            executor.ctx.collect = False
            condition = next(c for k, c in self.stated() if (k, c.text, c.line) == key)
            for path in again.paths:
                if path.status not in ("return", "live") or path.uncertain:
                    continue
                final = self.checker.final_view(again.args, path)
                result = path.value if path.status == "return" else NoneV()
                env = final if kind == "post" else {"self": final.get("self", NoneV())}
                try:
                    check = self.checker.condition(
                        executor,
                        condition,
                        again.args,
                        result if kind == "post" else None,
                        env,
                        again.old,
                    )
                except Unsupported:
                    return None
                parts.append(z3.And(*path.cond, z3.Not(check)))
        for path in again.paths:
            if (
                path.status == "raise"
                and not path.uncertain
                and (path.what_kind, path.what, path.line) == key
            ):
                parts.append(z3.And(*path.cond))
        for obligation in again.obligations:
            if (obligation.kind, obligation.text, obligation.line) == key:
                parts.append(z3.And(*obligation.cond, z3.Not(obligation.check)))
        return z3.Or(*parts) if parts else None

    # --- bounds --------------------------------------------------------------------------------
    def bound(self) -> tuple[str, str] | None:
        """A loop or recursion bound some allowed input reaches: (what, construct)."""
        cuts = self.run.ctx.cuts
        if not cuts:
            return None
        solver = z3.Solver()
        solver.set("timeout", max(1, int(min(self.checker.timeout, 5.0) * 1000)))
        solver.add(
            self.run.assumption,
            *self.run.ctx.facts,
            z3.Or(*[z3.And(*c) if c else z3.BoolVal(True) for c, _ in cuts]),
        )
        outcome = solver.check()
        if outcome == z3.unsat:
            return None
        if outcome == z3.sat:
            model = solver.model()
            for cut, reason in cuts:
                if z3.is_true(model.eval(z3.And(*cut), model_completion=True)):
                    return reason, _bound_construct(reason)
        return cuts[0][1], _bound_construct(cuts[0][1])

    def satisfiable(self, formula: z3.BoolRef) -> bool:
        solver = z3.Solver()
        solver.set("timeout", max(1, int(self.checker.timeout * 1000)))
        solver.add(formula)
        return bool(solver.check() != z3.unsat)

    # --- verdicts --------------------------------------------------------------------------------
    def make(
        self,
        key: Key,
        status: VerdictStatus,
        counterexample: dict[str, Any] | None = None,
        reason: str | None = None,
    ) -> Verdict:
        kind, text, condition_line = key
        return Verdict(
            path=self.checker.path,
            function=self.spec.name,
            line=condition_line or self.spec.node.lineno,
            kind=kind,
            condition=" ".join(text.split()),
            status=status,
            counterexample=counterexample,
            reason=reason,
            ms=round((time.perf_counter() - self.started) * 1000),
        )

    def verdict(
        self,
        key: Key,
        status: VerdictStatus,
        reason: str | None = None,
        construct: str | None = None,
    ) -> Outcome:
        return _outcome(self.make(key, status, None, reason), construct)


def _outcome(verdict: Verdict, construct: str | None) -> Outcome:
    from verify.check import Outcome

    return Outcome(verdict, construct)


def _aliases(run: Run) -> list[tuple[str, str, z3.BoolRef]]:
    return [(a, b, alias) for a, b, alias in run.aliases if not z3.is_true(alias)]


def _exhausted(timeout: float) -> tuple[str, str]:
    return f"time budget exhausted ({timeout:g} s per condition)", "budget:time"


def _bound_construct(reason: str) -> str:
    if "recursion" in reason:
        return "bound:recursion"
    if "left open" in reason:
        return "bound:open-rest"
    if "composite" in reason or "list elements" in reason:
        return "bound:list-size"
    if "dict" in reason:
        return "bound:dict-size"
    return "bound:loop"


def _reason(error: Unsupported) -> str:
    if (
        error.construct.startswith("budget")
        or error.construct.startswith("contract")
        or error.construct.startswith("name")
        or error.construct.startswith("file")
    ):
        return str(error)
    return f"not modelled: {error}"


__all__ = ["AnyV", "Decider", "Item"]
