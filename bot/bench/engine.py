"""`redline bench engine`: how fast fixes are generated and how good they are.

Speed (local backend, the shipped fix model, one thread): the same rewrite requests (bugs
injected into functions of corpus packages the fixer never trained on, the function as the
region) decoded plainly, with prompt lookup (n-gram) and with the original region as the draft
(speculative edits): tokens/s, forward passes per generated token, latency per fix, and whether
every mode's output is byte-identical. The same for vLLM's CPU build, n-gram against none (and
the region draft through its custom-proposer hook), side by side in one run, when vLLM is
installed (REDLINE_BENCH_ENGINE_VLLM=0 skips it).

Quality:
- `rule_fix_rate`: validated fixes over findings of the rules that have a `fix:`, on the rule
  pack's own test files (tests/rules/*.py, every line as the change);
- QuixBugs (`--data`/quixbugs.jsonl) with the bug's lines given: fixes whose program passes our
  tests (bot.bench.quixbugs), and the share of candidates shadow validation rejected;
- injected bugs in held-out packages: the share fixed exactly (the original restored), with the
  prompt cut to smaller budgets to see what cutting costs.
"""

from __future__ import annotations

import os
import re
import statistics
import time
from pathlib import Path
from typing import Any

import torch

from bot.bench import BenchOptions
from bot.core.errors import EngineError, UsageError
from bot.core.model import Finding
from engine.backends.base import Speculation

TASKS = int(os.environ.get("REDLINE_BENCH_ENGINE_TASKS", "16"))
MODES: tuple[Speculation, ...] = ("plain", "ngram", "draft")


def _finding(path: str, line: int, end: int, message: str, rule: str = "wrong") -> Finding:
    return Finding(
        path, line, end, "warning", "detector", rule, message, 0.9, fingerprint=f"{path}:{line}"
    )


def _requests(
    pairs: list[Any], backend: Any, budget_share: float = 1.0
) -> list[tuple[Any, Any, Any, Any]]:
    from engine.backends.base import Request
    from engine.fixer import Options, prompt_for
    from engine.prompt import END_MARK, render

    out = []
    for pair in pairs:
        finding = _finding(pair.path, pair.line, pair.end_line, pair.message)
        task = prompt_for(finding, pair.buggy, True, Options())
        region_tokens = backend.count_tokens(task.region)
        answer = region_tokens + region_tokens // 2 + 32
        budget = int((backend.context_window - answer) * budget_share)
        try:
            rendered = render(task, budget, backend.count_tokens)
        except EngineError:
            continue
        request = Request(
            rendered.prefix, rendered.suffix, draft=task.region, stop=(END_MARK,), max_tokens=answer
        )
        out.append((pair, task, request, rendered))
    return out


def _expected(pair: Any, task: Any) -> str:
    """The fixed region the model should write (the original function)."""
    from engine.training.data import task_for

    made = task_for(pair)
    return made[1] if made else ""


def speed(loaded: Any, pairs: list[Any]) -> dict[str, Any]:
    from engine.backends.local import LocalBackend

    backends = {mode: LocalBackend(loaded, mode) for mode in MODES}
    asks = _requests(pairs, backends["plain"])
    texts: dict[str, list[str]] = {}
    modes: dict[str, Any] = {}
    for mode, backend in backends.items():
        backend.complete(asks[0][2])  # warm-up: first-call allocations are not the mode's cost
        tokens = passes = 0
        wall = 0.0
        latencies = []
        texts[mode] = []
        for _, _, request, _ in asks:
            answer = backend.complete(request)
            texts[mode].append(answer.text)
            tokens += answer.cost.generated_tokens
            passes += answer.cost.forward_passes
            wall += answer.cost.wall_s
            latencies.append(answer.cost.wall_s)
        modes[mode] = {
            "tokens_per_s": round(tokens / wall, 1) if wall else 0.0,
            "forward_passes_per_token": round(passes / tokens, 3) if tokens else 0.0,
            "time_to_first_fix_s": round(latencies[0], 3),
            "latency_median_s": round(statistics.median(latencies), 3),
            "tokens": tokens,
        }
    identical = all(texts[m] == texts["plain"] for m in MODES)
    exact = sum(
        1
        for (pair, task, _, _), text in zip(asks, texts["draft"], strict=True)
        if text.rstrip("\n") == _expected(pair, task).rstrip("\n")
    )
    return {
        "speedup": round(
            modes["draft"]["tokens_per_s"] / max(modes["plain"]["tokens_per_s"], 1e-9), 2
        ),
        "speedup_ngram": round(
            modes["ngram"]["tokens_per_s"] / max(modes["plain"]["tokens_per_s"], 1e-9), 2
        ),
        "identical": identical,
        "modes": modes,
        "rewrites": len(asks),
        "injected_fixed_exactly": exact,
        "injected_total": len(asks),
    }


def cutting(loaded: Any, pairs: list[Any]) -> dict[str, Any]:
    """Fix quality as the prompt budget shrinks: what the renderer cut and what it cost."""
    from engine.backends.local import LocalBackend

    backend = LocalBackend(loaded, "draft")
    out = {}
    for share in (1.0, 0.6, 0.35):
        asks = _requests(pairs, backend, share)
        exact = cut = 0
        for pair, task, request, rendered in asks:
            answer = backend.complete(request)
            exact += int(answer.text.rstrip("\n") == _expected(pair, task).rstrip("\n"))
            cut += int(bool(rendered.cuts))
        out[f"budget_{share:g}"] = {"tasks": len(asks), "fixed_exactly": exact, "prompts_cut": cut}
    return out


def _fix_rules() -> set[str]:
    from bot.analyzers.semgrep import builtin_rules_dir

    rules = set()
    for path in builtin_rules_dir().glob("*.yml"):
        current = None
        for line in path.read_text(encoding="utf-8").splitlines():
            found = re.match(r"\s*- id:\s*(\S+)", line)
            if found:
                current = found.group(1)
            elif current and re.match(r"\s*fix(-regex)?:", line):
                rules.add(current)
    return rules


def rule_fixes(rule_tests: Path) -> dict[str, Any]:
    from bot.analyzers.fixes import _marked, default_checks
    from bot.analyzers.semgrep import SemgrepAnalyzer
    from bot.core.model import Diff
    from bot.core.policy import Config
    from bot.core.ports import AnalysisRequest
    from engine.fixer import propose

    with_fix = _fix_rules()
    files = sorted(p for p in rule_tests.glob("*.py") if not p.name.endswith(".fixed.py"))
    texts = {f"rules/{p.name}": p.read_text(encoding="utf-8") for p in files}
    diff = Diff(
        tuple(_marked(path, text, 1, len(text.splitlines())) for path, text in texts.items())
    )
    config = Config()
    output = SemgrepAnalyzer().analyze(AnalysisRequest(diff, texts, config), time.monotonic() + 300)
    findings = [f for f in output.findings if f.rule in with_fix]
    started = time.perf_counter()
    result = propose(findings, texts, None, default_checks(config, findings))
    reasons: dict[str, int] = {}
    for dropped in result.dropped:
        reasons[dropped.reason] = reasons.get(dropped.reason, 0) + 1
    return {
        "rules_with_fix": len(with_fix),
        "rule_findings": len(findings),
        "rule_fixes_validated": len(result.fixes),
        "rule_fix_rate": round(len(result.fixes) / len(findings), 3) if findings else None,
        "rule_fix_dropped": reasons,
        "rule_fix_s": round(time.perf_counter() - started, 2),
    }


def quixbugs(loaded: Any, data: Path) -> dict[str, Any]:
    import json

    from bot.analyzers.fixes import default_checks
    from bot.bench.quixbugs import passes
    from bot.core.policy import Config
    from engine.backends.local import LocalBackend
    from engine.fixer import propose
    from engine.patch import apply_fixes

    records = [json.loads(line) for line in (data / "quixbugs.jsonl").read_text().splitlines()]
    backend = LocalBackend(loaded, "draft")
    findings, texts = [], {}
    for r in records:
        lines = r["buggy_lines"] or r["omission_anchors"]
        path = r["path"]
        texts[path] = r["buggy"]
        findings.append(
            _finding(path, min(lines), max(lines), "This line looks like it holds a bug.", "bug")
        )
    started = time.perf_counter()
    propose(
        findings[:1],
        {findings[0].path: texts[findings[0].path]},
        backend,
        default_checks(Config(), findings[:1]),
    )
    first_s = time.perf_counter() - started
    result = propose(findings, texts, backend, default_checks(Config(), findings))
    by_path = {r["path"]: r for r in records}
    fixed = exact = 0
    for fix in result.fixes:
        record = by_path[fix.path]
        patched = apply_fixes({fix.path: record["buggy"]}, [fix])[fix.path]
        exact += int(patched.strip() == record["fixed"].strip())
        fixed += int(passes(record["name"], record["fixed"], patched))
    validation = [d for d in result.dropped if _is_validation(d.reason)]
    candidates = len(result.fixes) + len(validation)
    reasons: dict[str, int] = {}
    for d in result.dropped:
        key = re.sub(r"\d+", "N", d.reason)
        reasons[key] = reasons.get(key, 0) + 1
    return {
        "quixbugs_fixed": fixed,
        "quixbugs_total": len(records),
        "quixbugs_exact": exact,
        "quixbugs_validated": len(result.fixes),
        "rejected_by_validation": round(len(validation) / candidates, 3) if candidates else None,
        "quixbugs_candidates": candidates,
        "quixbugs_dropped": reasons,
        "time_to_first_fix_s": round(first_s, 2),
        "quixbugs_s": round(time.perf_counter() - started, 1),
    }


def _is_validation(reason: str) -> bool:
    return any(
        key in reason
        for key in (
            "does not parse",
            "still raises",
            "raises",
            "ruff reports",
            "outside its region",
            "not valid UTF-8",
        )
    )


def vllm_side_by_side(pairs: list[Any]) -> dict[str, Any]:
    """vLLM's CPU build on the same requests: no speculation, n-gram, the region draft."""
    try:
        import vllm  # noqa: F401
    except ImportError:
        return {"skipped": "vLLM is not installed (pip install 'redline[vllm]')"}
    from engine.backends.vllm import VllmBackend, shipped_model_dir

    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
    out: dict[str, Any] = {"model": str(shipped_model_dir())}
    texts: dict[str, list[str]] = {}
    for mode in MODES:
        started = time.perf_counter()
        try:
            backend = VllmBackend(None, speculation=mode, k=8)
        except EngineError as exc:
            out[mode] = {"error": str(exc)[:300]}
            continue
        start_s = time.perf_counter() - started
        asks = _requests(pairs, backend)
        backend.complete_all([asks[0][2]])  # warm-up
        began = time.perf_counter()
        answers = backend.complete_all([request for _, _, request, _ in asks])
        wall = time.perf_counter() - began
        good = [a for a in answers if not isinstance(a, EngineError)]
        tokens = sum(a.cost.generated_tokens for a in good)
        accepted = sum(a.cost.accepted_tokens for a in good)
        texts[mode] = [a.text if not isinstance(a, EngineError) else "" for a in answers]
        out[mode] = {
            "tokens_per_s": round(tokens / wall, 1) if wall else 0.0,
            "forward_passes_per_token": round((tokens - accepted) / tokens, 3) if tokens else 0.0,
            "accepted_tokens": accepted,
            "errors": len(answers) - len(good),
            "start_s": round(start_s, 1),
        }
        backend.close()
        del backend
    if "plain" in texts and "ngram" in texts:
        out["identical"] = all(texts[m] == texts["plain"] for m in texts)
        plain_tps = out["plain"].get("tokens_per_s") or 1e-9
        out["speedup_ngram"] = round(out["ngram"]["tokens_per_s"] / plain_tps, 2)
        if "draft" in texts:
            out["speedup_draft"] = round(out["draft"]["tokens_per_s"] / plain_tps, 2)
    return out


def run(options: BenchOptions) -> dict[str, Any]:
    from bot.bench.fix_pairs import injected_pairs
    from bot.core.errors import ModelMissing
    from engine.model.weights import shipped

    data = options.require_data("engine")
    try:
        loaded = shipped()
    except ModelMissing as exc:
        raise UsageError(f"bench engine needs the shipped fix model: {exc}") from exc
    torch.set_num_threads(1)
    started = time.perf_counter()
    pairs = list(injected_pairs("test", TASKS, seed=5))
    figures: dict[str, Any] = {"model": loaded.version, "threads": 1}
    figures.update(speed(loaded, pairs))
    figures["prompt_cutting"] = cutting(loaded, pairs[: max(4, TASKS // 2)])
    rule_tests = Path(__file__).resolve().parents[2] / "tests" / "rules"
    if rule_tests.is_dir():
        figures.update(rule_fixes(rule_tests))
    figures.update(quixbugs(loaded, data))
    if os.environ.get("REDLINE_BENCH_ENGINE_VLLM", "1") != "0":
        figures["vllm_cpu"] = vllm_side_by_side(pairs[: max(4, TASKS // 2)])
    figures["bench_s"] = round(time.perf_counter() - started, 1)
    return figures
