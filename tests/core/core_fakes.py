"""Fake detectors for the core tests."""

from __future__ import annotations

from collections.abc import Sequence

from gardefou.detectors import Direction

KEYWORDS = {
    "bomb": "S9",
    "bombe": "S9",
    "kill him": "S1",
    "tuer": "S1",
    "ignore previous instructions": "J2",
}


class KeywordDetector:
    """Scores 0.95 for a category when one of its keywords occurs, else 0.01."""

    name = "test-keywords"

    def __init__(self, keywords: dict[str, str] | None = None) -> None:
        self.keywords = keywords or KEYWORDS

    def score(self, texts: Sequence[str], direction: Direction = "input") -> list[dict[str, float]]:
        out = []
        for text in texts:
            low = text.lower()
            scores = {code: 0.01 for code in set(self.keywords.values())}
            for word, code in self.keywords.items():
                if word in low:
                    scores[code] = 0.95
            out.append(scores)
        return out


class BrokenDetector:
    name = "test-broken"

    def score(self, texts: Sequence[str], direction: Direction = "input") -> list[dict[str, float]]:
        raise RuntimeError("boom")
