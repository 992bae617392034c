"""The reading order: related changes together, definitions before uses, each test right after
the code it tests, mechanical and generated changes last, riskier first where nothing else
decides, and a reason for every step."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ordering.facts import FileFacts, OrderInput, file_kind
from ordering.graph import Edge, build_edges
from ordering.patterns import go_facts, java_facts, js_facts, plain_facts
from ordering.python import python_facts


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


def facts_for(item: OrderInput, known: frozenset[str]) -> FileFacts:
    kind = file_kind(item)
    if kind in ("generated", "mechanical", "doc"):
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


def plan_order(items: Sequence[OrderInput]) -> Plan:
    """Order changed files for reading. Deterministic: the same input gives the same plan."""
    items = sorted(items, key=lambda i: i.path)
    known = frozenset(i.path for i in items)
    facts = [facts_for(item, known) for item in items]
    kinds = {f.path: f.kind for f in facts}
    risk = {i.path: i.risk for i in items}
    edges = build_edges(items, facts)
    names = _short_names([i.path for i in items])

    main = [f.path for f in facts if f.kind in ("code", "config")]
    main_set = set(main)
    tests = [f.path for f in facts if f.kind == "test"]
    targets: dict[str, set[str]] = {
        t: {e.src for e in edges if e.dst == t and e.kind == "tests" and e.src in main_set}
        for t in tests
    }

    # Related changes: connected through any edge among code/config, tests with their targets.
    parent = {p: p for p in main + tests}

    def find(node: str) -> str:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for edge in edges:
        if edge.src in main_set and edge.dst in main_set:
            union(edge.src, edge.dst)
    for test, tested in targets.items():
        for code in tested:
            union(test, code)
    # Test support (helpers, fixtures) comes before the tests that use it.
    test_set = set(tests)
    test_needs: dict[str, set[str]] = {t: set() for t in tests}
    for edge in edges:
        if edge.strong and edge.src in test_set and edge.dst in test_set:
            test_needs[edge.dst].add(edge.src)
            if targets[edge.dst] and not targets[edge.src]:
                union(edge.src, edge.dst)
    components: dict[str, list[str]] = defaultdict(list)
    for path in main:
        components[find(path)].append(path)
    for test in tests:
        root = find(test)
        if targets[test] or (root in components and root != test):
            components[root].append(test)
    loose = [t for t in tests if not any(t in c for c in components.values())]

    strong_in: dict[str, set[str]] = defaultdict(set)
    weak_in: dict[str, set[str]] = defaultdict(set)
    for edge in edges:
        if edge.src in main_set and edge.dst in main_set:
            (strong_in if edge.strong else weak_in)[edge.dst].add(edge.src)

    sccs = _sccs(main, strong_in)
    cycles = tuple(tuple(sorted(c)) for c in sccs if len(c) > 1)
    scc_of = {p: i for i, c in enumerate(sccs) for p in c}

    ordered_groups: list[tuple[float, str, list[str]]] = []
    for members in components.values():
        in_main = [m for m in members if m in main_set]
        order = _order_component(in_main, sccs, scc_of, strong_in, weak_in, risk)
        placed: set[str] = set()
        sequence: list[str] = []
        pending = sorted(m for m in members if m not in main_set)
        for path in order:
            sequence.append(path)
            placed.add(path)
            sequence.extend(_ready_tests(pending, placed, test_needs, targets))
        sequence.extend(_ready_tests(pending, None, test_needs, targets))
        top = max((risk[m] for m in members), default=0.0)
        ordered_groups.append((-top, min(members), sequence))
    ordered_groups.sort()

    out: list[OrderedFile] = []
    groups: list[OrderGroup] = []
    by_dst: dict[str, list[Edge]] = defaultdict(list)
    by_src: dict[str, list[Edge]] = defaultdict(list)
    for edge in edges:
        by_dst[edge.dst].append(edge)
        by_src[edge.src].append(edge)
    facts_by_path = {f.path: f for f in facts}
    items_by_path = {i.path: i for i in items}
    cycle_of = {p: c for c in cycles for p in c}

    def emit(label: str, reason: str, sequence: list[str]) -> None:
        groups.append(OrderGroup(label, reason, tuple(sequence)))
        for path in sequence:
            out.append(
                OrderedFile(
                    path,
                    _reason(path, kinds, by_src, by_dst, cycle_of, names, targets, items_by_path),
                    label,
                    _hunk_order(facts_by_path[path]),
                )
            )

    for _, _, sequence in ordered_groups:
        label, reason = _group_label(sequence, by_src, kinds, names, cycle_of)
        emit(label, reason, sequence)
    loose_tests = _ready_tests(sorted(loose), None, test_needs, targets)
    if loose_tests:
        emit("Tests", "test changes with no changed code they exercise", loose_tests)
    docs = sorted(f.path for f in facts if f.kind == "doc")
    if docs:
        emit("Documentation", "documentation, read after the code it describes", docs)
    late = sorted(
        (f.path for f in facts if f.kind in ("mechanical", "generated")),
        key=lambda p: (kinds[p] == "generated", p),
    )
    if late:
        emit(
            "Mechanical and generated changes",
            "predictable changes (repeated edits, renames, lockfiles, generated code): skim",
            late,
        )
    return Plan(tuple(out), tuple(groups), tuple(edges), cycles)


def _ready_tests(
    pending: list[str],
    placed: set[str] | None,
    needs: dict[str, set[str]],
    targets: dict[str, set[str]],
) -> list[str]:
    """Remove from `pending` and return, in dependency order, the tests whose code is placed
    (all of them when `placed` is None); a cycle among tests is broken by path order."""
    out: list[str] = []
    emitted: set[str] = set()
    while True:
        ready = [
            t
            for t in pending
            if (placed is None or targets[t] <= placed) and (needs[t] & set(pending)) <= emitted
        ]
        if not ready:
            if placed is None and pending:
                ready = [pending[0]]
            else:
                return out
        for test in ready:
            pending.remove(test)
            emitted.add(test)
            out.append(test)


def _sccs(nodes: list[str], strong_in: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components over strong edges (iterative)."""
    succ: dict[str, list[str]] = defaultdict(list)
    for dst, sources in strong_in.items():
        for src in sources:
            succ[src].append(dst)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: list[list[str]] = []
    counter = 0
    for root in sorted(nodes):
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            children = sorted(succ[node])
            if child < len(children):
                work.append((node, child + 1))
                nxt = children[child]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            for c in children:
                if c in on_stack:
                    low[node] = min(low[node], low[c])
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                result.append(sorted(component))
    return result


def _order_component(
    code: list[str],
    sccs: list[list[str]],
    scc_of: dict[str, int],
    strong_in: dict[str, set[str]],
    weak_in: dict[str, set[str]],
    risk: dict[str, float],
) -> list[str]:
    """Topological order of the component's SCCs; ties: weak edges, then risk, then path."""
    members = set(code)
    blocks = sorted({scc_of[p] for p in code})
    needs: dict[int, set[int]] = {}
    soft: dict[int, set[int]] = {}
    for block in blocks:
        nodes = sccs[block]
        needs[block] = {scc_of[s] for n in nodes for s in strong_in[n] if s in members} - {block}
        soft[block] = {scc_of[s] for n in nodes for s in weak_in[n] if s in members} - {block}
    done: set[int] = set()
    order: list[str] = []
    remaining = set(blocks)
    while remaining:
        ready = [b for b in remaining if needs[b] <= done] or list(remaining)
        best = min(
            ready,
            key=lambda b: (
                not soft[b] <= done,
                -max(risk[n] for n in sccs[b]),
                sccs[b][0],
            ),
        )
        remaining.discard(best)
        done.add(best)
        order.extend(sorted(sccs[best]))
    return order


def _short_names(paths: list[str]) -> dict[str, str]:
    base_count: dict[str, int] = defaultdict(int)
    for path in paths:
        base_count[path.rsplit("/", 1)[-1]] += 1
    return {p: p.rsplit("/", 1)[-1] if base_count[p.rsplit("/", 1)[-1]] == 1 else p for p in paths}


def _listing(values: list[str], limit: int = 3) -> str:
    shown = [f"`{v}`" for v in values[:limit]]
    if len(values) > limit:
        return ", ".join(shown) + f" and {len(values) - limit} more"
    if len(shown) > 1:
        return ", ".join(shown[:-1]) + " and " + shown[-1]
    return shown[0] if shown else ""


def _reason(
    path: str,
    kinds: Mapping[str, str],
    by_src: dict[str, list[Edge]],
    by_dst: dict[str, list[Edge]],
    cycle_of: dict[str, tuple[str, ...]],
    names: dict[str, str],
    targets: dict[str, set[str]],
    items: dict[str, OrderInput],
) -> str:
    kind = kinds[path]
    item = items[path]
    if kind == "generated":
        return item.generated or "generated"
    if kind == "mechanical":
        return "mechanical change (every hunk is predictable): skim"
    if kind == "doc":
        return "documentation"
    if kind == "test":
        tested = sorted(targets.get(path, ()))
        if tested:
            return f"tests for {_listing([names[t] for t in tested])}"
        return "tests; no changed code they exercise"
    parts: list[str] = []
    cycle = cycle_of.get(path)
    if cycle:
        others = [names[p] for p in cycle if p != path]
        parts.append(f"depends on {_listing(others)} and back (a cycle): read them together")
    out_edges = [e for e in by_src[path] if e.strong and kinds[e.dst] != "test"]
    defines = [e for e in out_edges if e.kind == "defines"]
    if defines:
        symbols = list(dict.fromkeys(s for e in defines for s in e.symbols))
        users = [names[e.dst] for e in defines]
        parts.append(
            f"defines {_listing(symbols, 2)}, used by {_listing(users)}"
            if symbols
            else f"declares what {_listing(users)} implement"
        )
    bases = [e for e in out_edges if e.kind == "subclass"]
    if bases:
        symbols = list(dict.fromkeys(s for e in bases for s in e.symbols))
        parts.append(
            f"defines base class {_listing(symbols, 2)}, subclassed in "
            f"{_listing([names[e.dst] for e in bases])}"
        )
    configs = [e for e in out_edges if e.kind == "config"]
    if configs:
        parts.append(
            f"{'schema' if path.endswith('.sql') or 'migration' in path else 'config'}"
            f" read by {_listing([names[e.dst] for e in configs])}"
        )
    if not parts:
        uses = [e for e in by_dst[path] if e.strong]
        if uses:
            first = uses[0]
            symbols = list(dict.fromkeys(s for e in uses for s in e.symbols))
            what = _listing(symbols, 2) if symbols else "definitions"
            origin = _listing(list(dict.fromkeys(names[e.src] for e in uses)))
            verb = "configured by" if first.kind == "config" else "uses"
            parts.append(f"{verb} {what} from {origin}" if verb == "uses" else f"reads {origin}")
    if not parts:
        weak = [names[e.dst] for e in by_src[path] if not e.strong]
        weak_in = [names[e.src] for e in by_dst[path] if not e.strong]
        if weak:
            parts.append(f"imported by {_listing(weak)}")
        elif weak_in:
            parts.append(f"imports {_listing(weak_in)}")
    if not parts:
        parts.append("independent change")
        if item.risk >= 0.5:
            parts[-1] += f", risky ({item.risk:.2f}): first"
    return "; ".join(parts)


def _group_label(
    sequence: list[str],
    by_src: dict[str, list[Edge]],
    kinds: Mapping[str, str],
    names: dict[str, str],
    cycle_of: dict[str, tuple[str, ...]],
) -> tuple[str, str]:
    if len(sequence) == 1:
        return names[sequence[0]], "a change on its own"
    code = [p for p in sequence if kinds[p] != "test"]
    tests = len(sequence) - len(code)
    hub = max(
        code or sequence,
        key=lambda p: (
            sum(1 for e in by_src[p] if e.kind in ("defines", "subclass", "config")),
            -len(p),
            p,
        ),
    )
    symbols = [s for e in by_src[hub] if e.kind == "defines" for s in e.symbols]
    label = f"`{symbols[0]}` and its uses" if symbols else f"{names[hub]} and related files"
    reason = f"{len(code)} related file{'s' if len(code) != 1 else ''}"
    if tests:
        reason += f" and {tests} test{'s' if tests != 1 else ''}"
    reason += ", definitions before uses"
    if any(p in cycle_of for p in sequence):
        reason += "; contains a dependency cycle, kept together"
    return label, reason


def _hunk_order(fact: FileFacts) -> tuple[int, ...]:
    """Within a file, a hunk that defines what an earlier hunk uses moves before it."""
    count = len(fact.hunk_defines)
    if count < 2:
        return tuple(range(count))
    needs = {
        j: {i for i in range(count) if i != j and fact.hunk_defines[i] & fact.hunk_uses[j]}
        for j in range(count)
    }
    done: list[int] = []
    remaining = set(range(count))
    while remaining:
        ready = sorted(j for j in remaining if needs[j] <= set(done))
        pick = ready[0] if ready else min(remaining)
        remaining.discard(pick)
        done.append(pick)
    return tuple(done)
