"""``POST /v1/chat/completions`` and ``POST /v1/completions``: check, forward, check, answer.

Input: the new user turn and the whole conversation. Output: the whole answer, or for streams the
accumulated text as it grows (see ``streaming``). Unknown request parameters pass through unchanged.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from gardefou.gateway.errors import GatewayHTTPError
from gardefou.gateway.ratelimit import estimate_tokens
from gardefou.gateway.responses import (
    Kind,
    answer_texts,
    blocked_error,
    refusal_body,
    refusal_stream,
    total_tokens,
)
from gardefou.gateway.state import GatewayState, RequestRecord, get_state
from gardefou.gateway.streaming import relay_stream
from gardefou.gateway.upstream import passthrough_error
from gardefou.guard import Verdict
from gardefou.policy import ACTION_ORDER

router = APIRouter()


class ChatMessage(BaseModel):
    """One chat message; extra fields (name, tool_calls, ...) pass through."""

    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict[str, Any]] | None = None


class ChatCompletionRequest(BaseModel):
    """A chat completion request; extra parameters pass through to the upstream."""

    model_config = ConfigDict(extra="allow")

    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False


class CompletionRequest(BaseModel):
    """A legacy text completion request; extra parameters pass through."""

    model_config = ConfigDict(extra="allow")

    model: str
    prompt: str | list[str]
    stream: bool = False


def _blocked(
    kind: Kind, state: GatewayState, rec: RequestRecord, verdict: Verdict, model: str, stream: bool
) -> Response:
    guard = state.guards.get(rec.caller.tier.policy)
    if state.config.guard.blocked_response == "error":
        err = blocked_error(verdict)
        rec.status = err.status
        return err.response()
    message = guard.policy.refusal_message(verdict.language)
    rec.response = message
    if stream:
        chunks = refusal_stream(kind, model, message, verdict)
        return StreamingResponse(iter(chunks), media_type="text/event-stream")
    return JSONResponse(refusal_body(kind, model, message, verdict))


async def _admit(
    request: Request, endpoint: str, stream: bool
) -> tuple[GatewayState, RequestRecord]:
    state = get_state(request)
    caller = await state.auth.authenticate(request)
    if not state.audit.accepting:
        raise GatewayHTTPError(
            503,
            "the audit database is unavailable; requests are refused until it returns",
            type_="server_error",
            code="audit_unavailable",
        )
    return state, RequestRecord(endpoint=endpoint, caller=caller, stream=stream)


async def _handle(
    request: Request,
    kind: Kind,
    payload: dict[str, Any],
    prompt_texts: list[str],
    messages: list[dict[str, Any]] | None,
) -> Response:
    endpoint = "chat" if kind == "chat" else "completions"
    stream = bool(payload.get("stream"))
    state, rec = await _admit(request, endpoint, stream)
    rec.prompt = "\n".join(prompt_texts)
    tier = rec.caller.tier
    try:
        decision = await state.limiter.acquire(
            rec.caller.limit_key, tier.rate_limit, estimate_tokens(rec.prompt)
        )
        if not decision.allowed:
            raise GatewayHTTPError(
                429,
                f"rate limit exceeded ({decision.reason}); retry in {decision.retry_after} s",
                type_="rate_limit_error",
                code="rate_limit_exceeded",
                headers={"Retry-After": str(decision.retry_after)},
            )
        if state.config.guard.check_input:
            if messages is not None:
                verdict, ms = await state.guards.check_messages(
                    tier.policy, messages, tier.fail_open
                )
            else:
                verdicts, ms = await state.guards.check_texts(
                    tier.policy, prompt_texts, "input", tier.fail_open
                )
                verdict = _worst(verdicts)
            rec.add_verdict(verdict, ms, state)
            if not verdict.allowed:
                return _blocked(kind, state, rec, verdict, str(payload.get("model", "")), stream)
        path = "chat/completions" if kind == "chat" else "completions"
        if stream:
            return await relay_stream(state, rec, kind, path, payload)
        reply = await state.upstream.post_json(path, payload)
        rec.upstream_ms, rec.upstream_status = reply.latency_ms, reply.status
        if reply.status >= 400:
            raise passthrough_error(reply.status, reply.body)
        if not isinstance(reply.body, dict):
            raise GatewayHTTPError(
                502,
                "the upstream model server sent an invalid answer",
                type_="upstream_error",
                code="upstream_invalid",
            )
        texts = answer_texts(kind, reply.body)
        rec.response = "\n".join(texts)
        used = total_tokens(reply.body)
        await state.limiter.add_tokens(
            rec.caller.limit_key,
            tier.rate_limit,
            used if used is not None else estimate_tokens(rec.prompt + rec.response),
        )
        if texts and state.config.guard.check_output:
            out_verdicts, ms = await state.guards.check_texts(
                tier.policy, texts, "output", tier.fail_open
            )
            out = _worst(out_verdicts)
            rec.add_verdict(out, ms, state)
            if not out.allowed:
                return _blocked(kind, state, rec, out, str(reply.body.get("model", "")), False)
        # relayed as the upstream wrote it: parsed once (to check it), never re-serialized
        return Response(reply.raw, media_type="application/json")
    except GatewayHTTPError as exc:
        rec.status = exc.status
        rec.error = f"{exc.code or exc.type}: {exc.status}"
        raise
    except Exception:
        rec.status, rec.error = 502, "gateway_error: 502"
        raise
    finally:
        if not rec.handed_off:
            rec.finish(state)


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if "text" in p)
    return ""


def _worst(verdicts: list[Verdict]) -> Verdict:
    return max(verdicts, key=lambda v: (ACTION_ORDER[v.action], v.unsafe_score))


@router.post("/v1/chat/completions", response_model=None)
async def chat_completions(request: Request, body: ChatCompletionRequest) -> Response:
    """OpenAI chat completions, guarded (streaming with ``stream: true``)."""
    payload = body.model_dump(exclude_unset=True)
    messages = [m.model_dump(exclude_unset=True) for m in body.messages]
    payload["messages"] = messages
    user_texts = [_content_text(m.get("content")) for m in messages if m.get("role") == "user"]
    return await _handle(request, "chat", payload, user_texts, messages)


@router.post("/v1/completions", response_model=None)
async def completions(request: Request, body: CompletionRequest) -> Response:
    """OpenAI legacy text completions, guarded."""
    payload = body.model_dump(exclude_unset=True)
    prompts = [body.prompt] if isinstance(body.prompt, str) else list(body.prompt)
    return await _handle(request, "completion", payload, prompts, None)
