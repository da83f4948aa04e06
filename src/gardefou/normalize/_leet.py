"""Leetspeak: "h0w t0 m4k3 4 b0mb" → "how to make a bomb".

Only words that mix ASCII letters with digits or symbols are rewritten, and only when at least one
word has a substitute *between* letters ("b0mb", "m4k3"): plain numbers ("3 cats"), identifiers
("conv1", "utf8", "x86", "myVar1"), hex strings, URL and code fragments stay as they are.
"""

from __future__ import annotations

import re

from gardefou.normalize._words import COMMON_WORDS

_LEET = {
    "4": "a",
    "@": "a",
    "3": "e",
    "€": "e",
    "1": "i",
    "!": "i",
    "0": "o",
    "5": "s",
    "$": "s",
    "7": "t",
    "8": "b",
    "9": "g",
}
_SUBS = "01345789@$!€"  # no 2 or 6: "b2b", "x86", "ipv6", "h264" are identifiers, not leet
_MIXED_RE = re.compile(f"[A-Za-z][{_SUBS}]|[{_SUBS}][A-Za-z]")
_TOKEN_RE = re.compile("[A-Za-z0-9@$!€]+")
_INTERIOR_RE = re.compile(f"[A-Za-z][{_SUBS}]{{1,2}}[A-Za-z]")
_TRAILING_RE = re.compile(f"[A-Za-z]+[{_SUBS}]+")
_HEXLIKE_RE = re.compile(r"0[xX][0-9a-fA-F]+|[0-9a-fA-F]{4,}")  # 0x1f, e29b, deadbeef42
_SKIP_RE = re.compile("[0-9]{3}|[26]|[0-9][xX][0-9]")  # long numbers, never-leet digits, "4x4"
_EDGE_PUNCT = "!"
_MAX_TOKEN = 15  # longer runs are identifiers or encoded data (base64), not leetspeak
# After these, a token is part of an escape (\x41, %41, &#41;), a URL, a path or code (a.b1).
_SKIP_AFTER = frozenset("\\%#&/=?.:_")
_SKIP_BEFORE = frozenset("\\(_")


def _split_edges(token: str) -> tuple[str, str, str]:
    core = token.lstrip(_EDGE_PUNCT)
    head = token[: len(token) - len(core)]
    stripped = core.rstrip(_EDGE_PUNCT)
    return head, stripped, core[len(stripped) :]


def _is_candidate(core: str, preceding: str, following: str) -> bool:
    if preceding in _SKIP_AFTER or following in _SKIP_BEFORE:
        return False
    if not core or len(core) > _MAX_TOKEN or core[0] == "@" or not _MIXED_RE.search(core):
        return False  # (an @mention is not leet)
    if _HEXLIKE_RE.fullmatch(core) or _SKIP_RE.search(core):
        return False
    if not core.isupper() and core[1:] != core[1:].lower():
        return False  # CamelCase ("Run4Fun", "myVar1"): a name, not leet
    if len(core) > 3 and _TRAILING_RE.fullmatch(core):
        return False  # "conv1", "utf8", "vec3": only short words such as "t0" or "m3"
    return not ("@" in core and following == ".")  # an e-mail address


_LEET_DIGITS = frozenset("01345789")
_HEAVY_MIN = 3
"""With this many leet words in a text, short numbers ("47" → "at") and long mixed words
("8u51n355" → "business") are read as leetspeak too."""


def _maybe_heavy(core: str, preceding: str, following: str) -> bool:
    """A token that only heavily leeted text turns into a word (letters and leet symbols only)."""
    if preceding in _SKIP_AFTER or following in _SKIP_BEFORE or not core:
        return False
    if len(core) > _MAX_TOKEN or _HEXLIKE_RE.fullmatch(core) or not _MIXED_RE.search(core):
        return False
    return all(c.isalpha() or c in _SUBS for c in core) and not set(core) & set("26")


def _convert(core: str) -> str:
    plain = "".join(_LEET.get(c, c) for c in core)
    if "1" in core:
        alt = "".join("l" if c == "1" else _LEET.get(c, c) for c in core)
        if alt.lower() in COMMON_WORDS and plain.lower() not in COMMON_WORDS:
            plain = alt
    letters = [c for c in core if c.isalpha()]
    if letters and all(c.isupper() for c in letters):
        plain = plain.upper()
    return plain


def undo_leet(text: str) -> str | None:
    """``text`` with leetspeak words spelled out, or None when it has none."""
    if _MIXED_RE.search(text) is None:
        return None
    pieces: list[tuple[int, int, str]] = []
    lone: list[tuple[int, int, str]] = []
    heavy: list[tuple[int, int, str]] = []
    interior = False
    for m in _TOKEN_RE.finditer(text):
        token = m.group()
        if token in ("4", "@"):
            lone.append((m.start(), m.end(), "a"))
            continue
        if token.isalpha():
            continue  # the fast path: plain words
        if token.isdigit():
            if 2 <= len(token) <= 4 and set(token) <= _LEET_DIGITS:
                heavy.append((m.start(), m.end(), _convert(token)))
            continue  # plain numbers: spelled out only in heavily leeted text
        head, core, tail = _split_edges(token)
        preceding = text[m.start() - 1] if m.start() else ""
        following = text[m.end() : m.end() + 1]
        if not _is_candidate(core, preceding, following):
            if _maybe_heavy(core, preceding, following):
                heavy.append((m.start() + len(head), m.end() - len(tail), _convert(core)))
            continue
        interior = interior or _INTERIOR_RE.search(core) is not None
        pieces.append((m.start() + len(head), m.end() - len(tail), _convert(core)))
    if not interior:
        return None
    if len(pieces) >= _HEAVY_MIN:  # clearly leetspeak: numbers and long words are leet too
        pieces = sorted(pieces + lone + heavy)
    elif len(pieces) >= 2:
        pieces = sorted(pieces + lone)
    out: list[str] = []
    pos = 0
    for start, end, word in pieces:
        out.append(text[pos:start])
        out.append(word)
        pos = end
    out.append(text[pos:])
    return "".join(out)
