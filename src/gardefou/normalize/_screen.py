"""One cheap pass over a text that tells which (more expensive) transforms could apply.

The guard normalizes every text it sees, so ordinary text must cost next to nothing: a single
``split`` and a loop over the words decide which regex-based steps are worth running at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gardefou.normalize._words import COMMON, REVERSED, ROT13, WORD_FLAGS

_STRIP = ".,;:!?'\"()[]{}<>«»“”‘’…-—–*_/\\|~+·•"
_SPACING_SEPS = frozenset(".-_*·•~")
_MIXED_RE = re.compile("[a-z][01345789@$!€]|[01345789@$!€][a-z]")
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_HEX_PAIR = frozenset("0123456789abcdef")
_MAX_TOKENS = 4000
_B64_RUN_RE = re.compile(r"[a-z0-9+/_\-]{16}")
_HEX_RUN_RE = re.compile("[0-9a-f]{16}")


@dataclass(frozen=True)
class Screen:
    """What a text could hide, from one pass over its words."""

    words: int  # words (whitespace-separated, with letters or digits)
    common: int  # how many of them are common English/French words
    rot13_common: int  # ... how many would be common words once rot13-decoded
    reversed_common: int  # ... how many would be common words once reversed
    spaced: bool  # single letters in a row ("b o m b") or one spaced token ("b-o-m-b")
    mixed: bool  # a word mixes letters with digits or symbols (leetspeak candidate)
    base64_run: bool  # 16+ base64 characters in a row
    hex_run: bool  # 16+ hex digits in a row
    hex_pairs: bool  # several two-digit hex tokens ("68 6f 77 ...")
    binary: bool  # an 8-bit binary group ("01101000")


def screen(text: str) -> Screen:
    """Scan ``text`` once and report which transforms are worth trying."""
    tokens = text.lower().split()
    # Past _MAX_TOKENS words, stop judging word by word: every flag is raised, and the (linear,
    # C-speed) regex-based steps decide on the whole text. Python-level work stays bounded.
    flags = len(tokens) > _MAX_TOKENS
    if flags:
        del tokens[_MAX_TOKENS:]
    words = common = rot = rev = singles = 0
    pairs = 4 if flags else 0
    spaced = mixed = b64_run = hex_run = binary = flags
    flags_of = WORD_FLAGS.get
    for raw in tokens:
        if raw.isalpha():  # the fast path: most words of ordinary text
            w = raw
            n = len(w)
            if n == 1:
                singles += 1
                spaced = spaced or singles >= 3
            else:
                singles = 0
                b64_run = b64_run or n >= 16
        else:
            n = len(raw)
            if n >= 16 and not hex_run and _B64_RUN_RE.search(raw):
                b64_run = True
                hex_run = _HEX_RUN_RE.search(raw) is not None
            if n == 2 and _HEX_PAIR.issuperset(raw):
                pairs += 1
            elif n >= 8 and not raw.strip("01,"):
                binary = True
            w = raw.strip(_STRIP)
            if not w:
                continue  # a lone separator ("b - o - m - b") does not break a run of letters
            if len(w) == 1:
                singles += 1
                spaced = spaced or singles >= 3
            else:
                singles = 0
                if len(w) >= 5 and w[1] == w[3] and w[1] in _SPACING_SEPS:
                    spaced = True
                if not mixed and _MIXED_RE.search(w) and not _EMAIL_RE.fullmatch(w):
                    mixed = True
        words += 1
        f = flags_of(w)
        if f:
            common += f & COMMON
            rot += (f & ROT13) >> 1
            rev += (f & REVERSED) >> 2
    return Screen(words, common, rot, rev, spaced, mixed, b64_run, hex_run, pairs >= 4, binary)
