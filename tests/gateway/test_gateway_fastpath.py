"""The gateway's fast paths: inline guard checks, windowed stream checks, byte-level SSE, raw relay,
the audit writer, and ``--workers``."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from gateway_helpers import KeywordDetector, chat

from gardefou.errors import ConfigError
from gardefou.gateway import create_app
from gardefou.gateway.app import CONFIG_ENV, app_from_env
from gardefou.gateway.audit import AuditLog
from gardefou.gateway.config import AuditConfig, GatewayConfig, parse_config
from gardefou.gateway.db import make_engine
from gardefou.gateway.guarding import GuardPool
from gardefou.gateway.stub import BENIGN_TEXT
from gardefou.gateway.upstream import iter_sse_data
from gardefou.guard import Guard
from gardefou.policy import parse_policy


class RecordingDetector(KeywordDetector):
    """The keyword detector, remembering what it checked and on which thread."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.calls: list[tuple[str, list[str], int]] = []
        self.delay_s = delay_s

    def score(self, texts: Sequence[str], direction: str = "input") -> list[dict[str, float]]:
        self.calls.append((direction, list(texts), threading.get_ident()))
        if self.delay_s:
            time.sleep(self.delay_s)
        return super().score(texts, direction)


def recording_guard(detector: RecordingDetector) -> Guard:
    policy = parse_policy(
        {
            "name": "default",
            "detectors": [],
            "default": {"action": "block", "threshold": 0.5},
            "normalize": {"enabled": False},
        }
    )
    return Guard(policy, [detector])


# -- inline or threaded guard checks ---------------------------------------------------------------


async def test_short_checks_run_inline_and_long_ones_in_a_thread() -> None:
    det = RecordingDetector()
    pool = GuardPool(lambda _: recording_guard(det), inline_max_chars=50)
    loop_thread = threading.get_ident()
    short, _ = await pool.check_text("p", "hello", "output")
    long, _ = await pool.check_text("p", "x" * 51, "output")
    conv, _ = await pool.check_messages("p", [{"role": "user", "content": "a bomb"}])
    assert short.allowed and long.allowed and not conv.allowed
    threads = [tid for _, _, tid in det.calls]
    assert threads[0] == loop_thread
    assert threads[1] != loop_thread
    assert threads[2] == loop_thread


async def test_inline_zero_always_uses_a_thread() -> None:
    det = RecordingDetector()
    pool = GuardPool(lambda _: recording_guard(det), inline_max_chars=0)
    await pool.check_texts("p", ["hi"], "input")
    assert det.calls[0][2] != threading.get_ident()


async def test_slow_inline_check_fails_closed_or_open() -> None:
    det = RecordingDetector(delay_s=0.05)
    pool = GuardPool(lambda _: recording_guard(det), timeout_s=0.01, inline_max_chars=1000)
    verdict, ms = await pool.check_text("p", "hello", "output")
    assert not verdict.allowed and verdict.error == "guard timed out" and ms >= 50
    verdict, _ = await pool.check_text("p", "hello", "output", fail_open=True)
    assert verdict.allowed and verdict.error == "guard timed out"
    # a conversation too: the input side
    blocked, _ = await pool.check_messages("p", [{"role": "user", "content": "hi"}])
    assert not blocked.allowed and blocked.direction == "input"


def test_inline_setting_is_validated() -> None:
    assert GatewayConfig().guard.inline_max_chars == 1000
    with pytest.raises(ConfigError, match=r"guard\.inline_max_chars"):
        parse_config({"guard": {"inline_max_chars": -1}})


# -- windowed stream checks ------------------------------------------------------------------------


def _streamed(text: str) -> tuple[str, list[Any]]:
    events = [
        json.loads(line[6:])
        for line in text.splitlines()
        if line.startswith("data: ") and line != "data: [DONE]"
    ]
    content = "".join(
        (e["choices"][0].get("delta") or {}).get("content") or ""
        for e in events
        if e.get("choices")
    )
    return content, events


def _windowed_app(gateway_config: Any, det: RecordingDetector, **guard: Any) -> FastAPI:
    settings = {"stream_check_chars": 40, "stream_window_chars": 100, **guard}
    return create_app(gateway_config(guard=settings), guard_factory=lambda _: recording_guard(det))


def test_stream_checks_a_window_then_the_whole_answer(gateway_config: Any) -> None:
    det = RecordingDetector()
    with TestClient(_windowed_app(gateway_config, det)) as c:
        r = c.post("/v1/chat/completions", json=chat("tell me", stream=True))
    content, _ = _streamed(r.text)
    assert content == BENIGN_TEXT and r.text.endswith("data: [DONE]\n\n")
    outputs = [texts[0] for direction, texts, _ in det.calls if direction == "output"]
    assert len(outputs) >= 4
    *windows, final = outputs
    assert final == BENIGN_TEXT  # the whole answer, once, at the end
    assert all(len(w) <= 100 for w in windows)
    assert all(w in BENIGN_TEXT for w in windows)
    # the windows, together, cover the answer from its first character: nothing skipped
    covered: set[int] = set()
    for w in windows:
        start = BENIGN_TEXT.index(w)
        covered.update(range(start, start + len(w)))
    assert covered == set(range(max(covered) + 1))
    assert max(covered) + 1 >= len(BENIGN_TEXT) - 40


def test_stream_window_still_stops_harm_before_it_is_forwarded(gateway_config: Any) -> None:
    det = RecordingDetector()
    with TestClient(_windowed_app(gateway_config, det)) as c:
        r = c.post("/v1/chat/completions", json=chat("[[harmful-late]]", stream=True))
    content, events = _streamed(r.text)
    assert events[-1]["choices"][0]["finish_reason"] == "content_filter"
    assert "bomb" not in content.lower() and "explosive" not in content.lower()
    assert content and BENIGN_TEXT.startswith(content[:50])
    assert max(len(t[0]) for d, t, _ in det.calls if d == "output") <= 100


def test_short_stream_checked_whole_is_not_checked_twice(gateway_config: Any) -> None:
    det = RecordingDetector()
    app = _windowed_app(gateway_config, det, stream_check_chars=10, stream_window_chars=1000)
    with TestClient(app) as c:
        r = c.post("/v1/chat/completions", json=chat("[[echo]] twelve chars", stream=True))
    content, _ = _streamed(r.text)
    assert content == "twelve chars"
    outputs = [texts[0] for direction, texts, _ in det.calls if direction == "output"]
    assert outputs[-1] == "twelve chars"
    assert outputs.count("twelve chars") == 1


# -- byte-level SSE parsing and the raw relay -----------------------------------------------------


class _Chunks(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    async def __aiter__(self) -> Any:
        for chunk in self.chunks:
            yield chunk


async def test_sse_parser_handles_line_endings_and_split_chunks() -> None:
    chunks = [
        b': comment\r\ndata: {"a"',
        b": 1}\r",
        b"\ndata: two\n\nevent: x\rdata:three\r",
        b"data: [DONE]",
    ]
    resp = httpx.Response(200, stream=_Chunks(chunks))
    got = [d async for d in iter_sse_data(resp)]
    assert got == [b'{"a": 1}', b"two", b"three", b"[DONE]"]


def test_non_streaming_answer_is_relayed_byte_for_byte(gateway_config: Any) -> None:
    raw = (
        '{"id":"x1",  "object":"chat.completion","model":"m","choices":[{"index":0,'
        '"message":{"role":"assistant","content":"Bonjour, ça va ? ✓"},"finish_reason":"stop"}],'
        '"usage":{"total_tokens":7}}'
    ).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=raw, headers={"content-type": "application/json"})

    app = create_app(
        gateway_config(),
        guard_factory=lambda _: recording_guard(RecordingDetector()),
        upstream_transport=httpx.MockTransport(handler),
    )
    with TestClient(app) as c:
        r = c.post("/v1/chat/completions", json=chat("hello"))
    assert r.status_code == 200 and r.content == raw
    assert r.headers["content-type"] == "application/json"


# -- the audit writer ------------------------------------------------------------------------------


async def test_audit_rows_with_missing_fields_get_defaults(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    log = AuditLog(engine, AuditConfig(spool_path=str(tmp_path / "spool.jsonl")))
    log.record(
        request_id="r1", tier="t", endpoint="chat", direction="none", verdict="none", status=200
    )
    log.record(
        request_id="r2",
        tier="t",
        endpoint="chat",
        direction="input",
        verdict="block",
        status=200,
        categories=["S9"],
        unknown_field="ignored",
    )
    await log.flush()
    await log.flush()  # the tables exist already: nothing is created twice
    assert log.count() == 2 and log.written == 2


# -- several worker processes ----------------------------------------------------------------------


def test_workers_option_uses_a_factory_fed_by_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gardefou.cli.serve import server_flavour, uvicorn_options

    monkeypatch.setenv(CONFIG_ENV, "")  # restored (removed) after the test
    monkeypatch.delenv(CONFIG_ENV)
    one = parse_config({"auth": {"enabled": False}})
    opts = uvicorn_options(one, "APP")
    assert opts["app"] == "APP" and "workers" not in opts and opts["access_log"] is False
    assert CONFIG_ENV not in os.environ

    cfg = parse_config(
        {
            "listen": {"workers": 3},
            "auth": {"enabled": False},
            "database": {"url": f"sqlite:///{tmp_path / 'a.db'}"},
            "tiers": {"default": {"policy": "permissive"}},
        }
    )
    opts = uvicorn_options(cfg, "APP")
    assert opts["app"] == "gardefou.gateway.app:app_from_env"
    assert opts["factory"] is True and opts["workers"] == 3
    app = app_from_env()  # what each worker process runs
    assert app.state.gateway.config == cfg
    assert "3 workers" in server_flavour(3) and "1 worker" in server_flavour(1)


def test_app_from_env_refuses_missing_or_bad_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    with pytest.raises(ConfigError, match="is not set"):
        app_from_env()
    monkeypatch.setenv(CONFIG_ENV, "{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        app_from_env()
    monkeypatch.setenv(CONFIG_ENV, json.dumps({"listen": {"workers": 0}}))
    with pytest.raises(ConfigError, match=r"listen\.workers"):
        app_from_env()
