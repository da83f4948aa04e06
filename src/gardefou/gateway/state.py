"""What one gateway app holds (no module-level state), and the record of one request."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from starlette.requests import Request

from gardefou.gateway.audit import AuditLog, text_fields
from gardefou.gateway.auth import Authenticator, Caller
from gardefou.gateway.config import GatewayConfig
from gardefou.gateway.guarding import GuardPool
from gardefou.gateway.keys import KeyStore
from gardefou.gateway.metrics import GatewayMetrics
from gardefou.gateway.ratelimit import RateLimiter
from gardefou.gateway.upstream import Upstream
from gardefou.guard import Verdict
from gardefou.policy import ACTION_ORDER


@dataclass
class GatewayState:
    """Everything an app instance shares between its requests."""

    config: GatewayConfig
    engine: Engine
    keys: KeyStore | None
    auth: Authenticator
    guards: GuardPool
    upstream: Upstream
    limiter: RateLimiter
    audit: AuditLog
    metrics: GatewayMetrics


def get_state(request: Request) -> GatewayState:
    """The state of the app serving ``request``."""
    state: GatewayState = request.app.state.gateway
    return state


@dataclass
class RequestRecord:
    """What happened to one request; becomes one audit record and a few metrics."""

    endpoint: str
    caller: Caller
    stream: bool = False
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    prompt: str | None = None
    response: str | None = None
    input_verdict: Verdict | None = None
    output_verdict: Verdict | None = None
    guard_ms: float = 0.0
    upstream_ms: float | None = None
    upstream_status: int | None = None
    status: int = 200
    error: str | None = None
    handed_off: bool = False
    started: float = field(default_factory=time.perf_counter)

    def add_verdict(self, verdict: Verdict, ms: float, state: GatewayState) -> None:
        """Keep the worst verdict per direction and count the guard's time."""
        self.guard_ms += ms
        state.metrics.observe_verdict(verdict, ms)
        current = self.input_verdict if verdict.direction == "input" else self.output_verdict
        if current is None or ACTION_ORDER[verdict.action] >= ACTION_ORDER[current.action]:
            if verdict.direction == "input":
                self.input_verdict = verdict
            else:
                self.output_verdict = verdict

    def _decisive(self) -> Verdict | None:
        verdicts = [v for v in (self.input_verdict, self.output_verdict) if v is not None]
        if not verdicts:
            return None
        return max(verdicts, key=lambda v: (ACTION_ORDER[v.action], v.direction == "output"))

    def finish(self, state: GatewayState) -> None:
        """Write the audit record and the request metrics."""
        decisive = self._decisive()
        scores: dict[str, float] = {}
        categories: list[str] = []
        for v in (self.input_verdict, self.output_verdict):
            if v is None:
                continue
            for k, s in v.scores.items():
                scores[k] = max(scores.get(k, 0.0), s)
            categories.extend(c for c in v.triggered if c not in categories)
        store = state.config.store_text_for(self.caller.tier_name)
        fields: dict[str, Any] = {
            "request_id": self.request_id,
            "key_id": self.caller.key_id,
            "tier": self.caller.tier_name,
            "endpoint": self.endpoint,
            "stream": self.stream,
            "direction": decisive.direction if decisive else "none",
            "verdict": decisive.action if decisive else ("error" if self.error else "none"),
            "categories": categories,
            "scores": scores,
            "guard_ms": round(self.guard_ms, 3),
            "upstream_ms": None if self.upstream_ms is None else round(self.upstream_ms, 3),
            "upstream_status": self.upstream_status,
            "status": self.status,
            "error": self.error,
            **text_fields("prompt", self.prompt, store),
            **text_fields("response", self.response, store),
        }
        state.audit.record(**fields)
        state.metrics.requests.labels(self.endpoint, str(self.status)).inc()
        if self.upstream_ms is not None:
            state.metrics.upstream_latency.labels(self.endpoint).observe(self.upstream_ms / 1000)
        if self.error:
            state.metrics.errors.labels(self.error.split(":", 1)[0]).inc()
