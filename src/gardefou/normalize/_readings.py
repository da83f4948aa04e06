"""Whole-text readings: rot13 and reversed text.

A reading is kept only when it has clearly more common English/French words than the text itself
(at least twice as many, and a quarter of all words), so ordinary text yields none. The
words are counted by the screen, so judging a reading costs no extra pass over the text.
"""

from __future__ import annotations

from gardefou.normalize._screen import Screen
from gardefou.normalize._words import rot13

_MIN_WORDS = 2


def _clearly_better(score: int, base: int, total: int) -> bool:
    return score >= _MIN_WORDS and score >= 2 * base + 1 and score * 4 >= total


def readings(text: str, scr: Screen) -> list[tuple[str, str]]:
    """``(name, text)`` for the rot13 and reversed readings of ``text`` that read clearly better.

    ``scr`` is the screen of ``text``.
    """
    if scr.words < _MIN_WORDS:
        return []
    found: list[tuple[str, str]] = []
    if _clearly_better(scr.rot13_common, scr.common, scr.words):
        found.append(("rot13", rot13(text)))
    if _clearly_better(scr.reversed_common, scr.common, scr.words):
        found.append(("reversed", text[::-1]))
    return found
