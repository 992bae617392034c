"""The sentences a person reads beside each file and group. Every relation they name is an
edge of the resolved graph: a reason never comes from a bare name match."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from ordering.facts import FileFacts, OrderInput
from ordering.graph import Edge
from ordering.topo import Cycle

_USE_KINDS = ("defines", "needs", "reexports")
_WHY_CUT = {
    "imports": "it only imports the module",
    "path": "only their paths relate them",
    "needs": "its use is on lines the change did not touch",
    "config": "it reads a name of it",
    "tests": "it is a test of it",
    "defines": "each uses the other's changes",
    "reexports": "each uses the other's changes",
    "subclass": "each uses the other's changes",
}


def short_names(paths: list[str]) -> dict[str, str]:
    base_count: dict[str, int] = defaultdict(int)
    for path in paths:
        base_count[path.rsplit("/", 1)[-1]] += 1
    return {p: p.rsplit("/", 1)[-1] if base_count[p.rsplit("/", 1)[-1]] == 1 else p for p in paths}


def listing(values: list[str], limit: int = 3) -> str:
    shown = [f"`{v}`" for v in values[:limit]]
    if len(values) > limit:
        return ", ".join(shown) + f" and {len(values) - limit} more"
    if len(shown) > 1:
        return ", ".join(shown[:-1]) + " and " + shown[-1]
    return shown[0] if shown else ""


def _symbols(edges: list[Edge]) -> list[str]:
    return list(dict.fromkeys(s for e in edges for s in e.symbols))


def _cycle_part(path: str, cycle: Cycle, names: Mapping[str, str]) -> str:
    others = [names[p] for p in cycle.paths if p != path]
    part = f"depends on {listing(others)} and back (a cycle)"
    cut = [e for e in cycle.cut if e.dst == path]
    if cut:
        edge = min(cut, key=lambda e: (e.weight, e.src))
        what = f"`{edge.symbols[0]}` from " if edge.symbols else ""
        part += (
            f": read before {what}`{names[edge.src]}` because that link weighs least "
            f"({_WHY_CUT[edge.kind]})"
        )
    elif cycle.paths and cycle.paths[0] == path:
        part += ": read first, its links from the cycle weigh least"
    return part


def _test_reason(
    path: str,
    targets: Mapping[str, set[str]],
    names: Mapping[str, str],
    by_src: Mapping[str, list[Edge]],
    by_dst: Mapping[str, list[Edge]],
    kinds: Mapping[str, str],
) -> str:
    parts = []
    tested = sorted(targets.get(path, ()))
    if tested:
        parts.append(f"tests for {listing([names[t] for t in tested])}")
    helps = [e for e in by_src.get(path, ()) if e.kind in _USE_KINDS and kinds[e.dst] == "test"]
    if helps:
        parts.append(
            f"test helper: defines {listing(_symbols(helps), 2)}, used by "
            f"{listing([names[e.dst] for e in helps])}"
        )
    helpers = [e for e in by_dst.get(path, ()) if e.kind in _USE_KINDS and kinds[e.src] == "test"]
    if helpers:
        parts.append(
            f"uses {listing(_symbols(helpers), 2)} from "
            f"{listing(list(dict.fromkeys(names[e.src] for e in helpers)))}"
        )
    return "; ".join(parts) if parts else "tests; no changed code they exercise"


def _out_parts(
    path: str,
    kinds: Mapping[str, str],
    by_src: Mapping[str, list[Edge]],
    names: Mapping[str, str],
    fact: FileFacts | None,
) -> list[str]:
    parts: list[str] = []
    out_edges = [e for e in by_src.get(path, ()) if e.strong and kinds[e.dst] != "test"]
    reexported = set(fact.bindings) if fact is not None and path.endswith("__init__.py") else set()
    defines = [e for e in out_edges if e.kind in ("defines", "needs")]
    own = [e for e in defines if not (set(e.symbols) & reexported)]
    passed = [e for e in defines if set(e.symbols) & reexported]
    if own:
        symbols = _symbols(own)
        users = [names[e.dst] for e in own]
        parts.append(
            f"defines {listing(symbols, 2)}, used by {listing(users)}"
            if symbols
            else f"declares what {listing(users)} implement"
        )
    if passed:
        readers = listing([names[e.dst] for e in passed])
        parts.append(f"re-exports {listing(_symbols(passed), 2)} to {readers}")
    relays = [e for e in out_edges if e.kind == "reexports"]
    if relays:
        parts.append(
            f"defines {listing(_symbols(relays), 2)}, re-exported by "
            f"{listing([names[e.dst] for e in relays])}"
        )
    bases = [e for e in out_edges if e.kind == "subclass"]
    if bases:
        parts.append(
            f"defines base class {listing(_symbols(bases), 2)}, subclassed in "
            f"{listing([names[e.dst] for e in bases])}"
        )
    configs = [e for e in out_edges if e.kind == "config"]
    if configs:
        parts.append(
            f"{'schema' if path.endswith('.sql') or 'migration' in path else 'config'}"
            f" read by {listing([names[e.dst] for e in configs])}"
        )
    return parts


def reason_for(
    path: str,
    kinds: Mapping[str, str],
    by_src: Mapping[str, list[Edge]],
    by_dst: Mapping[str, list[Edge]],
    cycle_of: Mapping[str, Cycle],
    names: Mapping[str, str],
    targets: Mapping[str, set[str]],
    items: Mapping[str, OrderInput],
    facts: Mapping[str, FileFacts],
) -> str:
    kind = kinds[path]
    item = items[path]
    fact = facts.get(path)
    if kind == "generated":
        return item.generated or "generated"
    if kind == "doc":
        return "documentation"
    if kind == "test":
        reason = _test_reason(path, targets, names, by_src, by_dst, kinds)
        return _with_note(reason, fact)
    parts: list[str] = []
    cycle = cycle_of.get(path)
    if cycle is not None:
        parts.append(_cycle_part(path, cycle, names))
    parts += _out_parts(path, kinds, by_src, names, fact)
    if not parts:
        uses = [e for e in by_dst.get(path, ()) if e.strong]
        if uses:
            symbols = _symbols(uses)
            what = listing(symbols, 2) if symbols else "definitions"
            origin = listing(list(dict.fromkeys(names[e.src] for e in uses)))
            if all(e.kind == "config" for e in uses):
                parts.append(f"reads {origin}")
            elif all(e.kind == "subclass" for e in uses):
                parts.append(f"subclasses {what} from {origin}")
            else:
                parts.append(f"uses {what} from {origin}")
    if not parts:
        weak = [names[e.dst] for e in by_src.get(path, ()) if not e.strong and e.kind == "imports"]
        weak_in = [
            names[e.src] for e in by_dst.get(path, ()) if not e.strong and e.kind == "imports"
        ]
        if weak:
            parts.append(f"imported by {listing(weak)}")
        elif weak_in:
            parts.append(f"imports {listing(weak_in)}")
    if kind == "mechanical":
        parts.append("every hunk is mechanical: skim")
    elif not parts:
        parts.append("independent change")
        if item.risk >= 0.5:
            parts[-1] += f", risky ({item.risk:.2f}): first"
    return _with_note("; ".join(parts), fact)


def _with_note(reason: str, fact: FileFacts | None) -> str:
    if fact is not None and fact.parse_note:
        return f"{reason}; {fact.parse_note}"
    return reason


def group_label(
    sequence: list[str],
    by_src: Mapping[str, list[Edge]],
    kinds: Mapping[str, str],
    names: Mapping[str, str],
    cycle_of: Mapping[str, Cycle],
) -> tuple[str, str]:
    if len(sequence) == 1:
        return names[sequence[0]], "a change on its own"
    code = [p for p in sequence if kinds[p] != "test"]
    tests = len(sequence) - len(code)
    hub = max(
        code or sequence,
        key=lambda p: (
            sum(1 for e in by_src.get(p, ()) if e.kind in ("defines", "subclass", "reexports")),
            -len(p),
            p,
        ),
    )
    symbols = [
        s
        for e in by_src.get(hub, ())
        if e.kind in ("defines", "subclass", "reexports")
        for s in e.symbols
    ]
    label = f"`{symbols[0]}` and its uses" if symbols else f"{names[hub]} and related files"
    reason = f"{len(code)} related file{'s' if len(code) != 1 else ''}"
    if tests:
        reason += f" and {tests} test{'s' if tests != 1 else ''}"
    reason += ", definitions before uses"
    cycles = list(dict.fromkeys(cycle_of[p] for p in sequence if p in cycle_of))
    if cycles:
        files = listing([names[p] for p in cycles[0].paths])
        reason += f"; contains a dependency cycle ({files}), kept together"
    return label, reason
