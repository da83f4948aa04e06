"""The upstream model server: one pooled ``httpx.AsyncClient`` per app, errors mapped to 502/504.

Only idempotent GETs are retried; a POST that failed may already have been processed upstream.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from gardefou.gateway.config import UpstreamConfig
from gardefou.gateway.errors import GatewayHTTPError


@dataclass
class UpstreamReply:
    """A non-streaming upstream answer."""

    status: int
    body: Any
    latency_ms: float
    raw: bytes = b""


def _timeout_error() -> GatewayHTTPError:
    return GatewayHTTPError(
        504, "the upstream model server timed out", type_="upstream_error", code="upstream_timeout"
    )


def _connect_error(exc: Exception) -> GatewayHTTPError:
    return GatewayHTTPError(
        502,
        f"the upstream model server is unreachable ({type(exc).__name__})",
        type_="upstream_error",
        code="upstream_unreachable",
    )


def passthrough_error(status: int, body: Any) -> GatewayHTTPError:
    """An upstream error answer turned into ours: 4xx passed on, 5xx (and anything odd) → 502."""
    message = "the upstream model server returned an error"
    code: str | None = None
    type_ = "upstream_error"
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        message = str(err.get("message") or message)[:500]
        code = err.get("code") if isinstance(err.get("code"), str) else None
        type_ = str(err.get("type") or type_)
    if 400 <= status < 500:
        return GatewayHTTPError(status, message, type_=type_, code=code)
    return GatewayHTTPError(
        502, f"upstream error {status}: {message}", type_="upstream_error", code="upstream_error"
    )


class Upstream:
    """Talks to the upstream OpenAI-compatible API."""

    def __init__(self, config: UpstreamConfig, transport: httpx.AsyncBaseTransport | None = None):
        self.config = config
        headers = {}
        if config.api_key_env:
            key = os.environ.get(config.api_key_env)
            if key:
                headers["Authorization"] = f"Bearer {key}"
        limits = httpx.Limits(
            max_connections=config.max_connections,
            max_keepalive_connections=config.max_connections,
        )
        self._urls: dict[str, httpx.URL] = {}
        self.client = httpx.AsyncClient(
            base_url=config.base_url.rstrip("/") + "/",
            headers=headers,
            timeout=httpx.Timeout(config.timeout_s, connect=config.connect_timeout_s),
            limits=limits,
            transport=transport,
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.client.aclose()

    async def get_json(self, path: str) -> UpstreamReply:
        """GET with retries (idempotent): transport errors are retried with a short backoff."""
        attempts = self.config.get_retries + 1
        for attempt in range(attempts):
            start = time.perf_counter()
            try:
                resp = await self.client.get(path)
            except httpx.TimeoutException:
                if attempt + 1 >= attempts:
                    raise _timeout_error() from None
            except httpx.TransportError as exc:
                if attempt + 1 >= attempts:
                    raise _connect_error(exc) from None
            else:
                if resp.status_code >= 500 and attempt + 1 < attempts:
                    await asyncio.sleep(0.05 * (attempt + 1))
                    continue
                return UpstreamReply(resp.status_code, _json_or_none(resp), _ms(start))
            await asyncio.sleep(0.05 * (attempt + 1))
        raise _connect_error(RuntimeError("retries exhausted"))  # pragma: no cover

    def _url(self, path: str) -> httpx.URL:
        """The absolute URL of ``path``, parsed once (httpx's URL parsing is not free)."""
        url = self._urls.get(path)
        if url is None:
            url = self._urls[path] = self.client.base_url.join(path)
        return url

    def _build_post(self, path: str, payload: dict[str, Any]) -> httpx.Request:
        try:
            return self.client.build_request("POST", self._url(path), json=payload)
        except (ValueError, TypeError):  # e.g. Infinity/NaN numbers: not valid JSON upstream
            raise GatewayHTTPError(
                400,
                "the request contains values that are not valid JSON (NaN or Infinity)",
                code="invalid_json",
            ) from None

    async def post_json(self, path: str, payload: dict[str, Any]) -> UpstreamReply:
        """POST once (never retried); the reply status is left to the caller."""
        request = self._build_post(path, payload)
        start = time.perf_counter()
        try:
            resp = await self.client.send(request)
        except httpx.TimeoutException:
            raise _timeout_error() from None
        except httpx.TransportError as exc:
            raise _connect_error(exc) from None
        return UpstreamReply(resp.status_code, _json_or_none(resp), _ms(start), resp.content)

    async def open_stream(self, path: str, payload: dict[str, Any]) -> httpx.Response:
        """Start a streaming POST; raises GatewayHTTPError when the upstream refuses or fails.

        The caller must close the returned response (``await resp.aclose()``).
        """
        request = self._build_post(path, payload)
        try:
            resp = await self.client.send(request, stream=True)
        except httpx.TimeoutException:
            raise _timeout_error() from None
        except httpx.TransportError as exc:
            raise _connect_error(exc) from None
        if resp.status_code >= 400:
            try:
                raw = await resp.aread()
            except httpx.HTTPError:
                raw = b""
            finally:
                await resp.aclose()
            raise passthrough_error(resp.status_code, _loads(raw))
        return resp


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def _loads(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None


def _json_or_none(resp: httpx.Response) -> Any:
    return _loads(resp.content)


async def iter_sse_data(resp: httpx.Response) -> AsyncIterator[bytes]:
    """The ``data:`` payloads of an SSE stream, as bytes, one per ``data:`` line.

    Lines may end with LF, CRLF or CR; comments and other fields are skipped. Working on bytes
    spares a decode and an encode per chunk (the payload is relayed as it came).
    """
    buffer = b""
    async for piece in resp.aiter_bytes():
        buffer += piece
        lines = buffer.splitlines(keepends=True)
        buffer = lines.pop() if lines and not lines[-1].endswith((b"\n", b"\r")) else b""
        for line in lines:
            if line.startswith(b"data:"):
                yield line[5:].strip()
    if buffer.startswith(b"data:"):
        yield buffer[5:].strip()
