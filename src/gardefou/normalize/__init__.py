"""Normalizers: undo obfuscation before detection.

``normalize(text, limits)`` returns the original text (truncated to ``limits.max_length``) followed
by de-obfuscated variants: one "fully cleaned" reading (invisible characters removed, NFKC,
homoglyphs, combining marks, letter spacing, leetspeak) and one per decoded payload (hidden tag
characters or variation selectors, base64, hex, binary, unicode escapes, URL escapes, HTML
entities, rot13, reversed text), decoded inline and recursively up to ``limits.max_depth``
layers. Each variant records the transforms that produced it; detectors score every variant and
the guard keeps the worst. Work is bounded by the limits (see ``docs/normalizers.md``).
"""

from __future__ import annotations

from gardefou.normalize._pipeline import run
from gardefou.normalize._types import NormalizeLimits, Variant


def normalize(text: str, limits: NormalizeLimits | None = None) -> list[Variant]:
    """The original text (truncated to the limits) followed by de-obfuscated variants.

    The first variant is always the truncated original with no transforms; the others are unique,
    at most ``limits.max_variants`` in all, and hold at most ``limits.max_expansion`` times the
    truncated length in characters together (plus a small constant).
    """
    limits = limits or NormalizeLimits()
    original = text[: limits.max_length]
    if not original or limits.max_variants == 1:
        return [Variant(original)]
    return run(original, limits)


__all__ = ["NormalizeLimits", "Variant", "normalize"]
