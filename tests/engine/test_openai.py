"""The OpenAI-compatible backend over real HTTP: a server on loopback (uvicorn) that answers the
completions and chat APIs with the tiny fix model, and servers that fail in every way a real one
can. Every failure is an EngineError that names the server."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import torch
from starlette.applications import Starlette
from starlette.requests import Request as HttpRequest
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from bot.core.errors import EngineError
from engine.backends.base import Request
from engine.backends.local import LocalBackend
from engine.backends.openai import OpenAIBackend
from tests.engine.helpers import tiny
from tests.webhooks.helpers import free_port, serve_app


def model_server(
    accept_predictions: bool = True, delay: float = 0.0
) -> tuple[Starlette, list[dict[str, Any]]]:
    """An OpenAI-compatible server backed by the tiny model (greedy, plain decoding)."""
    backend = LocalBackend(tiny(), "plain")
    seen: list[dict[str, Any]] = []

    async def models(request: HttpRequest) -> JSONResponse:
        return JSONResponse({"object": "list", "data": [{"id": "tiny", "object": "model"}]})

    async def complete(body: dict[str, Any], prompt: str) -> tuple[str, str, int, int]:
        if delay:
            await asyncio.sleep(delay)
        torch.set_num_threads(1)
        answer = backend.complete(
            Request(prompt, stop=tuple(body.get("stop") or ()), max_tokens=int(body["max_tokens"]))
        )
        return answer.text, answer.finish, answer.cost.generated_tokens, answer.cost.prompt_tokens

    async def completions(request: HttpRequest) -> JSONResponse:
        body = await request.json()
        seen.append(body)
        text, finish, generated, prompt = await complete(body, body["prompt"])
        return JSONResponse(
            {
                "choices": [{"index": 0, "text": text, "finish_reason": finish}],
                "usage": {
                    "completion_tokens": generated,
                    "prompt_tokens": prompt,
                    "prompt_tokens_details": {"cached_tokens": 3},
                },
            }
        )

    async def chat(request: HttpRequest) -> JSONResponse:
        body = await request.json()
        seen.append(body)
        if "prediction" in body and not accept_predictions:
            return JSONResponse(
                {"error": {"message": "Unrecognized request argument: prediction"}}, 400
            )
        prompt = "".join(m["content"] for m in body["messages"])
        text, finish, generated, tokens = await complete(body, prompt)
        details = (
            {"accepted_prediction_tokens": 4, "rejected_prediction_tokens": 1}
            if "prediction" in body
            else {}
        )
        return JSONResponse(
            {
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": finish,
                    }
                ],
                "usage": {
                    "completion_tokens": generated,
                    "prompt_tokens": tokens,
                    "completion_tokens_details": details,
                },
            }
        )

    routes = [
        Route("/v1/models", models),
        Route("/v1/completions", completions, methods=["POST"]),
        Route("/v1/chat/completions", chat, methods=["POST"]),
    ]
    return Starlette(routes=routes), seen


REQUEST = Request(
    "def render(task", "):\n", draft="    return task\n", stop=("\n\n",), max_tokens=20
)


def test_completions_answer_exactly_what_the_local_model_answers() -> None:
    app, seen = model_server()
    local = LocalBackend(tiny(), "draft").complete(REQUEST)
    with serve_app(app) as base, OpenAIBackend(base + "/v1") as backend:
        backend.check()
        assert backend.model == "tiny"  # the only model served
        answer = backend.complete(REQUEST)
    assert answer.text == local.text and answer.finish == local.finish
    assert answer.cost.generated_tokens == local.cost.generated_tokens
    assert answer.cost.cached_tokens == 3 and answer.cost.speculation == "server"
    assert seen[0]["prompt"] == REQUEST.prompt and seen[0]["temperature"] == 0.0
    assert seen[0]["stop"] == ["\n\n"] and seen[0]["model"] == "tiny"


def test_chat_sends_the_region_as_a_prediction_and_drops_it_where_refused() -> None:
    app, seen = model_server()
    with serve_app(app) as base, OpenAIBackend(base + "/v1", "tiny", api="chat") as backend:
        answer = backend.complete(REQUEST)
    assert seen[0]["prediction"] == {"type": "content", "content": REQUEST.draft}
    assert seen[0]["messages"][0] == {"role": "system", "content": REQUEST.prefix}
    assert answer.cost.accepted_tokens == 4 and answer.cost.drafted_tokens == 5

    app, seen = model_server(accept_predictions=False)
    with serve_app(app) as base, OpenAIBackend(base + "/v1", "tiny", api="chat") as backend:
        backend.complete(REQUEST)
        backend.complete(REQUEST)
    assert ["prediction" in body for body in seen] == [True, False, False]  # asked once


def test_an_unreachable_server_is_an_engine_error() -> None:
    with OpenAIBackend(f"http://127.0.0.1:{free_port()}/v1", "tiny") as backend:
        with pytest.raises(EngineError, match="not reachable"):
            backend.check()
        with pytest.raises(EngineError, match="not reachable"):
            backend.complete(REQUEST)


def test_misconfiguration_is_an_engine_error() -> None:
    with pytest.raises(EngineError, match="http"):
        OpenAIBackend("127.0.0.1:8000/v1")
    app, _ = model_server()
    with (
        serve_app(app) as base,
        OpenAIBackend(base + "/v1", "big") as backend,
        pytest.raises(EngineError, match="does not serve 'big'"),
    ):
        backend.check()


@pytest.mark.parametrize(
    ("response", "match"),
    [
        (PlainTextResponse("<html>oops</html>"), "not JSON"),
        (JSONResponse({"detail": "boom"}, 500), "answered 500"),
        (JSONResponse({"choices": []}), "without a choice"),
        (JSONResponse([1, 2]), "unexpected JSON"),
    ],
)
def test_a_server_answering_garbage_is_an_engine_error(response: Any, match: str) -> None:
    async def answer(request: HttpRequest) -> Any:
        return response

    app = Starlette(routes=[Route("/v1/completions", answer, methods=["POST"])])
    with (
        serve_app(app) as base,
        OpenAIBackend(base + "/v1", "tiny") as backend,
        pytest.raises(EngineError, match=match),
    ):
        backend.complete(REQUEST)


def test_a_slow_server_times_out() -> None:
    app, _ = model_server(delay=3.0)
    slow = Request("x", max_tokens=2, timeout_s=0.5)
    with (
        serve_app(app) as base,
        OpenAIBackend(base + "/v1", "tiny") as backend,
        pytest.raises(EngineError, match="did not answer within"),
    ):
        backend.complete(slow)
