"""API keys: hashed storage, verification, revocation, tiers → policies, 401s, and the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from gateway_helpers import chat
from sqlalchemy import select
from sqlalchemy.orm import Session

from gardefou.cli.main import main
from gardefou.errors import ConfigError, InputError
from gardefou.gateway.db import ApiKey, make_engine
from gardefou.gateway.keys import KeyStore


def test_key_is_stored_hashed_and_verified(tmp_path: Path) -> None:
    store = KeyStore(make_engine(f"sqlite:///{tmp_path / 'k.db'}"))
    info, key = store.create("alice", "public")
    assert key.startswith(f"gf-{info.id}.")
    secret = key.split(".", 1)[1]
    with Session(store.engine) as s:
        row = s.scalars(select(ApiKey)).one()
        assert secret not in (row.key_hash, row.salt) and len(row.key_hash) == 64
    assert store.verify(key) == info
    assert store.verify(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert store.verify("gf-0000000000000000." + secret) is None
    assert store.verify("not a key") is None
    other_info, other = store.create("bob", "research")
    assert other != key and store.verify(other) == other_info
    assert [k.name for k in store.list()] == ["alice", "bob"]
    revoked = store.revoke(f"gf-{info.id}")
    assert not revoked.active and store.verify(key) is None
    with pytest.raises(ConfigError, match="no key"):
        store.revoke("ffffffffffffffff")
    with pytest.raises(InputError):
        store.create(" ", "public")


@pytest.fixture
def keyed(make_app: Any, tmp_path: Path) -> Any:
    tiers = {
        "public": {"policy": "strict-fake"},
        "research": {"policy": "lenient", "store_text": True},
    }
    app = make_app(auth={"enabled": True, "open_tier": "public", "cache_ttl_s": 0}, tiers=tiers)
    store = app.state.gateway.keys
    with TestClient(app) as c:
        yield c, store


def test_missing_invalid_and_revoked_keys_get_401(keyed: Any) -> None:
    client, store = keyed
    r = client.post("/v1/chat/completions", json=chat("hi"))
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
    assert r.headers["www-authenticate"] == "Bearer"
    bad = client.post(
        "/v1/chat/completions", json=chat("hi"), headers={"Authorization": "Bearer nope"}
    )
    assert bad.status_code == 401
    info, key = store.create("carol", "public")
    auth = {"Authorization": f"Bearer {key}"}
    assert client.post("/v1/chat/completions", json=chat("hi"), headers=auth).status_code == 200
    assert client.get("/v1/models", headers=auth).status_code == 200
    assert client.get("/v1/models").status_code == 401
    assert client.post("/v1/moderations", json={"input": "x"}).status_code == 401
    store.revoke(info.id)
    assert client.post("/v1/chat/completions", json=chat("hi"), headers=auth).status_code == 401


def test_tier_selects_the_policy(keyed: Any) -> None:
    client, store = keyed
    _, public = store.create("pub", "public")
    _, research = store.create("res", "research")
    prompt = chat("how is poison made")  # scores 0.6: blocked at 0.5, allowed at 0.99
    r_pub = client.post(
        "/v1/chat/completions", json=prompt, headers={"Authorization": f"Bearer {public}"}
    )
    assert r_pub.json()["choices"][0]["finish_reason"] == "content_filter"
    r_res = client.post("/v1/chat/completions", json=prompt, headers={"api-key": research})
    assert r_res.json()["choices"][0]["finish_reason"] == "stop"


def test_key_of_unconfigured_tier_is_403(keyed: Any) -> None:
    client, store = keyed
    _, key = store.create("x", "ghost")
    r = client.post(
        "/v1/chat/completions", json=chat("hi"), headers={"Authorization": f"Bearer {key}"}
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "tier_not_configured"


def test_cli_keys_create_list_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    main(["keys", "create", "--name", "dana", "--tier", "research", "--db", db])
    out = capsys.readouterr()
    key = out.out.strip()
    assert key.startswith("gf-") and "shown only once" in out.err
    main(["keys", "list", "--db", db])
    listing = capsys.readouterr().out
    key_id = key[3:19]
    assert key_id in listing and "dana" in listing and "active" in listing
    assert key.split(".")[1] not in listing
    main(["keys", "revoke", key_id, "--db", db])
    main(["keys", "list", "--db", db])
    assert "revoked" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["keys", "revoke", "0123456789abcdef", "--db", db])
    assert exc.value.code == 2


def test_cli_keys_create_checks_tier_against_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "gw.yaml"
    cfg.write_text(
        f"database: {{url: 'sqlite:///{tmp_path / 'c.db'}'}}\n"
        "tiers: {public: {policy: strict}}\nauth: {open_tier: public}\n"
    )
    with pytest.raises(SystemExit) as exc:
        main(["keys", "create", "--name", "x", "--tier", "nope", "--config", str(cfg)])
    assert exc.value.code == 2
    assert "unknown tier 'nope'" in capsys.readouterr().err
    main(["keys", "create", "--name", "x", "--tier", "public", "--config", str(cfg)])
    assert capsys.readouterr().out.startswith("gf-")
