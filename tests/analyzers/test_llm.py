"""The LLM tier over a real OpenAI-compatible server on loopback (uvicorn, the real httpx
client of the engine's openai backend): what it sends (the hunk, the function on both sides,
the definitions used, the static diagnostics), when it sends (paranoia max, deep, the risk
band; nothing otherwise), and how answers are validated (not JSON, lines outside the diff, code
that is not there: dropped and counted). One server runs the tiny fix model built here, for
the plumbing; the others answer scripted JSON, for the validation."""

from __future__ import annotations

import dataclasses
import difflib
import json
import time
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request as HttpRequest
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.analyzers import default_analyzers
from bot.analyzers.llm import LlmAnalyzer
from bot.core.diff import parse_diff
from bot.core.policy import Config
from bot.core.ports import AnalysisRequest, AnalyzerOutput
from bot.core.trees import MemoryTree
from engine.backends.openai import OpenAIBackend
from tests.webhooks.helpers import serve_app

OLD = """def clamp(value, low, high):
    return max(low, min(value, high))


def window(items, size):
    out = []
    for start in range(len(items) - size + 1):
        out.append(items[start:start + size])
    return out
"""
NEW = OLD.replace("range(len(items) - size + 1)", "range(len(items) - size)").replace(
    "out.append(items[start:start + size])", "out.append(clamp(items[start:start + size], 0, 1))"
)
BUG_LINE = 7  # `for start in range(len(items) - size):`


def _request(config: Config) -> AnalysisRequest:
    patch = "".join(
        difflib.unified_diff(
            OLD.splitlines(keepends=True), NEW.splitlines(keepends=True), "a/w.py", "b/w.py"
        )
    )
    diff = parse_diff("diff --git a/w.py b/w.py\n" + patch)
    return AnalysisRequest(diff, {"w.py": NEW}, config, MemoryTree({"w.py": OLD}))


def scripted_server(answer: Callable[[str], str]) -> tuple[Starlette, list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []

    async def models(request: HttpRequest) -> JSONResponse:
        return JSONResponse({"object": "list", "data": [{"id": "scripted", "object": "model"}]})

    async def completions(request: HttpRequest) -> JSONResponse:
        body = await request.json()
        seen.append(body)
        text = answer(body["prompt"])
        return JSONResponse(
            {
                "choices": [{"index": 0, "text": text, "finish_reason": "stop"}],
                "usage": {"completion_tokens": len(text) // 4, "prompt_tokens": 100},
            }
        )

    routes = [Route("/v1/models", models), Route("/v1/completions", completions, methods=["POST"])]
    return Starlette(routes=routes), seen


def _review(
    answer: Callable[[str], str], config: Config
) -> tuple[AnalyzerOutput, list[dict[str, Any]]]:
    app, seen = scripted_server(answer)
    with serve_app(app) as base:
        backend = OpenAIBackend(base + "/v1", "scripted")
        try:
            output = LlmAnalyzer(backend).analyze(_request(config), time.monotonic() + 60)
        finally:
            backend.close()
    return output, seen


def _answer(*findings: dict[str, Any]) -> Callable[[str], str]:
    return lambda prompt: json.dumps({"findings": list(findings)})


GOOD = {
    "line": BUG_LINE,
    "message": "the last window is skipped: the range stops one start early",
    "severity": "error",
    "confidence": 0.8,
    "code": "range(len(items) - size)",
}


def test_at_paranoia_max_the_hunk_goes_out_with_its_context_and_a_valid_finding_comes_back() -> (
    None
):
    output, seen = _review(_answer(GOOD), Config(paranoia="max"))
    assert len(seen) == 1
    prompt = seen[0]["prompt"]
    assert "-    for start in range(len(items) - size + 1):" in prompt  # the hunk, both sides
    assert "Enclosing function before the change:\ndef window(items, size):" in prompt
    assert "Definitions used:\ndef clamp(value, low, high):" in prompt
    assert seen[0]["temperature"] == 0.0 and seen[0]["max_tokens"] == 400
    [finding] = output.findings
    assert (finding.line, finding.source, finding.rule) == (BUG_LINE, "llm", "llm-review")
    assert finding.severity == "warning"  # an LLM alone never fails the gate
    assert finding.score == 0.8 and "range stops one start early" in finding.message
    assert "1 hunk(s) sent" in (output.detail or "")


def test_lines_outside_the_diff_and_code_that_is_not_there_are_dropped_and_counted() -> None:
    outside = {**GOOD, "line": 2, "code": "return max(low, min(value, high))"}
    invented = {**GOOD, "code": "range(len(items) - size - 1)"}
    output, _ = _review(_answer(GOOD, outside, invented), Config(paranoia="max"))
    assert [f.line for f in output.findings] == [BUG_LINE]
    detail = output.detail or ""
    assert "1 findings on lines outside the diff" in detail
    assert "1 findings naming code that is not there" in detail


def test_an_answer_that_is_not_json_is_dropped_and_counted() -> None:
    deep = dataclasses.replace(Config(), llm_deep=True)  # a `/redline deep` comment
    output, seen = _review(lambda prompt: "The change looks fine to me!", deep)
    assert len(seen) == 1 and output.findings == ()
    assert "1 answers not valid JSON" in (output.detail or "")


def test_only_hunks_in_the_risk_band_are_sent_and_nothing_without_a_trigger() -> None:
    _, seen = _review(_answer(GOOD), Config())
    assert seen == []  # default paranoia, no band, no deep: nothing sent, nothing spent
    _, seen = _review(_answer(GOOD), dataclasses.replace(Config(), llm_band=(0.0, 1.0)))
    assert len(seen) == 1
    _, seen = _review(_answer(GOOD), dataclasses.replace(Config(), llm_band=(0.999, 1.0)))
    assert seen == []


def test_a_real_small_model_behind_the_server_is_plumbing_not_quality() -> None:
    """The tiny fix model built here answers free text: the tier survives it and says so."""
    from tests.engine.test_openai import model_server

    app, seen = model_server()
    with serve_app(app) as base:
        backend = OpenAIBackend(base + "/v1")
        try:
            analyzer = LlmAnalyzer(backend, max_tokens=24)
            output = analyzer.analyze(_request(Config(paranoia="max")), time.monotonic() + 120)
        finally:
            backend.close()
    assert len(seen) == 1 and seen[0]["max_tokens"] == 24
    assert "1 hunk(s) sent" in (output.detail or "")
    assert output.findings == () or all(f.line == BUG_LINE for f in output.findings)


def test_without_a_configured_backend_the_tier_is_not_even_listed(monkeypatch: Any) -> None:
    monkeypatch.delenv("REDLINE_LLM_BACKEND", raising=False)
    names = {a.name for a in default_analyzers(only=frozenset({"llm", "markers"}))}
    assert names == {"markers"}
