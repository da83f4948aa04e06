"""The audit trail: one record per request, written in batches off the event loop, never lost.

Text is stored in clear only when the tier (or ``audit.store_text``) says so; otherwise a SHA-256 and a
length. When the database is unreachable the batch goes to a local spool file (JSON lines) and is
replayed once the database answers again. With ``on_db_error: fail_closed`` the gateway also refuses
new requests (503) until then; with ``spool`` it keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import fcntl
import hashlib
import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

import anyio.to_thread
from sqlalchemy import Engine, Table, delete, select
from sqlalchemy.orm import Session

from gardefou.errors import InputError
from gardefou.gateway.config import AuditConfig
from gardefou.gateway.db import (
    AUDIT_COLUMNS,
    AuditRecord,
    Base,
    as_utc,
    create_tables,
    ping,
    utcnow,
)

log = logging.getLogger("gardefou.gateway.audit")
_PRUNE_EVERY_S = 3600.0


def text_fields(prefix: str, text: str | None, store_text: bool) -> dict[str, Any]:
    """``<prefix>_sha256``, ``<prefix>_len`` and (only if ``store_text``) ``<prefix>_text``."""
    if text is None:
        return {f"{prefix}_sha256": None, f"{prefix}_len": 0, f"{prefix}_text": None}
    return {
        f"{prefix}_sha256": hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(),
        f"{prefix}_len": len(text),
        f"{prefix}_text": text if store_text else None,
    }


class AuditLog:
    """Buffers records and writes them in batches; spools them to a file when the DB fails."""

    def __init__(self, engine: Engine, config: AuditConfig) -> None:
        self.engine = engine
        self.config = config
        self.spool_path = Path(config.spool_path)
        self.db_ok = True
        self.written = 0
        self.spooled = 0
        self._pending: list[dict[str, Any]] = []
        self._take_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._last_prune = 0.0
        self._tables_ready = False

    @property
    def accepting(self) -> bool:
        """False while the database is down and the policy is to fail closed."""
        return self.db_ok or self.config.on_db_error == "spool"

    def record(self, **fields: Any) -> None:
        """Queue one record (``ts`` defaults to now)."""
        if not self.config.enabled:
            return
        fields.setdefault("ts", utcnow())
        with self._take_lock:
            self._pending.append(fields)

    async def flush(self) -> None:
        """Write every queued record now (to the database, or to the spool file on failure)."""
        await anyio.to_thread.run_sync(self._take_and_write)

    async def run(self) -> None:
        """Background loop: flush every ``flush_interval_s``; prune old records hourly."""
        while True:
            await asyncio.sleep(self.config.flush_interval_s)
            try:
                await self.flush()
                if time.monotonic() - self._last_prune > _PRUNE_EVERY_S:
                    self._last_prune = time.monotonic()
                    await anyio.to_thread.run_sync(self.prune)
            except Exception as exc:  # keep the loop alive whatever happens
                log.error("audit flush failed: %s", type(exc).__name__)

    # -- worker-thread side --------------------------------------------------------------------

    def _take_and_write(self) -> None:
        # the batch is taken under the write lock: when a flush returns, every record queued
        # before it was called is written (by it, or by a flush that was already writing)
        with self._write_lock:
            with self._take_lock:
                batch, self._pending = self._pending, []
            self._write_unlocked(batch)

    def _write_unlocked(self, batch: list[dict[str, Any]]) -> None:
        if not batch and self.db_ok and not self.spool_path.exists():
            return
        if not self.db_ok and not ping(self.engine):
            self._spool(batch)
            return
        try:
            if not self._tables_ready:  # once, not at every flush (and again after a failure)
                create_tables(self.engine)
                self._tables_ready = True
            if self.spool_path.exists():
                with self._spool_lock():  # other worker processes may share the spool
                    self._insert_with_spool(batch)
            else:
                self._insert(batch)
            self.db_ok = True
        except Exception as exc:
            if self.db_ok:
                log.error("audit database unavailable (%s); spooling", type(exc).__name__)
            self.db_ok = False
            self._tables_ready = False
            self._spool(batch)

    def _insert(self, rows: list[dict[str, Any]]) -> None:
        if rows:  # a Core executemany: much lighter than the ORM for plain rows
            with self.engine.begin() as conn:
                conn.execute(_AUDIT_TABLE.insert(), [_complete(r) for r in rows])
        self.written += len(rows)

    def _insert_with_spool(self, batch: list[dict[str, Any]]) -> None:
        replayed = self._read_spool()
        self._insert(replayed + batch)
        if replayed:
            self.spool_path.unlink(missing_ok=True)
            log.warning("audit: replayed %d spooled records", len(replayed))

    @contextlib.contextmanager
    def _spool_lock(self) -> Iterator[None]:
        """An exclusive lock on ``<spool>.lock``, shared by every process using the same spool."""
        self.spool_path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.spool_path.with_name(self.spool_path.name + ".lock")
        with lock_path.open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _spool(self, batch: list[dict[str, Any]]) -> None:
        if not batch:
            return
        with self._spool_lock(), self.spool_path.open("a", encoding="utf-8") as fh:
            fh.write("".join(json.dumps(_jsonable(rec)) + "\n" for rec in batch))
        self.spooled += len(batch)

    def _read_spool(self) -> list[dict[str, Any]]:
        if not self.spool_path.exists():
            return []
        out = []
        with self.spool_path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    rec = json.loads(line)
                    rec["ts"] = datetime.fromisoformat(rec["ts"])
                    out.append(rec)
        return out

    def prune(self, now: datetime | None = None) -> int:
        """Delete records older than ``retention_days``; returns how many."""
        if self.config.retention_days is None:
            return 0
        cutoff = (now or utcnow()) - timedelta(days=self.config.retention_days)
        # under the write lock: a prune creating the tables while a flush does the same made the
        # flush fail ("table already exists") and keep its records in the spool
        with self._write_lock:
            if not self._tables_ready:
                create_tables(self.engine)
                self._tables_ready = True
            with Session(self.engine) as session, session.begin():
                result = session.execute(delete(AuditRecord).where(AuditRecord.ts < cutoff))
                return int(getattr(result, "rowcount", 0) or 0)

    def count(self) -> int:
        """How many records the database holds."""
        with Session(self.engine) as session:
            return len(session.scalars(select(AuditRecord.id)).all())


_AUDIT_TABLE: Table = Base.metadata.tables[AuditRecord.__tablename__]
_DEFAULTS: dict[str, Any] = {
    "key_id": None,
    "stream": False,
    "categories": [],
    "scores": {},
    "guard_ms": 0.0,
    "upstream_ms": None,
    "upstream_status": None,
    "prompt_sha256": None,
    "prompt_len": 0,
    "prompt_text": None,
    "response_sha256": None,
    "response_len": 0,
    "response_text": None,
    "error": None,
}


def _complete(rec: dict[str, Any]) -> dict[str, Any]:
    """Every column present (an executemany needs the same keys in each row), no unknown key."""
    return {**_DEFAULTS, **{k: v for k, v in rec.items() if k in _COLUMNS}}


_COLUMNS = frozenset(AUDIT_COLUMNS) - {"id"}


def _jsonable(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in rec.items()}


_RELATIVE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """``2024-05-01``, an ISO datetime, or a relative age such as ``30m``, ``24h``, ``7d``."""
    now = now or utcnow()
    m = _RELATIVE.match(value.strip().lower())
    if m:
        return now - timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
    try:
        dt = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InputError(
            f"--since must be an ISO date/time or an age like 24h or 7d, got {value!r}"
        ) from None
    return dt if dt.tzinfo else dt.replace(tzinfo=now.tzinfo)


def iter_records(engine: Engine, since: datetime | None = None) -> Iterator[dict[str, Any]]:
    """Audit records (oldest first) as plain dicts."""
    create_tables(engine)
    stmt = select(AuditRecord).order_by(AuditRecord.id)
    if since is not None:
        stmt = stmt.where(AuditRecord.ts >= since)
    with Session(engine) as session:
        for row in session.scalars(stmt).yield_per(500):
            rec = {c: getattr(row, c) for c in AUDIT_COLUMNS}
            rec["ts"] = as_utc(rec["ts"])
            yield _jsonable(rec)


def export_records(
    engine: Engine, out: IO[str], fmt: str = "jsonl", since: datetime | None = None
) -> int:
    """Write the audit records to ``out`` as ``jsonl`` or ``csv``; returns how many."""
    if fmt not in ("jsonl", "csv"):
        raise InputError(f"unknown export format {fmt!r}; use jsonl or csv")
    n = 0
    writer = csv.DictWriter(out, fieldnames=list(AUDIT_COLUMNS)) if fmt == "csv" else None
    if writer is not None:
        writer.writeheader()
    for rec in iter_records(engine, since):
        if writer is None:
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        else:
            writer.writerow(
                {k: json.dumps(v) if isinstance(v, list | dict) else v for k, v in rec.items()}
            )
        n += 1
    return n
