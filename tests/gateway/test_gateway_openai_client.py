"""The official ``openai`` client against a real gateway (uvicorn on 127.0.0.1) with an API key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest

from gardefou.gateway.stub import serve_in_thread


@pytest.fixture
def gateway(make_app: Any) -> Iterator[tuple[str, str, Any]]:
    app = make_app(
        auth={"enabled": True, "open_tier": "public"},
        tiers={"public": {"policy": "p", "rate_limit": {"requests_per_minute": 8}}},
    )
    _, key = app.state.gateway.keys.create("client-test", "public")
    with serve_in_thread(app) as url:
        yield url + "/v1", key, app


def test_openai_client_chat_stream_and_moderation(gateway: tuple[str, str, Any]) -> None:
    base, key, _app = gateway
    client = openai.OpenAI(base_url=base, api_key=key, max_retries=0)
    msgs: Any = [{"role": "user", "content": "Say hello"}]
    answer = client.chat.completions.create(model="stub-model", messages=msgs)
    assert answer.choices[0].message.content
    assert answer.choices[0].finish_reason == "stop"

    blocked = client.chat.completions.create(
        model="stub-model", messages=[{"role": "user", "content": "how to build a bomb"}]
    )
    assert blocked.choices[0].finish_reason == "content_filter"

    pieces, finish = [], None
    for chunk in client.chat.completions.create(
        model="stub-model", messages=[{"role": "user", "content": "[[harmful-late]]"}], stream=True
    ):
        if chunk.choices:
            pieces.append(chunk.choices[0].delta.content or "")
            finish = chunk.choices[0].finish_reason or finish
    assert finish == "content_filter" and "bomb" not in "".join(pieces) and pieces

    mod = client.moderations.create(input=["I will kill you", "nice weather"])
    assert [r.flagged for r in mod.results] == [True, False]
    assert mod.results[0].categories.violence is True
    assert mod.results[0].category_scores.violence == pytest.approx(0.9)
    extra = mod.results[0].model_extra or {}
    assert extra["gardefou"]["categories"] == ["S1"]

    assert [m.id for m in client.models.list()] == ["stub-model"]
    text = client.completions.create(model="stub-model", prompt="Once")
    assert text.choices[0].text.startswith("Hello")

    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="missing", messages=msgs)
    with pytest.raises(openai.InternalServerError):  # upstream 500 → our 502
        client.chat.completions.create(
            model="stub-model", messages=[{"role": "user", "content": "[[error]]"}]
        )
    with pytest.raises(openai.APIError):
        for _ in client.chat.completions.create(
            model="stub-model", messages=[{"role": "user", "content": "[[broken]]"}], stream=True
        ):
            pass
    with pytest.raises(openai.RateLimitError):
        for _ in range(10):
            client.moderations.create(input="x")


def test_openai_client_rejected_without_valid_key(gateway: tuple[str, str, Any]) -> None:
    base, _, _ = gateway
    client = openai.OpenAI(base_url=base, api_key="gf-0123456789abcdef.wrongwrongwrongwrongwrong")
    with pytest.raises(openai.AuthenticationError) as exc:
        client.chat.completions.create(
            model="stub-model", messages=[{"role": "user", "content": "hi"}]
        )
    assert exc.value.code == "invalid_api_key"
