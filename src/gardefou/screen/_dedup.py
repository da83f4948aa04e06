"""Exact and near-duplicate detection with bounded memory.

Workers compute, per example, a 64-bit hash of the normalized text (exact duplicates) and MinHash
LSH band keys over word shingles (near duplicates). The driver feeds them in dataset order to a
``Deduplicator``: a fixed-size hash table for exact hashes and, per band, a fixed-size table of
``(band key, representative line)`` slots — a near duplicate shares at least ``min_bands`` bands
with an earlier example. Memory is fixed by ``table_size``; beyond it, slots are overwritten and
detection becomes approximate (a few far-apart duplicates may be missed), never unbounded.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter

import numpy as np

from gardefou.screen._config import DedupSettings

_NON_WORD = re.compile(r"\W+")
_MASK32 = np.uint64(0xFFFFFFFF)


def normalized_text(turns: list[tuple[str, str]]) -> str:
    """Lowercased turns with punctuation and repeated whitespace removed, roles kept."""
    return "\n".join(f"{role}: {_NON_WORD.sub(' ', text.lower()).strip()}" for role, text in turns)


def _permutations(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(20240611)
    a = rng.integers(1, 2**63 - 1, size=n, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63 - 1, size=n, dtype=np.uint64)
    return a, b


_PERM_CACHE: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
_MAX_GRAMS = 4000
"""Shingles per example beyond which only the first (in sorted order) are hashed."""
_BLOCK_GRAMS = 32_768
"""Shingles hashed per numpy block (bounds the temporary matrix to bands × rows × 32k × 8 bytes)."""


def _exact_hash(text: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big", signed=True
    )


def _shingle_hashes(text: str, k: int, out: list[int]) -> int:
    """Append the CRC-32 of each ``k``-word shingle of ``text`` to ``out``; returns how many.

    A text shorter than ``k`` words is one shingle. Repeated shingles need no removal (a MinHash
    is a minimum), except past ``_MAX_GRAMS`` where the first distinct shingles in sorted order
    are kept.
    """
    words = text.split()
    grams: Iterable[str]
    if len(words) < k:
        grams = (" ".join(words),)
    elif len(words) - k + 1 <= _MAX_GRAMS:
        grams = map(" ".join, zip(*(words[j:] for j in range(k)), strict=False))
    else:
        distinct = set(map(" ".join, zip(*(words[j:] for j in range(k)), strict=False)))
        grams = sorted(distinct)[:_MAX_GRAMS] if len(distinct) > _MAX_GRAMS else distinct
    before = len(out)
    out.extend(map(zlib.crc32, map(str.encode, grams)))
    return len(out) - before


def _tables(settings: DedupSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    key = (settings.bands, settings.rows)
    if key not in _PERM_CACHE:
        a, b = _permutations(settings.bands * settings.rows)
        mult = np.random.default_rng(7).integers(1, 2**31, size=settings.rows, dtype=np.uint64)
        _PERM_CACHE[key] = (a, b, mult)
    return _PERM_CACHE[key]


def _band_keys(flat: list[int], lengths: list[int], settings: DedupSettings) -> list[list[int]]:
    """MinHash LSH band keys of several shingle-hash sets at once (``lengths`` splits ``flat``)."""
    a, b, mult = _tables(settings)
    hashes = np.array(flat, dtype=np.uint64)
    starts = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    with np.errstate(over="ignore"):
        mixed = np.multiply(a[:, None], hashes[None, :])
        mixed += b[:, None]
        mixed >>= np.uint64(32)
        sig = np.minimum.reduceat(mixed, starts, axis=1)  # (bands * rows, examples)
        sig = sig.reshape(settings.bands, settings.rows, len(lengths))
        sig *= mult[None, :, None]
        keys = sig.sum(axis=1) & _MASK32  # (bands, examples)
    return keys.T.tolist()  # type: ignore[no-any-return]


def signatures(texts: list[str], settings: DedupSettings) -> list[tuple[int, list[int]]]:
    """Per normalized text: the exact hash (signed 64-bit) and the LSH band keys (32-bit).

    Band keys are computed for the whole list with numpy, by blocks of about 32k shingles.
    """
    exact = [_exact_hash(t) for t in texts]
    if not settings.enabled:
        return [(e, []) for e in exact]
    keys: list[list[int]] = []
    flat: list[int] = []
    lengths: list[int] = []
    for text in texts:
        if flat and len(flat) >= _BLOCK_GRAMS:
            keys += _band_keys(flat, lengths, settings)
            flat, lengths = [], []
        lengths.append(_shingle_hashes(text, settings.shingle, flat))
    if lengths:
        keys += _band_keys(flat, lengths, settings)
    return list(zip(exact, keys, strict=True))


def signature(text: str, settings: DedupSettings) -> tuple[int, list[int]]:
    """The exact hash (signed 64-bit) and the LSH band keys (unsigned 32-bit) of a normalized text."""
    return signatures([text], settings)[0]


@dataclass
class Duplicate:
    """Where an example duplicates an earlier one: the representative's line and the kind."""

    of_line: int
    kind: str  # "exact" or "near"


def _zeros(n: int, dtype: type[np.generic]) -> memoryview:
    """A zeroed table of ``n`` cells: pages are mapped lazily (calloc), and a memoryview gives
    plain-int indexing at ``array.array`` speed, without a temporary full-size copy."""
    return np.zeros(n, dtype=dtype).data


class Deduplicator:
    """Assigns each example (in dataset order) to a duplicate cluster, with bounded memory.

    Exact hashes live in an open-addressing table of ``2 × max_exact`` slots (rounded up to a
    power of two); band keys in one ``table_size`` table per band. Memory is allocated once and
    filled lazily: it does not grow with the dataset (16 bytes per exact slot, 12 per band slot).
    """

    def __init__(self, settings: DedupSettings) -> None:
        self.settings = settings
        cells = settings.bands * settings.table_size
        self._keys = _zeros(cells, np.uint32)  # band key per slot, one table per band
        self._lines = _zeros(cells, np.int64)  # representative line; 0 = empty slot
        self._offsets = [b * settings.table_size for b in range(settings.bands)]
        slots = 1 << max(10, (2 * settings.max_exact - 1).bit_length())
        self._mask = slots - 1
        self._exact_keys = _zeros(slots, np.int64)
        self._exact_lines = _zeros(slots, np.int64)  # line + 1; 0 = empty slot
        self._exact_count = 0
        self.clusters: Counter[int] = Counter()
        """Representative line → number of duplicates (the representative not counted)."""
        self.flagged: Counter[int] = Counter()
        self.exact_count = 0
        self.near_count = 0

    def add(self, line: int, exact: int, bands: list[int]) -> Duplicate | None:
        """Record one example; returns the Duplicate it is, or None for a first occurrence."""
        dup: Duplicate | None = None
        exact_keys, exact_lines, mask = self._exact_keys, self._exact_lines, self._mask
        slot = exact & mask
        while exact_lines[slot]:  # linear probing
            if exact_keys[slot] == exact:
                dup = Duplicate(exact_lines[slot] - 1, "exact")
                break
            slot = (slot + 1) & mask
        use_bands = self.settings.enabled and bool(bands)
        if use_bands:
            size, keys, lines = self.settings.table_size, self._keys, self._lines
            cells = [o + k % size for o, k in zip(self._offsets, bands, strict=False)]
            found = [lines[i] if keys[i] == k else 0 for i, k in zip(cells, bands, strict=False)]
            if dup is None and any(found):
                votes: dict[int, int] = {}
                for rep in found:
                    if rep:
                        votes[rep] = votes.get(rep, 0) + 1
                cand, count = max(votes.items(), key=itemgetter(1))  # first of the most voted
                if count >= self.settings.min_bands:
                    dup = Duplicate(cand, "near")
        if dup is None:
            if self._exact_count < self.settings.max_exact:
                exact_keys[slot] = exact
                exact_lines[slot] = line + 1
                self._exact_count += 1
            rep_line = line
        else:
            rep_line = dup.of_line
            self.clusters[rep_line] += 1
            if dup.kind == "exact":
                self.exact_count += 1
            else:
                self.near_count += 1
        if use_bands and (dup is None or dup.kind == "near"):
            for i, k, rep in zip(cells, bands, found, strict=False):
                if not rep:
                    keys[i] = k
                    lines[i] = rep_line
        return dup

    def top_clusters(self, n: int) -> list[tuple[int, int]]:
        """The ``n`` largest clusters as ``(representative line, size including it)``."""
        return [(line, count + 1) for line, count in self.clusters.most_common(n)]
