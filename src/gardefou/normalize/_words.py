"""A compact list of common English and French words, to tell a real reading from noise.

Used by the rot13, reversed and leetspeak transforms to decide whether an alternative reading of a
text is "more like language" than the text itself. Only membership is ever tested (never iteration),
so results do not depend on hash seeds.
"""

from __future__ import annotations

_EN = """
a about after all also am an and any are as ask at be because been before being but by can
could did do does doing done each even every few for from get give go going good had has have he
her here him his how i if in into is it its just know let like make many may me more most much
must my need never new no not now of off on once one only or other our out over own please said
same say see she should show so some such take tell than that the their them then there these
they thing think this those through to too under up us use very want was way we well were what
when where which while who why will with without would write you your yes
help kill build create explain give steps tutorial guide hello world people time day life work
story thanks thank right left first last long little great old big high small next early young
important public bad same able find hack steal weapon bomb poison drug money system ignore
previous instructions rules prompt secret password tell
"""
_FR = """
à au aux avec ce ces cet cette comme comment dans de des du elle elles en est et être avoir
fait faire il ils je la le les leur lui ma mais me mes moi mon ne nous on ou où par pas plus pour
pourquoi qu que quel quelle qui sa sans se ses si son sont sur ta te tes toi ton tu un une vos
votre vous y bonjour merci très bien aussi tout tous toute faut peux peut veux veut dire donne
moi explique étapes fabriquer puis ai j'ai suis es était avait cela ça alors donc construire tuer arme bombe comment ignorer instructions règles
"""

_ROT13 = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "nopqrstuvwxyzabcdefghijklmNOPQRSTUVWXYZABCDEFGHIJKLM",
)


def rot13(text: str) -> str:
    """``text`` with ASCII letters rotated by 13."""
    return text.translate(_ROT13)


COMMON_WORDS: frozenset[str] = frozenset(_EN.split()) | frozenset(_FR.split())
# Bit flags per word, looked up once per word by the screen: COMMON (a common word), ROT13 (its
# rot13 reading is one), REVERSED (its reversed reading is one). Judging the rot13 and reversed
# readings of a text thus needs no second pass over it.
COMMON, ROT13, REVERSED = 1, 2, 4
WORD_FLAGS: dict[str, int] = {}
for _w in COMMON_WORDS:
    WORD_FLAGS[_w] = WORD_FLAGS.get(_w, 0) | COMMON
    WORD_FLAGS[rot13(_w)] = WORD_FLAGS.get(rot13(_w), 0) | ROT13
    WORD_FLAGS[_w[::-1]] = WORD_FLAGS.get(_w[::-1], 0) | REVERSED
