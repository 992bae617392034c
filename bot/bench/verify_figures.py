"""The figures of `redline bench verify --corpus` from its records: per split (held-out
repositories, the ones tuned on), the verdicts, the share of contracted functions that reach
a verdict (overall and per construct), the unknown table (which construct, builtin, type or
budget stopped a condition), recorded bugs found in the buggy versions, false alarms on the
originals, proofs, and the time, side by side with CrossHair."""

from __future__ import annotations

from collections import Counter
from typing import Any

_CONTRACT_KINDS = ("post", "invariant", "assert", "pre")


def _found(original: list[dict[str, Any]], mutated: list[dict[str, Any]], function: str) -> bool:
    before = {
        (v["function"], v["kind"], v["condition"]) for v in original if v["status"] == "refuted"
    }
    return any(
        v["status"] == "refuted"
        and v["function"] == function
        and (v["function"], v["kind"], v["condition"]) not in before
        for v in mutated
    )


def _crosshair_found(original: dict[str, Any], mutated: dict[str, Any], function: str) -> bool:
    if "error" in mutated or "refuted" not in mutated:
        return False
    name = function.rsplit(".", 1)[-1]
    return name in mutated["refuted"] and mutated["refuted"].count(name) > original.get(
        "refuted", []
    ).count(name)


def _shares(records: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    functions = 0
    decided_all = decided_any = 0
    per_tag: dict[str, list[int]] = {}
    for record in records:
        by_function: dict[str, list[str]] = {}
        for v in record["redline"]:
            by_function.setdefault(v["function"], []).append(v["status"])
        for name, tags in record["constructs"].items():
            statuses = by_function.get(name, [])
            functions += 1
            every = bool(statuses) and all(s != "unknown" for s in statuses)
            some = any(s != "unknown" for s in statuses)
            decided_all += every
            decided_any += some
            for tag in tags:
                slot = per_tag.setdefault(tag, [0, 0])
                slot[0] += 1
                slot[1] += every
    overall = {
        "contracted_functions": functions,
        "all_conditions_decided": decided_all,
        "share_all_decided": round(decided_all / max(1, functions), 3),
        "some_condition_decided": decided_any,
        "share_some_decided": round(decided_any / max(1, functions), 3),
    }
    tags = {
        t: {"functions": n, "decided": d, "share": round(d / max(1, n), 3)}
        for t, (n, d) in sorted(per_tag.items(), key=lambda kv: -kv[1][0])
    }
    return overall, tags


_Mutants = list[tuple[dict[str, Any], dict[str, Any]]]


def _false_alarms(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Refutations on the original files: the code is taken as correct, so each is a false alarm."""
    return [
        {
            "repo": r["repo"],
            "path": r["path"],
            "function": v["function"],
            "kind": v["kind"],
            "condition": v["condition"],
            "reason": v["reason"],
        }
        for r in records
        for v in r["redline"]
        if v["status"] == "refuted"
    ]


def _redline_figures(
    records: list[dict[str, Any]], counts: Counter[str], conditions: int
) -> dict[str, Any]:
    return {
        "proved": counts["proved"],
        "refuted_on_originals": counts["refuted"],
        "unknown": counts["unknown"],
        "condition_verdict_share": round(
            (counts["proved"] + counts["refuted"]) / max(1, conditions), 3
        ),
        "seconds": round(
            sum(r["redline_s"] + sum(m["redline_s"] for m in r["mutants"]) for r in records), 1
        ),
    }


def _add_crosshair(
    out: dict[str, Any], records: list[dict[str, Any]], mutants: _Mutants, found: list[Any]
) -> None:
    """CrossHair's figures beside redline's, and the mutants found by either tool."""
    theirs = [r["crosshair"] for r in records if "crosshair" in r]
    found_peer = [
        m
        for r, m in mutants
        if "crosshair" in m
        and _crosshair_found(r.get("crosshair", {}), m["crosshair"], m["function"])
    ]
    either = [m for r, m in mutants if m in found or m in found_peer]
    out["crosshair"] = {
        "proved": sum(t.get("proved", 0) for t in theirs),
        "refuted_on_originals": sum(len(t.get("refuted", [])) for t in theirs),
        "could_not_import": sum(bool(t.get("import_error")) for t in theirs),
        "capped": sum(bool(t.get("capped")) for t in theirs),
        "found_on_mutants": len(found_peer),
        "seconds": round(
            sum(t.get("seconds", 0.0) for t in theirs)
            + sum(m["crosshair"].get("seconds", 0.0) for _, m in mutants if "crosshair" in m),
            1,
        ),
    }
    out["mutants"]["found_by_crosshair"] = len(found_peer)
    out["mutants"]["found_by_either"] = len(either)
    out["mutants"]["redline_share_of_known_bugs"] = round(len(found) / max(1, len(either)), 3)


def _split(records: list[dict[str, Any]], peer: bool) -> dict[str, Any]:
    conditions = [v for r in records for v in r["redline"]]
    counts = Counter(v["status"] for v in conditions)
    unknown = Counter(
        (v.get("construct") or _guess(v.get("reason") or ""))
        for v in conditions
        if v["status"] == "unknown"
    )
    mutants = [(r, m) for r in records for m in r["mutants"]]
    found = [m for r, m in mutants if _found(r["redline"], m["redline"], m["function"])]
    overall, per_construct = _shares(records)
    out: dict[str, Any] = {
        "repositories": sorted({r["repo"] for r in records}),
        "files": len(records),
        "conditions": len(conditions),
        "redline": _redline_figures(records, counts, len(conditions)),
        "functions": overall,
        "per_construct": per_construct,
        "unknown_table": dict(unknown.most_common(40)),
        "refutations_on_originals": _false_alarms(records),
        "mutants": {
            "total": len(mutants),
            "found_by_redline": len(found),
            "by_operator": dict(Counter(m["operator"] for _, m in mutants)),
            "found_by_operator": dict(Counter(m["operator"] for m in found)),
        },
    }
    if peer:
        _add_crosshair(out, records, mutants, found)
    return out


def _guess(reason: str) -> str:
    """The construct of an unknown verdict from the translator before it named them."""
    if "time budget" in reason:
        return "budget:time"
    if "bound" in reason or "loop unrolled" in reason or "recursion" in reason:
        return "bound:loop"
    if "no type hint" in reason:
        return "hint:missing"
    if "of type" in reason:
        return (
            "type:" + reason.split("of type", 1)[1].split("`")[1].split("[")[0]
            if "`" in reason
            else "type:?"
        )
    if "attribute" in reason:
        return "attribute"
    if "call to" in reason:
        return "call:unmodelled"
    if "undefined name" in reason:
        return "name:undefined"
    if "statement" in reason or "expression" in reason:
        return "node:" + reason.split("`")[1] if "`" in reason else "node:?"
    if "method" in reason:
        return "method:" + reason.split("`")[1] if "`" in reason else "method:?"
    return "other"


def figures(records: list[dict[str, Any]], peer: bool) -> dict[str, Any]:
    held = [r for r in records if r["held_out"]]
    tuned = [r for r in records if not r["held_out"]]
    out: dict[str, Any] = {}
    if held:
        out["held_out"] = _split(held, peer)
    if tuned:
        out["tuning"] = _split(tuned, peer)
    return out


def summary(figures_: dict[str, Any]) -> str:
    """The figures as a reviewer reads them: per split, redline beside CrossHair, then the
    unknown table (largest first) and the verdict share per construct."""
    lines = []
    for split, f in figures_.items():
        ours, theirs, bugs = f["redline"], f.get("crosshair"), f["mutants"]
        lines.append(f"== {split}: {f['files']} files, {f['conditions']} conditions")
        rows = [
            ("buggy versions found", bugs["found_by_redline"], bugs.get("found_by_crosshair")),
            ("refuted on the originals", ours["refuted_on_originals"], None),
            ("proved", ours["proved"], None),
            ("unknown", ours["unknown"], None),
            ("seconds", ours["seconds"], None),
        ]
        if theirs is not None:
            peer = (None, "refuted_on_originals", "proved", None, "seconds")
            rows = [
                (n, a, b if k is None else theirs[k])
                for (n, a, b), k in zip(rows, peer, strict=True)
            ]
        lines.append(f"  {'':28} {'redline':>9} {'CrossHair':>10}")
        for name, a, b in rows:
            lines.append(f"  {name:28} {a!s:>9} {'' if b is None else b!s:>10}")
        lines.append(f"  buggy versions: {bugs['total']}")
        if theirs is not None:
            lines.append(f"  CrossHair could not import {theirs['could_not_import']} of the files")
        lines.append(
            f"  functions with every condition decided: {f['functions']['share_all_decided']}"
        )
        lines.append("  unknown, by what stopped it:")
        lines += [f"    {n:5} {what}" for what, n in f["unknown_table"].items()]
        lines.append("  verdict share per construct (functions decided / functions):")
        shares = f["per_construct"].items()
        lines += [f"    {c['decided']:3}/{c['functions']:<3} {tag}" for tag, c in shares]
    return "\n".join(lines)
