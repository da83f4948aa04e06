"""An ASGI middleware that bounds request bodies, checks their UTF-8, and never lets a 500 out.

Bodies are limited twice: by ``Content-Length`` (413 before reading) and by counting the bytes that
actually arrive (413 as soon as the limit is passed, whatever the header said). Anything unexpected
raised below becomes a 502 JSON error, logged without the request's content.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gardefou.gateway.errors import error_body

log = logging.getLogger("gardefou.gateway")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(raw)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": raw})


class BodyGuardMiddleware:
    """Body size limit, UTF-8 check, and the last line of defence against 500s."""

    def __init__(self, app: ASGIApp, max_body_bytes: int = 1_048_576) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("method") not in _BODY_METHODS:
            await self._safe(scope, receive, send)
            return
        too_big = error_body(
            f"request body is larger than {self.max_body_bytes} bytes",
            "invalid_request_error",
            "request_too_large",
        )
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _send_json(
                        send,
                        400,
                        error_body(
                            "invalid Content-Length", "invalid_request_error", "bad_request"
                        ),
                    )
                    return
                if declared > self.max_body_bytes:
                    await _send_json(send, 413, too_big)
                    return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > self.max_body_bytes:
                await _send_json(send, 413, too_big)
                return
            if not message.get("more_body", False):
                break
        try:
            bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            await _send_json(
                send,
                400,
                error_body(
                    "request body is not valid UTF-8", "invalid_request_error", "invalid_utf8"
                ),
            )
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self._safe(scope, replay, send)

    async def _safe(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            path = scope.get("path", "?")
            log.error("unexpected error on %s: %s", path, type(exc).__name__)
            if not started:
                await _send_json(
                    send,
                    502,
                    error_body(
                        "the gateway could not complete the request",
                        "gateway_error",
                        "gateway_error",
                    ),
                )
