"""CLI for the gateway: ``serve``, ``stub-upstream``, ``keys create|list|revoke``, ``audit export|prune``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from gardefou.errors import ConfigError

err_console = Console(stderr=True)

_CONFIG_OPT = typer.Option(None, "--config", "-c", help="Gateway YAML config.")
_DB_OPT = typer.Option(None, "--db", help="Database URL (overrides the config's database.url).")


def _gateway_config(
    config: Path | None,
    *,
    upstream: str | None = None,
    host: str | None = None,
    port: int | None = None,
    no_auth: bool = False,
    policy: str | None = None,
    db: str | None = None,
    workers: int | None = None,
) -> Any:
    from gardefou.gateway.config import GatewayConfig, load_config, parse_config

    cfg = load_config(config) if config is not None else GatewayConfig()
    data = cfg.model_dump()
    if upstream:
        data["upstream"]["base_url"] = upstream
    if host:
        data["listen"]["host"] = host
    if port is not None:
        data["listen"]["port"] = port
    if workers is not None:
        data["listen"]["workers"] = workers
    if no_auth:
        data["auth"]["enabled"] = False
    if policy:
        for tier in data["tiers"].values():
            tier["policy"] = policy
    if db:
        data["database"]["url"] = db
    return parse_config(data, str(config) if config else "<command line>")


def _engine(config: Path | None, db: str | None) -> Any:
    from gardefou.gateway.db import make_engine

    return make_engine(_gateway_config(config, db=db).database.url)


def serve(
    config: Path | None = _CONFIG_OPT,
    upstream: str | None = typer.Option(None, help="Upstream OpenAI-compatible base URL (…/v1)."),
    host: str | None = typer.Option(None, help="Address to bind (default 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port (default 8080)."),
    no_auth: bool = typer.Option(
        False, "--no-auth", help="Open mode: no API keys (local use only)."
    ),
    policy: str | None = typer.Option(None, help="Policy for every tier (preset name or YAML)."),
    db: str | None = _DB_OPT,
    workers: int | None = typer.Option(
        None, min=1, max=64, help="Server processes (default 1; see docs/gateway.md)."
    ),
    check_config: bool = typer.Option(False, "--check-config", help="Validate and exit."),
) -> None:
    """Run the moderating gateway in front of an OpenAI-compatible model server."""
    from gardefou.gateway.app import OPEN_MODE_WARNING, create_app

    cfg = _gateway_config(
        config,
        upstream=upstream,
        host=host,
        port=port,
        no_auth=no_auth,
        policy=policy,
        db=db,
        workers=workers,
    )
    app = create_app(cfg)
    if check_config:
        tiers = ", ".join(f"{n} → {t.policy}" for n, t in cfg.tiers.items())
        err_console.print(f"config ok: upstream {cfg.upstream.base_url}; tiers: {tiers}")
        return
    if not cfg.auth.enabled:
        banner = OPEN_MODE_WARNING.format(tier=cfg.auth.open_tier)
        err_console.print(f"[bold red]WARNING: {banner}[/bold red]")
    if cfg.listen.host not in ("127.0.0.1", "localhost", "::1"):
        err_console.print(
            f"[yellow]listening on {cfg.listen.host}: put TLS and a firewall in front.[/yellow]"
        )
    import uvicorn

    err_console.print(
        f"gardefou gateway on http://{cfg.listen.host}:{cfg.listen.port}/v1 → {cfg.upstream.base_url}"
        f" ({server_flavour(cfg.listen.workers)})"
    )
    uvicorn.run(**uvicorn_options(cfg, app))


def server_flavour(workers: int) -> str:
    """What serves the gateway: uvloop and httptools when installed, and how many processes."""
    import importlib.util

    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return f"{loop}, {http}, {workers} worker{'s' if workers > 1 else ''}"


def uvicorn_options(cfg: Any, app: Any) -> dict[str, Any]:
    """``uvicorn.run`` arguments: the app itself, or with ``workers`` > 1 a factory in each process.

    Worker processes rebuild the app from the validated configuration passed in the environment.
    """
    import os

    from gardefou.gateway.app import CONFIG_ENV

    common: dict[str, Any] = {
        "host": cfg.listen.host,
        "port": cfg.listen.port,
        "log_level": "warning",
        "access_log": False,  # the audit log records every request already
        "loop": "auto",  # uvloop when installed (uvicorn[standard])
        "http": "auto",  # httptools when installed
    }
    if cfg.listen.workers == 1:
        return {"app": app, **common}
    os.environ[CONFIG_ENV] = cfg.model_dump_json()
    return {
        "app": "gardefou.gateway.app:app_from_env",
        "factory": True,
        "workers": cfg.listen.workers,
        **common,
    }


def stub_upstream(
    host: str = typer.Option("127.0.0.1", help="Address to bind."),
    port: int = typer.Option(9000, help="Port."),
    model: list[str] = typer.Option(["stub-model"], help="Model names to serve (repeatable)."),
    reply_words: int = typer.Option(0, help="Answer length in words (0: a fixed text)."),
    chunk_delay_ms: float = typer.Option(0.0, help="Delay between streamed chunks."),
    error_rate: float = typer.Option(0.0, min=0.0, max=1.0, help="Share of HTTP 500 answers."),
    timeout_rate: float = typer.Option(0.0, min=0.0, max=1.0, help="Share of hanging answers."),
    broken_rate: float = typer.Option(0.0, min=0.0, max=1.0, help="Share of broken streams."),
    hang_s: float = typer.Option(30.0, help="How long a hanging answer waits."),
) -> None:
    """Run a small OpenAI-compatible stub model server (for demos and tests)."""
    import uvicorn

    from gardefou.gateway.stub import StubConfig, create_stub_app

    cfg = StubConfig(
        models=list(model),
        reply_words=reply_words,
        chunk_delay_s=chunk_delay_ms / 1000,
        hang_s=hang_s,
        error_rate=error_rate,
        timeout_rate=timeout_rate,
        broken_rate=broken_rate,
    )
    err_console.print(f"stub upstream on http://{host}:{port}/v1 (models: {', '.join(cfg.models)})")
    uvicorn.run(create_stub_app(cfg), host=host, port=port, log_level="warning")


keys_app = typer.Typer(help="Create, list and revoke gateway API keys.", no_args_is_help=True)
audit_app = typer.Typer(help="Export and prune the gateway audit log.", no_args_is_help=True)


@keys_app.command("create")
def keys_create(
    name: str = typer.Option(..., "--name", help="Who the key is for."),
    tier: str = typer.Option(..., "--tier", help="Tier (must exist in the config when given)."),
    config: Path | None = _CONFIG_OPT,
    db: str | None = _DB_OPT,
) -> None:
    """Create a key; it is printed once and stored only as a salted hash."""
    from gardefou.gateway.keys import KeyStore

    cfg = _gateway_config(config, db=db)
    if config is not None:
        cfg.tier(tier)  # refuse a tier the config does not define
    from gardefou.gateway.db import make_engine

    info, key = KeyStore(make_engine(cfg.database.url)).create(name, tier)
    err_console.print(
        f"created key {info.id} ({info.name}, tier {info.tier}); it is shown only once:"
    )
    typer.echo(key)


@keys_app.command("list")
def keys_list(config: Path | None = _CONFIG_OPT, db: str | None = _DB_OPT) -> None:
    """List keys (ids, names, tiers, status; never secrets)."""
    from gardefou.gateway.keys import KeyStore

    table = Table("id", "name", "tier", "created", "status")
    for k in KeyStore(_engine(config, db)).list():
        status = "active" if k.active else f"revoked {k.revoked_at:%Y-%m-%d %H:%M}"
        table.add_row(k.id, k.name, k.tier, f"{k.created_at:%Y-%m-%d %H:%M}", status)
    Console().print(table)


@keys_app.command("revoke")
def keys_revoke(
    key_id: str = typer.Argument(..., help="The key id (as shown by keys list)."),
    config: Path | None = _CONFIG_OPT,
    db: str | None = _DB_OPT,
) -> None:
    """Revoke a key (takes effect within the gateway's auth cache TTL)."""
    from gardefou.gateway.keys import KeyStore

    info = KeyStore(_engine(config, db)).revoke(key_id)
    err_console.print(f"revoked key {info.id} ({info.name})")


@audit_app.command("export")
def audit_export(
    fmt: str = typer.Option("jsonl", "--format", "-f", help="jsonl or csv."),
    since: str | None = typer.Option(None, help="ISO date/time or age (24h, 7d)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="File (default: stdout)."),
    config: Path | None = _CONFIG_OPT,
    db: str | None = _DB_OPT,
) -> None:
    """Export audit records."""
    from gardefou.gateway.audit import export_records, parse_since

    if fmt not in ("jsonl", "csv"):
        raise ConfigError(f"--format must be jsonl or csv, got {fmt!r}")
    start = parse_since(since) if since else None
    engine = _engine(config, db)
    if output is None:
        n = export_records(engine, sys.stdout, fmt, start)
    else:
        with output.open("w", encoding="utf-8", newline="") as fh:
            n = export_records(engine, fh, fmt, start)
    err_console.print(f"exported {n} records")


@audit_app.command("prune")
def audit_prune(config: Path | None = _CONFIG_OPT, db: str | None = _DB_OPT) -> None:
    """Delete records older than the configured retention."""
    from gardefou.gateway.audit import AuditLog

    cfg = _gateway_config(config, db=db)
    from gardefou.gateway.db import make_engine

    n = AuditLog(make_engine(cfg.database.url), cfg.audit).prune()
    err_console.print(f"deleted {n} records older than {cfg.audit.retention_days} days")


def register(app: typer.Typer) -> None:
    """Add the gateway commands to the ``gardefou`` CLI."""
    app.command("serve")(serve)
    app.command("stub-upstream")(stub_upstream)
    app.add_typer(keys_app, name="keys")
    app.add_typer(audit_app, name="audit")
