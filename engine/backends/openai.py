"""Any OpenAI-compatible server over HTTP (`vllm serve`, llama.cpp's server, a hosted API),
chosen with REDLINE_ENGINE_URL (the base URL, e.g. http://127.0.0.1:8000/v1) and
REDLINE_ENGINE_MODEL.

Two APIs:
- `completions` (the default): the prompt as text, exactly as the local model sees it, so a
  server's prefix cache reuses the stable prefix across findings.
- `chat`: the prefix as the system message, the suffix as the user message, and the original
  region as a `prediction` (OpenAI's predicted outputs) where the server accepts one; a server
  that refuses the field is asked again without it, and not sent it again.

Every failure (unreachable, timeout, an HTTP error, an answer that is not the API's JSON) is
an EngineError naming the server; nothing from httpx escapes.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any, Literal

import httpx

from bot.core.errors import EngineError
from engine.backends.base import Backend, Completion, Cost, FinishReason, Request

Api = Literal["completions", "chat"]


class OpenAIBackend(Backend):
    name = "openai"

    def __init__(
        self,
        url: str,
        model: str = "",
        api: Api = "completions",
        api_key: str | None = None,
        context_window: int = 8192,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise EngineError(f"REDLINE_ENGINE_URL must be an http(s) URL, got {url!r}")
        self.url = url.rstrip("/")
        self.model = model
        self.api: Api = api
        self.context_window = context_window
        self._predictions = True
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(headers=headers, transport=transport, timeout=10.0)

    def _call(self, method: str, path: str, timeout: float, body: Any = None) -> dict[str, Any]:
        try:
            response = self._client.request(method, self.url + path, json=body, timeout=timeout)
        except httpx.TimeoutException as exc:
            raise EngineError(
                f"the engine at {self.url} did not answer within {timeout:g} s"
            ) from exc
        except httpx.HTTPError as exc:
            raise EngineError(f"the engine at {self.url} is not reachable: {exc}") from exc
        if response.status_code >= 400:
            text = response.text.strip().replace("\n", " ")[:300]
            raise EngineError(f"the engine at {self.url} answered {response.status_code}: {text}")
        try:
            data = response.json()
        except ValueError as exc:
            raise EngineError(
                f"the engine at {self.url} answered something that is not JSON"
            ) from exc
        if not isinstance(data, dict):
            raise EngineError(f"the engine at {self.url} answered an unexpected JSON value")
        return data

    def check(self) -> None:
        data = self._call("GET", "/models", 5.0)
        names = [str(m.get("id")) for m in data.get("data", []) if isinstance(m, dict)]
        if not self.model:
            if not names:
                raise EngineError(f"the engine at {self.url} serves no model")
            self.model = names[0]
        elif names and self.model not in names:
            raise EngineError(
                f"the engine at {self.url} does not serve {self.model!r} (it serves "
                f"{', '.join(names[:5])})"
            )

    def _body(self, request: Request) -> tuple[str, dict[str, Any]]:
        common: dict[str, Any] = {
            "model": self.model,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
        }
        if request.stop:
            common["stop"] = list(request.stop)
        if request.json_schema is not None:
            import json

            common["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": json.loads(request.json_schema)},
            }
        if self.api == "completions":
            return "/completions", {**common, "prompt": request.prompt}
        messages = [{"role": "system", "content": request.prefix}]
        messages.append({"role": "user", "content": request.suffix or " "})
        body = {**common, "messages": messages}
        if request.draft and self._predictions:
            body["prediction"] = {"type": "content", "content": request.draft}
        return "/chat/completions", body

    def complete(self, request: Request) -> Completion:
        if not self.model:
            self.check()
        started = time.perf_counter()
        path, body = self._body(request)
        try:
            data = self._call("POST", path, request.timeout_s, body)
        except EngineError as exc:
            if "prediction" not in body or "prediction" not in str(exc).lower():
                raise
            self._predictions = False  # this server does not take predicted outputs
            body.pop("prediction")
            data = self._call("POST", path, request.timeout_s, body)
        return self._completion(data, time.perf_counter() - started)

    def _completion(self, data: dict[str, Any], wall: float) -> Completion:
        try:
            choice = data["choices"][0]
            text = choice["text"] if self.api == "completions" else choice["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise EngineError(f"the engine at {self.url} answered without a choice") from exc
        if not isinstance(text, str):
            text = ""
        usage = data.get("usage") or {}
        details = usage.get("completion_tokens_details") or {}
        prompt_details = usage.get("prompt_tokens_details") or {}
        accepted = int(details.get("accepted_prediction_tokens") or 0)
        rejected = int(details.get("rejected_prediction_tokens") or 0)
        cost = Cost(
            generated_tokens=int(usage.get("completion_tokens") or 0),
            drafted_tokens=accepted + rejected,
            accepted_tokens=accepted,
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            cached_tokens=int(prompt_details.get("cached_tokens") or 0),
            wall_s=wall,
            speculation="server",
        )
        finish: FinishReason = "length" if choice.get("finish_reason") == "length" else "stop"
        return Completion(text, finish, cost)

    def warm(self, prefix: str) -> None:
        """One token on the prefix, so the server's prefix cache holds it."""
        # Warming is an optimisation; the real requests report their own failures.
        with contextlib.suppress(EngineError):
            self.complete(Request(prefix, max_tokens=1, timeout_s=30.0))

    def close(self) -> None:
        self._client.close()
