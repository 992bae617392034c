"""Python facts with `ast`, parsed only where the change is: the top-level statements that
overlap changed lines, plus the file's import statements. Parsing whole files would cost
~3 ms per 800-line module, too slow for a 300-file PR; the touched statements are usually a
few percent.

What comes out is what a resolver needs (ordering/resolve.py): the file's import bindings
(`from x import y as z`, `import x.y as m`, relative and star imports), its top-level names,
the top-level definitions the change touches, and the dotted references on changed lines that
are free in their scope (a function's parameters and locals are nobody else's).

The walk over the syntax tree is iterative: a PR controls the tree's depth (an 800-term
expression is 800 levels of `BinOp`), so no recursion in Python may follow it."""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterable, Iterator

from bot.core import pysyntax
from ordering.facts import Binding, FileFacts, FileKind, OrderInput, python_module

# A top-level statement starts at column 0 with something other than a comment, a closing
# bracket or a clause keyword that continues the previous statement.
_NOT_TOP = frozenset(" \t#)]}\r\f")
_CONTINUES = re.compile(r"(else|elif|except|finally|case)\b")
_IMPORT_AT = re.compile(
    r"[ \t]*((?:from[ \t]+[\w.]+[ \t]+import[ \t]*(?:\([^)]*\)|(?:[^\n\\]|\\[\s\S])*))"
    r"|import[ \t]+(?:[^\n\\]|\\[\s\S])*)"
)
_COMMENT = re.compile(r"#[^\n]*")
_FROM_STMT = re.compile(r"from[ ]+(\.*)[ ]*([\w.]*)[ ]+import[ ]*(.+)$")
_IMPORT_STMT = re.compile(r"import[ ]+(.+)$")
_ALIAS = re.compile(r"([A-Za-z_][\w.]*|\*)(?:[ ]+as[ ]+([A-Za-z_]\w*))?$")
_TOP_NAME = re.compile(
    r"^(?:async[ \t]+)?(?:def|class)[ \t]+([A-Za-z_]\w*)|^([A-Za-z_]\w*)[ \t]*(?::[^\n=]*)?=(?!=)",
    re.M,
)
_TOP_CLASS = re.compile(r"^class[ \t]+([A-Za-z_]\w*)", re.M)
_ALL = re.compile(r"^__all__[ \t]*(?::[^=\n]*)?\+?=[ \t]*[\[(]([^\])]*)[\])]", re.M)
_QUOTED = re.compile(r"""['"]([A-Za-z_]\w*)['"]""")
_CHAIN = re.compile(r"(?<![\w.])[A-Za-z_]\w*(?:[ \t]*\.[ \t]*[A-Za-z_]\w*)*")
_DEF = re.compile(r"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)")
_KEYWORDS = frozenset(
    [
        "False",
        "None",
        "True",
        "and",
        "as",
        "assert",
        "async",
        "await",
        "break",
        "class",
        "continue",
        "def",
        "del",
        "elif",
        "else",
        "except",
        "finally",
        "for",
        "from",
        "global",
        "if",
        "import",
        "in",
        "is",
        "lambda",
        "nonlocal",
        "not",
        "or",
        "pass",
        "raise",
        "return",
        "try",
        "while",
        "with",
        "yield",
        "match",
        "case",
        "self",
        "cls",
    ]
)
PARSE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError)
MAX_SNIPPET_LINES = 20_000  # a "statement" longer than this is not parsed as one (it is data)
MAX_PARSED_SPANS = 2_000  # statements of one file parsed one by one; more: the line fallback


def resolve_relative(module: str, level: int, name: str | None, is_package: bool) -> str:
    parts = module.split(".") if module else []
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
    if name:
        parts.append(name)
    return ".".join(parts)


def _import_statements(text: str) -> list[tuple[int, str]]:
    """Every import statement of the file (also inside functions and `if` blocks), each with
    its real line and joined onto one line."""
    out = []
    pos = text.find("import")
    line, counted = 1, 0
    while pos >= 0:
        line_start = text.rfind("\n", 0, pos) + 1
        match = _IMPORT_AT.match(text, line_start)
        if match is not None and match.end() > pos:
            line += text.count("\n", counted, line_start)
            counted = line_start
            statement = _COMMENT.sub("", match.group(1)).replace("\\\n", " ")
            out.append((line, " ".join(statement.split())))
            pos = text.find("import", match.end())
        else:
            pos = text.find("import", pos + 6)
    return out


def _is_top(line: str) -> bool:
    first = line[:1]
    return (
        bool(first)
        and first not in _NOT_TOP
        and not (first in "efc" and _CONTINUES.match(line) is not None)
    )


def _spans_for(lines: list[str], changed: Iterable[int]) -> list[tuple[int, int]]:
    """The top-level statements (1-based inclusive spans) that contain the changed lines,
    found by scanning around each change instead of the whole file."""
    spans: list[tuple[int, int]] = []
    total = len(lines)
    for number in sorted(changed):
        if number < 1 or number > total or (spans and spans[-1][0] <= number <= spans[-1][1]):
            continue
        start = number
        while start > 1 and not _is_top(lines[start - 1]):
            start -= 1
        while start > 1 and lines[start - 2].startswith("@"):
            start -= 1  # decorators belong to the definition below them
        if spans and start <= spans[-1][1]:
            start = spans[-1][1] + 1
        end = number
        while end < total:
            following = lines[end]
            if _is_top(following) and not lines[end - 1].startswith("@"):
                break
            end += 1
        spans.append((start, end))
    return spans


def _member_spans(lines: list[str], first: int, end: int) -> tuple[int, list[tuple[int, int]]]:
    """A class's header end and its members' spans (1-based, inclusive)."""
    header_end = first
    depth = 0
    for number in range(first, end + 1):
        text = lines[number - 1]
        depth += text.count("(") + text.count("[") - text.count(")") - text.count("]")
        if depth <= 0 and text.rstrip().endswith(":"):
            header_end = number
            break
    body = [
        n
        for n in range(header_end + 1, end + 1)
        if lines[n - 1].strip() and not lines[n - 1].lstrip().startswith("#")
    ]
    if not body:
        return header_end, []
    indent = len(lines[body[0] - 1]) - len(lines[body[0] - 1].lstrip())
    members: list[tuple[int, int]] = []
    for number in body:
        text = lines[number - 1]
        level = len(text) - len(text.lstrip())
        starts = (
            level == indent
            and text.lstrip()[:1] not in ")]}"
            and not (_CONTINUES.match(text.lstrip()))
        )
        if starts and not (
            members
            and lines[members[-1][1] - 1].lstrip().startswith("@")
            and members[-1][1] == number - 1
        ):
            members.append((number, number))
        elif members:
            members[-1] = (members[-1][0], number)
    return header_end, members


def _only_touched_members(
    lines: list[str], start: int, end: int, changed: frozenset[int]
) -> list[str]:
    """For a class, blank the members no changed line touches: parsing a whole class for one
    changed method costs as much as the rest of the ordering. Line numbers stay put."""
    first = start
    while first <= end and lines[first - 1].lstrip().startswith("@"):
        first += 1
    if first > end or not lines[first - 1].startswith("class "):
        return lines
    _, members = _member_spans(lines, first, end)
    if not members:
        return lines
    kept = [(a, b) for a, b in members if any(a <= n <= b for n in changed)]
    if len(kept) == len(members):
        return lines
    out = list(lines)
    indent = len(lines[members[0][0] - 1]) - len(lines[members[0][0] - 1].lstrip())
    for a, b in members:
        if (a, b) not in kept:
            for number in range(a, b + 1):
                out[number - 1] = ""
    if not kept:
        out[members[0][0] - 1] = " " * indent + "pass"
    return out


def _parse_snippet(lines: list[str], start: int, end: int) -> ast.Module | None:
    if end - start > MAX_SNIPPET_LINES:
        return None
    # Leading newlines put the snippet at its real line numbers (cheaper than renumbering).
    snippet = "\n" * (start - 1) + "\n".join(lines[start - 1 : end])
    try:
        return pysyntax.parse(snippet)
    except PARSE_ERRORS:
        return None


def _chain(node: ast.expr) -> tuple[str, ...] | None:
    """`a.b.c` as ("a", "b", "c"); None when the root is not a plain name."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return tuple(reversed(parts))


def _bound_in(function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> set[str]:
    """Names a function binds itself: its parameters and what it assigns, minus `global`s."""
    args = function.args
    names = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    if args.vararg:
        names.add(args.vararg.arg)
    if args.kwarg:
        names.add(args.kwarg.arg)
    if isinstance(function, ast.Lambda):
        return names
    declared: set[str] = set()
    for node in ast.walk(function):  # iterative
        if node is function:
            continue
        if isinstance(node, ast.ExceptHandler):
            names.update([node.name] if node.name else [])
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            declared.update(node.names)
        elif isinstance(node, ast.alias):
            names.add(node.asname or node.name.split(".")[0])
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            names.add(node.name)
    return names - declared


class _Facts:
    """Collects, from the touched statements, the definitions they change and the free dotted
    references on changed lines."""

    def __init__(self, changed: frozenset[int]) -> None:
        self.changed = changed
        self._sorted = sorted(changed)
        self.defines: set[str] = set()
        self.refs: list[tuple[int, tuple[str, ...]]] = []
        self.bases: set[tuple[str, tuple[str, ...]]] = set()
        self.def_lines: list[tuple[int, str]] = []

    def touches(self, node: ast.AST) -> bool:
        start = getattr(node, "lineno", 0)
        end = getattr(node, "end_lineno", start) or start
        for decorator in getattr(node, "decorator_list", ()):
            start = min(start, decorator.lineno)
        index = bisect.bisect_left(self._sorted, start)
        return index < len(self._sorted) and self._sorted[index] <= end

    def _on_changed(self, node: ast.AST) -> bool:
        line = getattr(node, "lineno", 0)
        end = getattr(node, "end_lineno", line) or line
        return line in self.changed or end in self.changed

    def module(self, tree: ast.Module) -> None:
        self._statements(tree.body, scope=())

    def _statements(self, body: list[ast.stmt], scope: tuple[str, ...]) -> None:
        """Module- and class-level statements: definitions, then their references."""
        pending = list(reversed(body))
        while pending:
            node = pending.pop()
            if not self.touches(node):
                continue
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self._define(node, scope, node.name)
                for decorator in node.decorator_list:
                    self._record(decorator, frozenset(), force=True)
                self._references(node, _bound_in(node))
            elif isinstance(node, ast.ClassDef):
                self._define(node, scope, node.name)
                for base in (*node.bases, *(k.value for k in node.keywords)):
                    chain = _chain(base)
                    if chain is not None and not scope:
                        self.bases.add((node.name, chain))
                    self._record(base, frozenset(), force=True)
                for decorator in node.decorator_list:
                    self._record(decorator, frozenset(), force=True)
                self._statements(node.body, (*scope, node.name))
            elif isinstance(node, ast.If | ast.Try | ast.With | ast.For | ast.While):
                # `if TYPE_CHECKING:`, `try: import ... except ImportError:`: still this scope.
                for field in ("body", "orelse", "finalbody"):
                    pending.extend(reversed(getattr(node, field, [])))
                for handler in getattr(node, "handlers", []):
                    pending.extend(reversed(handler.body))
                for part in ("test", "iter"):
                    if isinstance(getattr(node, part, None), ast.AST):
                        self._references(getattr(node, part), frozenset())
                for item in getattr(node, "items", []):
                    self._references(item.context_expr, frozenset())
            else:
                if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        for sub in ast.walk(target):
                            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                                self._define(node, scope, sub.id)
                self._references(node, frozenset())

    def _define(self, node: ast.AST, scope: tuple[str, ...], name: str) -> None:
        self.defines.add(".".join((*scope, name)))
        if scope:
            self.defines.add(scope[0])  # a changed member changes its class
        self.def_lines.append((getattr(node, "lineno", 0), name if not scope else scope[0]))

    def _record(self, node: ast.AST, local: frozenset[str] | set[str], force: bool = False) -> None:
        if isinstance(node, ast.Call):
            node = node.func
        if isinstance(node, ast.expr):
            chain = _chain(node)
            if chain is not None and chain[0] not in local and (force or self._on_changed(node)):
                self.refs.append((node.lineno, chain))

    def _references(self, root: ast.AST, local: frozenset[str] | set[str]) -> None:
        """Free dotted references on changed lines under `root`, skipping statements no
        changed line touches. Iterative; nested functions bring their own locals."""
        stack: list[tuple[ast.AST, frozenset[str] | set[str]]] = [(root, local)]
        while stack:
            node, names = stack.pop()
            if isinstance(node, ast.Attribute | ast.Name):
                chain = _chain(node)
                if chain is not None:
                    if (
                        chain[0] not in names
                        and self._on_changed(node)
                        and not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store))
                    ):
                        self.refs.append((node.lineno, chain))
                    continue
            if node is not root and isinstance(
                node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
            ):
                if isinstance(node, ast.Lambda) or self.touches(node):
                    inner = set(names) | _bound_in(node)
                    for child in ast.iter_child_nodes(node):
                        stack.append((child, inner))
                continue
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt) and not self.touches(child):
                    continue
                stack.append((child, names))


def _aliases(text: str) -> list[tuple[str, str | None]] | None:
    names = []
    for part in text.strip().removeprefix("(").removesuffix(")").split(","):
        part = part.strip()
        if not part:
            continue
        match = _ALIAS.match(part)
        if match is None:
            return None
        names.append((match.group(1), match.group(2)))
    return names or None


def _bindings(
    statements: list[tuple[int, str]], module: str, is_package: bool
) -> tuple[dict[str, Binding], list[str], list[tuple[int, str]], set[str]]:
    """(name -> what it is bound to, star-imported modules, (line, name) of imported names,
    imported module names). Import statements are regular enough for a pattern, and parsing
    them with `ast` would cost a third of the ordering's time."""
    bindings: dict[str, Binding] = {}
    stars: list[str] = []
    lines: list[tuple[int, str]] = []
    modules: set[str] = set()
    for line, joined in statements:
        for statement in joined.split(";"):
            statement = statement.strip()
            found = _FROM_STMT.match(statement)
            if found is not None:
                names = _aliases(found.group(3))
                level = len(found.group(1))
                base = (
                    resolve_relative(module, level, found.group(2) or None, is_package)
                    if level
                    else found.group(2)
                )
                if names is None or not base:
                    continue
                modules.add(base)
                for name, asname in names:
                    if name == "*":
                        stars.append(base)
                    elif "." not in name:
                        bindings[asname or name] = Binding(base, name, line)
                        lines.append((line, asname or name))
                continue
            found = _IMPORT_STMT.match(statement)
            names = _aliases(found.group(1)) if found is not None else None
            for name, asname in names or ():
                if name == "*":
                    continue
                modules.add(name)
                if asname:
                    bindings[asname] = Binding(name, None, line)
                else:
                    head = name.split(".")[0]
                    bindings.setdefault(head, Binding(head, None, line))
                lines.append((line, asname or name.split(".")[0]))
    return bindings, stars, lines, modules


def top_level(text: str) -> tuple[frozenset[str], frozenset[str], tuple[str, ...] | None]:
    names = set()
    for match in _TOP_NAME.finditer(text):
        names.add(match.group(1) or match.group(2))
    classes = frozenset(_TOP_CLASS.findall(text))
    exported = None
    found = _ALL.search(text)
    if found is not None:
        exported = tuple(_QUOTED.findall(found.group(1)))
    return frozenset(names), classes, exported


def defined_at_top(text: str, name: str, kinds: tuple[str, ...] = ("def", "class", "=")) -> bool:
    """Whether a line at column 0 defines `name` (`def name`, `class name`, `name = ...`,
    `name: T = ...`): a few substring searches instead of a scan of every line."""
    size = len(name)
    for kind in kinds:
        prefixes = ("", "async ") if kind == "def" else ("",)
        for prefix in prefixes:
            needle = f"{prefix}{kind} {name}" if kind != "=" else name
            pos = text.find(needle)
            while pos >= 0:
                end = pos + len(needle)
                if (pos == 0 or text[pos - 1] == "\n") and (
                    end >= len(text) or not (text[end].isalnum() or text[end] == "_")
                ):
                    if kind != "=":
                        return True
                    rest = text[end : end + 200].lstrip(" \t")
                    if rest[:1] == ":" or (rest[:1] == "=" and rest[1:2] != "="):
                        return True
                pos = text.find(needle, pos + max(size, 1))
    return False


def _chains_in(line: str) -> Iterator[tuple[str, ...]]:
    for match in _CHAIN.finditer(line):
        chain = tuple(part.strip() for part in match.group(0).split("."))
        if chain[0] not in _KEYWORDS:
            yield chain


def _fallback(collector: _Facts, lines: list[str], start: int, end: int) -> None:
    """A statement that does not parse: its definitions and references from the text. They
    still go through the resolver, so a bare name never makes a relation on its own."""
    for number in range(start, end + 1):
        if number not in collector.changed:
            continue
        line = lines[number - 1]
        code = line.split("#", 1)[0]
        definition = _DEF.match(code)
        if definition is not None and not line[:1].isspace():
            collector.defines.add(definition.group(1))
            collector.def_lines.append((number, definition.group(1)))
            code = code[definition.end() :]
        for chain in _chains_in(re.sub(r"""(['"]).*?\1""", "", code)):
            collector.refs.append((number, chain))


def python_facts(item: OrderInput, kind: FileKind) -> FileFacts:
    module = python_module(item.path)
    is_package = item.path.endswith("__init__.py")
    text = item.text
    if text is None:
        return FileFacts(item.path, kind, module)
    lines = text.split("\n")
    bindings, stars, import_lines, modules = _bindings(_import_statements(text), module, is_package)
    collector = _Facts(item.changed_lines)
    broken: list[int] = []
    whole: ast.Module | None = None
    spans = _spans_for(lines, item.changed_lines)
    # A parsed span costs a copy of the file: thousands of them take the linear fallback.
    many = len(spans) > MAX_PARSED_SPANS
    for start, end in spans:
        touched = [] if many else _only_touched_members(lines, start, end, item.changed_lines)
        tree = None if many else _parse_snippet(touched, start, end)
        if tree is None and whole is None and not broken and not many:
            whole = _parse_snippet(lines, 1, len(lines))  # an unusual layout: parse it all
            if whole is not None:
                break
        if tree is None:
            broken.append(start)
            _fallback(collector, lines, start, end)
        else:
            collector.module(tree)
    if whole is not None:
        collector = _Facts(item.changed_lines)
        collector.module(whole)
        broken = []
    # A changed import line in a package re-exports what it imports: that is a definition.
    for line, name in import_lines:
        if line in item.changed_lines:
            if is_package:
                collector.defines.add(name)
                collector.def_lines.append((line, name))
            binding = bindings.get(name)
            if binding is not None and binding.name is not None:
                collector.refs.append((line, (name,)))
    if item.status == "renamed":
        collector.defines.update(top_level(text)[0])  # the module moved: its names are new
    hunk_defines, hunk_uses = _per_hunk(item, collector)
    note = None
    if broken:
        note = f"line {broken[0]} does not parse: its relations there are read from the text"
    return FileFacts(
        item.path,
        kind,
        module,
        defines=frozenset(collector.defines),
        uses=frozenset(chain[0] for _, chain in collector.refs),
        imports=frozenset(modules),
        bindings=bindings,
        stars=tuple(stars),
        refs=tuple(sorted(set(collector.refs))),
        bases=frozenset(collector.bases),
        hunk_defines=hunk_defines,
        hunk_uses=hunk_uses,
        parse_note=note,
    )


def _per_hunk(
    item: OrderInput, collector: _Facts
) -> tuple[tuple[frozenset[str], ...], tuple[frozenset[str], ...]]:
    """What each hunk defines and which of the file's own top-level names it uses, by
    bisecting the hunks' spans (a file may have thousands of hunks)."""
    spans = item.hunk_spans
    if not spans:
        return (), ()
    starts = [s for s, _ in spans]
    defines: list[set[str]] = [set() for _ in spans]
    uses: list[set[str]] = [set() for _ in spans]

    def hunk_of(line: int) -> int | None:
        index = bisect.bisect_right(starts, line) - 1
        if index >= 0 and spans[index][0] <= line <= spans[index][1]:
            return index
        return None

    for line, name in collector.def_lines:
        found = hunk_of(line)
        if found is not None:
            defines[found].add(name)
    names = {name for _, name in collector.def_lines}
    for line, chain in collector.refs:
        if chain[0] in names:
            found = hunk_of(line)
            if found is not None:
                uses[found].add(chain[0])
    return tuple(frozenset(d) for d in defines), tuple(frozenset(u) for u in uses)
