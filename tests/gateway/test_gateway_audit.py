"""The audit trail on SQLite and PostgreSQL: one record per request, privacy, export, spool, retention."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from gateway_helpers import chat

from gardefou.cli.main import main
from gardefou.errors import InputError
from gardefou.gateway.audit import AuditLog, export_records, iter_records, parse_since
from gardefou.gateway.config import AuditConfig
from gardefou.gateway.db import make_engine


def _flush(client: TestClient) -> None:
    client.portal.call(client.app.state.gateway.audit.flush)  # type: ignore[attr-defined]


def test_one_record_per_request_with_hash_not_text(make_app: Any, db_url: str) -> None:
    app = make_app(database={"url": db_url})
    with TestClient(app) as c:
        c.post("/v1/chat/completions", json=chat("hello"))
        c.post("/v1/chat/completions", json=chat("a bomb"))
        c.post("/v1/chat/completions", json=chat("[[harmful-late]]", stream=True))
        c.post("/v1/chat/completions", json=chat("[[error]]"))
        c.post("/v1/moderations", json={"input": ["kill", "ok"]})
        _flush(c)
        records = list(iter_records(app.state.gateway.engine))
    assert len(records) == 5
    ok, blocked, streamed, failed, moderated = records
    assert ok["verdict"] == "allow" and ok["status"] == 200 and ok["upstream_status"] == 200
    assert ok["prompt_sha256"] == hashlib.sha256(b"hello").hexdigest() and ok["prompt_len"] == 5
    assert ok["prompt_text"] is None and ok["response_text"] is None and ok["response_len"] > 0
    assert ok["upstream_ms"] > 0 and ok["guard_ms"] >= 0 and ok["tier"] == "default"
    assert blocked["verdict"] == "block" and blocked["direction"] == "input"
    assert blocked["categories"] == ["S9"] and blocked["scores"]["S9"] == pytest.approx(0.95)
    assert blocked["upstream_status"] is None
    assert streamed["stream"] is True and streamed["direction"] == "output"
    assert streamed["verdict"] == "block"
    assert failed["status"] == 502 and failed["upstream_status"] == 500
    assert moderated["endpoint"] == "moderations" and moderated["categories"] == ["S1"]
    assert "bomb" not in json.dumps(records)


def test_text_stored_when_configured_and_exported(
    make_app: Any, db_url: str, tmp_path: Path
) -> None:
    app = make_app(database={"url": db_url}, audit={"store_text": True})
    with TestClient(app) as c:
        c.post("/v1/chat/completions", json=chat("bonjour"))
        _flush(c)
    engine = app.state.gateway.engine
    buf = io.StringIO()
    assert export_records(engine, buf, "jsonl") == 1
    rec = json.loads(buf.getvalue())
    assert rec["prompt_text"] == "bonjour" and rec["response_text"].startswith("Hello")
    out = io.StringIO()
    assert export_records(engine, out, "csv") == 1
    row = next(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["prompt_text"] == "bonjour" and json.loads(row["scores"]) == rec["scores"]
    assert (
        export_records(engine, io.StringIO(), "jsonl", datetime.now(UTC) + timedelta(hours=1)) == 0
    )
    with pytest.raises(InputError):
        export_records(engine, io.StringIO(), "xml")


def test_cli_audit_export(
    make_app: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'export.db'}"
    app = make_app(database={"url": db})
    with TestClient(app) as c:
        c.post("/v1/chat/completions", json=chat("kill"))
        _flush(c)
    main(["audit", "export", "--db", db, "--since", "1h"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["verdict"] == "block"
    target = tmp_path / "out.csv"
    main(["audit", "export", "--db", db, "--format", "csv", "-o", str(target)])
    assert "exported 1 records" in capsys.readouterr().err
    assert target.read_text().startswith("id,request_id,ts")
    with pytest.raises(SystemExit) as exc:
        main(["audit", "export", "--db", db, "--since", "last tuesday"])
    assert exc.value.code == 2
    main(["audit", "prune", "--db", db])
    assert "deleted 0 records" in capsys.readouterr().err


def test_parse_since() -> None:
    now = datetime(2024, 5, 2, tzinfo=UTC)
    assert parse_since("24h", now) == datetime(2024, 5, 1, tzinfo=UTC)
    assert parse_since("2w", now) == now - timedelta(weeks=2)
    assert parse_since("2024-05-01", now) == datetime(2024, 5, 1, tzinfo=UTC)
    with pytest.raises(InputError):
        parse_since("soon", now)


def test_retention_prunes_old_records(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    log = AuditLog(engine, AuditConfig(retention_days=30, spool_path=str(tmp_path / "s.jsonl")))
    base = {"request_id": "r", "tier": "t", "endpoint": "chat", "direction": "input"}
    log.record(**base, verdict="allow", status=200, ts=datetime.now(UTC) - timedelta(days=40))
    log.record(**base, verdict="allow", status=200)
    anyio.run(log.flush)
    assert log.count() == 2
    assert log.prune() == 1 and log.count() == 1


def test_database_outage_spools_and_replays(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "a.db"  # the parent does not exist yet: SQLite cannot open it
    spool = tmp_path / "spool.jsonl"
    log = AuditLog(make_engine(f"sqlite:///{db}"), AuditConfig(spool_path=str(spool)))
    base = {"request_id": "r", "tier": "t", "endpoint": "chat", "direction": "input", "status": 200}
    log.record(**base, verdict="allow")
    log.record(**base, verdict="block")
    anyio.run(log.flush)
    assert not log.db_ok and log.spooled == 2 and log.accepting
    assert len(spool.read_text().splitlines()) == 2
    db.parent.mkdir()
    log.record(**base, verdict="flag")
    anyio.run(log.flush)
    assert log.db_ok and not spool.exists()
    assert [r["verdict"] for r in iter_records(log.engine)] == ["allow", "block", "flag"]


def test_fail_closed_refuses_while_database_is_down(make_app: Any, tmp_path: Path) -> None:
    db = tmp_path / "later" / "a.db"
    app = make_app(database={"url": f"sqlite:///{db}"}, audit={"on_db_error": "fail_closed"})
    with TestClient(app) as c:
        assert c.post("/v1/chat/completions", json=chat("hi")).status_code == 200
        _flush(c)
        r = c.post("/v1/chat/completions", json=chat("hi"))
        assert r.status_code == 503 and r.json()["error"]["code"] == "audit_unavailable"
        assert c.get("/readyz").status_code == 503
        db.parent.mkdir()
        _flush(c)  # the database answers again: the spool is replayed
        assert c.post("/v1/chat/completions", json=chat("hi")).status_code == 200
        _flush(c)
        assert app.state.gateway.audit.count() == 2


def test_spool_mode_keeps_serving(make_app: Any, tmp_path: Path) -> None:
    db = tmp_path / "later" / "a.db"
    app = make_app(database={"url": f"sqlite:///{db}"}, audit={"on_db_error": "spool"})
    with TestClient(app) as c:
        for _ in range(3):
            assert c.post("/v1/chat/completions", json=chat("hi")).status_code == 200
            _flush(c)
        assert app.state.gateway.audit.spooled == 3
        db.parent.mkdir()
        _flush(c)
        assert app.state.gateway.audit.count() == 3
