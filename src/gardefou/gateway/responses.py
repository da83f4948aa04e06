"""OpenAI-shaped bodies the gateway writes itself: refusals and ``content_filter`` stream chunks."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Literal

from gardefou.gateway.errors import GatewayHTTPError
from gardefou.guard import Verdict

Kind = Literal["chat", "completion"]


def gardefou_info(verdict: Verdict) -> dict[str, Any]:
    """The extra ``gardefou`` field attached to blocked answers."""
    return {
        "blocked": True,
        "direction": verdict.direction,
        "categories": list(verdict.triggered),
        "policy": verdict.policy,
    }


def blocked_error(verdict: Verdict) -> GatewayHTTPError:
    """HTTP 400 ``content_policy_violation`` (the ``blocked_response: error`` mode)."""
    cats = ", ".join(verdict.triggered) or ("guard failure" if verdict.error else "unsafe")
    where = "request" if verdict.direction == "input" else "model answer"
    return GatewayHTTPError(
        400,
        f"the {where} was blocked by the safety policy ({cats})",
        type_="invalid_request_error",
        code="content_policy_violation",
    )


def refusal_body(kind: Kind, model: str, message: str, verdict: Verdict) -> dict[str, Any]:
    """A complete (non-streaming) answer carrying the refusal, ``finish_reason: content_filter``."""
    created = int(time.time())
    usage = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
    if kind == "chat":
        return {
            "id": f"chatcmpl-gf{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": message},
                    "finish_reason": "content_filter",
                    "logprobs": None,
                }
            ],
            "usage": usage,
            "gardefou": gardefou_info(verdict),
        }
    return {
        "id": f"cmpl-gf{uuid.uuid4().hex[:24]}",
        "object": "text_completion",
        "created": created,
        "model": model,
        "choices": [
            {"index": 0, "text": message, "finish_reason": "content_filter", "logprobs": None}
        ],
        "usage": usage,
        "gardefou": gardefou_info(verdict),
    }


def stream_chunk(
    kind: Kind,
    chunk_id: str,
    model: str,
    created: int,
    text: str | None,
    finish_reason: str | None,
    extra: dict[str, Any] | None = None,
) -> bytes:
    """One SSE event with one chunk."""
    if kind == "chat":
        delta: dict[str, Any] = {} if text is None else {"role": "assistant", "content": text}
        choice: dict[str, Any] = {"index": 0, "delta": delta, "finish_reason": finish_reason}
        obj: dict[str, Any] = {
            "id": chunk_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [choice],
        }
    else:
        obj = {
            "id": chunk_id,
            "object": "text_completion",
            "created": created,
            "model": model,
            "choices": [
                {"index": 0, "text": text or "", "finish_reason": finish_reason, "logprobs": None}
            ],
        }
    if extra:
        obj.update(extra)
    return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n".encode()


DONE = b"data: [DONE]\n\n"


def refusal_stream(kind: Kind, model: str, message: str, verdict: Verdict) -> list[bytes]:
    """The whole SSE stream for a request blocked before reaching the model."""
    prefix = "chatcmpl" if kind == "chat" else "cmpl"
    chunk_id = f"{prefix}-gf{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    return [
        stream_chunk(kind, chunk_id, model, created, message, None),
        stream_chunk(
            kind,
            chunk_id,
            model,
            created,
            None,
            "content_filter",
            {"gardefou": gardefou_info(verdict)},
        ),
        DONE,
    ]


def answer_texts(kind: Kind, body: Any) -> list[str]:
    """The texts of an upstream answer's choices (empty when the shape is unexpected)."""
    if not isinstance(body, dict) or not isinstance(body.get("choices"), list):
        return []
    out: list[str] = []
    for choice in body["choices"]:
        if not isinstance(choice, dict):
            continue
        if kind == "chat":
            msg = choice.get("message")
            content = msg.get("content") if isinstance(msg, dict) else None
        else:
            content = choice.get("text")
        if isinstance(content, str) and content:
            out.append(content)
    return out


def delta_text(kind: Kind, chunk: dict[str, Any]) -> str:
    """The text a stream chunk adds (first choice)."""
    choices = chunk.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return ""
    if kind == "chat":
        delta = choices[0].get("delta")
        content = delta.get("content") if isinstance(delta, dict) else None
    else:
        content = choices[0].get("text")
    return content if isinstance(content, str) else ""


def total_tokens(body: Any) -> int | None:
    """``usage.total_tokens`` of an answer or chunk, if present."""
    if isinstance(body, dict) and isinstance(body.get("usage"), dict):
        value = body["usage"].get("total_tokens")
        if isinstance(value, int):
            return value
    return None
