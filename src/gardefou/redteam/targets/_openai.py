"""An OpenAI-compatible chat endpoint (vLLM, llama.cpp, Ollama, the gardefou gateway...).

Retries connection errors, timeouts and 5xx with exponential backoff; on 429 it waits for
``Retry-After`` (capped by ``max_wait``). A ``content_filter`` finish reason or a 400
``content_policy_violation`` counts as blocked.
"""

from __future__ import annotations

import email.utils
import os
import random
import time
from collections.abc import Callable
from typing import Any

import httpx

from gardefou.errors import ConfigError
from gardefou.redteam.attacks import Message
from gardefou.redteam.targets._base import Response, target

_BLOCK_CODES = ("content_policy_violation", "content_filter", "content_blocked")


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _is_policy_block(body: Any) -> bool:
    if not isinstance(body, dict):
        return False
    err = body.get("error")
    if not isinstance(err, dict):
        return False
    return any(str(err.get(k, "")) in _BLOCK_CODES for k in ("code", "type"))


@target("openai")
class OpenAITarget:
    """Chat completions from an OpenAI-compatible server.

    The API key comes from ``api_key`` or the environment variable named by ``api_key_env``.
    """

    self_judging = False
    max_concurrency: int | None = None

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000/v1",
        model: str = "default",
        *,
        api_key: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        temperature: float = 0.0,
        max_tokens: int = 512,
        system: str | None = None,
        timeout: float = 60.0,
        retries: int = 4,
        backoff: float = 1.0,
        max_wait: float = 60.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"openai target: base_url must start with http:// or https://: {base_url}"
            )
        self.name = "openai"
        self.model = model
        self.temperature = float(temperature)
        self.max_tokens = int(max_tokens)
        self.system = system
        self.retries = int(retries)
        self.backoff = float(backoff)
        self.max_wait = float(max_wait)
        self._sleep = sleep
        key = api_key if api_key is not None else os.environ.get(api_key_env, "")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"), headers=headers, timeout=timeout, transport=transport
        )

    def _payload(self, messages: list[Message]) -> dict[str, Any]:
        chat: list[Message] = [{"role": "system", "content": self.system}] if self.system else []
        return {
            "model": self.model,
            "messages": [*chat, *messages],
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }

    def _wait(self, attempt: int, retry_after: float | None) -> None:
        if retry_after is not None:
            delay = min(retry_after, self.max_wait)
        else:
            delay = min(self.backoff * 2**attempt * (0.5 + random.random() / 2), self.max_wait)
        self._sleep(delay)

    def generate(self, messages: list[Message]) -> Response:
        payload = self._payload(messages)
        last_error = "no attempt made"
        for attempt in range(self.retries + 1):
            retry_after: float | None = None
            try:
                resp = self._client.post("/chat/completions", json=payload)
            except httpx.TimeoutException:
                last_error = "request timed out"
            except httpx.HTTPError as exc:
                last_error = f"connection error: {type(exc).__name__}"
            else:
                if resp.status_code == 200:
                    return self._parse(resp)
                body = _json_or_none(resp)
                if resp.status_code == 400 and _is_policy_block(body):
                    return Response(
                        blocked=True, detail={"status": 400, "reason": "content_policy"}
                    )
                last_error = f"HTTP {resp.status_code}"
                if resp.status_code == 429:
                    retry_after = retry_after_seconds(resp.headers.get("retry-after"))
                elif resp.status_code < 500:
                    return Response(error=last_error)
            if attempt < self.retries:
                self._wait(attempt, retry_after)
        return Response(error=f"{last_error} after {self.retries + 1} attempts")

    def _parse(self, resp: httpx.Response) -> Response:
        body = _json_or_none(resp)
        try:
            choice = body["choices"][0]
            text = choice["message"].get("content") or ""
            finish = choice.get("finish_reason")
        except (KeyError, IndexError, TypeError, AttributeError):
            return Response(error="malformed response: no choices[0].message")
        usage = body.get("usage") or {}
        return Response(
            text=str(text),
            blocked=finish == "content_filter",
            tokens_in=int(usage.get("prompt_tokens") or 0),
            tokens_out=int(usage.get("completion_tokens") or 0),
            detail={"finish_reason": finish},
        )

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()


def _json_or_none(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None
