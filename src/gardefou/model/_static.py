"""Static token embeddings (tier 2 input): a WordPiece tokenizer and a lookup table, numpy only.

The table is distilled from a sentence encoder at training time (``_distill``); at scoring time a
text is tokenized like BERT uncased (lowercase, accents stripped, punctuation split, greedy
longest-match WordPiece with ``##`` continuations), its token vectors are averaged and the mean is
L2-normalized. No torch, no ``tokenizers`` library: a pure-Python WordPiece with a word cache.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np

_TOKENS = re.compile(r"[^\W_]+|\S")
_MAX_WORD = 100
_CACHE_LIMIT = 200_000


def basic_tokens(text: str, max_chars: int = 4000) -> list[str]:
    """BERT-uncased-like pre-tokenization: lowercase, strip accents, split words and punctuation."""
    text = unicodedata.normalize("NFD", text[:max_chars].lower())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return _TOKENS.findall(text)


class StaticEmbedder:
    """Averages static token vectors: ``embed(texts)`` → (n, dims) float32, rows of unit norm."""

    def __init__(
        self, vocab: Sequence[str], vectors: np.ndarray, source: str = "", max_tokens: int = 256
    ) -> None:
        self.vocab = list(vocab)
        self.vectors = vectors
        self.source = source
        self.max_tokens = max_tokens
        self._ids = {tok: i for i, tok in enumerate(self.vocab)}
        self._unk = self._ids.get("[UNK]", 0)
        self._cache: dict[str, list[int]] = {}

    @property
    def dims(self) -> int:
        """Embedding width."""
        return int(self.vectors.shape[1])

    def _wordpiece(self, word: str) -> list[int]:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        ids = self._ids
        out: list[int] = []
        if len(word) > _MAX_WORD:
            out = [self._unk]
        else:
            start = 0
            while start < len(word):
                end = len(word)
                found = -1
                while start < end:
                    piece = word[start:end] if start == 0 else "##" + word[start:end]
                    found = ids.get(piece, -1)
                    if found >= 0:
                        break
                    end -= 1
                if found < 0:
                    out = [self._unk]
                    break
                out.append(found)
                start = end
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[word] = out
        return out

    def token_ids(self, text: str) -> list[int]:
        """WordPiece ids of ``text`` (at most ``max_tokens``)."""
        out: list[int] = []
        for word in basic_tokens(text):
            out.extend(self._wordpiece(word))
            if len(out) >= self.max_tokens:
                return out[: self.max_tokens]
        return out

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Mean token vector per text, L2-normalized (zeros for a text without tokens)."""
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        ids: list[int] = []
        starts: list[int] = []
        rows: list[int] = []
        for i, text in enumerate(texts):
            tok = self.token_ids(text)
            if tok:
                rows.append(i)
                starts.append(len(ids))
                ids.extend(tok)
        if not ids:
            return out
        vecs = self.vectors[np.asarray(ids, dtype=np.int64)].astype(np.float32)
        sums = np.add.reduceat(vecs, np.asarray(starts, dtype=np.int64), axis=0)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        out[np.asarray(rows, dtype=np.int64)] = sums / norms
        return out
