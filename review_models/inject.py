"""Synthetic bugs in real code: one transform per bug family (the families and their weights
from real single-statement Python fixes are in `review_models.labels`).

Mutations are type-plausible: a replacement identifier is in scope, an attribute is one the
module uses, a called function is one the module calls with the same number of arguments (the
scope facts are in `review_models.facts`). Edits are text surgery on the original source, so
only the intended span changes.
"""

from __future__ import annotations

import ast
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bot.core import pysyntax
from review_models.facts import BUILTIN_NAMES as _BUILTIN_NAMES
from review_models.facts import ModuleFacts, Offsets, scope_for
from review_models.labels import FAMILIES, FAMILY_WEIGHTS


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_BINOP_SWAPS: dict[type, tuple[type, ...]] = {
    ast.Add: (ast.Sub,),
    ast.Sub: (ast.Add,),
    ast.Mult: (ast.Div, ast.FloorDiv, ast.Add),
    ast.Div: (ast.FloorDiv, ast.Mult),
    ast.FloorDiv: (ast.Div, ast.Mod),
    ast.Mod: (ast.FloorDiv,),
    ast.BitAnd: (ast.BitOr, ast.BitXor),
    ast.BitOr: (ast.BitAnd, ast.BitXor),
    ast.BitXor: (ast.BitAnd, ast.BitOr),
    ast.LShift: (ast.RShift,),
    ast.RShift: (ast.LShift,),
    ast.Pow: (ast.Mult,),
}
_OP_TEXT: dict[type, str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.Pow: "**",
    ast.MatMult: "@",
}
_CMP_SWAPS: dict[str, tuple[str, ...]] = {
    "<": ("<=", ">"),
    "<=": ("<", ">="),
    ">": (">=", "<"),
    ">=": (">", "<="),
    "==": ("!=", "is"),
    "!=": ("==", "is not"),
    "is": ("is not", "=="),
    "is not": ("is", "!="),
    "in": ("not in",),
    "not in": ("in",),
}
_CMP_TEXT: dict[type, str] = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
}
_WRAPPERS = _words(
    "len int str float list tuple set dict sorted reversed abs bool repr iter next sum min "
    "max any all round frozenset enumerate type ord chr bytes range"
)
_ZERO_ARG_METHODS = _words(
    "strip lstrip rstrip lower upper copy items keys values split splitlines title casefold "
    "read readlines decode encode popleft pop resolve absolute group groups result get_value "
    "getvalue tolist numpy item detach clone flatten strip_dirs hexdigest"
)


@dataclass(frozen=True)
class Mutation:
    family: str
    source: str  # the mutated snippet (a whole function)
    line: int  # 1-based line, within the snippet, of the bug
    start: int  # character span of the buggy text in `source`
    end: int
    original: str  # the text that was there (the repair)
    buggy: str  # the text put in its place


@dataclass(frozen=True)
class Edit:
    start: int  # character offsets in the snippet
    end: int
    text: str
    original: str


def _between(source: str, start: int, end: int, token: str) -> int | None:
    """Offset of `token` as an operator in source[start:end], skipping strings and brackets."""
    segment = source[start:end]
    pattern = re.escape(token)
    if token[0].isalpha():
        pattern = rf"\b{pattern}\b"
    if token in ("<", ">"):
        pattern = rf"(?<![<>=!]){pattern}(?![<>=])"
    elif token in ("*", "/"):
        pattern = rf"(?<![*/]){pattern}(?![*/=])"
    elif token in ("+", "-", "%", "&", "|", "^"):
        pattern = rf"{pattern}(?!=)"
    elif token == "in":
        pattern = r"(?<!not )\bin\b"
    elif token == "is":
        pattern = r"\bis\b(?! not)"
    for match in re.finditer(pattern, segment):
        before = segment[: match.start()]
        if (
            before.count("(") - before.count(")") == 0
            and before.count("[") == before.count("]")
            and before.count("'") % 2 == 0
            and before.count('"') % 2 == 0
        ):
            return start + match.start()
    return None


class Injector:
    """Finds mutation sites in one function of a module and applies one of them."""

    def __init__(
        self,
        module_source: str,
        facts: ModuleFacts,
        func: ast.FunctionDef | ast.AsyncFunctionDef,
        rng: random.Random,
    ) -> None:
        self.rng = rng
        self.module_source = module_source
        lines = module_source.splitlines(keepends=True)
        first = min([func.lineno, *(d.lineno for d in func.decorator_list)])
        self.first_line = first
        end = func.end_lineno or func.lineno
        self.source = "".join(lines[first - 1 : end])
        self.func = func
        self.offsets = Offsets(self.source)
        self.scope = scope_for(facts, func)

    # Positions inside the snippet: ast lines are module lines.
    def _span(self, node: ast.AST) -> tuple[int, int]:
        shift = self.first_line - 1
        return (
            self.offsets.at(node.lineno - shift, node.col_offset),  # type: ignore[attr-defined]
            self.offsets.at(
                node.end_lineno - shift,  # type: ignore[attr-defined]
                node.end_col_offset,
            ),
        )  # type: ignore[attr-defined]

    def _text(self, node: ast.AST) -> str:
        start, end = self._span(node)
        return self.source[start:end]

    def _replace(self, node: ast.AST, text: str) -> Edit:
        start, end = self._span(node)
        return Edit(start, end, text, self.source[start:end])

    def _body_nodes(self) -> Iterator[ast.AST]:
        for statement in self.func.body:
            if (
                isinstance(statement, ast.Expr)
                and isinstance(statement.value, ast.Constant)
                and isinstance(statement.value.value, str)
            ):
                continue  # the docstring
            yield from ast.walk(statement)

    def sites(self, family: str) -> list[Callable[[], Edit | None]]:
        method = getattr(self, "_" + family.replace("-", "_"))
        return list(method())

    # --- families ------------------------------------------------------------------------

    def _roles(self) -> dict[int, str]:
        roles: dict[int, str] = {}
        for node in self._body_nodes():
            if isinstance(node, ast.Call):
                roles[id(node.func)] = "func"
                if isinstance(node.func, ast.Attribute):
                    roles[id(node.func.value)] = "caller"
            elif isinstance(node, ast.BinOp):
                roles[id(node.left)] = roles[id(node.right)] = "operand"
            elif isinstance(node, ast.Compare):
                for operand in (node.left, *node.comparators):
                    roles[id(operand)] = "operand"
        return roles

    def _other_name(self, node: ast.Name) -> str | None:
        candidates = [
            n for n in self.scope.names_at(node.lineno) if n != node.id and n not in ("self", "cls")
        ]
        return self.rng.choice(candidates) if candidates else None

    def _wrong_identifier(self) -> Iterator[Callable[[], Edit | None]]:
        roles = self._roles()
        for node in self._body_nodes():
            if (
                isinstance(node, ast.Name)
                and isinstance(node.ctx, ast.Load)
                and id(node) not in roles
                and node.id not in _BUILTIN_NAMES
            ):
                yield lambda node=node: self._swap_name(node)

    def _swap_name(self, node: ast.Name) -> Edit | None:
        other = self._other_name(node)
        return self._replace(node, other) if other else None

    def _wrong_operand(self) -> Iterator[Callable[[], Edit | None]]:
        roles = self._roles()
        for node in self._body_nodes():
            if roles.get(id(node)) != "operand":
                continue
            if isinstance(node, ast.Name) and node.id not in _BUILTIN_NAMES:
                yield lambda node=node: self._swap_name(node)
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "self"
            ):
                yield lambda node=node: self._swap_attribute(node, self.scope.self_attributes)

    def _swap_attribute(self, node: ast.Attribute, pool: set[str]) -> Edit | None:
        candidates = sorted(a for a in pool if a != node.attr)
        if not candidates:
            return None
        other = self.rng.choice(candidates)
        start, end = self._span(node)
        text = self.source[start:end]
        cut = text.rfind(node.attr)
        if cut < 0:
            return None
        return Edit(start + cut, start + cut + len(node.attr), other, node.attr)

    def _args(self, call: ast.Call) -> list[ast.AST]:
        items: list[ast.AST] = [*call.args, *call.keywords]
        return sorted(items, key=lambda n: (n.lineno, n.col_offset))  # type: ignore[attr-defined]

    def _missing_argument(self) -> Iterator[Callable[[], Edit | None]]:
        for node in self._body_nodes():
            if isinstance(node, ast.Call) and self._args(node):
                yield lambda node=node: self._drop_arg(node)

    def _drop_arg(self, call: ast.Call) -> Edit | None:
        args = self._args(call)
        if any(isinstance(a, ast.Starred) for a in args):
            return None
        index = self.rng.randrange(len(args))
        start, end = self._span(args[index])
        if index + 1 < len(args):
            end = self._span(args[index + 1])[0]
        elif index > 0:
            start = self._span(args[index - 1])[1]
        else:
            inner = self.source[start:end]
            return Edit(start, end, "", inner) if "\n" not in inner else None
        return Edit(start, end, "", self.source[start:end])

    def _extra_argument(self) -> Iterator[Callable[[], Edit | None]]:
        for node in self._body_nodes():
            if isinstance(node, ast.Call) and node.args and not node.keywords:
                yield lambda node=node: self._add_arg(node)

    def _add_arg(self, call: ast.Call) -> Edit | None:
        used = {a.id for a in call.args if isinstance(a, ast.Name)}
        candidates = [
            n
            for n in self.scope.names_at(call.lineno)
            if n not in used and n not in ("self", "cls")
        ]
        if not candidates:
            return None
        _, end = self._span(call.args[-1])
        return Edit(end, end, ", " + self.rng.choice(candidates), "")

    def _wrong_function(self) -> Iterator[Callable[[], Edit | None]]:
        for node in self._body_nodes():
            if not isinstance(node, ast.Call):
                continue
            count = len(node.args) + len(node.keywords)
            if isinstance(node.func, ast.Name):
                pool = self.scope.called_names.get(count, set()) - {node.func.id}
                if pool:
                    yield lambda node=node, pool=pool: self._replace(
                        node.func, self.rng.choice(sorted(pool))
                    )
            elif isinstance(node.func, ast.Attribute):
                pool = self.scope.called_methods.get(count, set()) - {node.func.attr}
                if pool:
                    yield lambda node=node, pool=pool: self._swap_attribute(node.func, pool)  # type: ignore[arg-type]

    def _missing_wrapping_call(self) -> Iterator[Callable[[], Edit | None]]:
        for node in self._body_nodes():
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in _WRAPPERS
                and len(node.args) == 1
                and not node.keywords
                and not isinstance(node.args[0], ast.Starred | ast.GeneratorExp)
            ):
                yield lambda node=node: self._replace(node, self._text(node.args[0]))

    def _wrong_attribute(self) -> Iterator[Callable[[], Edit | None]]:
        funcs = {id(n.func) for n in self._body_nodes() if isinstance(n, ast.Call)}
        for node in self._body_nodes():
            if (
                isinstance(node, ast.Attribute)
                and id(node) not in funcs
                and isinstance(node.ctx, ast.Load)
            ):
                yield lambda node=node: self._swap_attribute(node, self.scope.attributes)

    def _wrong_literal(self) -> Iterator[Callable[[], Edit | None]]:
        for node in self._body_nodes():
            if isinstance(node, ast.Constant) and type(node.value) is int:
                yield lambda node=node: self._change_int(node)

    def _change_int(self, node: ast.Constant) -> Edit | None:
        value = int(node.value)  # type: ignore[arg-type]  # only int constants get here
        text = self._text(node)
        if not text.isdigit():
            return None
        if self.rng.random() < 0.75:
            new = value + self.rng.choice((-1, 1))
            if new < 0:
                new = value + 1
        else:
            pool = sorted(self.scope.int_literals - {value})
            new = self.rng.choice(pool) if pool else value + 1
        if new < 0:
            return None
        return self._replace(node, str(new))

    def _conditions(self) -> Iterator[ast.expr]:
        for node in self._body_nodes():
            if isinstance(node, ast.If | ast.While | ast.IfExp | ast.Assert):
                yield node.test

    def _condition_clause_dropped(self) -> Iterator[Callable[[], Edit | None]]:
        for test in self._conditions():
            if isinstance(test, ast.BoolOp) and len(test.values) >= 2:
                yield lambda test=test: self._drop_clause(test)

    def _drop_clause(self, test: ast.BoolOp) -> Edit | None:
        values = test.values
        index = self.rng.randrange(len(values))
        start, end = self._span(values[index])
        if index + 1 < len(values):
            end = self._span(values[index + 1])[0]
        else:
            start = self._span(values[index - 1])[1]
        removed = self.source[start:end]
        if "(" in removed and removed.count("(") != removed.count(")"):
            return None
        return Edit(start, end, "", removed)

    def _condition_clause_added(self) -> Iterator[Callable[[], Edit | None]]:
        for test in self._conditions():
            if not isinstance(test, ast.BoolOp | ast.IfExp):
                yield lambda test=test: self._add_clause(test)

    def _add_clause(self, test: ast.expr) -> Edit | None:
        text = self._text(test)
        pool = [c for c in self.scope.conditions if c != text and c not in text]
        if not pool or "\n" in text:
            return None
        op = self.rng.choice(("and", "or"))
        _, end = self._span(test)
        return Edit(end, end, f" {op} {self.rng.choice(pool)}", "")

    def _missing_method_call(self) -> Iterator[Callable[[], Edit | None]]:
        statements = {id(n.value) for n in self._body_nodes() if isinstance(n, ast.Expr)}
        for node in self._body_nodes():
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and id(node) not in statements
                and not node.args
                and not node.keywords
                and node.func.attr in _ZERO_ARG_METHODS
            ):
                yield lambda node=node: self._replace(node, self._text(node.func.value))

    def _wrong_boolean(self) -> Iterator[Callable[[], Edit | None]]:
        for node in self._body_nodes():
            if isinstance(node, ast.Constant) and isinstance(node.value, bool):
                yield lambda node=node: self._replace(node, str(not node.value))

    def _wrong_operator(self) -> Iterator[Callable[[], Edit | None]]:
        for node in self._body_nodes():
            if isinstance(node, ast.BinOp) and type(node.op) in _BINOP_SWAPS:
                yield lambda node=node: self._swap_binop(node)
            elif isinstance(node, ast.AugAssign) and type(node.op) in _BINOP_SWAPS:
                yield lambda node=node: self._swap_augop(node)

    def _swap_binop(self, node: ast.BinOp) -> Edit | None:
        token = _OP_TEXT[type(node.op)]
        _, left_end = self._span(node.left)
        right_start, _ = self._span(node.right)
        at = _between(self.source, left_end, right_start, token)
        if at is None:
            return None
        new = _OP_TEXT[self.rng.choice(_BINOP_SWAPS[type(node.op)])]
        return Edit(at, at + len(token), new, token)

    def _swap_augop(self, node: ast.AugAssign) -> Edit | None:
        token = _OP_TEXT[type(node.op)] + "="
        _, target_end = self._span(node.target)
        value_start, _ = self._span(node.value)
        at = self.source.find(token, target_end, value_start)
        if at < 0:
            return None
        new = _OP_TEXT[self.rng.choice(_BINOP_SWAPS[type(node.op)])] + "="
        return Edit(at, at + len(token), new, token)

    def _wrong_caller(self) -> Iterator[Callable[[], Edit | None]]:
        for node in self._body_nodes():
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id not in _BUILTIN_NAMES | {"self", "cls"}
            ):
                yield lambda node=node: self._swap_name(node.func.value)  # type: ignore[arg-type]

    def _wrong_keyword(self) -> Iterator[Callable[[], Edit | None]]:
        for node in self._body_nodes():
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if keyword.arg:
                        yield lambda keyword=keyword: self._swap_keyword(keyword)

    def _swap_keyword(self, keyword: ast.keyword) -> Edit | None:
        pool = sorted(self.scope.keywords - {keyword.arg})
        if not pool or keyword.arg is None:
            return None
        start, _ = self._span(keyword)
        if not self.source.startswith(keyword.arg, start):
            return None
        return Edit(start, start + len(keyword.arg), self.rng.choice(pool), keyword.arg)

    def _negation(self) -> Iterator[Callable[[], Edit | None]]:
        for node in self._body_nodes():
            if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
                yield lambda node=node: self._drop_not(node)
        for test in self._conditions():
            if isinstance(test, ast.Name | ast.Call | ast.Attribute | ast.Compare):
                yield lambda test=test: self._add_not(test)

    def _drop_not(self, node: ast.UnaryOp) -> Edit | None:
        start, _end = self._span(node)
        operand_start, _ = self._span(node.operand)
        if not self.source.startswith("not", start):
            return None
        return Edit(start, operand_start, "", self.source[start:operand_start])

    def _add_not(self, test: ast.expr) -> Edit | None:
        start, end = self._span(test)
        if isinstance(test, ast.Compare):
            return Edit(start, end, f"not ({self.source[start:end]})", self.source[start:end])
        return Edit(start, start, "not ", "")

    def _swapped_arguments(self) -> Iterator[Callable[[], Edit | None]]:
        for node in self._body_nodes():
            if isinstance(node, ast.Call) and len(node.args) >= 2:
                yield lambda node=node: self._swap_args(node)

    def _swap_args(self, call: ast.Call) -> Edit | None:
        index = self.rng.randrange(len(call.args) - 1)
        first, second = call.args[index], call.args[index + 1]
        if isinstance(first, ast.Starred) or isinstance(second, ast.Starred):
            return None
        a_start, a_end = self._span(first)
        b_start, b_end = self._span(second)
        a, b = self.source[a_start:a_end], self.source[b_start:b_end]
        if a == b:
            return None
        middle = self.source[a_end:b_start]
        return Edit(a_start, b_end, b + middle + a, a + middle + b)

    def _wrong_comparison(self) -> Iterator[Callable[[], Edit | None]]:
        for node in self._body_nodes():
            if isinstance(node, ast.Compare):
                for index, op in enumerate(node.ops):
                    yield lambda node=node, index=index, op=op: self._swap_compare(node, index, op)

    def _swap_compare(self, node: ast.Compare, index: int, op: ast.cmpop) -> Edit | None:
        token = _CMP_TEXT[type(op)]
        operands = [node.left, *node.comparators]
        _, left_end = self._span(operands[index])
        right_start, _ = self._span(operands[index + 1])
        segment = self.source[left_end:right_start]
        if " ".join(segment.split()) != token:
            return None
        at = left_end + segment.index(segment.strip())
        new = self.rng.choice(_CMP_SWAPS[token])
        return Edit(at, at + len(segment.strip()), new, segment.strip())


def mutate(
    module_source: str,
    facts: ModuleFacts,
    func: ast.FunctionDef | ast.AsyncFunctionDef,
    rng: random.Random,
    family: str | None = None,
    attempts: int = 6,
) -> Mutation | None:
    """One type-plausible bug in `func`, from `family` or a family drawn by real-world weight."""
    injector = Injector(module_source, facts, func, rng)
    for _ in range(attempts):
        chosen = family or rng.choices(FAMILIES, weights=list(FAMILY_WEIGHTS.values()))[0]
        sites = injector.sites(chosen)
        rng.shuffle(sites)
        for site in sites[:4]:
            edit = site()
            if edit is None or edit.text == edit.original:
                continue
            source = injector.source
            mutated = source[: edit.start] + edit.text + source[edit.end :]
            try:
                pysyntax.parse(_dedent_for_parse(mutated))
            except SyntaxError:
                continue
            line = source.count("\n", 0, edit.start) + 1
            return Mutation(
                chosen,
                mutated,
                line,
                edit.start,
                edit.start + len(edit.text),
                edit.original,
                edit.text,
            )
        if family is not None:
            break
    return None


def _dedent_for_parse(snippet: str) -> str:
    """Methods are indented; wrap so they parse on their own."""
    first = snippet.lstrip("\n")
    indent = len(first) - len(first.lstrip(" \t"))
    if indent == 0:
        return snippet
    return "if True:\n" + snippet  # a block may be indented by any amount
