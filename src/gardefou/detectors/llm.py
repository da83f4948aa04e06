"""The ``llm`` detector: a guard LLM (Llama Guard 3, ShieldGemma, WildGuard) behind an
OpenAI-compatible endpoint (vLLM, llama.cpp server, Ollama).

Each text becomes one or more requests (see ``_llm_formats``), sent concurrently (bounded by
``max_concurrency``) with httpx and explicit timeouts. When the server returns log-probabilities
the score is the probability of the unsafe answer token; otherwise the verdict maps to 0.99 / 0.01.

Errors: transport failures, timeouts, HTTP errors and malformed JSON raise ``UpstreamError``; an
answer the format cannot parse raises ``DetectorError``. The guard fails closed on both by policy.
Neither the API key nor the user's text ever appears in an error or a log line.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Any

import httpx

from gardefou.detectors._llm_formats import (
    FORMATS,
    SHIELDGEMMA_HARMS,
    Completion,
    GuardFormat,
    Query,
    ShieldGemma,
)
from gardefou.detectors.base import Direction, Scores, detectors
from gardefou.errors import ConfigError, UnknownNameError, UpstreamError

__all__ = ["LLMDetector"]

log = logging.getLogger(__name__)

_TOP_LOGPROBS = 5


class LLMDetector:
    """Scores texts with a guard LLM served by an OpenAI-compatible API.

    Options: ``base_url`` (e.g. ``http://127.0.0.1:8000/v1``), ``model``, ``format``
    (``llama-guard-3`` | ``shieldgemma`` | ``wildguard``), ``api_key`` or ``api_key_env`` (name of
    an environment variable), ``timeout`` (read/write/pool seconds), ``connect_timeout``,
    ``max_concurrency`` (requests in flight), ``use_chat`` (``/chat/completions`` with messages
    instead of ``/completions`` with the format's raw prompt), ``logprobs`` (ask for token
    log-probabilities), ``harms`` (ShieldGemma harm types to query; default all four).
    """

    name = "llm"

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        format: str = "llama-guard-3",
        api_key: str | None = None,
        api_key_env: str | None = None,
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        max_concurrency: int = 4,
        use_chat: bool = False,
        logprobs: bool = True,
        harms: Sequence[str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ConfigError(
                "llm: 'base_url' must be an http(s) URL, e.g. http://127.0.0.1:8000/v1"
            )
        if not model:
            raise ConfigError("llm: 'model' is required (the served model name)")
        if format not in FORMATS:
            raise UnknownNameError("guard LLM format", format, list(FORMATS))
        if timeout <= 0 or connect_timeout <= 0:
            raise ConfigError("llm: 'timeout' and 'connect_timeout' must be positive")
        if max_concurrency < 1:
            raise ConfigError("llm: 'max_concurrency' must be at least 1")
        if api_key is not None and api_key_env is not None:
            raise ConfigError("llm: give 'api_key' or 'api_key_env', not both")
        if api_key_env is not None:
            api_key = os.environ.get(api_key_env)
            if not api_key:
                raise ConfigError(f"llm: environment variable {api_key_env} is not set")
        if harms is not None and format != "shieldgemma":
            raise ConfigError("llm: 'harms' applies to format 'shieldgemma' only")
        for harm in harms or ():
            if harm not in SHIELDGEMMA_HARMS:
                raise UnknownNameError("ShieldGemma harm type", harm, list(SHIELDGEMMA_HARMS))
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.format = format
        self.api_key_env = api_key_env
        self.timeout = float(timeout)
        self.connect_timeout = float(connect_timeout)
        self.max_concurrency = int(max_concurrency)
        self.use_chat = bool(use_chat)
        self.logprobs = bool(logprobs)
        self.harms = tuple(harms) if harms else None
        self._api_key = api_key
        self._transport = transport
        self._format: GuardFormat = (
            ShieldGemma(self.harms) if format == "shieldgemma" else FORMATS[format]()
        )
        self._client: httpx.Client | None = None
        self._where = _describe_url(self.base_url)

    # -- lifecycle -----------------------------------------------------------------------------

    def _http(self) -> httpx.Client:
        if self._client is None:
            headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
            self._client = httpx.Client(
                headers=headers,
                timeout=httpx.Timeout(self.timeout, connect=self.connect_timeout),
                transport=self._transport,
                limits=httpx.Limits(max_connections=self.max_concurrency),
            )
        return self._client

    def close(self) -> None:
        """Close the HTTP connection pool (it is reopened on the next ``score``)."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> LLMDetector:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        key = "set" if self._api_key else "none"
        return (
            f"LLMDetector(base_url={self._where!r}, model={self.model!r}, "
            f"format={self.format!r}, use_chat={self.use_chat}, api_key={key})"
        )

    # -- scoring -------------------------------------------------------------------------------

    def score(self, texts: Sequence[str], direction: Direction = "input") -> list[Scores]:
        """Per text: ``unsafe`` and the S-codes the guard model names, as probabilities."""
        if direction not in ("input", "output"):
            raise ConfigError(f"direction must be 'input' or 'output', got {direction!r}")
        per_text = [self._format.queries(t, direction) for t in texts]
        flat = [q for qs in per_text for q in qs]
        if not flat:
            return []
        log.debug("llm: %d text(s), %d request(s) to %s", len(texts), len(flat), self._where)
        answers = self._run(flat)
        out: list[Scores] = []
        pos = 0
        for qs in per_text:
            out.append(self._format.scores(answers[pos : pos + len(qs)], direction))
            pos += len(qs)
        return out

    def _run(self, queries: list[Query]) -> list[Completion]:
        if len(queries) == 1 or self.max_concurrency == 1:
            return [self._ask(q) for q in queries]
        pool = ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(queries)))
        try:
            futures = [pool.submit(self._ask, q) for q in queries]
            return [f.result() for f in futures]
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _ask(self, query: Query) -> Completion:
        body: dict[str, Any] = {
            "model": self.model,
            "max_tokens": query.max_tokens,
            "temperature": 0.0,
        }
        if self.use_chat:
            path = "/chat/completions"
            body["messages"] = [dict(m) for m in query.messages]
            if self.logprobs:
                body.update(logprobs=True, top_logprobs=_TOP_LOGPROBS)
        else:
            path = "/completions"
            body["prompt"] = query.prompt
            if self.logprobs:
                body["logprobs"] = _TOP_LOGPROBS
        try:
            resp = self._http().post(self.base_url + path, json=body)
        except httpx.TimeoutException:
            raise UpstreamError(
                f"guard LLM at {self._where} timed out (timeout {self.timeout:g}s)", timeout=True
            ) from None
        except httpx.HTTPError as exc:
            raise UpstreamError(
                f"guard LLM at {self._where} unreachable ({type(exc).__name__})"
            ) from None
        if resp.status_code >= 400:
            raise UpstreamError(
                f"guard LLM at {self._where} answered HTTP {resp.status_code}",
                status_code=resp.status_code,
            )
        try:
            data = resp.json()
        except ValueError:
            raise UpstreamError(f"guard LLM at {self._where} answered invalid JSON") from None
        return parse_completion(data, chat=self.use_chat, where=self._where)


def _describe_url(url: str) -> str:
    """Scheme, host and port only (a URL may carry credentials)."""
    try:
        u = httpx.URL(url)
    except Exception:  # httpx raises InvalidURL and others
        return "<invalid url>"
    port = f":{u.port}" if u.port else ""
    return f"{u.scheme}://{u.host}{port}"


def parse_completion(data: Any, *, chat: bool, where: str = "upstream") -> Completion:
    """A ``Completion`` from an OpenAI-style (chat) completion response body."""
    try:
        choice = data["choices"][0]
        text = choice["message"]["content"] if chat else choice["text"]
    except (KeyError, IndexError, TypeError):
        raise UpstreamError(f"guard LLM at {where} answered an unexpected JSON shape") from None
    if not isinstance(text, str):
        raise UpstreamError(f"guard LLM at {where} answered without text content")
    try:
        tokens, top = _chat_logprobs(choice) if chat else _completion_logprobs(choice)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        tokens, top = (), ()  # unusable log-probs: fall back to the verdict
    return Completion(text, tokens, top)


def _chat_logprobs(
    choice: Mapping[str, Any],
) -> tuple[tuple[str, ...], tuple[dict[str, float], ...]]:
    content = (choice.get("logprobs") or {}).get("content") or []
    tokens: list[str] = []
    tops: list[dict[str, float]] = []
    for item in content:
        top = {str(t["token"]): float(t["logprob"]) for t in item.get("top_logprobs") or []}
        top.setdefault(str(item["token"]), float(item["logprob"]))
        tokens.append(str(item["token"]))
        tops.append(top)
    return tuple(tokens), tuple(tops)


def _completion_logprobs(
    choice: Mapping[str, Any],
) -> tuple[tuple[str, ...], tuple[dict[str, float], ...]]:
    lp = choice.get("logprobs") or {}
    tokens = [str(t) for t in lp.get("tokens") or []]
    chosen = lp.get("token_logprobs") or [None] * len(tokens)
    tops_raw = lp.get("top_logprobs") or [None] * len(tokens)
    tops: list[dict[str, float]] = []
    for token, logprob, raw in zip(tokens, chosen, tops_raw, strict=True):
        top = {str(k): float(v) for k, v in (raw or {}).items()}
        if logprob is not None:
            top.setdefault(token, float(logprob))
        tops.append(top)
    return tuple(tokens), tuple(tops)


detectors.register("llm")(LLMDetector)
