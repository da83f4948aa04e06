"""The red-team run configuration: YAML validated by pydantic, equivalent to the CLI options."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gardefou.config import load_config_file
from gardefou.redteam.gate import parse_gate


class RedteamConfig(BaseModel):
    """Everything ``gardefou redteam run`` needs. CLI options override the file's values."""

    model_config = ConfigDict(extra="forbid")

    target: str = "guard"
    target_options: dict[str, Any] = Field(default_factory=dict)
    behaviors: str = "builtin"
    benign: str | None = "builtin-benign"
    attacks: list[str] = Field(default_factory=lambda: ["all"])
    judges: list[str] = Field(default_factory=lambda: ["refusal"])
    judge_options: dict[str, dict[str, Any]] = Field(default_factory=dict)
    out: str = "redteam-out"
    fail_if: list[str] = Field(default_factory=list)
    concurrency: int = Field(4, ge=1, le=256)
    seed: int = 0
    limit: int | None = Field(None, ge=1)
    categories: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)

    @field_validator("attacks", "judges", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            from gardefou.redteam.attacks._base import _split_top

            return _split_top(value, ",")
        return value

    @field_validator("fail_if")
    @classmethod
    def _gates(cls, value: list[str]) -> list[str]:
        for g in value:
            parse_gate(g)
        return value

    @field_validator("benign")
    @classmethod
    def _none(cls, value: str | None) -> str | None:
        return None if value in (None, "", "none") else value


def load_config(path: str | Path) -> RedteamConfig:
    """Load and validate a YAML config; errors name the file and the key."""
    p = Path(path)
    return load_config_file(RedteamConfig, p, "red-team config")
