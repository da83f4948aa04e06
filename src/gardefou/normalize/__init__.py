"""Normalizers: undo obfuscation before detection (placeholder until the full set lands)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NormalizeLimits:
    """Bounds that keep normalization cheap on hostile input."""

    max_length: int = 20_000
    max_depth: int = 3
    max_variants: int = 16
    max_expansion: float = 4.0


@dataclass(frozen=True)
class Variant:
    """One reading of the input: its text and the transforms applied to get it (empty = original)."""

    text: str
    transforms: tuple[str, ...] = ()

    @property
    def evidence(self) -> str:
        return " → ".join(self.transforms) if self.transforms else "original"


def normalize(text: str, limits: NormalizeLimits | None = None) -> list[Variant]:
    """The original text (truncated to the limits) followed by de-obfuscated variants."""
    limits = limits or NormalizeLimits()
    return [Variant(text[: limits.max_length])]


__all__ = ["NormalizeLimits", "Variant", "normalize"]
