"""Gateway configuration: pydantic models (unknown keys refused), loaded from YAML.

Errors name the file and the key (``gateway.yaml: invalid gateway config at 'tiers.public.policy'``).
Secrets never live in the file: the upstream API key is read from the environment variable named by
``upstream.api_key_env``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gardefou.config import load_config_file, validate_config
from gardefou.errors import ConfigError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ListenConfig(_Strict):
    """Where the gateway listens. Loopback by default: expose it on purpose, behind TLS.

    ``workers`` > 1 runs that many server processes on one port (one guard per process).
    """

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    workers: int = Field(1, ge=1, le=64)


class UpstreamConfig(_Strict):
    """The OpenAI-compatible model server the gateway protects (vLLM, llama.cpp, Ollama...)."""

    base_url: str = "http://127.0.0.1:8000/v1"
    api_key_env: str | None = None
    timeout_s: float = Field(60.0, gt=0)
    connect_timeout_s: float = Field(5.0, gt=0)
    max_connections: int = Field(256, ge=1)
    get_retries: int = Field(2, ge=0, le=10)


class RateLimitSettings(_Strict):
    """Per-key budgets; ``None`` means unlimited."""

    requests_per_minute: int | None = Field(None, ge=1)
    tokens_per_minute: int | None = Field(None, ge=1)


class TierConfig(_Strict):
    """What a key's tier grants: a policy, budgets, audit detail and failure behaviour."""

    policy: str = "default"
    rate_limit: RateLimitSettings = RateLimitSettings()
    store_text: bool | None = None
    fail_open: bool = False


class AuthConfig(_Strict):
    """API keys. ``enabled: false`` is the open mode (local use only; announced loudly)."""

    enabled: bool = True
    open_tier: str = "default"
    cache_ttl_s: float = Field(5.0, ge=0)


class DatabaseConfig(_Strict):
    """Where keys and audit records live: SQLite by default, PostgreSQL by URL."""

    url: str = "sqlite:///gardefou-audit.db"


class AuditConfig(_Strict):
    """The audit trail: one record per request."""

    enabled: bool = True
    store_text: bool = False
    retention_days: int | None = Field(90, ge=1)
    on_db_error: Literal["fail_closed", "spool"] = "spool"
    spool_path: str = "gardefou-audit.spool.jsonl"
    flush_interval_s: float = Field(0.2, gt=0)
    batch_size: int = Field(200, ge=1)


class RateLimitConfig(_Strict):
    """Rate-limit storage: in-process (one replica) or Redis (shared by every replica)."""

    backend: Literal["memory", "redis"] = "memory"
    redis_url: str = "redis://127.0.0.1:6379/0"
    key_prefix: str = "gardefou:rl"


class GuardSettings(_Strict):
    """How the guard is applied to traffic.

    Streams are checked every ``stream_check_chars`` new characters, on the last
    ``stream_window_chars`` characters (always including every character not yet checked), and
    on the whole answer at the end. Checks of at most ``inline_max_chars`` characters run on the
    event loop rather than in a worker thread (0: always in a thread).
    """

    check_input: bool = True
    check_output: bool = True
    stream_check_chars: int = Field(120, ge=1)
    stream_window_chars: int = Field(1000, ge=1)
    timeout_s: float = Field(5.0, gt=0)
    inline_max_chars: int = Field(1000, ge=0)
    blocked_response: Literal["refusal", "error"] = "refusal"


class LimitsConfig(_Strict):
    """Request limits."""

    max_body_bytes: int = Field(1_048_576, ge=1)


class GatewayConfig(_Strict):
    """The whole gateway configuration."""

    listen: ListenConfig = ListenConfig()
    upstream: UpstreamConfig = UpstreamConfig()
    auth: AuthConfig = AuthConfig()
    tiers: dict[str, TierConfig] = Field(default_factory=lambda: {"default": TierConfig()})
    database: DatabaseConfig = DatabaseConfig()
    audit: AuditConfig = AuditConfig()
    rate_limit: RateLimitConfig = RateLimitConfig()
    guard: GuardSettings = GuardSettings()
    limits: LimitsConfig = LimitsConfig()

    @model_validator(mode="after")
    def _open_tier_exists(self) -> GatewayConfig:
        if not self.tiers:
            raise ValueError("at least one tier is required")
        if self.auth.open_tier not in self.tiers:
            known = ", ".join(sorted(self.tiers))
            raise ValueError(
                f"auth.open_tier {self.auth.open_tier!r} is not a tier; tiers: {known}"
            )
        return self

    def tier(self, name: str) -> TierConfig:
        """The tier called ``name`` (ConfigError if unknown)."""
        try:
            return self.tiers[name]
        except KeyError:
            known = ", ".join(sorted(self.tiers))
            raise ConfigError(f"unknown tier {name!r}; tiers: {known}") from None

    def store_text_for(self, tier: str) -> bool:
        """Whether prompts/answers are stored in clear for this tier."""
        t = self.tiers.get(tier)
        if t is not None and t.store_text is not None:
            return t.store_text
        return self.audit.store_text


def parse_config(data: Any, source: str = "<config>") -> GatewayConfig:
    """Validate a mapping (parsed YAML) into a GatewayConfig, naming the bad key on error."""
    return validate_config(GatewayConfig, data, source, "gateway config")


def load_config(path: str | Path) -> GatewayConfig:
    """Load and validate a gateway YAML file."""
    return load_config_file(GatewayConfig, path, "gateway config")
