"""The reading order: related changes together, definitions before uses, each test right after
the code it tests, mechanical and generated changes last, riskier first where nothing else
decides, and a reason for every step.

Every relation is an ordering constraint (ordering/topo.py): the order is topological on the
whole graph, so no preference (risk, a late group, path order) ever puts a use before its
definition. Where the relations form a cycle the order says which files form it and which
link it gives up (the lightest: an import before a use on an unchanged line before a use on
a changed line)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ordering.facts import FileFacts, OrderInput, file_kind
from ordering.graph import Edge, build_edges
from ordering.patterns import go_facts, java_facts, js_facts, plain_facts
from ordering.python import python_facts
from ordering.reasons import group_label, reason_for, short_names
from ordering.topo import Cycle, hunk_order, order_nodes

LATE = ("mechanical", "generated")

# Support files and their facts (unchanged files that only help resolve names).
_Support = tuple[list[OrderInput], list[FileFacts]]


@dataclass(frozen=True)
class OrderedFile:
    path: str
    reason: str
    group: str
    hunk_order: tuple[int, ...] = ()


@dataclass(frozen=True)
class OrderGroup:
    label: str
    reason: str
    paths: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    files: tuple[OrderedFile, ...]
    groups: tuple[OrderGroup, ...]
    edges: tuple[Edge, ...]
    cycles: tuple[tuple[str, ...], ...]
    cuts: tuple[Cycle, ...] = ()  # per cycle: the links read against their direction, and why


def facts_for(item: OrderInput, known: frozenset[str]) -> FileFacts:
    kind = file_kind(item)
    if kind in ("generated", "doc"):
        return FileFacts(item.path, kind)
    if item.language == "python":
        return python_facts(item, kind)
    if item.language in ("javascript", "typescript"):
        return js_facts(item, kind, known)
    if item.language == "go":
        return go_facts(item, kind)
    if item.language == "java":
        return java_facts(item, kind)
    return plain_facts(item, kind)


class _Sets:
    """Union-find over paths (iterative, path halving)."""

    def __init__(self, paths: Sequence[str]) -> None:
        self.parent = {p: p for p in paths}

    def find(self, node: str) -> str:
        parent = self.parent
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _components(
    facts: Sequence[FileFacts], edges: Sequence[Edge], kinds: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, set[str]]]:
    """Each file's group key, and each test's target code. Code and config connected by any
    relation form a group; a test joins the code it tests; test helpers join their tests; a
    mechanical file joins the code that uses what it defines. The rest keeps its kind's group
    (loose tests, documentation, mechanical and generated)."""
    main = {f.path for f in facts if f.kind in ("code", "config")}
    tests = {f.path for f in facts if f.kind == "test"}
    sets = _Sets([f.path for f in facts])
    targets: dict[str, set[str]] = {t: set() for t in tests}
    for edge in edges:
        if edge.src in main and edge.dst in main:
            sets.union(edge.src, edge.dst)
        elif edge.dst in tests and edge.src in main and edge.kind == "tests":
            targets[edge.dst].add(edge.src)
            sets.union(edge.src, edge.dst)
        elif edge.strong and kinds[edge.src] == "mechanical" and edge.dst in main:
            sets.union(edge.src, edge.dst)
    for edge in edges:  # helpers after their tests found their groups
        helper = edge.strong and edge.src in tests and edge.dst in tests
        if helper and targets[edge.dst] and not targets[edge.src]:
            sets.union(edge.src, edge.dst)
    members: dict[str, set[str]] = defaultdict(set)
    for fact in facts:
        members[sets.find(fact.path)].add(fact.path)
    group_of: dict[str, str] = {}
    for root, paths in members.items():
        anchored = any(p in main for p in paths) or any(targets.get(p) for p in paths)
        for path in paths:
            kind = kinds[path]
            if anchored:
                group_of[path] = root
            elif kind == "test":
                group_of[path] = "~tests"
            elif kind == "doc":
                group_of[path] = "~docs"
            elif kind in LATE:
                group_of[path] = "~late"
            else:
                group_of[path] = root
    return group_of, targets


# The groups of files that no relation anchors to code: label and reason, in reading order.
_LOOSE_GROUPS: dict[str, tuple[str, str]] = {
    "~tests": ("Tests", "test changes with no changed code they exercise"),
    "~docs": ("Documentation", "documentation, read after the code it describes"),
    "~late": (
        "Mechanical and generated changes",
        "mechanical changes (reformatting, renames, moves, lockfiles, generated): skim",
    ),
}
_LOOSE_RANK = {"~tests": 1, "~docs": 2, "~late": 3}


def _preference(
    known: frozenset[str],
    group_of: Mapping[str, str],
    kinds: Mapping[str, str],
    risk: Mapping[str, float],
    targets: Mapping[str, set[str]],
) -> Callable[[str], tuple[object, ...]]:
    """Preference among files no relation orders: the riskiest group first, then the rest by
    kind; inside a group, tests as soon as their code is read, then risk, then path."""
    group_risk: dict[str, float] = defaultdict(float)
    group_first: dict[str, str] = {}
    for path in sorted(known):
        key = group_of[path]
        group_risk[key] = max(group_risk[key], risk[path])
        group_first.setdefault(key, path)

    def preference(path: str) -> tuple[object, ...]:
        group = group_of[path]
        if group in _LOOSE_RANK:
            within: tuple[object, ...] = (kinds[path] == "generated", path)
            return (_LOOSE_RANK[group], 0.0, group_first[group], *within)
        kind = kinds[path]
        tested = kind == "test" and bool(targets.get(path))
        late = kind in LATE or kind == "doc"
        within = (0 if tested else 2 if late else 1, -risk[path], path)
        return (0, -group_risk[group], group_first[group], *within)

    return preference


def _runs(order: Sequence[str], group_of: Mapping[str, str]) -> list[tuple[str, list[str]]]:
    """Groups are runs of the order: a group that a relation splits shows as two runs."""
    runs: list[tuple[str, list[str]]] = []
    for path in order:
        if runs and runs[-1][0] == group_of[path]:
            runs[-1][1].append(path)
        else:
            runs.append((group_of[path], [path]))
    return runs


def _support_facts(support: Mapping[str, str] | None, known: frozenset[str]) -> _Support:
    """Unchanged Python files that only help resolve names, with their facts."""
    helpers = [
        OrderInput(path, "python", text, frozenset())
        for path, text in sorted((support or {}).items())
        if path not in known and path.endswith(".py")
    ]
    return helpers, [python_facts(helper, "code") for helper in helpers]


def plan_order(items: Sequence[OrderInput], support: Mapping[str, str] | None = None) -> Plan:
    """Order changed files for reading. Deterministic: the same input gives the same plan.
    `support` holds unchanged files (package `__init__.py`s) that only help resolve names."""
    items = sorted(items, key=lambda i: i.path)
    known = frozenset(i.path for i in items)
    facts = [facts_for(item, known) for item in items]
    helpers, extra = _support_facts(support, known)
    kinds = {f.path: f.kind for f in facts}
    risk = {i.path: i.risk for i in items}
    edges = [
        e
        for e in build_edges([*items, *helpers], facts + extra)
        if e.src in known and e.dst in known
    ]
    names = short_names([i.path for i in items])
    group_of, targets = _components(facts, edges, kinds)
    preference = _preference(known, group_of, kinds, risk, targets)
    order, cycles = order_nodes(sorted(known), edges, preference, group_of)
    by_dst: dict[str, list[Edge]] = defaultdict(list)
    by_src: dict[str, list[Edge]] = defaultdict(list)
    for edge in edges:
        by_dst[edge.dst].append(edge)
        by_src[edge.src].append(edge)
    facts_by_path = {f.path: f for f in facts}
    items_by_path = {i.path: i for i in items}
    cycle_of = {p: c for c in cycles for p in c.paths}
    out: list[OrderedFile] = []
    groups: list[OrderGroup] = []
    for key, sequence in _runs(order, group_of):
        if key in _LOOSE_GROUPS:
            label, why = _LOOSE_GROUPS[key]
        else:
            label, why = group_label(sequence, by_src, kinds, names, cycle_of)
        groups.append(OrderGroup(label, why, tuple(sequence)))
        for path in sequence:
            reason = reason_for(
                path, kinds, by_src, by_dst, cycle_of, names, targets, items_by_path, facts_by_path
            )
            out.append(OrderedFile(path, reason, label, hunk_order(facts_by_path[path])))
    return Plan(
        tuple(out),
        tuple(groups),
        tuple(edges),
        tuple(c.paths for c in cycles),
        tuple(cycles),
    )
