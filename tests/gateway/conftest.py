"""Fixtures for the gateway tests: a fake keyword guard, the stub upstream, PostgreSQL and Redis.

PostgreSQL and Redis are started on 127.0.0.1 (free ports, temporary directories) for the session
and stopped at the end, unless GARDEFOU_TEST_POSTGRES_URL / GARDEFOU_TEST_REDIS_URL point at running
ones. Without either, the tests that need them skip, or fail when GARDEFOU_REQUIRE_SERVICES=1 (CI).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from gateway_helpers import chat, keyword_guard

from gardefou.gateway import create_app, parse_config
from gardefou.gateway.stub import StubConfig, create_stub_app, free_port, serve_in_thread


def _require(what: str) -> None:
    if os.environ.get("GARDEFOU_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{what} is required (GARDEFOU_REQUIRE_SERVICES=1) but not available")
    pytest.skip(f"{what} not available")


@pytest.fixture(scope="session")
def stub_url() -> Iterator[str]:
    """Base URL (…/v1) of a stub upstream shared by the session (hangs last 3 s)."""
    with serve_in_thread(create_stub_app(StubConfig(hang_s=3.0))) as url:
        yield url + "/v1"


@pytest.fixture
def gateway_config(stub_url: str, tmp_path: Path) -> Callable[..., Any]:
    """Build a GatewayConfig: defaults for tests (open mode, SQLite in tmp) merged with overrides."""

    def build(**overrides: Any) -> Any:
        data: dict[str, Any] = {
            "upstream": {"base_url": stub_url, "timeout_s": 1.0, "get_retries": 1},
            "auth": {"enabled": False},
            "database": {"url": f"sqlite:///{tmp_path / 'audit.db'}"},
            "audit": {"spool_path": str(tmp_path / "spool.jsonl"), "flush_interval_s": 0.05},
            "guard": {"stream_check_chars": 40},
        }
        for key, value in overrides.items():
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key] = {**data[key], **value}
            else:
                data[key] = value
        return parse_config(data, "<test>")

    return build


@pytest.fixture
def make_app(gateway_config: Callable[..., Any]) -> Callable[..., FastAPI]:
    """Build a gateway app with the keyword guard; keyword arguments override config sections."""

    def build(**overrides: Any) -> FastAPI:
        return create_app(gateway_config(**overrides), guard_factory=keyword_guard)

    return build


@pytest.fixture
def chat_body() -> Callable[..., dict[str, Any]]:
    """The ``chat`` helper as a fixture."""
    return chat


# -- PostgreSQL ------------------------------------------------------------------------------------


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server URL (env or started here); the tests create their own databases."""
    env = os.environ.get("GARDEFOU_TEST_POSTGRES_URL")
    if env:
        yield env
        return
    bindir = _pg_bin()
    if bindir is None:
        _require("PostgreSQL")
    assert bindir is not None
    root = Path(tempfile.mkdtemp(prefix="gardefou-pg-"))
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(root, pw.pw_uid, pw.pw_gid)
    data, port = root / "data", free_port()
    try:
        subprocess.run(
            _as_postgres(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
        )
        opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            _as_postgres(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    opts,
                    "-l",
                    str(root / "log"),
                    "-w",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )
    except (subprocess.CalledProcessError, OSError, KeyError) as exc:
        shutil.rmtree(root, ignore_errors=True)
        _require(f"PostgreSQL (could not start: {exc})")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A fresh, empty PostgreSQL database for one test."""
    import psycopg

    name = f"gf_{uuid.uuid4().hex[:12]}"
    plain = postgres_server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return postgres_server.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each audit test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db.sqlite'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


# -- Redis -----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis server URL (env or a redis-server started here)."""
    env = os.environ.get("GARDEFOU_TEST_REDIS_URL")
    if env:
        yield env
        return
    exe = shutil.which("redis-server")
    if exe is None:
        _require("Redis")
    assert exe is not None
    port = free_port()
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                _require("Redis (could not start)")
            time.sleep(0.05)
    client.close()
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.kill()  # nothing to persist (--save '')
        proc.wait(timeout=10)
