"""The detector interface and its registry.

A detector scores a batch of texts: for each text, a mapping from score keys (category codes
``S1``…``S14``, ``J1``, ``J2`` and the overall ``unsafe``) to probabilities in [0, 1], higher = riskier.
Keys it does not score are simply absent. Detectors never decide: the policy does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol, runtime_checkable

from gardefou.registry import Registry

Direction = Literal["input", "output"]
Scores = dict[str, float]


@runtime_checkable
class Detector(Protocol):
    """Scores texts per category. ``name`` is the registry name it was built from."""

    name: str

    def score(self, texts: Sequence[str], direction: Direction = "input") -> list[Scores]:
        """One score mapping per text, in order."""
        ...


detectors: Registry[Detector] = Registry("detector")
"""Registry of detector factories; ``detectors.create("rules")`` builds one."""


def detector(name: str):  # type: ignore[no-untyped-def]
    """Class decorator registering a detector factory under ``name``."""
    return detectors.register(name)
