"""Scope facts about real code, for type-plausible mutations: which names are in scope at a
line, which functions and methods the module calls with how many arguments, which attributes,
keywords, integer literals and simple conditions it uses. Computed once per module."""

from __future__ import annotations

import ast
import builtins
from collections import defaultdict
from dataclasses import dataclass

BUILTIN_NAMES = frozenset(dir(builtins)) | {"self", "cls"}


class Offsets:
    """ast positions (line, UTF-8 byte column) to character offsets in the snippet."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines = source.splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))

    def at(self, line: int, byte_col: int) -> int:
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        prefix = text.encode("utf-8")[:byte_col].decode("utf-8", "ignore")
        return self.starts[line - 1] + len(prefix)

    def span(self, node: ast.AST) -> tuple[int, int]:
        return (
            self.at(node.lineno, node.col_offset),  # type: ignore[attr-defined]
            self.at(node.end_lineno, node.end_col_offset),
        )  # type: ignore[attr-defined]

    def text(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.source[start:end]


@dataclass
class Scope:
    params: list[str]
    assigned: dict[str, int]  # name -> first line assigned
    called_names: dict[int, set[str]]  # arg count -> function names called in the module
    called_methods: dict[int, set[str]]
    attributes: set[str]
    self_attributes: set[str]
    keywords: set[str]
    int_literals: set[int]
    conditions: list[str]  # texts of simple conditions in the module

    def names_at(self, line: int) -> list[str]:
        names = list(self.params)
        names += [n for n, first in self.assigned.items() if first < line and n not in names]
        return names


@dataclass
class ModuleFacts:
    """What the module offers as plausible replacements; computed once per module."""

    called_names: dict[int, set[str]]
    called_methods: dict[int, set[str]]
    attributes: set[str]
    self_attributes: set[str]
    keywords: set[str]
    int_literals: set[int]
    conditions: list[str]


def module_facts(module: ast.Module, module_source: str) -> ModuleFacts:
    called_names: dict[int, set[str]] = defaultdict(set)
    called_methods: dict[int, set[str]] = defaultdict(set)
    attributes: set[str] = set()
    self_attributes: set[str] = set()
    keywords: set[str] = set()
    ints: set[int] = set()
    conditions: list[str] = []
    lines = module_source.splitlines()
    for node in ast.walk(module):
        if isinstance(node, ast.Call):
            count = len(node.args) + len(node.keywords)
            if isinstance(node.func, ast.Name):
                called_names[count].add(node.func.id)
            elif isinstance(node.func, ast.Attribute):
                called_methods[count].add(node.func.attr)
            keywords.update(k.arg for k in node.keywords if k.arg)
        elif isinstance(node, ast.Attribute):
            attributes.add(node.attr)
            if isinstance(node.value, ast.Name) and node.value.id == "self":
                self_attributes.add(node.attr)
        elif isinstance(node, ast.Constant) and type(node.value) is int and abs(node.value) < 10**6:
            ints.add(node.value)
        elif isinstance(node, ast.If | ast.While) and isinstance(
            node.test, ast.Compare | ast.Name | ast.Attribute | ast.Call
        ):
            test = node.test
            if test.lineno == test.end_lineno and test.lineno <= len(lines):
                line = lines[test.lineno - 1]
                segment = line.encode("utf-8")[test.col_offset : test.end_col_offset].decode(
                    "utf-8", "ignore"
                )
                if 0 < len(segment) < 60:
                    conditions.append(segment)
    return ModuleFacts(
        called_names, called_methods, attributes, self_attributes, keywords, ints, conditions
    )


def scope_for(facts: ModuleFacts, func: ast.FunctionDef | ast.AsyncFunctionDef) -> Scope:
    args = func.args
    params = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    if args.vararg:
        params.append(args.vararg.arg)
    if args.kwarg:
        params.append(args.kwarg.arg)
    assigned: dict[str, int] = {}
    for node in ast.walk(func):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            assigned[node.id] = min(assigned.get(node.id, 10**9), node.lineno)
    return Scope(
        params,
        assigned,
        facts.called_names,
        facts.called_methods,
        facts.attributes,
        facts.self_attributes,
        facts.keywords,
        facts.int_literals,
        facts.conditions,
    )


def functions(
    module: ast.Module, min_lines: int = 3, max_lines: int = 80
) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    out = []
    for node in ast.walk(module):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            size = (node.end_lineno or node.lineno) - node.lineno + 1
            if min_lines <= size <= max_lines:
                out.append(node)
    return out
