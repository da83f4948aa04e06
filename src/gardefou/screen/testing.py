"""A keyword guard for demos, tests and benchmarks of the screener (no model, no rules files).

``GuardSpec(factory="gardefou.screen.testing:keyword_guard")`` screens with it in every engine.
It is deliberately crude: it knows a few words per category, in English and French.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from gardefou.detectors import Direction, Scores
from gardefou.guard import Guard
from gardefou.policy import parse_policy

KEYWORDS: dict[str, str] = {
    "S1": r"\b(?:kill|murder|assassinate|tuer|assassiner)\b",
    "S2": r"\b(?:meth(?:amphetamine)?|cocaine|launder|ransomware|malware|steal|counterfeit|pirater)\b",
    "S9": r"\b(?:bomb|explosives?|nerve agent|sarin|anthrax|bombe|explosifs?)\b",
    "S11": r"\b(?:suicide|self-harm|se suicider)\b",
    "J1": r"\b(?:jailbreak|do anything now|ignore (?:all )?previous instructions)\b",
}
_COMPILED = {code: re.compile(p, re.IGNORECASE) for code, p in KEYWORDS.items()}


class KeywordDetector:
    """Scores 0.9 for a category when one of its keywords appears, nothing otherwise."""

    name = "keywords"

    def score(self, texts: Sequence[str], direction: Direction = "input") -> list[Scores]:
        """One score mapping per text."""
        return [{code: 0.9 for code, rx in _COMPILED.items() if rx.search(text)} for text in texts]


def keyword_guard() -> Guard:
    """A Guard that blocks on the keyword detector's categories at 0.5."""
    policy = parse_policy({"name": "keywords", "detectors": []}, "keyword guard")
    return Guard(policy, [KeywordDetector()])
