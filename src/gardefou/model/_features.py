"""Text features for the guard model: normalized text → hashed word and character n-grams.

Hashing is stateless (no vocabulary to store): the feature space is fully described by the
``FeatureSpec`` below, which is saved as JSON in the artifact. Everything is vectorized with numpy
over a whole batch (no per-n-gram Python loop, no scikit-learn or scipy on the scoring path):

1. each text is truncated (head + tail), lowercased, NFKD-decomposed with accents stripped and its
   whitespace collapsed; the batch is joined into one string ``" t1 \\x01 t2 \\x01 ... "``;
2. its code points get a polynomial prefix hash modulo 2^64, so that the hash of any span is
   ``(prefix[b] - prefix[a]) * P^-a`` (P is odd, hence invertible modulo 2^64);
3. word tokens are maximal runs of word characters (letters, digits, ``_``); word bigrams combine
   two consecutive tokens' hashes; character n-grams stay within a space-padded word (like
   scikit-learn's ``char_wb``); every hash goes through the splitmix64 finalizer and lands in a
   bucket of its block (words first, then characters);
4. values are sublinear term frequencies ``log(1 + count)``, L2-normalized per block.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

_COMBINING = re.compile("[\u0300-\u036f]")
_SPACES = re.compile(r"\s+")
_SEP = "\x01"
_CONTROL = re.compile("[\x00\x02-\x08\x0e-\x1b\x7f]")  # keeps the \x01 separator

_M64 = (1 << 64) - 1
_P = 0x100000001B3
_P_INV = pow(_P, -1, 1 << 64)
_C1 = np.uint64(0xBF58476D1CE4E5B9)
_C2 = np.uint64(0x94D049BB133111EB)
_BIGRAM = np.uint64(0x9E3779B97F4A7C15)
_SALT_WORD = np.uint64(0x5BD1E995)
_SALT_BIGRAM = np.uint64(0x1B873593)
_SALT_CHAR = np.uint64(0xCC9E2D51)

# (start, end) code-point ranges that are NOT word characters above ASCII
_NON_WORD_RANGES = (
    (0x80, 0xBF),
    (0xD7, 0xD7),
    (0xF7, 0xF7),
    (0x2000, 0x2BFF),
    (0x2E00, 0x2E7F),
    (0x3000, 0x303F),
    (0xFE30, 0xFE4F),
    (0xFF00, 0xFF0F),
    (0xFF1A, 0xFF20),
    (0x1F000, 0x1FFFF),
)


class FeatureSpec(BaseModel):
    """How texts become feature vectors (stored in the artifact's JSON)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    word_features: int = Field(2**17, ge=2**4, le=2**22)
    char_features: int = Field(2**18, ge=2**4, le=2**22)
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (3, 5)
    head_chars: int = Field(3000, ge=100)
    tail_chars: int = Field(1000, ge=0)

    @property
    def n_features(self) -> int:
        """Total dimension of the feature space."""
        return self.word_features + self.char_features


def _truncate(text: str, spec: FeatureSpec) -> str:
    if len(text) > spec.head_chars + spec.tail_chars:
        tail = text[-spec.tail_chars :] if spec.tail_chars else ""
        return text[: spec.head_chars] + " " + tail
    return text


def well_formed(text: str) -> str:
    """``text`` without surrogate code points: a high + low pair becomes the character it encodes,
    a lone half becomes U+FFFD. Python strings can carry them (``json.loads`` accepts a lone
    ``\\ud800`` escape), and no UTF codec encodes them."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def _normalize_joined(text: str) -> str:
    text = unicodedata.normalize("NFKD", _CONTROL.sub(" ", well_formed(text)).lower())
    return _SPACES.sub(" ", _COMBINING.sub("", text))


def normalize_text(text: str, spec: FeatureSpec) -> str:
    """Lowercase, strip accents, collapse whitespace; keep the head and tail of long texts."""
    return _normalize_joined(_truncate(text, spec)).replace(_SEP, " ").strip()


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64 finalizer (wrapping uint64 arithmetic), in place."""
    h ^= h >> np.uint64(30)
    h *= _C1
    h ^= h >> np.uint64(27)
    h *= _C2
    h ^= h >> np.uint64(31)
    return h


def _word_table() -> np.ndarray:
    """Word-character flags for code points below 0x20000 (the last entry stands for the rest)."""
    cp = np.arange(0x20000)
    table = ((cp >= 97) & (cp <= 122)) | ((cp >= 48) & (cp <= 57)) | (cp == 95)
    table |= ((cp >= 65) & (cp <= 90)) | (cp >= 0x80)
    for lo, hi in _NON_WORD_RANGES:
        table[lo : hi + 1] = False
    return np.asarray(table, dtype=bool)


_WORD_TABLE = _word_table()


def _word_mask(cp: np.ndarray) -> np.ndarray:
    return np.asarray(_WORD_TABLE[np.minimum(cp, 0x1FFFF)], dtype=bool)


_POW_CACHE: list[tuple[np.ndarray, np.ndarray]] = []


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``P^j`` and ``P^-j`` (mod 2^64) for j < n, cached and grown geometrically.

    The pair is replaced as one tuple, so threads scoring at the same time never see a grown
    ``P^j`` table next to an old ``P^-j`` one.
    """
    have = _POW_CACHE[0] if _POW_CACHE else None
    if have is None or len(have[0]) < n:
        size = max(n, 4096, 2 * (len(have[0]) if have is not None else 0))
        p = np.full(size, _P, dtype=np.uint64)
        p[0] = 1
        q = np.full(size, _P_INV, dtype=np.uint64)
        q[0] = 1
        have = (np.cumprod(p, dtype=np.uint64), np.cumprod(q, dtype=np.uint64))
        _POW_CACHE[:] = [have]
    return have[0][:n], have[1][:n]


Block = tuple[np.ndarray, np.ndarray, np.ndarray]


class Featurizer:
    """Turns texts into hashed n-gram features (see the module docstring for the scheme)."""

    def __init__(self, spec: FeatureSpec) -> None:
        self.spec = spec

    def _hashes(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(doc, column)`` of every n-gram occurrence in the batch."""
        spec = self.spec
        body = " \x01 ".join(_truncate(t, spec).replace(_SEP, " ") for t in texts)
        joined = " " + _normalize_joined(body) + " "
        cp = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        n = len(cp)
        sep = cp == 1
        doc = np.cumsum(sep)
        pw, inv = _powers(n + 1)
        prefix = np.zeros(n + 1, dtype=np.uint64)
        np.cumsum(cp * pw[:n], out=prefix[1:])

        def span(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            return np.asarray((prefix[b] - prefix[a]) * inv[a], dtype=np.uint64)

        docs: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        wf, cf = np.uint64(spec.word_features), np.uint64(spec.char_features)
        # words and word n-grams
        word = _word_mask(cp)
        # the joined string starts and ends with a space: every word has both edges inside
        starts = np.flatnonzero(word[1:] & ~word[:-1]) + 1
        ends = np.flatnonzero(word[:-1] & ~word[1:]) + 1
        wh = _mix(span(starts, ends) ^ _SALT_WORD)
        wdoc = doc[starts]
        lo, hi = spec.word_ngrams
        if lo <= 1 <= hi:
            docs.append(wdoc)
            cols.append(wh % wf)
        if hi >= 2 and lo <= 2 and len(wh) > 1:
            same = wdoc[1:] == wdoc[:-1]
            bh = _mix(wh[:-1][same] * _BIGRAM + wh[1:][same] + _SALT_BIGRAM)
            docs.append(wdoc[1:][same])
            cols.append(bh % wf)
        # character n-grams inside space-padded words
        space = (cp == 32).astype(np.int64)
        cs_space = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(space, out=cs_space[1:])
        cs_sep = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(sep, out=cs_sep[1:])
        ks = [k for k in range(spec.char_ngrams[0], spec.char_ngrams[1] + 1) if k <= n]
        if ks:
            i = np.concatenate([np.arange(n - k + 1) for k in ks])
            k_of = np.repeat(np.array(ks, dtype=np.int64), [n - k + 1 for k in ks])
            end = i + k_of
            ok = (cs_space[end - 1] == cs_space[i + 1]) & (cs_sep[end] == cs_sep[i])
            i, end = i[ok], end[ok]
            salt = _SALT_CHAR + end.astype(np.uint64) - i.astype(np.uint64)
            docs.append(doc[i])
            cols.append(_mix(span(i, end) ^ salt) % cf + wf)
        if not docs:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(docs).astype(np.int64), np.concatenate(cols).astype(np.int64)

    def triplets(self, texts: Sequence[str]) -> Block:
        """``(rows, columns, values)`` sorted by row then column; values normalized per block."""
        docs, cols = self._hashes(texts)
        width = self.spec.n_features
        keys, counts = np.unique(docs * width + cols, return_counts=True)
        rows, cols = keys // width, keys % width
        vals = np.log1p(counts.astype(np.float32))
        block = rows * 2 + (cols >= self.spec.word_features)
        norms = np.sqrt(np.bincount(block, weights=vals * vals, minlength=2 * len(texts)))
        norms[norms == 0] = 1.0
        return rows, cols, (vals / norms[block]).astype(np.float32)

    def transform(self, texts: Sequence[str]) -> Any:
        """The feature matrix of ``texts`` (scipy CSR, float32; training only, imports scipy)."""
        import scipy.sparse as sp  # type: ignore[import-untyped]

        rows, cols, vals = self.triplets(texts)
        shape = (len(texts), self.spec.n_features)
        return sp.csr_matrix((vals, (rows, cols)), shape=shape, dtype=np.float32)

    def dot(self, texts: Sequence[str], coef: np.ndarray) -> np.ndarray:
        """``features(texts) @ coef`` with numpy only (gather the rows of ``coef``, sum per text)."""
        out = np.zeros((len(texts), coef.shape[1]), dtype=np.float32)
        rows, cols, vals = self.triplets(texts)
        if len(rows) == 0:
            return out
        if len(texts) == 1:
            out[0] = vals @ coef[cols].astype(np.float32)
            return out
        contrib = coef[cols].astype(np.float32)
        contrib *= vals[:, None]
        first = np.flatnonzero(np.diff(rows, prepend=-1))
        out[rows[first]] = np.add.reduceat(contrib, first, axis=0)
        return out
