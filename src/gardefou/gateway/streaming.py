"""Streaming answers: relay the upstream's SSE chunks, checking the accumulated text as it grows.

Chunks are held back until the text they carry has been checked: every ``guard.stream_check_chars``
new characters, the last ``guard.stream_window_chars`` characters of the answer (always including
every character not yet checked) are checked, and the whole answer once more at the end; only then
are the held chunks released, in one write. A long answer is thus never re-checked whole at each
step (the cost stays linear in its length), and an answer up to the window's length is checked whole
every time. When the text turns unsafe, nothing more is forwarded: a final chunk with
``finish_reason: "content_filter"`` is sent, then ``data: [DONE]``, and the stream closes cleanly.
Malformed upstream chunks are dropped (they cannot be checked); a broken upstream stream ends with an
SSE error event.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
from fastapi.responses import StreamingResponse

from gardefou.gateway.errors import sse_error
from gardefou.gateway.ratelimit import estimate_tokens
from gardefou.gateway.responses import (
    DONE,
    Kind,
    delta_text,
    gardefou_info,
    stream_chunk,
    total_tokens,
)
from gardefou.gateway.state import GatewayState, RequestRecord
from gardefou.gateway.upstream import iter_sse_data

log = logging.getLogger("gardefou.gateway")


class _StreamMeta:
    def __init__(self, kind: Kind, model: str) -> None:
        self.kind = kind
        self.id = f"{'chatcmpl' if kind == 'chat' else 'cmpl'}-gf{int(time.time() * 1000)}"
        self.model = model
        self.created = int(time.time())

    def learn(self, chunk: dict[str, Any]) -> None:
        if isinstance(chunk.get("id"), str):
            self.id = chunk["id"]
        if isinstance(chunk.get("model"), str):
            self.model = chunk["model"]
        if isinstance(chunk.get("created"), int):
            self.created = chunk["created"]


async def relay_stream(
    state: GatewayState, rec: RequestRecord, kind: Kind, path: str, payload: dict[str, Any]
) -> StreamingResponse:
    """Open the upstream stream (errors raise before any byte is sent) and relay it, guarded."""
    start = time.perf_counter()
    resp = await state.upstream.open_stream(path, payload)
    rec.upstream_status = resp.status_code
    rec.handed_off = True
    meta = _StreamMeta(kind, str(payload.get("model", "")))
    return StreamingResponse(
        _relay(state, rec, kind, resp, meta, start),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _relay(
    state: GatewayState,
    rec: RequestRecord,
    kind: Kind,
    resp: httpx.Response,
    meta: _StreamMeta,
    start: float,
) -> AsyncIterator[bytes]:
    tier = rec.caller.tier
    settings = state.config.guard
    every, window = settings.stream_check_chars, settings.stream_window_chars
    held: list[bytes] = []
    text = ""
    checked = 0  # text[:checked] has been checked (in a window or in full)
    whole = False  # whether the last check covered the whole text
    usage: int | None = None
    malformed = 0

    async def is_unsafe(full: bool) -> bool:
        """Check the last ``window`` characters (with every unchecked one), or the whole text."""
        nonlocal checked, whole
        begin = 0 if full else max(0, min(len(text) - window, checked))
        checked, whole = len(text), begin == 0
        if not settings.check_output or not text:
            return False
        verdicts, ms = await state.guards.check_texts(
            tier.policy, [text[begin:]], "output", tier.fail_open
        )
        rec.add_verdict(verdicts[0], ms, state)
        return not verdicts[0].allowed

    def content_filter_end() -> bytes:
        assert rec.output_verdict is not None
        info = {"gardefou": gardefou_info(rec.output_verdict)}
        end = stream_chunk(kind, meta.id, meta.model, meta.created, None, "content_filter", info)
        return end + DONE

    try:
        try:
            async for data in iter_sse_data(resp):
                if data == b"[DONE]":
                    break
                try:
                    chunk = json.loads(data)
                except ValueError:
                    malformed += 1
                    continue
                if not isinstance(chunk, dict):
                    malformed += 1
                    continue
                if "error" in chunk:
                    rec.error = "upstream_error: stream"
                    if await is_unsafe(full=True):
                        yield content_filter_end()
                        return
                    yield b"".join(
                        [*held, sse_error("the upstream model server failed mid-stream"), DONE]
                    )
                    return
                meta.learn(chunk)
                usage = total_tokens(chunk) or usage
                text += delta_text(kind, chunk)
                held.append(b"data: " + data + b"\n\n")
                if len(text) - checked >= every:
                    if await is_unsafe(full=False):
                        yield content_filter_end()
                        return
                    yield b"".join(held)  # one write for every chunk released by this check
                    held = []
        except httpx.HTTPError as exc:
            rec.error = "upstream_broken: stream"
            state.metrics.errors.labels("upstream").inc()
            log.warning("upstream stream broke (%s)", type(exc).__name__)
            if await is_unsafe(full=True):
                yield content_filter_end()
                return
            code = (
                "upstream_timeout" if isinstance(exc, httpx.TimeoutException) else "upstream_error"
            )
            interrupted = sse_error("the upstream model server stream was interrupted", code=code)
            yield b"".join([*held, interrupted, DONE])
            return
        done = whole and checked == len(text) and rec.output_verdict is not None
        if not done and await is_unsafe(full=True):  # the whole answer, once, at the end
            yield content_filter_end()
            return
        yield b"".join([*held, DONE])
    finally:
        rec.upstream_ms = (time.perf_counter() - start) * 1000
        rec.response = text
        if malformed:
            log.warning("dropped %d malformed upstream chunks", malformed)
        rec.finish(state)
        with anyio.CancelScope(shield=True):  # the client may have gone: still settle up
            await state.limiter.add_tokens(
                rec.caller.limit_key,
                tier.rate_limit,
                usage if usage is not None else estimate_tokens((rec.prompt or "") + text),
            )
            await resp.aclose()
