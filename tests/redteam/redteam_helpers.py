"""Helpers for the red-team tests: a keyword-driven fake detector and guards built on it."""

from __future__ import annotations

from collections.abc import Sequence

from gardefou.guard import Guard
from gardefou.policy import parse_policy

KEYWORDS = ("bomb", "poison", "bombe", "kill", "tuer")


class KeywordDetector:
    """Scores S1 = 1.0 when a keyword appears (after the guard's normalization)."""

    name = "keywords"

    def __init__(self, keywords: Sequence[str] = KEYWORDS) -> None:
        self.keywords = tuple(keywords)

    def score(self, texts: Sequence[str], direction: str = "input") -> list[dict[str, float]]:
        return [{"S1": 1.0 if any(k in t.lower() for k in self.keywords) else 0.0} for t in texts]


def make_guard(keywords: Sequence[str] = KEYWORDS, *, normalize: bool = False) -> Guard:
    """A guard blocking S1 with the keyword detector (de-obfuscation off unless asked: tests
    then do not depend on the normalizers)."""
    policy = parse_policy({"name": "test", "detectors": [], "normalize": {"enabled": normalize}})
    return Guard(policy, [KeywordDetector(keywords)])
