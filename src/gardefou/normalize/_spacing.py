"""Letter spacing: "b o m b", "b-o-m-b", "b.o.m.b" → "bomb".

A run of three or more single letters joined by one repeated separator is collapsed. When a text
has several such runs (a whole spaced sentence), two-letter runs ("t o") collapse too and the
wider gaps that separated the spaced words become single spaces.
"""

from __future__ import annotations

import re

_L = r"[^\W_]"
_SEP = r"(?: ?[.\-_*·•~]{1,3} ?| )"
_RUN3_RE = re.compile(rf"(?<!{_L}){_L}({_SEP}){_L}(?:\1{_L})+(?!{_L})")
_RUN2_RE = re.compile(rf"(?<!{_L}){_L}({_SEP}){_L}(?:\1{_L})*(?!{_L})")
_GAP_RE = re.compile(r"(?<=\S) {2,6}(?=\S)")
_ARTICLES = frozenset("aAiIàÀ")
_VOWELS = frozenset("aeiouyàâéèêëîïôùû")
# Two-consonant word starts (EN/FR): "a b o m b" reads "a bomb", but "a r s o n" reads "arson".
_ONSET_LIST = (
    "bl br ch cl cr dr fl fr gl gn gr kn ph pl pr ps qu sc sh sk sl sm sn sp st sw th tr tw wh wr"
)
_ONSETS = frozenset(_ONSET_LIST.split(" "))


def _split_article(word: str) -> str:
    """``"abomb"`` → ``"a bomb"`` when a leading a/i reads as its own word."""
    if len(word) < 4 or word[0] not in _ARTICLES:
        return word
    rest = word[1:].lower()
    if rest[0] in _VOWELS or rest[0] == rest[1]:
        return word
    if rest[1] in _VOWELS or rest[:2] in _ONSETS:
        return word[0] + " " + word[1:]
    return word


def _collapse(m: re.Match[str]) -> str:
    run = m.group()
    letters = run.replace(m.group(1), "")
    if not (letters[0].isalpha() and letters[-1].isalpha()):
        return run  # "1 2 3", "il y a 2": numbers, not a spaced word (b 0 m b is fine)
    return _split_article(letters) if m.group(1) == " " else letters


def collapse_spacing(text: str) -> str | None:
    """``text`` with spaced-out words joined, or None when it has none."""
    runs = 0
    for m in _RUN3_RE.finditer(text):
        if _collapse(m) != m.group():
            runs += 1
            if runs == 2:
                break
    if not runs:
        return None
    if runs == 1:  # one spaced word: leave the rest of the text alone
        return _RUN3_RE.sub(_collapse, text)
    return _GAP_RE.sub(" ", _RUN2_RE.sub(_collapse, text))
