"""Text features for the guard model: normalized text → hashed word and character n-grams.

Hashing is stateless (no vocabulary to store): the feature space is fully described by the
``FeatureSpec`` below, which is saved as JSON in the artifact.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict, Field
from sklearn.feature_extraction._hashing_fast import transform as _hashing_transform
from sklearn.feature_extraction.text import HashingVectorizer

_COMBINING = re.compile("[\u0300-\u036f]")
_SPACES = re.compile(r"\s+")
_TOKEN = r"(?u)\b\w+\b"


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


def normalize_text(text: str, spec: FeatureSpec) -> str:
    """Lowercase, strip accents, collapse whitespace; keep the head and tail of long texts."""
    if len(text) > spec.head_chars + spec.tail_chars:
        tail = text[-spec.tail_chars :] if spec.tail_chars else ""
        text = text[: spec.head_chars] + " " + tail
    text = unicodedata.normalize("NFKD", text.lower())
    return _SPACES.sub(" ", _COMBINING.sub("", text)).strip()


class Featurizer:
    """Turns texts into hashed n-gram features: sublinear tf, L2-normalized per block.

    Two blocks (word n-grams, then character n-grams) share one feature space of
    ``spec.n_features`` columns. Hashing is scikit-learn's murmurhash (the same as its
    ``HashingVectorizer``), done without building scipy matrices on the scoring path.
    """

    def __init__(self, spec: FeatureSpec) -> None:
        self.spec = spec
        common: dict[str, Any] = {"lowercase": False, "norm": None, "alternate_sign": False}
        self._word = HashingVectorizer(
            n_features=spec.word_features,
            analyzer="word",
            ngram_range=spec.word_ngrams,
            token_pattern=_TOKEN,
            **common,
        ).build_analyzer()
        self._char = HashingVectorizer(
            n_features=spec.char_features,
            analyzer="char_wb",
            ngram_range=spec.char_ngrams,
            **common,
        ).build_analyzer()

    def blocks(self, texts: Sequence[str]) -> list[Block]:
        """``(rows, columns, values)`` triplets (row-major order), one per feature block."""
        normed = [normalize_text(t, self.spec) for t in texts]
        out = []
        offset = 0
        for analyzer, width in (
            (self._word, self.spec.word_features),
            (self._char, self.spec.char_features),
        ):
            rows, cols, vals = _hash_block([analyzer(t) for t in normed], width)
            out.append((rows, cols + offset, vals))
            offset += width
        return out

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The feature matrix of ``texts`` (scipy CSR, float32, one row per text)."""
        rows, cols, vals = (
            np.concatenate(parts) for parts in zip(*self.blocks(texts), strict=True)
        )
        shape = (len(texts), self.spec.n_features)
        return sp.csr_matrix((vals, (rows, cols)), shape=shape, dtype=np.float32)

    def dot(self, texts: Sequence[str], coef: np.ndarray) -> np.ndarray:
        """``features(texts) @ coef``, block by block (no stacking of the sparse blocks)."""
        n = len(texts)
        out = np.zeros((n, coef.shape[1]), dtype=np.float32)
        offset = 0
        for rows, cols, vals in self.blocks(texts):
            width = self.spec.word_features if offset == 0 else self.spec.char_features
            indptr = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
            block = sp.csr_matrix((vals, cols - offset, indptr), shape=(n, width))
            out += block @ coef[offset : offset + width]
            offset += width
        return out


Block = tuple[np.ndarray, np.ndarray, np.ndarray]


def _hash_block(tokens: list[list[str]], width: int) -> Block:
    indices, indptr, _ = _hashing_transform(
        (((t, 1) for t in doc) for doc in tokens), width, np.float32, False, 0
    )
    idx = np.asarray(indices, dtype=np.int64)
    counts_per_doc: np.ndarray = np.diff(np.asarray(indptr, dtype=np.int64)).astype(np.int64)
    rows = np.repeat(np.arange(len(tokens), dtype=np.int64), counts_per_doc)
    keys, counts = np.unique(rows * width + idx, return_counts=True)
    rows, cols = keys // width, keys % width
    vals = np.log1p(counts.astype(np.float32))
    norms = np.sqrt(np.bincount(rows, weights=vals * vals, minlength=len(tokens)))
    norms[norms == 0] = 1.0
    vals = (vals / norms[rows]).astype(np.float32)
    return rows, cols, vals
