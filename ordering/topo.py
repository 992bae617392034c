"""Topological orders that never put a use before its definition when the graph allows it:
Kahn's algorithm with heaps over the strongly connected components of the strong relations
(definitions and their uses, bases, tests, config), so n files and m relations cost
O((n + m) log n). Plain imports only break ties: two modules importing each other are not
a cycle worth cutting a definition for. Inside a real cycle, a greedy feedback-arc order
reads first the file whose incoming links weigh least, and the links it reads backwards are
recorded."""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ordering.facts import FileFacts
from ordering.graph import Edge

GREEDY_LIMIT = 400  # above this many files in one cycle, its order is by path (still linear)


@dataclass(frozen=True)
class Cycle:
    """Files whose relations form a cycle, in reading order, and the links read backwards
    (each a `dst` read before its `src`)."""

    paths: tuple[str, ...]
    cut: tuple[Edge, ...]


def strongly_connected(nodes: Sequence[str], succ: Mapping[str, list[str]]) -> list[list[str]]:
    """Tarjan's components, iteratively (a PR can make a chain of any length)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: list[list[str]] = []
    counter = 0
    for root in nodes:
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
            children = succ.get(node, [])
            if child < len(children):
                work.append((node, child + 1))
                nxt = children[child]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if work:  # propagate to the parent once this node is finished
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
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


def _inside_cycle(
    members: list[str],
    incoming: Mapping[str, list[Edge]],
    preference: Callable[[str], Any],
) -> list[str]:
    """Greedy: repeatedly read the member whose links from unread members weigh least (a
    heap with lazy updates, so a cycle of k files and m links costs O((k + m) log k))."""
    if len(members) > GREEDY_LIMIT:
        return sorted(members, key=preference)
    inside = set(members)
    weight = {p: 0 for p in members}
    outgoing: dict[str, list[Edge]] = defaultdict(list)
    for p in members:
        for edge in incoming.get(p, ()):
            if edge.src in inside and edge.src != p:
                weight[p] += edge.weight
                outgoing[edge.src].append(edge)
    keys = {p: preference(p) for p in members}
    heap = [(weight[p], keys[p], p) for p in members]
    heapq.heapify(heap)
    order: list[str] = []
    while heap:
        value, _, best = heapq.heappop(heap)
        if best not in inside or value != weight[best]:
            continue  # stale entry
        inside.discard(best)
        order.append(best)
        for edge in outgoing.get(best, ()):
            if edge.dst in inside:
                weight[edge.dst] -= edge.weight
                heapq.heappush(heap, (weight[edge.dst], keys[edge.dst], edge.dst))
    return order


@dataclass(frozen=True)
class _Blocks:
    """The condensed graph: per component, its unplaced strong (`hard`) and weak (`soft`)
    predecessors, and its successors by kind. The counts are decremented while reading."""

    hard: list[int]
    soft: list[int]
    hard_succ: dict[int, set[int]]
    soft_succ: dict[int, set[int]]


def _strong_graph(edges: Sequence[Edge]) -> tuple[dict[str, list[str]], dict[str, list[Edge]]]:
    """Successors (sorted, so the components come out the same every run) and incoming
    strong edges of each node."""
    succ: dict[str, list[str]] = defaultdict(list)
    incoming: dict[str, list[Edge]] = defaultdict(list)
    for edge in edges:
        if edge.strong:
            succ[edge.src].append(edge.dst)
            incoming[edge.dst].append(edge)
    for values in succ.values():
        values.sort()
    return succ, incoming


def _blocks(
    edges: Sequence[Edge],
    block_of: Mapping[str, int],
    count: int,
    group_of: Mapping[str, str] | None,
) -> _Blocks:
    """Edges between components, each counted once; a weak edge across groups is dropped
    (it only breaks ties inside a group)."""
    blocks = _Blocks([0] * count, [0] * count, defaultdict(set), defaultdict(set))
    for edge in edges:
        a, b = block_of[edge.src], block_of[edge.dst]
        if a == b or (
            not edge.strong and group_of is not None and group_of[edge.src] != group_of[edge.dst]
        ):
            continue
        if edge.strong:
            table, counts = blocks.hard_succ, blocks.hard
        else:
            table, counts = blocks.soft_succ, blocks.soft
        if b not in table[a]:
            table[a].add(b)
            counts[b] += 1
    return blocks


def _read_cycle(
    members: list[str], incoming: Mapping[str, list[Edge]], preference: Callable[[str], Any]
) -> Cycle:
    """A cycle's reading order and the links it reads against their direction."""
    inside = _inside_cycle(members, incoming, preference)
    seen = {p: i for i, p in enumerate(inside)}
    cut = tuple(
        sorted(
            (
                e
                for p in inside
                for e in incoming.get(p, ())
                if e.src in seen and seen[e.src] > seen[p]
            ),
            key=lambda e: (e.src, e.dst),
        )
    )
    return Cycle(tuple(inside), cut)


def order_nodes(
    nodes: Sequence[str],
    edges: Sequence[Edge],
    preference: Callable[[str], Any],
    group_of: Mapping[str, str] | None = None,
) -> tuple[list[str], list[Cycle]]:
    """All nodes, every strong edge's src before its dst where no cycle forbids it. A weak
    edge (a plain import, a path neighbour) inside a group only breaks ties: among the ready,
    those whose weak predecessors are read come first, then the least `preference`."""
    succ, incoming = _strong_graph(edges)
    components = strongly_connected(sorted(nodes), succ)
    block_of = {p: i for i, c in enumerate(components) for p in c}
    block_key = [min(preference(p) for p in c) for c in components]
    blocks = _blocks(edges, block_of, len(components), group_of)
    hard, soft = blocks.hard, blocks.soft
    ready = [(block_key[i], i) for i, n in enumerate(hard) if n == 0 and soft[i] == 0]
    waiting = [(block_key[i], i) for i, n in enumerate(hard) if n == 0 and soft[i] > 0]
    heapq.heapify(ready)
    heapq.heapify(waiting)
    placed = [False] * len(components)
    order: list[str] = []
    cycles: list[Cycle] = []
    while ready or waiting:
        heap = ready if ready else waiting
        _, block = heapq.heappop(heap)
        if placed[block]:
            continue
        placed[block] = True
        members = components[block]
        if len(members) == 1:
            order.append(members[0])
        else:
            cycles.append(_read_cycle(members, incoming, preference))
            order.extend(cycles[-1].paths)
        for nxt in sorted(blocks.soft_succ.get(block, ())):
            soft[nxt] -= 1
            if soft[nxt] == 0 and hard[nxt] == 0 and not placed[nxt]:
                heapq.heappush(ready, (block_key[nxt], nxt))
        for nxt in sorted(blocks.hard_succ.get(block, ())):
            hard[nxt] -= 1
            if hard[nxt] == 0:
                target = ready if soft[nxt] == 0 else waiting
                heapq.heappush(target, (block_key[nxt], nxt))
    return order, cycles


def hunk_order(fact: FileFacts) -> tuple[int, ...]:
    """Within a file, a hunk that defines what an earlier hunk uses moves before it; the rest
    keep diff order. Linear in hunks and names (a mass reformat has thousands of hunks)."""
    count = len(fact.hunk_defines)
    if count < 2:
        return tuple(range(count))
    definer: dict[str, int] = {}  # the first hunk defining each name (bounds the edges)
    for index, names in enumerate(fact.hunk_defines):
        for name in names:
            definer.setdefault(name, index)
    edges = [
        (definer[name], j)
        for j, uses in enumerate(fact.hunk_uses)
        for name in uses
        if definer.get(name, j) != j
    ]
    if not edges:
        return tuple(range(count))
    succ: dict[str, list[str]] = defaultdict(list)
    for i, j in edges:
        succ[str(i)].append(str(j))
    components = strongly_connected([str(i) for i in range(count)], succ)
    block_of = {int(p): b for b, c in enumerate(components) for p in c}
    waiting = [0] * len(components)
    block_succ: dict[int, set[int]] = defaultdict(set)
    for i, j in edges:
        a, b = block_of[i], block_of[j]
        if a != b and b not in block_succ[a]:
            block_succ[a].add(b)
            waiting[b] += 1
    first = [min(int(p) for p in c) for c in components]
    heap = [(first[b], b) for b, n in enumerate(waiting) if n == 0]
    heapq.heapify(heap)
    out: list[int] = []
    while heap:
        _, block = heapq.heappop(heap)
        out.extend(sorted(int(p) for p in components[block]))
        for nxt in block_succ.get(block, ()):
            waiting[nxt] -= 1
            if waiting[nxt] == 0:
                heapq.heappush(heap, (first[nxt], nxt))
    return tuple(out)
