"""``create_app(config)``: the gateway as a FastAPI application (one per call, no global state)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator

import anyio.to_thread
import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from gardefou.errors import ConfigError
from gardefou.gateway import moderation, routes_chat
from gardefou.gateway.audit import AuditLog
from gardefou.gateway.auth import Authenticator
from gardefou.gateway.config import GatewayConfig, parse_config
from gardefou.gateway.db import create_tables, make_engine, ping
from gardefou.gateway.errors import install_error_handlers
from gardefou.gateway.guarding import GuardFactory, GuardPool
from gardefou.gateway.keys import KeyStore
from gardefou.gateway.metrics import GatewayMetrics
from gardefou.gateway.middleware import BodyGuardMiddleware
from gardefou.gateway.ratelimit import RateLimiter, make_rate_limiter
from gardefou.gateway.state import GatewayState, get_state
from gardefou.gateway.upstream import Upstream, passthrough_error

log = logging.getLogger("gardefou.gateway")

OPEN_MODE_WARNING = (
    "gardefou gateway is running in OPEN MODE: no API key is required, every caller gets tier "
    "{tier!r}. Use this for local testing only."
)


CONFIG_ENV = "GARDEFOU_GATEWAY_CONFIG_JSON"
"""The environment variable that hands the configuration to ``--workers`` processes."""


def app_from_env() -> FastAPI:
    """The app for the configuration in ``$GARDEFOU_GATEWAY_CONFIG_JSON`` (a uvicorn factory).

    ``gardefou serve --workers N`` sets it, then lets uvicorn start N processes that each call this.
    """
    raw = os.environ.get(CONFIG_ENV)
    if not raw:
        raise ConfigError(f"${CONFIG_ENV} is not set: start the gateway with 'gardefou serve'")
    try:
        data = json.loads(raw)
    except ValueError:
        raise ConfigError(f"${CONFIG_ENV} is not valid JSON") from None
    return create_app(parse_config(data, f"${CONFIG_ENV}"))


def build_state(
    config: GatewayConfig,
    *,
    guard_factory: GuardFactory | None = None,
    upstream_transport: httpx.AsyncBaseTransport | None = None,
    rate_limiter: RateLimiter | None = None,
) -> GatewayState:
    """Build everything an app needs; configuration problems raise here, at start."""
    engine = make_engine(config.database.url)
    try:
        create_tables(engine)
    except Exception as exc:
        log.error("database not reachable at start (%s); audit will spool", type(exc).__name__)
    guards = GuardPool(
        guard_factory,
        timeout_s=config.guard.timeout_s,
        inline_max_chars=config.guard.inline_max_chars,
    )
    for tier in config.tiers.values():
        guards.get(tier.policy)  # build each policy's guard now: bad policies fail at start
    keys = KeyStore(engine, create=False) if config.auth.enabled else None
    audit = AuditLog(engine, config.audit)
    return GatewayState(
        config=config,
        engine=engine,
        keys=keys,
        auth=Authenticator(config, keys),
        guards=guards,
        upstream=Upstream(config.upstream, transport=upstream_transport),
        limiter=rate_limiter or make_rate_limiter(config.rate_limit),
        audit=audit,
        metrics=GatewayMetrics(),
    )


def create_app(
    config: GatewayConfig | None = None,
    *,
    guard_factory: GuardFactory | None = None,
    upstream_transport: httpx.AsyncBaseTransport | None = None,
    rate_limiter: RateLimiter | None = None,
) -> FastAPI:
    """The gateway app for ``config``.

    ``guard_factory`` (policy name → Guard) replaces ``Guard.from_policy``; ``upstream_transport`` and
    ``rate_limiter`` replace the real ones (tests).
    """
    config = config or GatewayConfig()
    state = build_state(
        config,
        guard_factory=guard_factory,
        upstream_transport=upstream_transport,
        rate_limiter=rate_limiter,
    )
    if not config.auth.enabled:
        log.warning(OPEN_MODE_WARNING.format(tier=config.auth.open_tier))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(state.audit.run())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await state.audit.flush()
            await state.upstream.aclose()
            await state.limiter.aclose()
            state.engine.dispose()

    app = FastAPI(
        title="gardefou gateway",
        description="An OpenAI-compatible moderating proxy.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.gateway = state
    install_error_handlers(app)
    app.add_middleware(BodyGuardMiddleware, max_body_bytes=config.limits.max_body_bytes)
    app.include_router(routes_chat.router)
    app.include_router(moderation.router)

    @app.get("/v1/models")
    async def models(request: Request) -> JSONResponse:
        """The upstream's models (retried: a GET is idempotent)."""
        st = get_state(request)
        await st.auth.authenticate(request)
        reply = await st.upstream.get_json("models")
        if reply.status >= 400 or not isinstance(reply.body, dict):
            raise passthrough_error(reply.status if reply.status >= 400 else 502, reply.body)
        return JSONResponse(reply.body)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        """Readiness: the upstream and the database answer."""
        st = get_state(request)
        db_ok = await anyio.to_thread.run_sync(ping, st.engine)
        try:
            up = await st.upstream.client.get("models", timeout=2.0)
            upstream_ok = up.status_code < 500
        except httpx.HTTPError:
            upstream_ok = False
        ok = db_ok and upstream_ok
        body = {
            "status": "ready" if ok else "not ready",
            "database": "ok" if db_ok else "unreachable",
            "upstream": "ok" if upstream_ok else "unreachable",
        }
        return JSONResponse(body, status_code=200 if ok else 503)

    @app.get("/metrics")
    async def metrics(request: Request) -> Response:
        """Prometheus metrics of this app."""
        st = get_state(request)
        return Response(st.metrics.render(), media_type=st.metrics.content_type)

    return app
