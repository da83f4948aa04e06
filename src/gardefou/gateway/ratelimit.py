"""Per-key rate limits: requests per minute and tokens per minute, in fixed one-minute windows.

``memory`` keeps counters in the process (one replica). ``redis`` keeps them in Redis, updated in one
MULTI/EXEC transaction per step, so that every replica behind a load balancer draws on one budget.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from gardefou.errors import MissingDependencyError
from gardefou.gateway.config import RateLimitConfig, RateLimitSettings

log = logging.getLogger("gardefou.gateway")
WINDOW_S = 60


@dataclass(frozen=True)
class Decision:
    """Whether a request may go; if not, why and how long to wait (seconds)."""

    allowed: bool
    retry_after: int = 0
    reason: str = ""


def estimate_tokens(text: str) -> int:
    """A rough token count (4 characters per token) for budgeting before the answer is known."""
    return max(1, math.ceil(len(text) / 4))


def _window(now: float) -> tuple[int, int]:
    window = int(now // WINDOW_S)
    retry = max(1, math.ceil((window + 1) * WINDOW_S - now))
    return window, retry


def _decide(
    limits: RateLimitSettings, requests: int, tokens_used: int, est: int, retry: int
) -> Decision:
    if limits.requests_per_minute is not None and requests > limits.requests_per_minute:
        return Decision(False, retry, "requests per minute")
    if limits.tokens_per_minute is not None and tokens_used + est > limits.tokens_per_minute:
        return Decision(False, retry, "tokens per minute")
    return Decision(True)


class RateLimiter(Protocol):
    """Counts requests and tokens per key."""

    async def acquire(self, key: str, limits: RateLimitSettings, est_tokens: int) -> Decision:
        """Count one request; refuse it if a budget is spent."""
        ...

    async def add_tokens(self, key: str, limits: RateLimitSettings, tokens: int) -> None:
        """Charge the tokens a request actually used."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


class MemoryRateLimiter:
    """In-process counters (one gateway replica)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._counts: dict[tuple[str, str, int], int] = {}

    def _gc(self, window: int) -> None:
        if len(self._counts) > 10_000:
            self._counts = {k: v for k, v in self._counts.items() if k[2] >= window}

    async def acquire(self, key: str, limits: RateLimitSettings, est_tokens: int) -> Decision:
        """Count one request; refuse it if a budget is spent."""
        if limits.requests_per_minute is None and limits.tokens_per_minute is None:
            return Decision(True)
        window, retry = _window(self.clock())
        self._gc(window)
        req_key = (key, "req", window)
        self._counts[req_key] = self._counts.get(req_key, 0) + 1
        used = self._counts.get((key, "tok", window), 0)
        return _decide(limits, self._counts[req_key], used, est_tokens, retry)

    async def add_tokens(self, key: str, limits: RateLimitSettings, tokens: int) -> None:
        """Charge the tokens a request actually used."""
        if limits.tokens_per_minute is None or tokens <= 0:
            return
        window, _ = _window(self.clock())
        tok_key = (key, "tok", window)
        self._counts[tok_key] = self._counts.get(tok_key, 0) + tokens

    async def aclose(self) -> None:
        """Nothing to release."""


class RedisRateLimiter:
    """Counters in Redis, shared by every replica."""

    def __init__(self, url: str, prefix: str = "gardefou:rl", client: Any = None) -> None:
        if client is None:
            try:
                import redis.asyncio as aioredis
            except ImportError:
                raise MissingDependencyError("redis", "redis") from None
            client = aioredis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self.client = client
        self.prefix = prefix

    def _key(self, key: str, kind: str, window: int) -> str:
        return f"{self.prefix}:{key}:{kind}:{window}"

    async def acquire(self, key: str, limits: RateLimitSettings, est_tokens: int) -> Decision:
        """Count one request (INCR + EXPIRE + GET in one transaction)."""
        if limits.requests_per_minute is None and limits.tokens_per_minute is None:
            return Decision(True)
        window, retry = _window(time.time())
        req_key = self._key(key, "req", window)
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.incr(req_key)
                pipe.expire(req_key, WINDOW_S * 2)
                pipe.get(self._key(key, "tok", window))
                requests, _, used = await pipe.execute()
        except Exception as exc:  # rate limiting must not take the gateway down
            log.error("rate limiter unavailable (%s); allowing", type(exc).__name__)
            return Decision(True, reason="rate limiter unavailable")
        return _decide(limits, int(requests), int(used or 0), est_tokens, retry)

    async def add_tokens(self, key: str, limits: RateLimitSettings, tokens: int) -> None:
        """Charge tokens (INCRBY + EXPIRE in one transaction)."""
        if limits.tokens_per_minute is None or tokens <= 0:
            return
        window, _ = _window(time.time())
        tok_key = self._key(key, "tok", window)
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.incrby(tok_key, tokens)
                pipe.expire(tok_key, WINDOW_S * 2)
                await pipe.execute()
        except Exception as exc:
            log.error("rate limiter unavailable (%s)", type(exc).__name__)

    async def ping(self) -> bool:
        """Whether Redis answers."""
        try:
            return bool(await self.client.ping())
        except Exception:
            return False

    async def aclose(self) -> None:
        """Close the Redis connection pool."""
        await self.client.aclose()


def make_rate_limiter(config: RateLimitConfig) -> RateLimiter:
    """The limiter the config asks for."""
    if config.backend == "redis":
        return RedisRateLimiter(config.redis_url, config.key_prefix)
    return MemoryRateLimiter()
