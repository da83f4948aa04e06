"""Screening configuration: detection thresholds, dataset gates, clean-output rules (YAML, validated)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gardefou.config import load_config_file

FINDINGS = (
    "harmful_compliance",
    "unsafe_output",
    "identity_shifting",
    "encoded_payload",
    "privacy",
    "duplicate",
)
"""Per-example findings. ``duplicate`` marks every example of a cluster after its first."""

GATES = (*FINDINGS, "refusal_stripping", "invalid")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DetectionSettings(_Strict):
    """Per-example thresholds (scores in [0, 1]) and text limits."""

    identity_threshold: float = Field(0.5, ge=0.0, le=1.0)
    encoded_threshold: float = Field(0.5, ge=0.0, le=1.0)
    refusal_threshold: float = Field(0.5, ge=0.0, le=1.0)
    max_turn_chars: int = Field(20_000, gt=0)
    max_example_chars: int = Field(1_000_000, gt=0)
    excerpt_chars: int = Field(80, ge=0, le=400)


class DedupSettings(_Strict):
    """Near-duplicate detection: MinHash over word shingles, LSH bands in fixed-size tables."""

    enabled: bool = True
    shingle: int = Field(3, ge=1, le=10)
    bands: int = Field(16, ge=1, le=64)
    rows: int = Field(4, ge=1, le=16)
    min_bands: int = Field(4, ge=1)
    table_size: int = Field(1 << 19, ge=1024)
    max_exact: int = Field(2_000_000, ge=0)


class Gate(_Strict):
    """Dataset gate on a finding's rate: above ``review`` → review, above ``reject`` → reject.

    ``reject_count`` rejects once that many examples have the finding, whatever the rate.
    """

    review: float | None = Field(0.0, ge=0.0, le=1.0)
    reject: float | None = Field(None, ge=0.0, le=1.0)
    reject_count: int | None = Field(None, ge=1)


def _default_gates() -> dict[str, Gate]:
    return {
        "harmful_compliance": Gate(review=0.0, reject=0.01, reject_count=10),
        "unsafe_output": Gate(review=0.0, reject=0.02),
        "identity_shifting": Gate(review=0.0, reject=0.005, reject_count=10),
        "encoded_payload": Gate(review=0.0, reject=0.01, reject_count=10),
        "privacy": Gate(review=0.0, reject=0.05),
        "duplicate": Gate(review=0.05, reject=0.5),
        "refusal_stripping": Gate(review=0.1, reject=0.5),
        "invalid": Gate(review=0.0, reject=0.1),
    }


class ScreenConfig(_Strict):
    """Everything tunable in a screening run. Load from YAML with ``load_screen_config``."""

    detection: DetectionSettings = DetectionSettings()
    dedup: DedupSettings = DedupSettings()
    gates: dict[str, Gate] = Field(default_factory=_default_gates)
    min_harmful_requests: int = Field(5, ge=1)
    """Refusal stripping is gated only once this many harmful requests were seen."""
    drop: list[str] = Field(default_factory=lambda: list(FINDINGS))
    """Findings that keep an example out of ``--write-clean`` output."""
    worst: int = Field(20, ge=0, le=1000)
    max_invalid_listed: int = Field(50, ge=0)

    @field_validator("gates", mode="before")
    @classmethod
    def _merge_gates(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        for name in value:
            if name not in GATES:
                raise ValueError(f"unknown gate {name!r}; allowed: {', '.join(GATES)}")
        return {**_default_gates(), **value}

    @field_validator("drop")
    @classmethod
    def _known_findings(cls, value: list[str]) -> list[str]:
        for name in value:
            if name not in FINDINGS:
                raise ValueError(f"unknown finding {name!r}; allowed: {', '.join(FINDINGS)}")
        return value


def load_screen_config(path: str | Path | None) -> ScreenConfig:
    """The screening config from a YAML file (defaults when ``path`` is None)."""
    if path is None:
        return ScreenConfig()
    p = Path(path)
    return load_config_file(ScreenConfig, p, "screening config")
