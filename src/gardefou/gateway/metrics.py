"""Prometheus metrics, in a registry owned by each app (no global state)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from gardefou.guard import Verdict

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class GatewayMetrics:
    """Requests, blocks by category and direction, guard and upstream latency, errors."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "gardefou_requests",
            "Requests handled, by endpoint and HTTP status.",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.blocks = Counter(
            "gardefou_blocks",
            "Requests or answers blocked, by direction and category.",
            ["direction", "category"],
            registry=self.registry,
        )
        self.guard_latency = Histogram(
            "gardefou_guard_latency_seconds",
            "Time spent in the guard per check.",
            ["direction"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.upstream_latency = Histogram(
            "gardefou_upstream_latency_seconds",
            "Upstream model server latency (to full answer or stream end).",
            ["endpoint"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "gardefou_errors",
            "Errors by kind (upstream, guard, audit, ...).",
            ["kind"],
            registry=self.registry,
        )

    def observe_verdict(self, verdict: Verdict, guard_ms: float) -> None:
        """Record one guard check (latency, and the block if it blocked)."""
        self.guard_latency.labels(verdict.direction).observe(guard_ms / 1000)
        if verdict.error is not None:
            self.errors.labels("guard").inc()
        if not verdict.allowed:
            for code in verdict.triggered or ["error" if verdict.error else "unsafe"]:
                self.blocks.labels(verdict.direction, code).inc()

    def render(self) -> bytes:
        """The exposition text."""
        return generate_latest(self.registry)
