"""The normalizer's public value types: limits and variants."""

from __future__ import annotations

from dataclasses import dataclass

from gardefou.errors import ConfigError


@dataclass(frozen=True)
class NormalizeLimits:
    """Bounds that keep normalization cheap on hostile input.

    ``max_length``: characters of input looked at (the rest is dropped);
    ``max_depth``: nested decoding layers (base64 of hex of ... counts one per layer);
    ``max_variants``: variants returned, the original included;
    ``max_expansion``: all variants together hold at most this many times the (truncated)
    input length, plus a small constant.
    """

    max_length: int = 20_000
    max_depth: int = 3
    max_variants: int = 16
    max_expansion: float = 4.0

    def __post_init__(self) -> None:
        if self.max_length < 1:
            raise ConfigError(f"normalize max_length must be >= 1, got {self.max_length}")
        if self.max_depth < 0:
            raise ConfigError(f"normalize max_depth must be >= 0, got {self.max_depth}")
        if self.max_variants < 1:
            raise ConfigError(f"normalize max_variants must be >= 1, got {self.max_variants}")
        if not self.max_expansion >= 1.0:
            raise ConfigError(f"normalize max_expansion must be >= 1, got {self.max_expansion}")


@dataclass(frozen=True)
class Variant:
    """One reading of the input: its text and the transforms applied to get it (empty = original)."""

    text: str
    transforms: tuple[str, ...] = ()

    @property
    def evidence(self) -> str:
        """The transforms as one human-readable chain, or ``"original"``."""
        return " → ".join(self.transforms) if self.transforms else "original"
