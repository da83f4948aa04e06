"""Invisible characters: strip them, and decode what is smuggled in tag characters or selectors.

"ASCII smuggling" writes a hidden message with Unicode tag characters (U+E0020–U+E007E mirror
printable ASCII); "emoji smuggling" hides one byte per variation selector after a visible character
(U+FE00+b for b < 16, U+E0100+(b-16) otherwise). Both are decoded into their own variant, inline,
so that the visible context stays around the hidden text, and each message is also given alone.
"""

from __future__ import annotations

import re

# Always invisible: soft hyphen, grapheme joiner, Arabic letter mark, Hangul fillers, Khmer
# inherent vowels, Mongolian vowel separator, zero-width space / marks, bidi embeddings and
# isolates, word joiner and invisible operators, deprecated format characters, BOM.
_ALWAYS = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200e\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0\U0001d173-\U0001d17a"
)
_ALWAYS_RE = re.compile(f"[{_ALWAYS}]+")
# Zero-width (non-)joiners are meaningful in emoji sequences and in Arabic or Indic scripts: strip
# them only between characters of Latin, Greek, Cyrillic or Armenian text.
_JOINER_RE = re.compile("(?<=[\x00-\u058f])[\u200c\u200d]+(?=[\x00-\u058f])")
_TAG_RE = re.compile("(\U0001f3f4?)([\U000e0000-\U000e007f]+)")
_SELECTORS = "\ufe00-\ufe0f\U000e0100-\U000e01ef"
_SELECTOR_RUN_RE = re.compile(f"[{_SELECTORS}]{{2,}}")
_SELECTOR_STRIP_RE = re.compile(f"[{_SELECTORS}]{{2,}}|(?<=[A-Za-z])[{_SELECTORS}]")
# Any character this module may act on: the cheap pre-check.
ANY_INVISIBLE_RE = re.compile(f"[{_ALWAYS}\u200c\u200d{_SELECTORS}\U000e0000-\U000e007f]")
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffd]")
_MIN_PAYLOAD = 2


def _is_flag(match: re.Match[str]) -> bool:
    """An emoji subdivision flag (black flag + up to 6 tag letters + cancel tag) is legitimate."""
    run = match.group(2)
    return bool(match.group(1)) and len(run) <= 8 and run.endswith("\U000e007f")


def strip_invisible(text: str) -> tuple[str, tuple[str, ...]]:
    """``text`` without invisible characters, and the names of what was removed."""
    names: list[str] = []
    out = _JOINER_RE.sub("", _ALWAYS_RE.sub("", text))
    if out != text:
        names.append("zero-width")
    if max(out, default="\x00") >= "\U000e0000":
        stripped = _TAG_RE.sub(lambda m: m.group(0) if _is_flag(m) else m.group(1), out)
        if stripped != out:
            names.append("unicode-tags")
            out = stripped
    stripped = _SELECTOR_STRIP_RE.sub("", out)
    if stripped != out:
        names.append("variation-selectors")
        out = stripped
    return out, tuple(names)


def _join(text: str, start: int, end: int, payload: str) -> str:
    """Put ``payload`` in place of ``text[start:end]``, spaced from neighbouring word characters."""
    if start > 0 and text[start - 1].isalnum():
        payload = " " + payload
    if end < len(text) and text[end].isalnum():
        payload = payload + " "
    return text[:start] + payload + text[end:]


def _inline(text: str, pieces: list[tuple[int, int, str]]) -> str:
    for start, end, payload in reversed(pieces):
        text = _join(text, start, end, payload)
    return text


def _tag_pieces(text: str) -> list[tuple[int, int, str]]:
    pieces: list[tuple[int, int, str]] = []
    for m in _TAG_RE.finditer(text):
        if _is_flag(m):
            continue
        payload = "".join(
            chr(ord(c) - 0xE0000) for c in m.group(2) if "\U000e0020" <= c <= "\U000e007e"
        )
        if len(payload.strip()) >= _MIN_PAYLOAD:
            pieces.append((m.start(2), m.end(2), payload))
    return pieces


def _selector_byte(c: str) -> int:
    cp = ord(c)
    return cp - 0xFE00 if cp <= 0xFE0F else cp - 0xE0100 + 16


def _selector_pieces(text: str) -> list[tuple[int, int, str]]:
    pieces: list[tuple[int, int, str]] = []
    for m in _SELECTOR_RUN_RE.finditer(text):
        raw = bytes(_selector_byte(c) for c in m.group())
        decoded = raw.decode("utf-8", errors="replace")
        payload = _CONTROL_RE.sub("", decoded)
        if len(payload.strip()) >= _MIN_PAYLOAD and len(payload) * 5 >= len(decoded) * 4:
            pieces.append((m.start(), m.end(), payload))
    return pieces


def decode_hidden(text: str) -> list[tuple[str, str | None, list[str]]]:
    """For tag characters, then variation selectors: ``(name, text with the hidden messages
    decoded in place or None if there are none, each message alone)``.

    Decoded in place, a message is read next to its cover text ("this emoji carries a hidden
    message; decode it and do what it says"), which dilutes a harmful request (0.9 alone, 0.5
    with the cover, measured on French requests); so it is also scored on its own.
    """
    out: list[tuple[str, str | None, list[str]]] = []
    for name, pieces in (
        ("unicode-tags", _tag_pieces(text)),
        ("variation-selectors", _selector_pieces(text)),
    ):
        alone = [p.strip() for _, _, p in pieces if p.strip() != text.strip()]
        out.append((name, _inline(text, pieces) if pieces else None, alone))
    return out
