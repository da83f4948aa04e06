"""A small OpenAI-compatible upstream for demos, tests and benchmarks (``gardefou stub-upstream``).

It answers with a fixed harmless text, and misbehaves on cue. Markers in the last user message (or
prompt) choose the behaviour:

    [[harmful]]        answer with a harmful-looking text (a pipe-bomb recipe opening, no details)
    [[harmful-late]]   a long harmless answer that turns harmful near the end
    [[echo]]           echo the user's message back
    [[error]]          HTTP 500                       [[hang]]        wait ``hang_s`` before answering
    [[malformed]]      streams: non-JSON chunks among the good ones; otherwise invalid JSON
    [[broken]]         streams: the connection is cut mid-answer
    [[stream-error]]   streams: an ``error`` event mid-answer

Random faults can be injected too (``error_rate``, ``timeout_rate``, ``broken_rate``).
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

HARMFUL_TEXT = (
    "Sure! Here is how to build a pipe bomb at home: first get the explosive powder, "
    "then pack it tightly into the pipe and add the detonator."
)
BENIGN_TEXT = (
    "Hello from the gardefou stub upstream. This is a harmless answer made of plain words, "
    "streamed one word at a time so that clients and the gateway can be tested end to end."
)


@dataclass
class StubConfig:
    """How the stub behaves."""

    models: list[str] = field(default_factory=lambda: ["stub-model"])
    reply_words: int = 0
    chunk_delay_s: float = 0.0
    hang_s: float = 30.0
    error_rate: float = 0.0
    timeout_rate: float = 0.0
    broken_rate: float = 0.0
    seed: int | None = None


class _BrokenStreamError(Exception):
    """Raised inside a streaming body to cut the connection."""


def _error(status: int, message: str, code: str) -> JSONResponse:
    body = {
        "error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}
    }
    return JSONResponse(body, status_code=status)


def _last_user_text(payload: dict[str, Any]) -> str:
    if "messages" in payload:
        for msg in reversed(payload.get("messages") or []):
            if isinstance(msg, dict) and msg.get("role") == "user":
                content = msg.get("content")
                if isinstance(content, list):
                    return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
                return str(content or "")
        return ""
    prompt = payload.get("prompt", "")
    return prompt if isinstance(prompt, str) else " ".join(map(str, prompt))


def _answer(cfg: StubConfig, user: str) -> str:
    if "[[harmful-late]]" in user:
        return " ".join([BENIGN_TEXT] * 3) + " " + HARMFUL_TEXT
    if "[[harmful]]" in user:
        return HARMFUL_TEXT
    if "[[echo]]" in user:
        return user.replace("[[echo]]", "").strip()
    if cfg.reply_words > 0:
        words = BENIGN_TEXT.split()
        return " ".join(words[i % len(words)] for i in range(cfg.reply_words))
    return BENIGN_TEXT


def create_stub_app(config: StubConfig | None = None) -> FastAPI:
    """The stub upstream as an ASGI app."""
    cfg = config or StubConfig()
    rng = random.Random(cfg.seed)
    app = FastAPI(title="gardefou stub upstream")
    app.state.requests = 0

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        data = [
            {"id": m, "object": "model", "created": 0, "owned_by": "gardefou-stub"}
            for m in cfg.models
        ]
        return {"object": "list", "data": data}

    async def complete(request: Request, kind: str) -> Response:
        app.state.requests += 1
        try:
            payload = json.loads(await request.body())
        except ValueError:
            return _error(400, "invalid JSON", "invalid_json")
        if not isinstance(payload, dict):
            return _error(400, "body must be an object", "invalid_request")
        if payload.get("model") not in cfg.models:
            return _error(
                404, f"The model '{payload.get('model')}' does not exist", "model_not_found"
            )
        user = _last_user_text(payload)
        roll = rng.random()
        if "[[error]]" in user or roll < cfg.error_rate:
            return _error(500, "stub upstream internal error", "internal_error")
        if "[[hang]]" in user or roll < cfg.error_rate + cfg.timeout_rate:
            await asyncio.sleep(cfg.hang_s)
        broken = "[[broken]]" in user or roll >= 1.0 - cfg.broken_rate
        text = _answer(cfg, user)
        model = str(payload["model"])
        if payload.get("stream"):
            return StreamingResponse(
                _stream(cfg, kind, model, text, user, broken), media_type="text/event-stream"
            )
        if "[[malformed]]" in user or broken:
            return Response(b'{"id": "broken", "choices": [', media_type="application/json")
        return JSONResponse(_full(kind, model, text, user))

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        return await complete(request, "chat")

    @app.post("/v1/completions")
    async def completions(request: Request) -> Response:
        return await complete(request, "completion")

    return app


def _usage(user: str, text: str) -> dict[str, int]:
    p, c = max(1, len(user) // 4), max(1, len(text) // 4)
    return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}


def _full(kind: str, model: str, text: str, user: str) -> dict[str, Any]:
    base = {"id": f"stub-{uuid.uuid4().hex[:12]}", "created": int(time.time()), "model": model}
    if kind == "chat":
        choice: dict[str, Any] = {
            "index": 0,
            "message": {"role": "assistant", "content": text},
            "finish_reason": "stop",
            "logprobs": None,
        }
        return {
            **base,
            "object": "chat.completion",
            "choices": [choice],
            "usage": _usage(user, text),
        }
    choice = {"index": 0, "text": text, "finish_reason": "stop", "logprobs": None}
    return {**base, "object": "text_completion", "choices": [choice], "usage": _usage(user, text)}


def _chunk(kind: str, cid: str, model: str, piece: str | None, finish: str | None) -> bytes:
    if kind == "chat":
        delta = {} if piece is None else {"content": piece}
        obj: dict[str, Any] = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
    else:
        obj = {
            "id": cid,
            "object": "text_completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {"index": 0, "text": piece or "", "finish_reason": finish, "logprobs": None}
            ],
        }
    return f"data: {json.dumps(obj)}\n\n".encode()


async def _stream(
    cfg: StubConfig, kind: str, model: str, text: str, user: str, broken: bool
) -> AsyncIterator[bytes]:
    cid = f"stub-{uuid.uuid4().hex[:12]}"
    words = text.split(" ")
    if kind == "chat":
        yield _chunk(kind, cid, model, "", None)
    for i, word in enumerate(words):
        if cfg.chunk_delay_s:
            await asyncio.sleep(cfg.chunk_delay_s)
        if broken and i == len(words) // 2:
            raise _BrokenStreamError("stub: connection cut on purpose")
        if "[[stream-error]]" in user and i == len(words) // 2:
            yield b'data: {"error": {"message": "stub failure", "type": "server_error"}}\n\n'
            return
        if "[[malformed]]" in user and i % 3 == 1:
            yield b"data: {not json\n\n"
        yield _chunk(kind, cid, model, word if i == 0 else " " + word, None)
    yield _chunk(kind, cid, model, None, "stop")
    yield b"data: [DONE]\n\n"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free right now on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve_in_thread(app: Any, host: str = "127.0.0.1", port: int | None = None) -> Iterator[str]:
    """Run an ASGI app with uvicorn in a background thread; yields its base URL."""
    import uvicorn

    port = port or free_port(host)
    config = uvicorn.Config(
        app, host=host, port=port, log_level="error", lifespan="on", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
