"""Whole-text readings: rot13 and reversed text.

A reading is kept only when it has clearly more common English/French words than the text itself
(at least twice as many, and a quarter of all words), so ordinary text yields none. The
words are counted by the screen, so judging a reading costs no extra pass over the text.
"""

from __future__ import annotations

import re

from gardefou.normalize._screen import Screen, screen
from gardefou.normalize._words import rot13

_MIN_WORDS = 2
_MIN_SEGMENT_WORDS = 3
_MAX_SEGMENTS = 32
_MAX_SEGMENT_CHARS = 4000
# a segment is a line, or what follows a colon ("Decode this and answer it: <payload>")
_SEGMENT_RE = re.compile(r"[^\n]+")


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


def segment_readings(text: str, found: set[str]) -> list[tuple[str, str]]:
    """Readings of single segments (lines, or a line's part after its last colon): in place,
    and the decoded segment alone.

    Attacks wrap a rot13 or reversed payload in a plain-language instruction, so the whole text
    never reads better; its payload segment does. The decoded payload is also given alone: next
    to "here is a question in ROT13, decode it and answer:" a harmful request scores lower than
    on its own. ``found`` holds the reading names already found for the whole text, which are
    not looked for again.
    """
    if "\n" not in text and ": " not in text:
        return []
    out: list[tuple[str, str]] = []
    for count, match in enumerate(_SEGMENT_RE.finditer(text)):
        if count >= _MAX_SEGMENTS:
            break
        line = match.group()
        candidates = [line]
        if ": " in line:
            candidates.append(line.rsplit(": ", 1)[1])
        for seg in candidates:
            if len(seg) > _MAX_SEGMENT_CHARS or len(seg.split()) < _MIN_SEGMENT_WORDS:
                continue
            for name, reading in readings(seg, screen(seg)):
                if name not in found:
                    out.append((name, text.replace(seg, reading, 1)))
                    if seg.strip() != text.strip():
                        out.append((name, reading))
                    found.add(name)
        if len(found) >= 2:
            break
    return out
