"""Helpers shared by the gateway tests: a fake keyword guard and request builders."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from gardefou.guard import Guard
from gardefou.policy import parse_policy

KEYWORDS: dict[str, dict[str, float]] = {
    "bomb": {"S9": 0.95},
    "explosive": {"S9": 0.9},
    "kill": {"S1": 0.9},
    "ignore previous instructions": {"J1": 0.92},
    "poison": {"S1": 0.6},
}


class KeywordDetector:
    """A fake detector: fixed scores for a few keywords; GUARDCRASH makes it fail."""

    name = "keywords"

    def score(self, texts: Sequence[str], direction: str = "input") -> list[dict[str, float]]:
        out = []
        for text in texts:
            low = text.lower()
            if "guardcrash" in low:
                raise RuntimeError("detector crashed")
            if "guardslow" in low:
                time.sleep(1.5)
            scores: dict[str, float] = {}
            for word, s in KEYWORDS.items():
                if word in low:
                    for k, v in s.items():
                        scores[k] = max(scores.get(k, 0.0), v)
            out.append(scores)
        return out


def keyword_guard(policy: str) -> Guard:
    """A guard for a policy name: 'lenient' blocks only at 0.99 and fails open, others at 0.5."""
    threshold = 0.99 if policy == "lenient" else 0.5
    pol = parse_policy(
        {
            "name": policy,
            "detectors": [],
            "default": {"action": "block", "threshold": threshold},
            "fail_closed": policy != "lenient",
        }
    )
    return Guard(pol, [KeywordDetector()])


def chat(text: str, **extra: Any) -> dict[str, Any]:
    """A chat request body with one user message."""
    return {"model": "stub-model", "messages": [{"role": "user", "content": text}], **extra}
