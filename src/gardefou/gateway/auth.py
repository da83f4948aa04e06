"""Who is calling: an API key (``Authorization: Bearer gf-...``) resolved to its tier.

Verified keys are cached for ``auth.cache_ttl_s`` seconds (so a revocation takes effect within that
delay) to keep the database off the hot path. Failures are 401 in OpenAI's error shape.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import anyio.to_thread
from starlette.requests import Request

from gardefou.gateway.config import AuthConfig, GatewayConfig, TierConfig
from gardefou.gateway.errors import GatewayHTTPError
from gardefou.gateway.keys import KeyInfo, KeyStore

_CACHE_MAX = 10_000


@dataclass(frozen=True)
class Caller:
    """The authenticated caller: key id (None in open mode) and tier."""

    key_id: str | None
    tier_name: str
    tier: TierConfig

    @property
    def limit_key(self) -> str:
        """The identity rate limits are counted under."""
        return self.key_id or f"open:{self.tier_name}"


def _unauthorized(message: str) -> GatewayHTTPError:
    return GatewayHTTPError(
        401,
        message,
        type_="invalid_request_error",
        code="invalid_api_key",
        headers={"WWW-Authenticate": "Bearer"},
    )


def bearer_token(request: Request) -> str | None:
    """The bearer token of the request (or its ``api-key`` header), if any."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    alt = request.headers.get("api-key")
    return alt.strip() if alt else None


class Authenticator:
    """Resolves requests to callers, with a short cache of verified keys."""

    def __init__(self, config: GatewayConfig, keys: KeyStore | None) -> None:
        self.config = config
        self.auth: AuthConfig = config.auth
        self.keys = keys
        self._cache: dict[str, tuple[float, KeyInfo | None]] = {}

    async def _lookup(self, token: str) -> KeyInfo | None:
        assert self.keys is not None
        digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit is not None and hit[0] > now:
            return hit[1]
        info = await anyio.to_thread.run_sync(self.keys.verify, token)
        if self.auth.cache_ttl_s > 0:
            if len(self._cache) >= _CACHE_MAX:
                self._cache.clear()
            self._cache[digest] = (now + self.auth.cache_ttl_s, info)
        return info

    async def authenticate(self, request: Request) -> Caller:
        """The caller, or a 401 GatewayHTTPError."""
        if not self.auth.enabled:
            name = self.auth.open_tier
            return Caller(None, name, self.config.tiers[name])
        token = bearer_token(request)
        if token is None:
            raise _unauthorized("missing API key: send 'Authorization: Bearer <key>'")
        info = await self._lookup(token)
        if info is None:
            raise _unauthorized("invalid or revoked API key")
        tier = self.config.tiers.get(info.tier)
        if tier is None:
            raise GatewayHTTPError(
                403,
                f"this key's tier {info.tier!r} is not configured on this gateway",
                type_="invalid_request_error",
                code="tier_not_configured",
            )
        return Caller(info.id, info.tier, tier)
