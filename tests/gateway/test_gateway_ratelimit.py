"""Rate limits per key: requests and tokens per minute, in process and shared through Redis."""

from __future__ import annotations

import uuid
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from gateway_helpers import chat

from gardefou.gateway.config import RateLimitSettings
from gardefou.gateway.ratelimit import MemoryRateLimiter, RedisRateLimiter, estimate_tokens


def test_memory_limiter_windows() -> None:
    now = [120.0]
    lim = MemoryRateLimiter(clock=lambda: now[0])
    rpm = RateLimitSettings(requests_per_minute=2)

    async def scenario() -> None:
        assert (await lim.acquire("k", rpm, 1)).allowed
        assert (await lim.acquire("k", rpm, 1)).allowed
        denied = await lim.acquire("k", rpm, 1)
        assert not denied.allowed and denied.reason == "requests per minute"
        assert denied.retry_after == 60
        assert (await lim.acquire("other", rpm, 1)).allowed
        now[0] = 185.0  # next window
        assert (await lim.acquire("k", rpm, 1)).allowed
        tpm = RateLimitSettings(tokens_per_minute=100)
        assert (await lim.acquire("t", tpm, 60)).allowed
        await lim.add_tokens("t", tpm, 60)
        late = await lim.acquire("t", tpm, 60)
        assert not late.allowed and late.reason == "tokens per minute" and late.retry_after == 55
        assert (await lim.acquire("free", RateLimitSettings(), 10**9)).allowed

    anyio.run(scenario)
    assert estimate_tokens("") == 1 and estimate_tokens("x" * 40) == 10


def test_requests_per_minute_gives_429_with_retry_after(make_app: Any) -> None:
    app = make_app(tiers={"default": {"policy": "p", "rate_limit": {"requests_per_minute": 2}}})
    with TestClient(app) as c:
        assert c.post("/v1/chat/completions", json=chat("a")).status_code == 200
        assert c.post("/v1/moderations", json={"input": "b"}).status_code == 200
        r = c.post("/v1/chat/completions", json=chat("c"))
        assert r.status_code == 429
        assert 1 <= int(r.headers["retry-after"]) <= 60
        assert r.json()["error"]["type"] == "rate_limit_error"
        assert c.post("/v1/moderations", json={"input": "d"}).status_code == 429


def test_tokens_per_minute_counts_usage(make_app: Any) -> None:
    app = make_app(tiers={"default": {"policy": "p", "rate_limit": {"tokens_per_minute": 60}}})
    with TestClient(app) as c:
        assert c.post("/v1/chat/completions", json=chat("hi")).status_code == 200  # ~43 tokens
        r = c.post("/v1/chat/completions", json=chat("hi" * 40))
        assert r.status_code == 429 and "tokens per minute" in r.json()["error"]["message"]


@pytest.mark.redis
def test_two_gateways_share_one_redis_budget(make_app: Any, redis_url: str) -> None:
    rl = {"backend": "redis", "redis_url": redis_url, "key_prefix": f"t{uuid.uuid4().hex[:8]}"}
    tiers = {"default": {"policy": "p", "rate_limit": {"requests_per_minute": 3}}}
    a, b = make_app(rate_limit=rl, tiers=tiers), make_app(rate_limit=rl, tiers=tiers)
    with TestClient(a) as ca, TestClient(b) as cb:
        codes = [
            c.post("/v1/chat/completions", json=chat("hi")).status_code
            for c in (ca, cb, ca, cb, ca)
        ]
        assert codes == [200, 200, 200, 429, 429]


@pytest.mark.redis
def test_redis_limiter_tokens_and_outage(redis_url: str) -> None:
    async def scenario() -> None:
        lim = RedisRateLimiter(redis_url, prefix=f"t{uuid.uuid4().hex[:8]}")
        tpm = RateLimitSettings(tokens_per_minute=50)
        assert await lim.ping()
        assert (await lim.acquire("k", tpm, 10)).allowed
        await lim.add_tokens("k", tpm, 45)
        assert not (await lim.acquire("k", tpm, 10)).allowed
        await lim.aclose()
        down = RedisRateLimiter("redis://127.0.0.1:9/0")
        assert not await down.ping()
        assert (await down.acquire("k", tpm, 10)).allowed  # limiter down: allow, log
        await down.add_tokens("k", tpm, 5)
        await down.aclose()

    anyio.run(scenario)
