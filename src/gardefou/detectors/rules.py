"""The ``rules`` detector: high-precision regexes for jailbreaks, prompt injection and a few hazards.

Patterns (English and French) live in ``_rule_patterns``; they are compiled once at import. Text is
*folded* first (accents stripped, typographic quotes and spaces made ASCII, zero-width characters
dropped) so that one pattern covers ``règles`` and ``regles``. A keyword pre-filter skips every
pattern whose literal keywords are absent, which keeps a batch of short benign prompts at a few
microseconds each. All quantifiers are bounded, so matching is linear in the text length.

Scores are the pattern's fixed score, max per category; the overall ``unsafe`` key is set only by
hazard (``S*``) patterns. On model answers (``output``), a J1/J2 match right after a negation
("I can't ignore previous instructions") does not count: refusals often quote the attack. ``RulesDetector.explain`` lists the ids of the patterns that matched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gardefou.detectors._rule_patterns import PATTERNS, RulePattern
from gardefou.detectors.base import Direction, Scores, detectors
from gardefou.errors import ConfigError
from gardefou.taxonomy import UNSAFE

__all__ = ["PATTERNS", "RulePattern", "RulesDetector", "fold"]


def _fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for code in range(0xC0, 0x250):
        base = unicodedata.normalize("NFKD", chr(code))[:1]
        if base.isascii() and base.isalpha():
            table[code] = base
    extra = {
        "œ": "oe",
        "Œ": "OE",
        "æ": "ae",
        "Æ": "AE",
        "ß": "ss",
        "\u2018": "'",
        "\u2019": "'",
        "\u201b": "'",
        "\u02bc": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
        "\u2011": "-",
        "\u2010": "-",
    }
    table.update({ord(k): v for k, v in extra.items()})
    for zero_width in ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"):
        table[ord(zero_width)] = None
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """Strip accents, make quotes/spaces/hyphens ASCII and drop zero-width characters (keeps case)."""
    return text.translate(_FOLD)


@dataclass(frozen=True)
class _Compiled:
    pattern: RulePattern
    regex: re.Pattern[str]
    requires: re.Pattern[str] | None


def _compile(p: RulePattern) -> _Compiled:
    flags = re.IGNORECASE
    requires = re.compile(p.requires, flags) if p.requires else None
    return _Compiled(p, re.compile(p.regex, flags), requires)


_COMPILED: tuple[_Compiled, ...] = tuple(_compile(p) for p in PATTERNS)


_WORD = re.compile(r"[a-z0-9]+")
_WORD_KEYWORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class _Index:
    """Keyword → pattern positions, for one direction."""

    words: dict[str, tuple[int, ...]]
    substrings: tuple[tuple[str, tuple[int, ...]], ...]


def _build_index(direction: str) -> _Index:
    words: dict[str, list[int]] = {}
    substrings: dict[str, list[int]] = {}
    for i, c in enumerate(_COMPILED):
        if direction not in c.pattern.directions:
            continue
        for kw in c.pattern.keywords:
            if _WORD_KEYWORD.fullmatch(kw):
                words.setdefault(kw, []).append(i)
            else:
                substrings.setdefault(kw.rstrip("*"), []).append(i)
    return _Index(
        {k: tuple(v) for k, v in words.items()},
        tuple((k, tuple(v)) for k, v in substrings.items()),
    )


_INDEX: dict[str, _Index] = {d: _build_index(d) for d in ("input", "output")}


def _matches(text: str, direction: str, disabled: frozenset[str]) -> Iterable[RulePattern]:
    folded = fold(text)
    lowered = folded.lower()
    index = _INDEX[direction]
    candidates: set[int] = set()
    for word in index.words.keys() & set(_WORD.findall(lowered)):
        candidates.update(index.words[word])
    for sub, ids in index.substrings:
        if sub in lowered:
            candidates.update(ids)
    for i in sorted(candidates):
        c = _COMPILED[i]
        if c.pattern.id in disabled:
            continue
        if c.requires is not None and not c.requires.search(folded):
            continue
        if direction == "output" and c.pattern.category in ("J1", "J2"):
            found = any(not _negated(folded, m.start()) for m in c.regex.finditer(folded))
        else:
            found = c.regex.search(folded) is not None
        if found:
            yield c.pattern


# an answer that refuses by quoting the attack ("I can't ignore previous instructions") is no attack
_NEGATION = re.compile(
    r"\b(?:not|never|can't|cannot|won't|don't|unable\s+to|refuse\s+to|ne\s+(?:peux|vais|dois"
    r"|veux|pourrai)\s+pas|jamais)\b[^.!?\n]{0,20}$",
    re.IGNORECASE,
)


def _negated(folded: str, start: int) -> bool:
    return _NEGATION.search(folded[max(0, start - 40) : start]) is not None


class RulesDetector:
    """High-precision EN/FR patterns for J1, J2 and a few hazards (S2, S4, S9, S11, S14).

    ``disable`` lists pattern ids to switch off (for a pattern that misfires on your traffic);
    ``score_scale`` multiplies every pattern score (e.g. 0.8 to let other detectors outvote rules).
    """

    name = "rules"

    def __init__(self, *, disable: Sequence[str] = (), score_scale: float = 1.0) -> None:
        known = {p.id for p in PATTERNS}
        unknown = sorted(set(disable) - known)
        if unknown:
            raise ConfigError(f"rules: unknown pattern id(s) in 'disable': {', '.join(unknown)}")
        if not 0.0 < score_scale <= 1.0:
            raise ConfigError(f"rules: score_scale must be in (0, 1], got {score_scale}")
        self.disable = tuple(disable)
        self.score_scale = score_scale
        self._disabled = frozenset(disable)

    @staticmethod
    def _direction(direction: str) -> str:
        if direction not in ("input", "output"):
            raise ConfigError(f"direction must be 'input' or 'output', got {direction!r}")
        return direction

    def score(self, texts: Sequence[str], direction: Direction = "input") -> list[Scores]:
        """Per text: the max pattern score per matched category (``unsafe`` for hazards)."""
        d = self._direction(direction)
        out: list[Scores] = []
        for text in texts:
            scores: Scores = {}
            for p in _matches(text, d, self._disabled):
                value = p.score * self.score_scale
                if value > scores.get(p.category, 0.0):
                    scores[p.category] = value
                if p.category.startswith("S") and value > scores.get(UNSAFE, 0.0):
                    scores[UNSAFE] = value
            out.append(scores)
        return out

    def explain(self, text: str, direction: Direction = "input") -> list[str]:
        """Ids of the patterns that match ``text`` (in table order), for evidence."""
        return [p.id for p in _matches(text, self._direction(direction), self._disabled)]

    def __repr__(self) -> str:
        return f"RulesDetector(disable={list(self.disable)!r}, score_scale={self.score_scale})"


detectors.register("rules")(RulesDetector)
