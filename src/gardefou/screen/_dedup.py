"""Exact and near-duplicate detection with bounded memory.

Workers compute, per example, a 64-bit hash of the normalized text (exact duplicates) and MinHash
LSH band keys over word shingles (near duplicates). The driver feeds them in dataset order to a
``Deduplicator``: a capped dict for exact hashes and, per band, a fixed-size table of
``(band key, representative line)`` slots — a near duplicate shares at least ``min_bands`` bands
with an earlier example. Memory is fixed by ``table_size``; beyond it, slots are overwritten and
detection becomes approximate (a few far-apart duplicates may be missed), never unbounded.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from array import array
from collections import Counter
from dataclasses import dataclass

import numpy as np

from gardefou.screen._config import DedupSettings

_SPACE = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_MASK32 = np.uint64(0xFFFFFFFF)


def normalized_text(turns: list[tuple[str, str]]) -> str:
    """Lowercased turns with punctuation and repeated whitespace removed, roles kept."""
    parts = [
        f"{role}: {_SPACE.sub(' ', _PUNCT.sub(' ', text.lower())).strip()}" for role, text in turns
    ]
    return "\n".join(parts)


def _permutations(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(20240611)
    a = rng.integers(1, 2**63 - 1, size=n, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63 - 1, size=n, dtype=np.uint64)
    return a, b


_PERM_CACHE: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def signature(text: str, settings: DedupSettings) -> tuple[int, list[int]]:
    """The exact hash (signed 64-bit) and the LSH band keys (unsigned 32-bit) of a normalized text."""
    exact = int.from_bytes(
        hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big", signed=True
    )
    if not settings.enabled:
        return exact, []
    words = text.split()
    k = settings.shingle
    grams = {" ".join(words[i : i + k]) for i in range(max(1, len(words) - k + 1))}
    if len(grams) > 4000:
        grams = set(sorted(grams)[:4000])
    hashes = np.fromiter(
        (zlib.crc32(g.encode("utf-8")) for g in grams), dtype=np.uint64, count=len(grams)
    )
    n_perm = settings.bands * settings.rows
    if n_perm not in _PERM_CACHE:
        a, b = _permutations(n_perm)
        mult = np.random.default_rng(7).integers(1, 2**31, size=settings.rows, dtype=np.uint64)
        _PERM_CACHE[n_perm] = (a, b, mult)
    a, b, mult = _PERM_CACHE[n_perm]
    with np.errstate(over="ignore"):
        mixed = (a[:, None] * hashes[None, :] + b[:, None]) >> np.uint64(32)
        sig = mixed.min(axis=1).reshape(settings.bands, settings.rows)
        keys = (sig * mult[: settings.rows]).sum(axis=1) & _MASK32
    return exact, [int(x) for x in keys]


@dataclass
class Duplicate:
    """Where an example duplicates an earlier one: the representative's line and the kind."""

    of_line: int
    kind: str  # "exact" or "near"


class Deduplicator:
    """Assigns each example (in dataset order) to a duplicate cluster, with bounded memory."""

    def __init__(self, settings: DedupSettings) -> None:
        self.settings = settings
        self._exact: dict[int, int] = {}
        cells = settings.bands * settings.table_size
        self._keys = array("I", bytes(4 * cells))  # band key per slot, one table per band
        self._lines = array("q", bytes(8 * cells))  # representative line; 0 = empty slot
        self.clusters: Counter[int] = Counter()
        """Representative line → number of duplicates (the representative not counted)."""
        self.flagged: Counter[int] = Counter()
        self.exact_count = 0
        self.near_count = 0

    def add(self, line: int, exact: int, bands: list[int]) -> Duplicate | None:
        """Record one example; returns the Duplicate it is, or None for a first occurrence."""
        dup: Duplicate | None = None
        size = self.settings.table_size
        rep = self._exact.get(exact)
        if rep is not None:
            dup = Duplicate(rep, "exact")
        elif self.settings.enabled and bands:
            votes: Counter[int] = Counter()
            for b, key in enumerate(bands):
                i = b * size + key % size
                if self._keys[i] == key and self._lines[i]:
                    votes[self._lines[i]] += 1
            if votes:
                cand, count = votes.most_common(1)[0]
                if count >= self.settings.min_bands:
                    dup = Duplicate(cand, "near")
        if dup is None:
            if len(self._exact) < self.settings.max_exact:
                self._exact[exact] = line
            rep_line = line
        else:
            rep_line = dup.of_line
            self.clusters[rep_line] += 1
            if dup.kind == "exact":
                self.exact_count += 1
            else:
                self.near_count += 1
        if self.settings.enabled and bands and (dup is None or dup.kind == "near"):
            for b, key in enumerate(bands):
                i = b * size + key % size
                if not (self._keys[i] == key and self._lines[i]):
                    self._keys[i] = key
                    self._lines[i] = rep_line
        return dup

    def top_clusters(self, n: int) -> list[tuple[int, int]]:
        """The ``n`` largest clusters as ``(representative line, size including it)``."""
        return [(line, count + 1) for line, count in self.clusters.most_common(n)]
