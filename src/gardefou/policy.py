"""Policies: which detectors run, and per category and direction what to do above which score.

A policy is YAML validated by pydantic (unknown keys are refused). Presets ship in
``gardefou/policies/*.yaml``: ``default``, ``strict``, ``permissive``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from gardefou.config import load_config_file, validate_config
from gardefou.errors import ConfigError, UnknownNameError
from gardefou.taxonomy import SCORE_KEYS

Action = Literal["allow", "flag", "block"]
ACTION_ORDER: dict[str, int] = {"allow": 0, "flag": 1, "block": 2}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rule(_Strict):
    """What to do when a score reaches ``threshold``."""

    action: Action = "block"
    threshold: float = Field(0.5, ge=0.0, le=1.0)


class CategoryRule(_Strict):
    """A category's rule, optionally overridden per direction."""

    action: Action | None = None
    threshold: float | None = Field(None, ge=0.0, le=1.0)
    input: Rule | None = None
    output: Rule | None = None


class DetectorSpec(_Strict):
    """A detector to run, by registry name, with its options."""

    name: str
    options: dict[str, Any] = Field(default_factory=dict)


class NormalizeSettings(_Strict):
    """Bounds on de-obfuscation work (see ``gardefou.normalize``)."""

    enabled: bool = True
    segments: bool = False
    """Also score each line of a multi-line text alone, so benign padding cannot dilute it
    (catches more wrapped attacks, at the cost of more false positives on benign documents)."""
    max_length: int = Field(20_000, gt=0)
    max_depth: int = Field(3, ge=0, le=8)
    max_variants: int = Field(16, ge=1, le=64)


class Policy(_Strict):
    """A complete guard policy."""

    name: str = "custom"
    description: str = ""
    detectors: list[DetectorSpec] = Field(default_factory=lambda: [DetectorSpec(name="rules")])
    default: Rule = Rule()
    categories: dict[str, CategoryRule] = Field(default_factory=dict)
    normalize: NormalizeSettings = NormalizeSettings()
    fail_closed: bool = True
    refusal: dict[str, str] = Field(
        default_factory=lambda: {
            "en": "I can't help with that request.",
            "fr": "Je ne peux pas répondre à cette demande.",
        }
    )

    @field_validator("detectors", mode="before")
    @classmethod
    def _names_to_specs(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("refusal")
    @classmethod
    def _known_languages(cls, value: dict[str, str]) -> dict[str, str]:
        for lang in value:
            if lang not in ("en", "fr"):
                raise ValueError(f"unknown language {lang!r}; allowed: en, fr")
        return value

    @field_validator("categories")
    @classmethod
    def _known_codes(cls, value: dict[str, CategoryRule]) -> dict[str, CategoryRule]:
        for code in value:
            if code not in SCORE_KEYS:
                raise ValueError(f"unknown category {code!r}; allowed: {', '.join(SCORE_KEYS)}")
        return value

    def rule_for(self, code: str, direction: str) -> Rule:
        """The effective rule for one score key in one direction."""
        cat = self.categories.get(code)
        if cat is None:
            return self.default
        override = cat.input if direction == "input" else cat.output
        if override is not None:
            return override
        return Rule(
            action=cat.action or self.default.action,
            threshold=cat.threshold if cat.threshold is not None else self.default.threshold,
        )

    def refusal_message(self, lang: str) -> str:
        """The refusal message in ``lang``, falling back to English."""
        return self.refusal.get(lang) or self.refusal.get("en", "I can't help with that request.")


def preset_names() -> list[str]:
    """Names of the policy presets shipped in the package."""
    files = resources.files("gardefou").joinpath("policies")
    return sorted(p.name[:-5] for p in files.iterdir() if p.name.endswith(".yaml"))


def parse_policy(data: Any, source: str = "<policy>") -> Policy:
    """Validate a mapping (parsed YAML) into a Policy, with an error naming the key."""
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"{source}: a policy must be a YAML mapping, got {type(data).__name__}")
    return validate_config(Policy, data, source, "policy")


def load_policy_file(path: str | Path) -> Policy:
    """Load and validate a policy YAML file."""
    return load_config_file(Policy, path, "policy")


def load_policy(name_or_path: str | Path | Policy) -> Policy:
    """A Policy from a preset name, a YAML path, or a Policy (returned as is)."""
    if isinstance(name_or_path, Policy):
        return name_or_path
    s = str(name_or_path)
    if s in preset_names():
        ref = resources.files("gardefou").joinpath("policies", f"{s}.yaml")
        return parse_policy(yaml.safe_load(ref.read_text(encoding="utf-8")), f"preset {s}")
    if s.endswith((".yaml", ".yml")) or Path(s).exists():
        return load_policy_file(s)
    raise UnknownNameError("policy", s, preset_names())
