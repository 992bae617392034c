"""Calls: same-module functions inlined (their preconditions obliged at the call site, then
assumed; what they do to their arguments written back), methods of the module's classes,
constructors, callables, builtins, the modules the translator models (re, math, ...), and
calls it does not follow: those give a value of the hinted type (or any value), and the
mutable values passed to them may come back changed."""

from __future__ import annotations

import ast
import dataclasses

import z3

from verify.builtins import BUILTINS, MODULE_FUNCTIONS
from verify.builtins.methods import builtin_method
from verify.core import Core, Rebind
from verify.operations import as_any, store_item
from verify.specs import function_spec
from verify.state import CALL_DEPTH, Path, Results, local_names
from verify.values import (
    AnyV,
    BListV,
    BoundMethod,
    ElemV,
    FuncV,
    LambdaV,
    MethodChoice,
    ModuleV,
    NoneV,
    ObjV,
    OptV,
    Unsupported,
    Value,
    atomic,
    atomic_expr,
    mutable,
)

Function = ast.FunctionDef | ast.AsyncFunctionDef


class Calls(Core):
    # --- inlining ---------------------------------------------------------------------------
    def call(
        self,
        node: Function,
        args: dict[str, Value],
        path: Path,
        line: int,
        cls: ast.ClassDef | None = None,
    ) -> list[Path]:
        """Inline a same-module function: terminal paths (return, raise, cut)."""
        self.ctx.tick()
        if self.depth >= CALL_DEPTH:
            self.ctx.cuts.append((path.cond, f"recursion deeper than {CALL_DEPTH} calls"))
            return [path.end("cut", line=line)]
        if any(isinstance(n, ast.Yield | ast.YieldFrom) for n in ast.walk(node)):
            raise Unsupported(f"`{node.name}` is a generator", line, "node:Yield")
        spec = function_spec(node, cls, "", self.ctx.source)
        inner = dataclasses.replace(
            path, env=dict(args), rebound=frozenset(), borrowed=frozenset(), origins=(), aliases=()
        )
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
        outer, captured = self.ctx.local_names, self.ctx.captured
        self.ctx.local_names, self.ctx.captured = local_names(node), {}
        try:
            ends = self.block(node.body[spec.body_start :], [inner])
        finally:
            self.depth -= 1
            self.ctx.local_names, self.ctx.captured = outer, captured

        out = []
        for end in ends:
            if end.status in ("live", "return"):
                value = end.value if end.status == "return" else NoneV()
                out.append(dataclasses.replace(end, status="return", value=value or NoneV()))
            else:
                out.append(end)
        return out

    def call_function(
        self,
        fn: Function,
        node: ast.Call,
        path: Path,
        line: int,
        prefix: list[Value] | None = None,
        cls: ast.ClassDef | None = None,
        receiver: ast.expr | None = None,
    ) -> Results:
        """Call a same-module function or method, inlined; where its body cannot be
        translated, its contract (or its return hint) stands for it."""
        out: Results = []
        for p, args, sources in self.bind_args(fn, node, path, line, prefix, receiver):
            try:
                ends = self.call(fn, args, p, line, cls)
            except Unsupported as exc:
                if exc.construct.startswith("budget"):
                    raise
                out.extend(self.summarise(fn, args, sources, p, line, cls, exc))
                continue
            for end in ends:
                out.append(self.returned(end, p, args, sources))
        return out

    def returned(
        self, end: Path, caller: Path, args: dict[str, Value], sources: dict[str, ast.expr]
    ) -> tuple[Path, Value | None]:
        """Back in the caller after the callee ended: its environment again, with what the
        callee did to the objects it was passed."""
        back = dataclasses.replace(
            end,
            env=caller.env,
            rebound=caller.rebound,
            borrowed=caller.borrowed,
            origins=caller.origins,
            aliases=caller.aliases,
            status="live",
            value=None,
        )
        for param, source in sources.items():
            if param not in end.env or not mutable(args[param]):
                continue
            if param in end.rebound:
                back = self.havoc(back, [source])  # changed in place before it was rebound?
                continue
            if end.env[param] is args[param]:
                continue
            rebind = self.rebinder(source, back, end.line)
            if rebind is None:
                raise Unsupported(
                    "a callee changes an object that may be shared", end.line, "alias:callee"
                )
            back = rebind(back, end.env[param])
        if end.status == "return":
            return back, end.value
        if end.status == "raise":
            return dataclasses.replace(
                back,
                status="raise",
                raised=end.raised,
                line=end.line,
                what=end.what,
                what_kind=end.what_kind,
            ), None
        return dataclasses.replace(back, status="cut"), None

    def summarise(
        self,
        fn: Function,
        args: dict[str, Value],
        sources: dict[str, ast.expr],
        path: Path,
        line: int,
        cls: ast.ClassDef | None,
        why: Unsupported,
    ) -> Results:
        """A call the translator cannot inline: its postconditions (where it states them)
        hold of a fresh result of its return hint, and what it was passed may change."""
        from verify.inputs import Inputs

        self.ctx.note_unmodelled(f"the body of `{fn.name}` ({why.what})")
        path = self.havoc(path, [s for p, s in sources.items() if mutable(args[p])])
        result = Inputs(self.ctx, set(), as_input=False).fresh(f"{fn.name}()", fn.returns, line)
        spec = function_spec(fn, cls, "", self.ctx.source)
        for condition in spec.post:
            env = dict(args)
            if condition.lambda_args is not None:
                env = {
                    n: args.get(n, result)
                    for n in condition.lambda_args
                    if n in args or n == "result"
                }
            for name in ("result", "__return__", "_"):
                env.setdefault(name, result)
            old = ObjV("__old__", dict(args))
            env.setdefault("OLD", old)
            env.setdefault("__old__", old)
            try:
                path = path.add(
                    self.formula(condition.expr, env, condition.line, condition.lambda_args)
                )
            except Unsupported:
                continue  # a postcondition the translator cannot read promises nothing here
        self.unmodelled(path, f"`{fn.name}`", line)
        return [(path, result)]

    def bind_args(
        self,
        fn: Function,
        node: ast.Call,
        path: Path,
        line: int,
        prefix: list[Value] | None = None,
        receiver: ast.expr | None = None,
    ) -> list[tuple[Path, dict[str, Value], dict[str, ast.expr]]]:
        """The parameters' values, and the caller's expressions they came from."""
        params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
        kwonly = [a.arg for a in fn.args.kwonlyargs]
        if fn.args.vararg or fn.args.kwarg:
            raise Unsupported(
                f"calling `{fn.name}` with *args/**kwargs parameters", line, "call:varargs"
            )
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
        given_nodes: list[ast.expr] = (
            [receiver] if receiver is not None and prefix else []
        ) + list(node.args)
        out = []
        nodes = list(node.args) + [k.value for k in node.keywords]
        for p, values in self.exprs(nodes, path):
            given = list(prefix or []) + values[: len(node.args)]
            if len(given) > len(params):
                raise Unsupported(f"too many arguments to `{fn.name}`", line, "call:arity")
            bound: dict[str, Value] = dict(zip(params, given, strict=False))
            sources = {params[i]: n for i, n in enumerate(given_nodes) if i < len(params)}
            for keyword, value in zip(node.keywords, values[len(node.args) :], strict=True):
                assert keyword.arg is not None
                bound[keyword.arg] = value
                sources[keyword.arg] = keyword.value
            for name in params + kwonly:
                if name not in bound:
                    if name not in defaults:
                        raise Unsupported(
                            f"missing argument `{name}` to `{fn.name}`", line, "call:arity"
                        )
                    results = self.expr(defaults[name], Path((), {}))
                    if len(results) != 1 or results[0][1] is None:
                        raise Unsupported("a default that branches", line, "call:default")
                    bound[name] = results[0][1]
            out.append((p, bound, sources))
        return out

    # --- call expressions ---------------------------------------------------------------------
    def call_expr(self, node: ast.expr, path: Path) -> Results:
        assert isinstance(node, ast.Call)
        line = node.lineno
        if any(isinstance(a, ast.Starred) for a in node.args) or any(
            k.arg is None for k in node.keywords
        ):
            raise Unsupported("*args or **kwargs in a call", line, "call:star-args")
        func = node.func
        if isinstance(func, ast.Name) and func.id not in path.env:
            name = func.id
            ctx = self.ctx
            if name in ctx.functions:
                return self.call_function(ctx.functions[name], node, path, line)
            if name in ctx.classes:
                from verify.classes import construct

                return construct(self, ctx.classes[name], node, path, line)
            if name in BUILTINS and name not in ctx.module_names:
                return BUILTINS[name](self, node, path, line)
        if isinstance(func, ast.Attribute):
            return self.call_method(func, node, path, line)
        out: Results = []
        for p, callee in self.expr(func, path):
            if callee is None:
                out.append((p, None))
            else:
                out.extend(self.call_value(callee, node, p, line))
        return out

    def call_value(self, target: Value, node: ast.Call, path: Path, line: int) -> Results:
        if isinstance(target, OptV):
            path, target = self.unwrap(
                path, target, line, "TypeError", f"`{ast.unparse(node.func)}` is not None"
            )
        if isinstance(target, FuncV):
            out: Results = []
            for p, values in self.exprs(list(node.args), path):
                if len(values) != len(target.args) or node.keywords:
                    raise Unsupported("calling a callable with the wrong arity", line, "call:arity")
                args = [
                    atomic_expr(v, kind, line) for v, kind in zip(values, target.args, strict=True)
                ]
                out.append((p, atomic(target.result, target.f(*args))))
            return out
        if isinstance(target, MethodChoice):
            return self.call_choice(target, node, path, line)
        if isinstance(target, BoundMethod):
            return self.call_bound(target, node, path, line)
        if isinstance(target, ModuleV):
            return self.call_module(target, node, path, line)
        if isinstance(target, AnyV):
            return self.opaque_call(node, path, line, f"calling {target.name}")
        if isinstance(target, LambdaV):
            return self.call_lambda(target, node, path, line)
        raise Unsupported(f"calling a {target.kind}", line, f"call:{target.kind}")

    def call_lambda(self, target: LambdaV, node: ast.Call, path: Path, line: int) -> Results:
        """A lambda's body with its parameters bound and its closure's names."""
        lam = target.node
        params = [a.arg for a in lam.args.args]
        odd = lam.args.vararg or lam.args.kwarg or lam.args.kwonlyargs or lam.args.defaults
        if odd or node.keywords:
            raise Unsupported(
                "a lambda with defaults, keywords or *args", line, "node:Lambda(args)"
            )
        out: Results = []
        for p, values in self.exprs(list(node.args), path):
            if len(values) != len(params):
                raise Unsupported("a lambda called with the wrong arity", line, "call:arity")
            bound = {**target.env, **dict(zip(params, values, strict=True))}
            for q, value in self.expr(lam.body, dataclasses.replace(p, env=bound)):
                out.append((dataclasses.replace(q, env=p.env), value))
        return out

    def call_module(self, target: ModuleV, node: ast.Call, path: Path, line: int) -> Results:
        """A function of a module the translator models, or one it does not follow."""
        model = MODULE_FUNCTIONS.get(target.dotted)
        if model is not None:
            return model(self, node, path, line)
        if target.dotted.startswith("builtins."):
            name = target.last
            if name in BUILTINS:
                return BUILTINS[name](self, node, path, line)
        cls = (
            target.last
            if target.last[:1].isupper() and target.last in self.ctx.known_classes
            else None
        )
        return self.opaque_call(node, path, line, f"`{target.dotted}`", cls)

    def opaque_call(
        self, node: ast.Call, path: Path, line: int, what: str, cls: str | None = None
    ) -> Results:
        """Code the translator does not follow: any result (an object of `cls` where that is
        known), and the mutable values passed may come back changed."""
        nodes = list(node.args) + [k.value for k in node.keywords]
        out: Results = []
        for p, values in self.exprs(nodes, path):
            changed = [
                n for n, v in zip(nodes, values, strict=True) if mutable(v) or isinstance(v, AnyV)
            ]
            p = self.havoc_captured(self.havoc(p, changed))

            self.unmodelled(p, what, line)
            result = self.any_value(f"the result of {what}", cls)
            if cls is not None:
                result = dataclasses.replace(result, ident=self.new_ident())
            out.append((p, result))
        return out

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
        out.append(
            (
                missing.end("raise", raised="AttributeError", line=line, what="the method exists"),
                None,
            )
        )
        return out

    def call_bound(self, bound: BoundMethod, node: ast.Call, path: Path, line: int) -> Results:
        """A method read earlier (`f = obj.method`) and called now."""
        if isinstance(bound.obj, ObjV) and bound.obj.cls in self.ctx.classes:
            cls = self.ctx.classes[bound.obj.cls]
            fn = _method(cls, bound.name)
            if fn is not None:
                return self.call_function(fn, node, path, line, [bound.obj], cls)
        out: Results = []
        for q, args in self.exprs(list(node.args), path):
            out.append(builtin_method(self, bound.obj, bound.name, args, None, node, q, line))
        return out

    def call_method(self, func: ast.Attribute, node: ast.Call, path: Path, line: int) -> Results:
        method = func.attr
        out: Results = []
        for p, receiver in self.expr(func.value, path):
            if receiver is None:
                out.append((p, None))
                continue
            if isinstance(receiver, ModuleV):
                out.extend(self.call_module(ModuleV(f"{receiver.dotted}.{method}"), node, p, line))
                continue
            p, receiver = self.unwrap(
                p, receiver, line, "AttributeError", f"{ast.unparse(func.value)} is not None"
            )
            if isinstance(receiver, ElemV):
                receiver = as_any(receiver)
            if isinstance(receiver, ObjV) and receiver.cls in self.ctx.classes:
                out.extend(self.object_method(receiver, func, node, p, line))
                continue
            if isinstance(receiver, AnyV):
                out.extend(self.opaque_call(node, p, line, f"`{ast.unparse(func)}`"))
                continue
            rebind = self.rebinder(func.value, p, line)
            for q, args in self.exprs(list(node.args), p):
                out.append(builtin_method(self, receiver, method, args, rebind, node, q, line))
        return out

    def object_method(
        self, receiver: ObjV, func: ast.Attribute, node: ast.Call, path: Path, line: int
    ) -> Results:
        cls = self.ctx.classes[receiver.cls]
        fn = _method(cls, func.attr)
        if fn is None:
            field = receiver.fields.get(func.attr)
            if field is not None:  # a callable stored in a field
                return self.call_value(field, node, path, line)
            changed = self.havoc(path, [func.value])
            return self.opaque_call(
                node, changed, line, f"`{receiver.cls}.{func.attr}` (inherited)"
            )
        if any(ast.unparse(d).endswith(("staticmethod", "classmethod")) for d in fn.decorator_list):
            prefix: list[Value] = (
                []
                if ast.unparse(fn.decorator_list[0]).endswith("staticmethod")
                else [ModuleV(receiver.cls)]
            )
            return self.call_function(fn, node, path, line, prefix, cls)
        return self.call_function(fn, node, path, line, [receiver], cls, func.value)

    def call_method_of(
        self, obj: ObjV, method: ast.FunctionDef, cls: ast.ClassDef | None, path: Path, line: int
    ) -> Results:
        """A property read: the method called on the object with no arguments."""
        call = ast.Call(ast.Name("self", ast.Load()), [], [])
        ast.copy_location(call, method)
        return self.call_function(method, call, path, line, [obj], cls)

    # --- storing back ---------------------------------------------------------------------
    def rebinder(self, receiver: ast.expr, path: Path, line: int) -> Rebind | None:
        """How to store a mutated receiver back: a local name, or a field of an object held
        by a local name. None where the object may be shared (no heap model)."""
        if isinstance(receiver, ast.Name):
            name = receiver.id
            origin = next((o for o in path.origins if o[0] == name), None)
            if origin is not None:
                _, container, index = origin

                def store_element(p: Path, v: Value) -> Path:
                    holder = p.env[container]
                    assert isinstance(holder, BListV)
                    p = p.bind(container, store_item(holder, index, v), rebinding=False)
                    return p.bind(name, v, rebinding=False)

                return store_element
            if name in path.borrowed or name not in path.env:
                return None
            return lambda p, v: p.bind(name, v, rebinding=False)
        if isinstance(receiver, ast.Attribute) and isinstance(receiver.value, ast.Name):
            owner, attr = receiver.value.id, receiver.attr
            if owner in path.borrowed or not isinstance(path.env.get(owner), ObjV):
                return None

            def store(p: Path, v: Value) -> Path:
                obj = p.env[owner]
                assert isinstance(obj, ObjV)
                return p.bind(
                    owner, ObjV(obj.cls, {**obj.fields, attr: v}, obj.ident), rebinding=False
                )

            return store
        return None


def _method(cls: ast.ClassDef, name: str) -> ast.FunctionDef | None:
    for node in cls.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    return None
