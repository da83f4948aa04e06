"""Gateway config validation, the CLI's serve/stub commands, and the stub upstream itself."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from gardefou.cli.main import main
from gardefou.errors import ConfigError
from gardefou.gateway import GatewayConfig, load_config, parse_config
from gardefou.gateway.stub import HARMFUL_TEXT, StubConfig, create_stub_app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "gateway.yaml"


def test_defaults_bind_loopback_and_are_private() -> None:
    cfg = GatewayConfig()
    assert cfg.listen.host == "127.0.0.1"
    assert cfg.auth.enabled and not cfg.audit.store_text
    assert cfg.database.url == "sqlite:///gardefou-audit.db"
    assert cfg.limits.max_body_bytes == 1_048_576


def test_errors_name_file_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "gw.yaml"
    bad.write_text("upstream: {base_url: x, timeuot_s: 3}\n")
    with pytest.raises(
        ConfigError, match=r"gw\.yaml: invalid gateway config at 'upstream\.timeuot_s': unknown key"
    ):
        load_config(bad)
    bad.write_text("tiers: {public: {policy: strict, fail_open: maybe}}\n")
    with pytest.raises(ConfigError, match=r"'tiers\.public\.fail_open'"):
        load_config(bad)
    bad.write_text("tiers: {public: {}}\n")
    with pytest.raises(ConfigError, match="open_tier 'default' is not a tier"):
        load_config(bad)
    bad.write_text("a: [\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="must be a mapping"):
        parse_config([1, 2])


def test_tier_lookup_and_store_text() -> None:
    cfg = parse_config(
        {
            "tiers": {"public": {}, "research": {"store_text": True}},
            "auth": {"open_tier": "public"},
        }
    )
    assert cfg.store_text_for("research") and not cfg.store_text_for("public")
    with pytest.raises(ConfigError, match="unknown tier"):
        cfg.tier("nope")


def test_example_config_is_valid() -> None:
    cfg = load_config(EXAMPLE)
    assert set(cfg.tiers) >= {"public", "research"}


def test_serve_check_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the policy below has no detectors: skip importing the (slow) built-in ones
    monkeypatch.setattr("gardefou.guard.load_builtin_detectors", lambda: None)
    cfg = tmp_path / "gw.yaml"
    cfg.write_text(
        f"database: {{url: 'sqlite:///{tmp_path / 'c.db'}'}}\n"
        "tiers: {default: {policy: nosuchpolicy}}\n"
    )
    with pytest.raises(SystemExit) as exc:
        main(["serve", "--config", str(cfg), "--check-config"])
    assert exc.value.code == 2
    assert "nosuchpolicy" in capsys.readouterr().err
    policy = tmp_path / "p.yaml"
    policy.write_text("name: mine\ndetectors: []\n")
    main(["serve", "--config", str(cfg), "--policy", str(policy), "--no-auth", "--check-config"])
    assert "config ok" in capsys.readouterr().err


def test_stub_behaviours() -> None:
    app = create_stub_app(StubConfig(reply_words=5, error_rate=0.0))
    transport = httpx.ASGITransport(app=app)

    async def scenario() -> None:
        async with httpx.AsyncClient(transport=transport, base_url="http://stub/v1/") as c:
            ok = await c.post(
                "chat/completions",
                json={"model": "stub-model", "messages": [{"role": "user", "content": "x"}]},
            )
            assert len(ok.json()["choices"][0]["message"]["content"].split()) == 5
            harm = await c.post(
                "completions", json={"model": "stub-model", "prompt": ["[[harmful]]"]}
            )
            assert harm.json()["choices"][0]["text"] == HARMFUL_TEXT
            echo = await c.post(
                "chat/completions",
                json={
                    "model": "stub-model",
                    "messages": [
                        {"role": "user", "content": [{"type": "text", "text": "[[echo]] hey"}]}
                    ],
                },
            )
            assert echo.json()["choices"][0]["message"]["content"] == "hey"
            assert (await c.post("completions", content=b"{")).status_code == 400
            assert (await c.post("completions", json=[1])).status_code == 400
            err = await c.post("completions", json={"model": "stub-model", "prompt": "[[error]]"})
            assert err.status_code == 500
            mal = await c.post(
                "completions",
                json={"model": "stub-model", "prompt": "[[malformed]]", "stream": True},
            )
            assert "data: {not json" in mal.text and mal.text.endswith("data: [DONE]\n\n")

    import anyio

    anyio.run(scenario)


def test_stub_random_faults_are_seeded() -> None:
    app = create_stub_app(StubConfig(error_rate=0.5, seed=1))
    transport = httpx.ASGITransport(app=app)

    async def scenario() -> list[int]:
        async with httpx.AsyncClient(transport=transport, base_url="http://stub/v1/") as c:
            return [
                (
                    await c.post("completions", json={"model": "stub-model", "prompt": "x"})
                ).status_code
                for _ in range(20)
            ]

    import anyio

    codes = anyio.run(scenario)
    assert 3 <= codes.count(500) <= 17 and codes.count(200) + codes.count(500) == 20
