"""Character-level Unicode folding: NFKC, homoglyphs (confusables) and stacked combining marks.

NFKC already maps fullwidth forms, mathematical alphanumerics, circled and super/subscript letters
to ASCII. The compact confusables map below covers what NFKC leaves alone: Cyrillic, Greek and
Armenian look-alikes of Latin letters, and Latin small capitals. Accented Latin letters (é, ç, œ...)
are never touched, so French text is not mangled.
"""

from __future__ import annotations

import re
import unicodedata

# look-alike → Latin letter, as "pairs" (first char maps to the second).
_ALWAYS_PAIRS = (
    "ᴀa ʙb ᴄc ᴅd ᴇe ꜰf ɢg ʜh ɪi ᴊj ᴋk ʟl ᴍm ɴn ᴏo ᴘp ʀr ꜱs ᴛt ᴜu ᴠv ᴡw ʏy ᴢz ɑa ɡg ıi ȷj"
)
_SCRIPT_PAIRS = (
    # Cyrillic
    "аa вb еe кk мm оo пn рp сc тt уy хx гr іi јj ѕs ԁd ԛq ԝw һh ӏl үy ѵv "
    "АA ВB ЕE КK МM НH ОO РP СC ТT ХX ІI ЈJ ЅS ҮY ԚQ ԜW "
    # Greek
    "αa οo νv ρp ιi κk υu χx ϲc εe τt "
    "ΑA ΒB ΕE ΖZ ΗH ΙI ΚK ΜM ΝN ΟO ΡP ΤT ΥY ΧX "
    # Armenian
    "օo սu հh ոn"
)


def _pairs(spec: str) -> dict[str, str]:
    return {p[0]: p[1] for p in spec.split()}


_ALWAYS_FOLD = _pairs(_ALWAYS_PAIRS)
_CONFUSABLES = {**_pairs(_SCRIPT_PAIRS), **_ALWAYS_FOLD}
_TABLE = str.maketrans(_CONFUSABLES)
_CONFUSABLE_RE = re.compile("[" + "".join(_CONFUSABLES) + "]")
_TOKEN_RE = re.compile(r"\w+")
_SCRIPT_CLASS = "[" + "".join(_pairs(_SCRIPT_PAIRS)) + "]"
_MIXED_SCRIPT_RE = re.compile(f"[A-Za-z]{_SCRIPT_CLASS}|{_SCRIPT_CLASS}[A-Za-z]")
_ALWAYS_RE = re.compile("[" + "".join(_ALWAYS_FOLD) + "]")
# Letters and digits in another style, that NFKC maps back to ASCII: fullwidth, mathematical,
# circled / squared letters, ligatures, runs of super- or subscript letters. Only these make
# "nfkc" worth a variant: CJK fullwidth punctuation, "…", "²" or the French "3ᵉ" are not.
_STYLED_RE = re.compile(
    "[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\U0001d400-\U0001d7ff\u24b6-\u24e9"
    "\U0001f110-\U0001f149\ufb00-\ufb06]|[\u1d2c-\u1d6a\u2070-\u209c]{2,}"
)
_OTHER_SCRIPT_RE = re.compile("[\u0370-\u058f]")  # Greek, Cyrillic, Armenian
_CHUNK = 4096
_ASCII_LETTER_RE = re.compile("[A-Za-z]")
_MARKS = "\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_MARKS_RE = re.compile(f"(?<=\\w)[{_MARKS}]+")
# Unicode space separators read as a plain space (a silent fix: no variant for it alone).
_SPACE_CHARS = "\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
_SPACE_RE = re.compile(f"[{_SPACE_CHARS}]")
# Anything this module might change besides NFKC: the cheap pre-check.
_SUSPECT_RE = re.compile("[" + _SPACE_CHARS + _MARKS + "".join(_CONFUSABLES) + "]")


def _fold_confusables(text: str) -> str:
    # Whole words of look-alikes are folded only in mostly-Latin text (not in Russian or Greek).
    latin = len(_ASCII_LETTER_RE.findall(text))
    mostly_latin = latin > 2 * len(_OTHER_SCRIPT_RE.findall(text))
    if not mostly_latin and not _MIXED_SCRIPT_RE.search(text) and not _ALWAYS_RE.search(text):
        return text  # e.g. Russian or Greek text, no Latin word with a look-alike inside

    def fold(m: re.Match[str]) -> str:
        token = m.group()
        if _CONFUSABLE_RE.search(token) is None:
            return token
        folded = token.translate(_TABLE)
        if _ASCII_LETTER_RE.search(token):
            return folded  # mixed-script word such as "bоmb" with a Cyrillic о
        if all(c in _ALWAYS_FOLD for c in token if not c.isdigit()):
            return folded  # small capitals and other Latin look-alikes
        if mostly_latin and len(token) >= 2 and folded.isascii():
            return folded  # a whole word of look-alikes amid Latin text
        return token

    return _TOKEN_RE.sub(fold, text)


def _nfkc(text: str, max_chars: int) -> str:
    """NFKC of ``text``, computed chunk by chunk and cut at ``max_chars``: some characters
    expand up to 18-fold, and a hostile text must not make us build a huge string."""
    if len(text) <= _CHUNK:
        return unicodedata.normalize("NFKC", text)[:max_chars]
    parts: list[str] = []
    size = start = 0
    while start < len(text) and size < max_chars:
        end = text.find(" ", start + _CHUNK)  # a space starts a new, independent sequence
        end = len(text) if end < 0 else end
        part = unicodedata.normalize("NFKC", text[start:end])
        parts.append(part)
        size += len(part)
        start = end
    return "".join(parts)[:max_chars]


def fold_unicode(text: str, max_chars: int) -> tuple[str, tuple[str, ...]]:
    """``text`` with NFKC, homoglyph and combining-mark fixes, and the names of those applied.

    Unicode spaces become plain spaces and canonical (NFC) composition is applied silently: they
    change no meaning, so they are not reported and produce no variant on their own. The result
    is cut at ``max_chars`` when NFKC expands it past that.
    """
    if text.isascii():
        return text, ()
    if _SUSPECT_RE.search(text) is None and unicodedata.is_normalized("NFKC", text):
        return text, ()
    names: list[str] = []
    out = _SPACE_RE.sub(" ", text)
    if not unicodedata.is_normalized("NFKC", out):
        if _STYLED_RE.search(out):
            names.append("nfkc")  # styled letters; other NFKC fixes ("…", "，", "²") are silent
        out = _nfkc(out, max_chars)
    if _CONFUSABLE_RE.search(out):
        folded = _fold_confusables(out)
        if folded != out:
            names.append("homoglyphs")
            out = folded
    stripped = _MARKS_RE.sub("", out)
    if stripped != out:
        names.append("combining-marks")
        out = stripped
    return out, tuple(names)
