"""API keys: created once (the secret is shown once), stored as a salted HMAC-SHA256, revocable.

A key reads ``gf-<id>.<secret>``: the id finds the row, the secret is checked in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gardefou.errors import ConfigError, InputError
from gardefou.gateway.db import ApiKey, as_utc, create_tables, utcnow

_KEY_RE = re.compile(r"^gf-([0-9a-f]{16})\.([A-Za-z0-9_-]{20,100})$")


@dataclass(frozen=True)
class KeyInfo:
    """A key's public description (never its secret)."""

    id: str
    name: str
    tier: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        """Not revoked."""
        return self.revoked_at is None


def _digest(salt: str, secret: str) -> str:
    return hmac.new(bytes.fromhex(salt), secret.encode(), hashlib.sha256).hexdigest()


def _info(row: ApiKey) -> KeyInfo:
    created = as_utc(row.created_at)
    assert created is not None
    return KeyInfo(row.id, row.name, row.tier, created, as_utc(row.revoked_at))


class KeyStore:
    """API keys in the gateway database."""

    def __init__(self, engine: Engine, *, create: bool = True) -> None:
        self.engine = engine
        if create:
            create_tables(engine)

    def create(self, name: str, tier: str) -> tuple[KeyInfo, str]:
        """Create a key; returns its description and the full key (shown once, never stored)."""
        if not name.strip():
            raise InputError("a key needs a non-empty name")
        if not tier.strip():
            raise InputError("a key needs a tier")
        key_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_hex(16)
        row = ApiKey(
            id=key_id,
            name=name,
            tier=tier,
            salt=salt,
            key_hash=_digest(salt, secret),
            created_at=utcnow(),
            revoked_at=None,
        )
        with Session(self.engine) as session, session.begin():
            session.add(row)
            info = _info(row)
        return info, f"gf-{key_id}.{secret}"

    def verify(self, presented: str) -> KeyInfo | None:
        """The key's description if ``presented`` is a valid, unrevoked key; otherwise None."""
        m = _KEY_RE.match(presented.strip())
        if m is None:
            return None
        key_id, secret = m.groups()
        with Session(self.engine) as session:
            row = session.get(ApiKey, key_id)
            if row is None:
                hmac.compare_digest(_digest("00" * 16, secret), "0" * 64)  # same work either way
                return None
            ok = hmac.compare_digest(_digest(row.salt, secret), row.key_hash)
            if not ok or row.revoked_at is not None:
                return None
            return _info(row)

    def list(self) -> list[KeyInfo]:
        """Every key, oldest first."""
        with Session(self.engine) as session:
            rows = session.scalars(select(ApiKey).order_by(ApiKey.created_at)).all()
            return [_info(r) for r in rows]

    def revoke(self, key_id: str) -> KeyInfo:
        """Revoke a key by id (``gf-`` prefix and secret tolerated); ConfigError if unknown."""
        key_id = key_id.strip().removeprefix("gf-").split(".", 1)[0]
        with Session(self.engine) as session, session.begin():
            row = session.get(ApiKey, key_id)
            if row is None:
                raise ConfigError(f"no key with id {key_id!r}")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
            return _info(row)
