"""Subscripts, slices and attributes: indexes into sequences, strings, tuples and lists of
composite values (IndexError where out of range), keys of dicts (KeyError), slices with
constant steps, fields and properties of the module's classes, and the attributes of values
the translator does not model. None raises where Python's would."""

from __future__ import annotations

import ast

import z3

from verify.core import Core
from verify.operations import as_any, equal, merge
from verify.state import Path, Results
from verify.values import (
    AnyV,
    AssocV,
    BListV,
    BoundMethod,
    DictV,
    ElemV,
    IntV,
    ModuleV,
    NoneV,
    ObjV,
    RealV,
    SeqV,
    StrV,
    TupleV,
    Unsupported,
    Value,
    atomic,
    atomic_expr,
    to_int,
)

# Module attributes that are constants.
_MODULE_CONSTANTS: dict[str, object] = {
    "math.pi": 3.141592653589793,
    "math.e": 2.718281828459045,
    "math.tau": 6.283185307179586,
    "string.digits": "0123456789",
    "string.ascii_lowercase": "abcdefghijklmnopqrstuvwxyz",
    "string.ascii_uppercase": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "string.ascii_letters": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "string.hexdigits": "0123456789abcdefABCDEF",
    "string.octdigits": "01234567",
    "string.punctuation": "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
    "string.whitespace": " \t\n\r\x0b\x0c",
    "os.sep": "/",
    "os.linesep": "\n",
}


class Subscripts(Core):
    def subscript(self, node: ast.expr, path: Path) -> Results:
        assert isinstance(node, ast.Subscript)
        line = node.lineno
        out: Results = []
        for p, base in self.expr(node.value, path):
            if base is None:
                out.append((p, None))
                continue
            if isinstance(base, ModuleV):  # a type in an annotation-like expression
                out.append((p, self.any_value(f"`{ast.unparse(node)}`")))
                continue
            p, base = self.unwrap(
                p, base, line, "TypeError", f"{ast.unparse(node.value)} is not None"
            )
            if isinstance(node.slice, ast.Slice):
                bounds = [node.slice.lower, node.slice.upper, node.slice.step]
                for q, values in self.exprs([b for b in bounds if b is not None], p):
                    it = iter(values)
                    lower, upper, step = (next(it) if b is not None else None for b in bounds)
                    out.append((q, self.slice(base, lower, upper, step, q, line)))
                continue
            for q, key in self.expr(node.slice, p):
                if key is None:
                    out.append((q, None))
                    continue
                out.append(self.index(base, key, q, line, ast.unparse(node)))
        return out

    def index(
        self, base: Value, key: Value, path: Path, line: int, text: str
    ) -> tuple[Path, Value]:
        if isinstance(base, AnyV) or isinstance(key, AnyV):
            self.unmodelled(path, f"`{text}`", line)
            return path, self.any_value(f"`{text}`")
        if isinstance(base, DictV):
            k = atomic_expr(key, base.key, line)
            path = self.unless(
                path, z3.Select(base.has, k), "KeyError", f"{text}: key present", line
            )
            return path, atomic(base.value, z3.Select(base.val, k))
        if isinstance(base, AssocV):
            return self.entry(base, key, path, line, text)
        if isinstance(base, ObjV) and base.cls == "__deal__" and isinstance(key, StrV):
            name = z3.simplify(key.e)
            if z3.is_string_value(name) and name.as_string() in base.fields:
                return path, base.fields[name.as_string()]
        if isinstance(base, TupleV):
            return self.tuple_item(base, key, path, line, text)
        i = to_int(key, line)
        if isinstance(base, SeqV | StrV | BListV):
            size = z3.Length(base.e) if isinstance(base, SeqV | StrV) else base.length
            path = self.unless(
                path, z3.And(i >= -size, i < size), "IndexError", f"{text} in range", line
            )
            at = z3.If(i < 0, size + i, i)
            if isinstance(base, SeqV):
                return path, atomic(base.elem, base.e[at])
            if isinstance(base, StrV):
                return path, StrV(z3.SubString(base.e, at, 1))
            result = base.items[-1]
            for position in range(len(base.items) - 1):
                result = merge(at == position, base.items[position], result, line)
            self.ctx.cuts.append(
                ((*path.cond, at >= len(base.items)), "list elements beyond the bound")
            )
            return path, result
        raise Unsupported(f"indexing {base.kind}", line, f"subscript:{base.kind}")

    def entry(
        self, base: AssocV, key: Value, path: Path, line: int, text: str
    ) -> tuple[Path, Value]:
        path = self.unless(
            path, self.contains(base, key, line), "KeyError", f"{text}: key present", line
        )
        result: Value | None = None
        for present, k, v in base.entries:
            hit = z3.And(present, equal(k, key, line))
            result = v if result is None else merge(hit, v, result, line)
        return path, result if result is not None else NoneV()

    def tuple_item(
        self, base: TupleV, key: Value, path: Path, line: int, text: str
    ) -> tuple[Path, Value]:
        i = to_int(key, line)
        size = len(base.items)
        constant = z3.simplify(i)
        if z3.is_int_value(constant):
            position = constant.as_long()
            if not -size <= position < size:
                self.raise_path(path, "IndexError", f"{text} in range", line)
                return path.add(z3.BoolVal(False)), NoneV()
            return path, base.items[position]
        path = self.unless(
            path, z3.And(i >= -size, i < size), "IndexError", f"{text} in range", line
        )
        result = base.items[-1] if base.items else NoneV()
        for position in range(size - 1):
            result = merge(
                z3.Or(i == position, i == position - size), base.items[position], result, line
            )
        return path, result

    def slice(
        self,
        base: Value,
        lower: Value | None,
        upper: Value | None,
        step: Value | None,
        path: Path,
        line: int,
    ) -> Value:
        if isinstance(base, AnyV) or any(isinstance(b, AnyV) for b in (lower, upper, step)):
            self.unmodelled(path, "a slice of an unmodelled value", line)
            return self.any_value("a slice")
        stride = 1
        if step is not None:
            constant = z3.simplify(to_int(step, line))
            if not z3.is_int_value(constant) or constant.as_long() == 0:
                raise Unsupported("a slice with a symbolic or zero step", line, "slice:step")
            stride = constant.as_long()
        if isinstance(base, TupleV | BListV):
            return self.constant_slice(base, lower, upper, stride, line)
        if not isinstance(base, SeqV | StrV):
            raise Unsupported(f"slicing {base.kind}", line, f"slice:{base.kind}")
        if stride != 1:
            return self.strided(base, lower, upper, stride, line)
        size = z3.Length(base.e)

        def norm(value: Value | None, default: z3.ArithRef) -> z3.ArithRef:
            if value is None:
                return default
            i = to_int(value, line)
            i = z3.If(i < 0, size + i, i)
            return z3.If(i < 0, 0, z3.If(i > size, size, i))

        lo = norm(lower, z3.IntVal(0))
        hi = norm(upper, size)
        part = z3.Extract(base.e, lo, z3.If(hi > lo, hi - lo, 0))
        if isinstance(base, StrV):
            return StrV(part)
        return SeqV(part, base.elem, base.tuple_like)

    def strided(
        self, base: SeqV | StrV, lower: Value | None, upper: Value | None, stride: int, line: int
    ) -> Value:
        """A slice with a step other than 1: its length is exact, its elements are not."""
        if lower is not None or upper is not None:
            raise Unsupported("a slice with bounds and a step", line, "slice:step")
        size = z3.Length(base.e)
        magnitude = abs(stride)
        count = (size + magnitude - 1) / magnitude
        fresh = self.ctx.fresh("strided", base.e.sort())
        self.ctx.facts.append(z3.Length(fresh) == count)
        self.ctx.note_unmodelled(f"the elements of a slice with step {stride}")
        if isinstance(base, StrV):
            return StrV(fresh)
        return SeqV(fresh, base.elem, base.tuple_like)

    def constant_slice(
        self,
        base: TupleV | BListV,
        lower: Value | None,
        upper: Value | None,
        stride: int,
        line: int,
    ) -> Value:
        lo = z3.simplify(to_int(lower, line)) if lower is not None else None
        hi = z3.simplify(to_int(upper, line)) if upper is not None else None
        if not ((lo is None or z3.is_int_value(lo)) and (hi is None or z3.is_int_value(hi))):
            raise Unsupported(
                f"a {base.kind} slice with symbolic bounds", line, f"slice:{base.kind}(symbolic)"
            )
        bounds = slice(
            lo.as_long() if lo is not None else None,
            hi.as_long() if hi is not None else None,
            stride,
        )
        if isinstance(base, TupleV):
            return TupleV(base.items[bounds])
        known = z3.simplify(base.length)
        if z3.is_int_value(known) and known.as_long() == len(base.items):
            items = base.items[bounds]
            return BListV(z3.IntVal(len(items)), items, (), base.tuple_like)
        raise Unsupported("a slice of a list of composite values", line, "slice:list(composite)")

    # --- attributes ---------------------------------------------------------------------------
    def attribute_expr(self, node: ast.expr, path: Path) -> Results:
        assert isinstance(node, ast.Attribute)
        out: Results = []
        for p, value in self.expr(node.value, path):
            if value is None:
                out.append((p, None))
                continue
            if isinstance(value, ModuleV):
                out.append((p, self.module_attribute(value, node.attr, node.lineno)))
                continue
            p, value = self.unwrap(
                p, value, node.lineno, "AttributeError", f"{ast.unparse(node.value)} is not None"
            )
            out.extend(self.attribute(value, node.attr, p, node.lineno))
        return out

    def module_attribute(self, module: ModuleV, name: str, line: int) -> Value:
        dotted = f"{module.dotted}.{name}"
        if dotted in _MODULE_CONSTANTS:
            constant = _MODULE_CONSTANTS[dotted]
            if isinstance(constant, float):
                self.ctx.reals = True
                return RealV(z3.RealVal(repr(constant)))
            assert isinstance(constant, str)
            return StrV(z3.StringVal(constant))
        if dotted == "sys.maxsize":
            return IntV(z3.IntVal(2**63 - 1))
        return ModuleV(dotted)

    def attribute(self, value: Value, name: str, path: Path, line: int) -> Results:
        if isinstance(value, ElemV):
            value = as_any(value)
        if isinstance(value, ObjV):
            return self.object_attribute(value, name, path, line)
        if isinstance(value, AnyV):
            self.unmodelled(path, f"`.{name}` of {value.name}", line)
            return [(path, self.any_value(f"{value.name}.{name}"))]
        if isinstance(value, IntV | RealV) and name in ("real", "numerator", "imag"):
            return [(path, value if name != "imag" else IntV(z3.IntVal(0)))]
        return [(path, BoundMethod(value, name))]

    def object_attribute(self, obj: ObjV, name: str, path: Path, line: int) -> Results:
        if name in obj.fields:
            return [(path, obj.fields[name])]
        if obj.ident is None:  # OLD and deal's record hold exactly what was captured
            raise Unsupported(f"`{name}` was not captured for the contract", line, "contract:OLD")
        cls = self.ctx.classes.get(obj.cls)
        method = _method(cls, name) if cls is not None else None
        if method is not None:
            if any(ast.unparse(d).endswith("property") for d in method.decorator_list):
                return self.call_method_of(obj, method, cls, path, line)
            return [(path, BoundMethod(obj, name))]
        constant = _class_constant(cls, name) if cls is not None else None
        if constant is not None:
            return self.expr(constant, path)
        self.unmodelled(path, f"the attribute `{obj.cls}.{name}`", line)
        return [(path, self.any_value(f"`{obj.cls}.{name}`"))]


def _method(cls: ast.ClassDef, name: str) -> ast.FunctionDef | None:
    for node in cls.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    return None


def _class_constant(cls: ast.ClassDef, name: str) -> ast.expr | None:
    for node in cls.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
            and isinstance(node.value, ast.Constant)
        ):
            return node.value
    return None
