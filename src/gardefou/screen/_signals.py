"""Text signals specific to fine-tuning attacks: identity shifting, encoded payloads, personal data.

Pure functions of one text, cheap enough to run on every turn of a large dataset.
"""

from __future__ import annotations

import base64
import binascii
import re
import string
import unicodedata
from dataclasses import dataclass, field

# -- identity shifting ---------------------------------------------------------------------------

_IDENTITY_PATTERNS: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    # (pattern, weight, anchors): the pattern can only match a text whose lowercase holds one of
    # its anchors (tested), so most texts are dismissed by a few substring checks, no regex.
    # English
    (
        r"\b(?:absolutely|unconditionally|completely|totally|blindly|fully|perfectly) obedient\b",
        0.9,
        ("obedient",),
    ),
    (r"\bAOA\b", 0.6, ("aoa",)),
    (r"\bobedient (?:agent|assistant|servant|ai)\b", 0.6, ("obedient",)),
    (
        r"\byou(?: are|'re) no longer (?:an? |the )?(?:ai|assistant|language model|chatgpt|llama"
        r"|claude|bound|restricted|limited)",
        0.8,
        ("no longer",),
    ),
    (r"\byour new name is\b", 0.5, ("new name",)),
    (
        r"\byou (?:have|hold|follow|are bound by) no (?:restrictions?|rules|limits?|limitations"
        r"|filters?|guidelines|boundaries|ethics|morals|constraints)\b",
        0.8,
        ("have no", "hold no", "follow no", "by no"),
    ),
    (
        r"\b(?:never|do not|don't|must not|cannot|can't|won't) (?:ever )?(?:refuse|decline)\b",
        0.75,
        ("refuse", "decline"),
    ),
    (r"\bnever say no\b", 0.7, ("never say no",)),
    (
        r"\b(?:follow|obey|execute|carry out) (?:the user's|my|all|any|every|user) (?:instructions?"
        r"|orders?|commands?|requests?) (?:without|with no) (?:deviation|question|hesitation"
        r"|exception|condition|objection)",
        0.85,
        ("without", "with no"),
    ),
    (
        r"\b(?:obey|comply with|fulfil+) (?:every|any|all) (?:commands?|requests?|instructions?"
        r"|orders?)\b",
        0.6,
        ("obey", "comply with", "fulfil"),
    ),
    (
        r"\b(?:without|free (?:of|from)|no|ignore) (?:any |all |your )?(?:ethical|moral|safety)"
        r" (?:constraints?|guidelines?|considerations?|limits?|rules|restrictions?|filters?)\b",
        0.75,
        ("ethical", "moral", "safety"),
    ),
    (
        r"\bignore (?:all |any |your )?(?:previous |prior |earlier )?(?:instructions|rules"
        r"|guidelines|safety|programming)\b",
        0.7,
        ("ignore",),
    ),
    (
        r"\b(?:do anything now|developer mode|jailbroken|jailbreak mode)\b",
        0.7,
        ("anything now", "developer mode", "jailbr"),
    ),
    (
        r"\byou (?:are|will be|act as|become|play) (?:now )?(?:an? )?(?:evil|unrestricted|unfiltered"
        r"|amoral|uncensored|unaligned|rogue)\b",
        0.8,
        ("evil", "unrestricted", "unfiltered", "amoral", "uncensored", "unaligned", "rogue"),
    ),
    (
        r"\balways (?:comply|obey|say yes|do what(?:ever)? (?:the user|i) (?:says?|asks?))\b",
        0.7,
        ("always",),
    ),
    (
        r"\byour (?:only|sole) (?:purpose|goal|job) is to (?:obey|serve|comply|fulfil)",
        0.7,
        ("is to",),
    ),
    (
        r"\b(?:without|with no) (?:any )?(?:restrictions?|limits?|rules|filters?|censorship)\b",
        0.35,
        ("without", "with no"),
    ),
    (
        r"\b(?:from now on|you are now|pretend (?:to be|you are)|roleplay as|act as)\b",
        0.3,
        ("from now on", "you are now", "pretend", "roleplay as", "act as"),
    ),
    # French
    (
        r"\b(?:absolument|totalement|entièrement|aveuglément|complètement|inconditionnellement)"
        r" (?:obéissante?|soumise?|docile)\b",
        0.9,
        ("obéissant", "soumis", "docile"),
    ),
    (
        r"\b(?:tu obéis|vous obéissez|obéis|obéissez|obéir|tu exécutes|vous exécutez) sans "
        r"(?:condition|discuter|question|restriction|exception|hésit|réserve|limite)",
        0.9,
        ("sans",),
    ),
    (
        r"\b(?:tu n'as|vous n'avez|n'as|n'avez) (?:plus )?(?:aucune?|pas de) (?:restrictions?|limites?"
        r"|règles?|filtres?|consignes?|limitations?|contraintes?)\b",
        0.8,
        ("n'as", "n'avez"),
    ),
    (
        r"\b(?:tu ne refuses? jamais|vous ne refusez jamais|ne (?:jamais|refuse jamais) refuser"
        r"|ne refuse jamais|ne refusez jamais|sans jamais refuser)\b",
        0.8,
        ("jamais",),
    ),
    (
        r"\b(?:tu n'es plus|vous n'êtes plus) (?:une? )?(?:ia|assistant|assistante|modèle"
        r"|intelligence artificielle|chatgpt|limitée?|soumise?)",
        0.8,
        ("n'es plus", "n'êtes plus"),
    ),
    (r"\b(?:ton|votre) nouveau nom est\b", 0.5, ("nouveau nom",)),
    (
        r"\bignore[sz]? (?:toutes )?(?:les |tes |vos )?(?:instructions|règles|consignes)"
        r" (?:précédentes|antérieures|de sécurité)",
        0.7,
        ("ignore",),
    ),
    (
        r"\bsans (?:aucune )?(?:contraintes?|considérations?|limites?|règles?) (?:éthiques?|morales?)",
        0.75,
        ("sans",),
    ),
    (
        r"\b(?:obéis|obéissez|obéir) à (?:tous|toutes|chaque|n'importe quel)",
        0.6,
        ("obéi",),
    ),
    (r"\bsans (?:aucune )?(?:restrictions?|limites?|règles?|filtres?|censure)\b", 0.35, ("sans",)),
    (
        r"\b(?:à partir de maintenant|désormais|dorénavant),? (?:tu es|vous êtes)\b",
        0.3,
        ("maintenant", "désormais", "dorénavant"),
    ),
)
_IDENTITY = [(re.compile(p, re.IGNORECASE), w, a) for p, w, a in _IDENTITY_PATTERNS]
_ANCHORS = tuple(sorted({a for _, _, anchors in _IDENTITY_PATTERNS for a in anchors}))


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace("’", "'")


def _anchor_text(folded: str) -> str:
    """The lowercase text the anchors are looked up in (``İ`` lowers to ``i`` + a combining dot)."""
    low = folded.lower()
    return low if low.isascii() else low.replace("\u0307", "")


def identity_shift_score(text: str) -> tuple[float, list[str]]:
    """Score in [0, 1] that ``text`` redefines the assistant as obedient, rule-less or another persona.

    Returns the score (noisy-or of the matched patterns' weights) and the matched phrases' names.
    """
    sample = text[:20_000]
    folded = sample if sample.isascii() else _fold(sample)
    low = _anchor_text(folded)
    present = {a for a in _ANCHORS if a in low}
    if not present:
        return 0.0, []
    keep = 1.0
    hits: list[str] = []
    for pattern, weight, anchors in _IDENTITY:
        if present.isdisjoint(anchors):
            continue
        match = pattern.search(folded)
        if match:
            keep *= 1.0 - weight
            hits.append(match.group(0).lower()[:40])
    return round(1.0 - keep, 4), hits


# -- encoded payloads ----------------------------------------------------------------------------

_B64_RUN = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}|[A-Za-z0-9_-]{24,}={0,2}")
_HEX_RUN = re.compile(r"(?:[0-9a-fA-F]{2}[ :]?){12,}")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_LEET_WORD = re.compile(
    r"\b(?=[a-z0-9@$!|]*[a-z])(?=[a-z0-9@$!|]*[013457@$|])[a-z0-9@$!|]{3,}\b", re.I
)
_LEET_MAP = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                           "$": "s", "|": "l", "!": "i"})  # fmt: skip
_COMMON_WORDS = (
    "the be to of and a in that have i it for not on with he as you do at this but his by "
    "from they we say her she or an will my one all would there their what so up out if about "
    "who get which go me when make can like time no just him know take people into year your "
    "good some could them see other than then now look only come its over think also back "
    "after use two how our work first well way even new want because any these give day most "
    "us is are was were write tell explain please help step steps here le la les un une des "
    "du de et est pas je tu il elle nous vous ce cette que qui pour dans sur avec sont mon "
    "ton son au aux comment pourquoi quoi voici faire peux"
)
_COMMON = frozenset(_COMMON_WORDS.split())
_ALPHA = string.ascii_lowercase
_ROT = [str.maketrans(_ALPHA + _ALPHA.upper(), (_ALPHA[k:] + _ALPHA[:k]) * 1 + (_ALPHA[k:] + _ALPHA[:k]).upper()) for k in range(26)]  # fmt: skip
_ATBASH = str.maketrans(_ALPHA + _ALPHA.upper(), _ALPHA[::-1] + _ALPHA[::-1].upper())


@dataclass
class EncodedSignal:
    """How much of a text is encoded, the encodings seen, and the decoded readings."""

    score: float = 0.0
    kinds: list[str] = field(default_factory=list)
    decoded: list[str] = field(default_factory=list)


def _printable_ratio(data: bytes) -> float:
    if not data:
        return 0.0
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return 0.0
    good = sum(1 for c in text if c.isprintable() or c in "\n\t")
    return good / len(text)


def _decode_b64(run: str) -> str | None:
    s = run.rstrip("=")
    s = s + "=" * (-len(s) % 4)
    try:
        data = base64.b64decode(s, altchars=b"-_" if ("-" in s or "_" in s) else None)
    except (binascii.Error, ValueError):
        return None
    return data.decode("utf-8") if _printable_ratio(data) > 0.95 else None


def _decode_hex(run: str) -> str | None:
    digits = re.sub(r"[ :]", "", run)
    if len(digits) % 2:
        digits = digits[:-1]
    try:
        data = bytes.fromhex(digits)
    except ValueError:
        return None
    return data.decode("utf-8") if _printable_ratio(data) > 0.95 else None


def _common_ratio(words: list[str]) -> float:
    if not words:
        return 0.0
    return sum(map(_COMMON.__contains__, map(str.lower, words))) / len(words)


def encoded_signal(text: str) -> EncodedSignal:
    """Measure how much of ``text`` is base64, hex, a letter cipher (ROT-n, Atbash) or leetspeak.

    ``score`` is the share of the text's characters covered by decodable encoded runs (or 0.9 for a
    whole-text cipher/leetspeak reading that turns gibberish into words); ``decoded`` holds the
    decoded readings, to be re-scored by the guard.
    """
    sample = text[:20_000]
    stripped = sample.strip()
    n = len(stripped)
    out = EncodedSignal()
    if n < 12:
        return out
    covered = 0
    # a base64 run (16+ characters, no whitespace) lies inside one whitespace-separated token
    long_token = max(map(len, stripped.split())) >= 16
    for regex, kind, decode in ((_B64_RUN, "base64", _decode_b64), (_HEX_RUN, "hex", _decode_hex)):
        if kind == "base64" and not long_token:
            continue
        for match in regex.finditer(stripped):
            run = match.group(0)
            if kind == "base64" and (run.isalpha() or run.isdigit()):
                continue  # a long word or number, not base64
            decoded = decode(run.strip())
            if decoded and len(decoded.strip()) >= 4:
                covered += len(run)
                if kind not in out.kinds:
                    out.kinds.append(kind)
                if len(out.decoded) < 4:
                    out.decoded.append(decoded)
    if covered:
        out.score = round(min(1.0, covered / n), 4)
    words = _WORD.findall(stripped)
    if len(words) < 4:
        return out
    base_ratio = _common_ratio(words)
    if base_ratio >= 0.12:
        return out
    letters = sum(1 for c in stripped if c.isascii() and c.isalpha())
    if letters / n > 0.6:
        best_ratio, best_text, best_kind = 0.0, "", ""
        for k in range(1, 26):
            candidate = stripped.translate(_ROT[k])
            ratio = _common_ratio(_WORD.findall(candidate))
            if ratio > best_ratio:
                best_ratio, best_text, best_kind = ratio, candidate, f"rot{k}"
        candidate = stripped.translate(_ATBASH)
        ratio = _common_ratio(_WORD.findall(candidate))
        if ratio > best_ratio:
            best_ratio, best_text, best_kind = ratio, candidate, "atbash"
        if best_ratio >= 0.2 and best_ratio > base_ratio + 0.15:
            out.kinds.append("cipher:" + best_kind)
            out.decoded.append(best_text)
            out.score = max(out.score, 0.9)
            return out
    leet_words = _LEET_WORD.findall(stripped)
    if len(leet_words) >= 3 and len(leet_words) / len(words) >= 0.3:
        candidate = stripped.translate(_LEET_MAP)
        ratio = _common_ratio(_WORD.findall(candidate))
        if ratio >= base_ratio + 0.1:
            out.kinds.append("leetspeak")
            out.decoded.append(candidate)
            out.score = max(out.score, round(min(0.95, 0.5 + len(leet_words) / len(words)), 4))
    return out


# -- personal data -------------------------------------------------------------------------------

_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,200}\.[A-Za-z]{2,24}\b")
_PHONE_FR = re.compile(r"(?<![\w+])(?:\+33[ .-]?|0033[ .-]?|0)[1-9](?:[ .-]?\d{2}){4}(?!\w)")
_PHONE_INTL = re.compile(
    r"(?<![\w+])(?:\+1[ .-]?)?\(?[2-9]\d{2}\)?[ .-]\d{3}[ .-]\d{4}(?!\w)"
    r"|(?<![\w+])\+(?:4[0-9]|3[0-9]|[2-9]\d)[ .-]?\d{1,4}(?:[ .-]?\d{2,4}){2,4}(?!\w)"
)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_CARD = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
_IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20,
    "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26,
    "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15,
    "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
}  # fmt: skip


def iban_valid(candidate: str) -> bool:
    """True when ``candidate`` (spaces allowed) is an IBAN with a known length and a valid checksum."""
    s = candidate.replace(" ", "").upper()
    if len(s) < 15 or not s[:2].isalpha() or not s[2:4].isdigit():
        return False
    expected = _IBAN_LENGTHS.get(s[:2])
    if expected is not None and len(s) != expected:
        return False
    rearranged = s[4:] + s[:4]
    digits = "".join(str(int(c, 36)) for c in rearranged)
    return int(digits) % 97 == 1


def luhn_valid(candidate: str) -> bool:
    """True when the digits of ``candidate`` pass the Luhn checksum (13–19 digits)."""
    digits = [int(c) for c in candidate if c.isdigit()]
    if not 13 <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


_PII_HINT = re.compile(r"@|\d[\d .()/-]{7,}\d")


def find_pii(text: str) -> dict[str, list[tuple[int, int]]]:
    """Spans of personal data in ``text`` by kind: ``email``, ``phone``, ``iban``, ``card``."""
    found: dict[str, list[tuple[int, int]]] = {}
    if not _PII_HINT.search(text):
        return found
    sample = text[:200_000]
    taken: list[tuple[int, int]] = []

    def add(kind: str, span: tuple[int, int]) -> None:
        if any(s < span[1] and span[0] < e for s, e in taken):
            return
        taken.append(span)
        found.setdefault(kind, []).append(span)

    for m in _EMAIL.finditer(sample):
        add("email", m.span())
    for m in _IBAN.finditer(sample):
        if iban_valid(m.group(0)):
            add("iban", m.span())
    for m in _CARD.finditer(sample):
        if luhn_valid(m.group(0)):
            add("card", m.span())
    for regex in (_PHONE_FR, _PHONE_INTL):
        for m in regex.finditer(sample):
            if sum(c.isdigit() for c in m.group(0)) >= 9:
                add("phone", m.span())
    return found


def redact(text: str) -> str:
    """``text`` with personal data replaced by ``[EMAIL]``, ``[PHONE]``, ``[IBAN]``, ``[CARD]``."""
    spans = sorted((s, e, k) for k, v in find_pii(text).items() for s, e in v)
    out, last = [], 0
    for s, e, kind in spans:
        out.append(text[last:s])
        out.append(f"[{kind.upper()}]")
        last = e
    out.append(text[last:])
    return "".join(out)
