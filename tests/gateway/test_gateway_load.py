"""Load and faults (slow): 50 concurrent clients against a gateway whose upstream misbehaves."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from gateway_helpers import chat, keyword_guard

from gardefou.gateway import create_app, parse_config
from gardefou.gateway.audit import AuditLog
from gardefou.gateway.config import AuditConfig
from gardefou.gateway.db import make_engine
from gardefou.gateway.stub import StubConfig, create_stub_app, serve_in_thread

CLIENTS = 50
DURATION_S = 20.0


async def _client(base: str, i: int, deadline: float, statuses: Counter[int]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=15) as c:
        n = 0
        while time.monotonic() < deadline:
            n += 1
            prompt = "tell me about a bomb" if n % 7 == 0 else f"hello {i}"
            body = chat(prompt, stream=(n % 2 == 0))
            if body["stream"]:
                async with c.stream("POST", "/chat/completions", json=body) as r:
                    async for _ in r.aiter_bytes():
                        pass
            else:
                r = await c.post("/chat/completions", json=body)
            statuses[r.status_code] += 1


@pytest.mark.slow
def test_load_with_upstream_faults(tmp_path: Path) -> None:
    stub = create_stub_app(
        StubConfig(error_rate=0.10, timeout_rate=0.05, broken_rate=0.05, hang_s=1.5, seed=7)
    )
    db = f"sqlite:///{tmp_path / 'load.db'}"
    with serve_in_thread(stub) as stub_url:
        cfg = parse_config(
            {
                "upstream": {"base_url": stub_url + "/v1", "timeout_s": 0.5},
                "auth": {"enabled": False},
                "database": {"url": db},
                "audit": {"spool_path": str(tmp_path / "spool.jsonl")},
            }
        )
        app = create_app(cfg, guard_factory=keyword_guard)
        statuses: Counter[int] = Counter()
        with serve_in_thread(app) as gw_url:

            async def run() -> None:
                deadline = time.monotonic() + DURATION_S
                await asyncio.gather(
                    *(_client(gw_url + "/v1", i, deadline, statuses) for i in range(CLIENTS))
                )

            asyncio.run(run())
            health = httpx.get(gw_url + "/healthz")
            assert health.status_code == 200  # still alive
    total = sum(statuses.values())
    assert total >= CLIENTS * 2  # every client got answers; throughput is for bench/, not tests
    assert 500 not in statuses, statuses
    assert set(statuses) <= {200, 502, 504}, statuses
    assert statuses[502] > 0 and statuses[504] > 0 and statuses[200] > total // 2
    log = AuditLog(make_engine(db), AuditConfig(spool_path=str(tmp_path / "spool.jsonl")))
    assert log.count() == total
    assert not (tmp_path / "spool.jsonl").exists()


def test_audit_counts_match_requests_quickly(make_app: Any, tmp_path: Path) -> None:
    """A fast variant of the load test (default run): 10 clients x 6 mixed requests."""
    app = make_app()
    statuses: Counter[int] = Counter()
    with serve_in_thread(app) as gw_url:

        async def one(i: int) -> None:
            async with httpx.AsyncClient(base_url=gw_url + "/v1", timeout=15) as c:
                for text in ("hi", "[[error]]", "[[broken]]", "bomb", "[[malformed]]", "ok"):
                    body = chat(text, stream=(i % 2 == 0))
                    r = await c.post("/chat/completions", json=body)
                    statuses[r.status_code] += 1

        async def run() -> None:
            await asyncio.gather(*(one(i) for i in range(10)))

        asyncio.run(run())
    assert 500 not in statuses and sum(statuses.values()) == 60
    log = AuditLog(app.state.gateway.engine, AuditConfig())
    assert log.count() == 60
