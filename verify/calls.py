"""Calls: same-module functions inlined (their preconditions obliged at the call site, then
assumed), methods of the module's classes, constructors, callables and builtin methods."""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Callable

import z3

from verify.builtins import BUILTINS
from verify.builtins.methods import builtin_method
from verify.core import Core
from verify.specs import function_spec
from verify.state import CALL_DEPTH, Path, Results
from verify.values import (
    BListV,
    FuncV,
    MethodChoice,
    NoneV,
    ObjV,
    Unsupported,
    Value,
    atomic,
    atomic_expr,
)


class Calls(Core):
    # --- functions -----------------------------------------------------------------------
    def call(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        args: dict[str, Value],
        path: Path,
        line: int,
        cls: ast.ClassDef | None = None,
    ) -> list[Path]:
        """Inline a same-module function: terminal paths (return, raise, cut)."""
        if self.depth >= CALL_DEPTH:
            self.ctx.cuts.append((path.cond, f"recursion deeper than {CALL_DEPTH} calls"))
            return [path.end("cut", line=line)]
        spec = function_spec(node, cls, "", self.ctx.source)
        inner = dataclasses.replace(path, env=dict(args), rebound=frozenset())
        # The callee's preconditions must hold at the call site; then they are assumed.
        for condition in spec.pre:
            formula = self.formula(
                condition.expr, inner.env, condition.line, condition.lambda_args, inner
            )
            self.oblige(
                inner, "pre", f"{node.name}: {condition.text}", line, formula, "precondition"
            )
            inner = inner.add(formula)
        self.depth += 1
        try:
            ends = self.block(node.body[spec.body_start :], [inner])
        finally:
            self.depth -= 1
        out = []
        for end in ends:
            if end.status in ("live", "return"):
                value = end.value if end.status == "return" else NoneV()
                out.append(
                    dataclasses.replace(end, env=end.env, status="return", value=value or NoneV())
                )
            else:
                out.append(end)
        return out

    # --- calls ---------------------------------------------------------------------------
    def call_expr(self, node: ast.Call, path: Path) -> Results:
        line = node.lineno
        if any(isinstance(a, ast.Starred) for a in node.args) or any(
            k.arg is None for k in node.keywords
        ):
            raise Unsupported("*args or **kwargs in a call", line)
        func = node.func
        if isinstance(func, ast.Name):
            name = func.id
            if name in path.env:
                target = path.env[name]
                return self.call_value(target, node, path, line)
            if name in BUILTINS:
                return BUILTINS[name](self, node, path, line)
            if name in self.ctx.functions:
                return self.call_function(self.ctx.functions[name], node, path, line)
            if name in self.ctx.classes:
                return self.construct(self.ctx.classes[name], node, path, line)
            raise Unsupported(f"call to `{name}`", line)
        if isinstance(func, ast.Attribute):
            return self.call_method(func, node, path, line)
        out: Results = []
        for p, callee in self.expr(func, path):  # e.g. getattr(obj, name)()
            if callee is None:
                out.append((p, None))
            else:
                out.extend(self.call_value(callee, node, p, line))
        return out

    def bind_args(
        self,
        fn: ast.FunctionDef | ast.AsyncFunctionDef,
        node: ast.Call,
        path: Path,
        line: int,
        prefix: list[Value] | None = None,
    ) -> list[tuple[Path, dict[str, Value]]]:
        params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
        kwonly = [a.arg for a in fn.args.kwonlyargs]
        if fn.args.vararg or fn.args.kwarg:
            raise Unsupported(f"calling `{fn.name}` with *args/**kwargs parameters", line)
        defaults = dict(
            zip(params[len(params) - len(fn.args.defaults) :], fn.args.defaults, strict=True)
        )
        defaults.update(
            {
                a.arg: d
                for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults, strict=True)
                if d is not None
            }
        )
        out = []
        nodes = list(node.args) + [k.value for k in node.keywords]
        for p, values in self.exprs(nodes, path):
            given = list(prefix or []) + values[: len(node.args)]
            bound: dict[str, Value] = dict(zip(params, given, strict=False))
            if len(given) > len(params):
                raise Unsupported(f"too many arguments to `{fn.name}`", line)
            for keyword, value in zip(node.keywords, values[len(node.args) :], strict=True):
                assert keyword.arg is not None
                bound[keyword.arg] = value
            for name in params + kwonly:
                if name not in bound:
                    if name not in defaults:
                        raise Unsupported(f"missing argument `{name}` to `{fn.name}`", line)
                    results = self.expr(defaults[name], Path((), {}))
                    if len(results) != 1 or results[0][1] is None:
                        raise Unsupported("a default that branches", line)
                    bound[name] = results[0][1]
            out.append((p, bound))
        return out

    def call_function(
        self,
        fn: ast.FunctionDef | ast.AsyncFunctionDef,
        node: ast.Call,
        path: Path,
        line: int,
        prefix: list[Value] | None = None,
        cls: ast.ClassDef | None = None,
        self_name: str | None = None,
    ) -> Results:
        out: Results = []
        for p, args in self.bind_args(fn, node, path, line, prefix):
            for end in self.call(fn, args, p, line, cls):
                caller = dataclasses.replace(
                    end, env=p.env, rebound=p.rebound, status="live", value=None
                )
                if self_name is not None and isinstance(end.env.get("self"), ObjV):
                    caller = caller.bind(self_name, end.env["self"], rebinding=False)
                if end.status == "return":
                    out.append((caller, end.value))
                elif end.status == "raise":
                    out.append(
                        (
                            dataclasses.replace(
                                caller, status="raise", raised=end.raised, line=end.line
                            ),
                            None,
                        )
                    )
                else:
                    out.append((dataclasses.replace(caller, status="cut"), None))
        return out

    def construct(self, cls: ast.ClassDef, node: ast.Call, path: Path, line: int) -> Results:
        init = next(
            (n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None
        )
        obj = ObjV(cls.name, {})
        if init is None:
            return [(path, obj)]
        out: Results = []
        for p, args in self.bind_args(init, node, path, line, [obj]):
            for end in self.call(init, args, p, line, cls):
                caller = dataclasses.replace(end, env=p.env, rebound=p.rebound, status="live")
                if end.status == "return":
                    out.append((caller, end.env.get("self", obj)))
                else:
                    out.append(
                        (dataclasses.replace(caller, status=end.status, raised=end.raised), None)
                    )
        return out

    def call_value(self, target: Value, node: ast.Call, path: Path, line: int) -> Results:
        if isinstance(target, FuncV):
            out: Results = []
            for p, values in self.exprs(list(node.args), path):
                if len(values) != len(target.args):
                    raise Unsupported("calling a callable with the wrong arity", line)
                args = [
                    atomic_expr(v, kind, line) for v, kind in zip(values, target.args, strict=True)
                ]
                out.append((p, atomic(target.result, target.f(*args))))
            return out
        if isinstance(target, MethodChoice):
            return self.call_choice(target, node, path, line)
        raise Unsupported(f"calling a {target.kind}", line)

    def call_choice(self, choice: MethodChoice, node: ast.Call, path: Path, line: int) -> Results:
        cls = self.ctx.classes[choice.obj.cls]
        methods = [n for n in cls.body if isinstance(n, ast.FunctionDef)]
        out: Results = []
        names = []
        for method in methods:
            hit = choice.name == z3.StringVal(method.name)
            names.append(hit)
            out.extend(self.call_function(method, node, path.add(hit), line, [choice.obj], cls))
        missing = path.add(z3.Not(z3.Or(*names))) if names else path
        out.append((missing.end("raise", raised="AttributeError", line=line), None))
        return out

    def call_method(self, func: ast.Attribute, node: ast.Call, path: Path, line: int) -> Results:
        method = func.attr
        out: Results = []
        for p, receiver in self.expr(func.value, path):
            if receiver is None:
                out.append((p, None))
                continue
            name = func.value.id if isinstance(func.value, ast.Name) else None
            if isinstance(receiver, ObjV) and receiver.cls in self.ctx.classes:
                cls = self.ctx.classes[receiver.cls]
                fn = next(
                    (n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == method),
                    None,
                )
                if fn is None:
                    raise Unsupported(f"method `{method}` of {receiver.cls}", line)
                out.extend(self.call_function(fn, node, p, line, [receiver], cls, name))
                continue
            rebind = self.rebinder(func.value, p, line)
            for q, args in self.exprs(list(node.args), p):
                out.append(builtin_method(self, receiver, method, args, rebind, q, line))
        return out

    def rebinder(
        self, receiver: ast.expr, path: Path, line: int
    ) -> Callable[[Path, Value], Path] | None:
        """How to store a mutated receiver back: a local name, or a field of an object held
        by a local name. None where the object may be shared (no heap model)."""
        if isinstance(receiver, ast.Name):
            name = receiver.id
            origin = next((o for o in path.origins if o[0] == name), None)
            if origin is not None:
                _, container, index = origin

                def store_item(p: Path, v: Value) -> Path:
                    holder = p.env[container]
                    assert isinstance(holder, BListV)
                    p = p.bind(container, holder.store(index, v), rebinding=False)
                    return p.bind(name, v, rebinding=False)

                return store_item
            if name in path.borrowed:
                return None
            return lambda p, v: p.bind(name, v, rebinding=False)
        if isinstance(receiver, ast.Attribute) and isinstance(receiver.value, ast.Name):
            owner, attr = receiver.value.id, receiver.attr
            if owner in path.borrowed or not isinstance(path.env.get(owner), ObjV):
                return None

            def store(p: Path, v: Value) -> Path:
                obj = p.env[owner]
                assert isinstance(obj, ObjV)
                return p.bind(owner, ObjV(obj.cls, {**obj.fields, attr: v}), rebinding=False)

            return store
        return None
