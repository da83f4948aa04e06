"""``POST /v1/moderations``: OpenAI's moderation schema, computed by the gardefou guard.

``categories`` / ``category_scores`` use OpenAI's names (projected with ``taxonomy.openai_scores``);
gardefou's own codes (S1–S14, J1, J2) are in each result's extra ``gardefou`` field.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from gardefou.gateway.errors import GatewayHTTPError
from gardefou.gateway.ratelimit import estimate_tokens
from gardefou.gateway.state import RequestRecord, get_state
from gardefou.guard import Verdict
from gardefou.policy import ACTION_ORDER
from gardefou.taxonomy import OPENAI_CATEGORIES, get_category, openai_scores

router = APIRouter()
MAX_INPUTS = 256


class ModerationRequest(BaseModel):
    """A moderation request: one string or a list of strings."""

    model_config = ConfigDict(extra="allow")

    input: str | list[str] = Field(description="text, or a list of texts, to classify")
    model: str | None = None


def moderation_result(verdict: Verdict) -> dict[str, Any]:
    """One OpenAI moderation result (plus the ``gardefou`` field) from a verdict."""
    scores = openai_scores(verdict.scores)
    flagged_names: set[str] = set()
    for code in verdict.triggered:
        try:
            flagged_names.update(get_category(code).openai)
        except Exception:  # "unsafe" or an unknown key maps to no OpenAI category
            continue
    return {
        "flagged": verdict.action != "allow",
        "categories": {name: name in flagged_names for name in OPENAI_CATEGORIES},
        "category_scores": {name: round(scores[name], 6) for name in OPENAI_CATEGORIES},
        "gardefou": {
            "action": verdict.action,
            "categories": list(verdict.triggered),
            "scores": dict(verdict.scores),
            "language": verdict.language,
            "error": verdict.error,
        },
    }


@router.post("/v1/moderations")
async def moderations(request: Request, body: ModerationRequest) -> JSONResponse:
    """Classify texts with the caller's tier policy."""
    state = get_state(request)
    caller = await state.auth.authenticate(request)
    texts = [body.input] if isinstance(body.input, str) else list(body.input)
    if not texts:
        raise GatewayHTTPError(422, "invalid request: 'input': must not be empty", param="input")
    if len(texts) > MAX_INPUTS:
        raise GatewayHTTPError(
            422, f"invalid request: 'input': at most {MAX_INPUTS} texts", param="input"
        )
    rec = RequestRecord(endpoint="moderations", caller=caller, prompt="\n".join(texts))
    try:
        decision = await state.limiter.acquire(
            caller.limit_key, caller.tier.rate_limit, estimate_tokens(rec.prompt or "")
        )
        if not decision.allowed:
            raise GatewayHTTPError(
                429,
                f"rate limit exceeded ({decision.reason}); retry in {decision.retry_after} s",
                type_="rate_limit_error",
                code="rate_limit_exceeded",
                headers={"Retry-After": str(decision.retry_after)},
            )
        verdicts, ms = await state.guards.check_texts(
            caller.tier.policy, texts, "input", caller.tier.fail_open
        )
        worst = max(verdicts, key=lambda v: (ACTION_ORDER[v.action], v.unsafe_score))
        rec.add_verdict(worst, ms, state)
        return JSONResponse(
            {
                "id": f"modr-{uuid.uuid4().hex}",
                "model": body.model or f"gardefou-{worst.policy or caller.tier.policy}",
                "results": [moderation_result(v) for v in verdicts],
            }
        )
    except GatewayHTTPError as exc:
        rec.status, rec.error = exc.status, f"{exc.code or exc.type}: {exc.status}"
        raise
    finally:
        rec.finish(state)
