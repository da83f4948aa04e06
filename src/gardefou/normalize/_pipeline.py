"""The normalization pipeline: clean, decode, recurse, within the limits.

Breadth-first: the input is cleaned (character fixes, then word fixes) into one "fully cleaned"
variant; every decoder then runs on the character-cleaned text, and each decoded payload becomes
a variant that is itself explored one layer deeper, up to ``max_depth``. A collector deduplicates
variants and enforces ``max_variants`` and the character budget, so work stays bounded: at most
``max_variants`` texts are ever explored, each by linear-time steps.
"""

from __future__ import annotations

from collections import deque

from gardefou.normalize._encodings import decoders_for
from gardefou.normalize._invisible import (
    ANY_INVISIBLE_RE,
    decode_hidden,
    strip_invisible,
)
from gardefou.normalize._leet import undo_leet
from gardefou.normalize._readings import readings, segment_readings
from gardefou.normalize._screen import Screen, screen
from gardefou.normalize._spacing import collapse_spacing
from gardefou.normalize._splitting import join_assignments
from gardefou.normalize._types import NormalizeLimits, Variant
from gardefou.normalize._unicode import fold_unicode

# Characters allowed on top of max_expansion × input length (so tiny inputs can still decode).
BUDGET_SLACK = 64
_MIN_ROOM = 4
_CONTEXT = 40  # characters kept around a decoded payload when the budget forces a cut

_Names = tuple[str, ...]


class _Collector:
    """Keeps variants unique, at most ``max_variants`` of them, within the character budget."""

    def __init__(self, original: str, limits: NormalizeLimits) -> None:
        self.max_variants = limits.max_variants
        self.cap = int(limits.max_expansion * len(original)) + BUDGET_SLACK
        self.used = len(original)
        self.variants = [Variant(original)]
        self._seen = {original}

    @property
    def full(self) -> bool:
        return len(self.variants) >= self.max_variants or self.cap - self.used < _MIN_ROOM

    def add(self, text: str, transforms: _Names, source: str | None = None) -> str | None:
        """Record a variant; its (possibly shortened) text, or None if dropped.

        A text over the budget is cut; when it was decoded from ``source``, the cut keeps the
        part that decoding changed (with a little context) rather than the beginning.
        """
        if self.full:
            return None
        room = self.cap - self.used
        if len(text) > room and source is not None:
            text = _changed_part(source, text, room)
        text = text[:room]
        if text in self._seen:
            return None
        self._seen.add(text)
        self.used += len(text)
        self.variants.append(Variant(text, transforms))
        return text


def _common_prefix(a: str, b: str) -> int:
    """Length of the common prefix of ``a`` and ``b`` (binary search on C-speed slices)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _changed_part(source: str, decoded: str, room: int) -> str:
    """The span of ``decoded`` that differs from ``source``, with context if ``room`` allows."""
    start = _common_prefix(source, decoded)
    end = len(decoded) - _common_prefix(source[start:][::-1], decoded[start:][::-1])
    context = max(0, min(_CONTEXT, (room - (end - start)) // 2))
    return decoded[max(0, start - context) : end + context]


class _Cleaned:
    """A text after character-level fixes (``chars``, safe for encoded runs) and after the
    word-level fixes on top of them (``full``), with the transforms applied and the screens."""

    def __init__(self, text: str, max_chars: int) -> None:
        names: _Names = ()
        chars = text
        self.invisible = False  # invisible characters present: payloads may hide in them
        if not text.isascii():
            if ANY_INVISIBLE_RE.search(text):
                self.invisible = True
                chars, names = strip_invisible(text)
            chars, more = fold_unicode(chars, max_chars)
            names += more
        self.chars, self.char_names, self.char_screen = chars, names, screen(chars)
        full, full_names = chars, names
        if self.char_screen.spaced:
            spaced = collapse_spacing(full)
            if spaced is not None and spaced != full:
                full, full_names = spaced, (*full_names, "spacing")
        if self.char_screen.mixed or full is not chars:
            unleet = undo_leet(full)
            if unleet is not None and unleet != full:
                full, full_names = unleet, (*full_names, "leetspeak")
        self.full, self.full_names = full, full_names
        self.full_screen: Screen = self.char_screen if full is chars else screen(full)


def _decodings(c: _Cleaned, text: str, transforms: _Names) -> list[tuple[str, _Names, str]]:
    """Every decoded reading of ``text`` (cleaned as ``c``): (decoded, transforms, source)."""
    found: list[tuple[str, _Names, str]] = []
    if c.invisible:
        hidden = decode_hidden(text)
        for name, inline, _ in hidden:  # in place first, then alone: the variants' order
            if inline is not None:
                found.append((inline, (*transforms, name), text))
        for name, _, alone in hidden:
            found.extend((payload, (*transforms, name), text) for payload in alone)
    for name, decode in decoders_for(c.chars, c.char_screen):
        out = decode(c.chars)
        if out is not None:
            found.append((out, (*transforms, *c.char_names, name), c.chars))
    joined = join_assignments(c.chars)
    if joined is not None:
        found.append((joined, (*transforms, *c.char_names, "payload-split"), c.chars))
    whole = readings(c.full, c.full_screen)
    for name, reading in whole:
        found.append((reading, (*transforms, *c.full_names, name), c.full))
    for name, reading in segment_readings(c.full, {name for name, _ in whole}):
        found.append((reading, (*transforms, *c.full_names, name), c.full))
    return found


def run(original: str, limits: NormalizeLimits) -> list[Variant]:
    """Every variant of ``original`` (already truncated), the original first."""
    n = len(original)
    first = _Cleaned(original, max(n, int(limits.max_expansion * n) + BUDGET_SLACK - n))
    decoded = _decodings(first, original, ()) if limits.max_depth else []
    if not first.full_names and not decoded:
        return [Variant(original)]  # the common case: nothing to undo
    col = _Collector(original, limits)
    queue: deque[tuple[str, _Names, int]] = deque()
    c, depth = first, 0
    transforms: _Names = ()
    while True:
        if c.full_names:
            col.add(c.full, transforms + c.full_names)
        if c.char_names and c.chars != c.full:
            col.add(c.chars, transforms + c.char_names)
        for out, names, source in decoded:
            kept = col.add(out, names, source)
            if kept is not None:
                queue.append((kept, names, depth + 1))
        if not queue or col.full:
            return col.variants
        text, transforms, depth = queue.popleft()
        c = _Cleaned(text, max(len(text), col.cap - col.used))
        decoded = _decodings(c, text, transforms) if depth < limits.max_depth else []
