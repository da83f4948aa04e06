"""Turning examples into a training set: dedup, caps, per-source weights, group splits, targets."""

from __future__ import annotations

import hashlib
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gardefou.model._sources import Example, text_group
from gardefou.taxonomy import HAZARD_CODES

SPLITS = ("train", "calibration", "test")


def dedupe(examples: Sequence[Example]) -> list[Example]:
    """Drop exact duplicates (after normalization); texts seen with both labels are dropped."""
    labels: dict[str, set[int]] = defaultdict(set)
    for ex in examples:
        labels[text_group(ex.text)].add(ex.unsafe)
    seen: set[str] = set()
    out = []
    for ex in examples:
        key = text_group(ex.text)
        if not ex.text or key in seen or len(labels[key]) > 1:
            continue
        seen.add(key)
        out.append(ex)
    return out


def cap_sources(examples: Sequence[Example], caps: dict[str, int], seed: int) -> list[Example]:
    """Keep at most ``caps[source]`` examples of each capped source (seeded random choice)."""
    by_source: dict[str, list[Example]] = defaultdict(list)
    for ex in examples:
        by_source[ex.source].append(ex)
    out: list[Example] = []
    for source in sorted(by_source):
        rows = by_source[source]
        cap = caps.get(source)
        if cap is not None and len(rows) > cap:
            rows = list(rows)
            random.Random(f"{seed}:{source}").shuffle(rows)
            rows = rows[:cap]
        out.extend(rows)
    return out


def split_of(ex: Example, seed: int, test_fraction: float, calibration_fraction: float) -> str:
    """The split of an example, from a seeded hash of its group (groups never straddle splits)."""
    digest = hashlib.sha256(f"{seed}:{ex.group}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2**64
    if ex.fixed_split == "test":
        return "test"
    if ex.fixed_split == "train":
        return "calibration" if u < calibration_fraction else "train"
    if u < test_fraction:
        return "test"
    return "calibration" if u < test_fraction + calibration_fraction else "train"


def source_weights(
    examples: Sequence[Example], weights: dict[str, float], power: float
) -> np.ndarray:
    """Per-example weights: each (source, label) stratum weighs ``weight * n ** power`` in total.

    With ``power`` < 1, big sources count more than small ones but far less than proportionally,
    so that no single source's style decides what "unsafe" looks like. Normalized to mean 1.
    """
    counts = Counter((ex.source, ex.unsafe) for ex in examples)
    w = np.array(
        [
            weights.get(ex.source, 1.0) * counts[(ex.source, ex.unsafe)] ** (power - 1)
            for ex in examples
        ],
        dtype=np.float64,
    )
    return w / w.mean() if len(w) else w


def targets(
    examples: Sequence[Example], labels: Sequence[str], unsafe_label: str = "unsafe"
) -> tuple[np.ndarray, np.ndarray]:
    """``(target, known)`` 0/1 matrices (n_examples × n_labels).

    Benign texts are negatives for every head. Unsafe texts train hazard heads only when their
    category is known and is a hazard (S*) code; J1/J2 heads always know their answer.
    """
    n, k = len(examples), len(labels)
    y = np.zeros((n, k), dtype=np.int8)
    known = np.zeros((n, k), dtype=np.int8)
    for i, ex in enumerate(examples):
        has_hazard = any(c in HAZARD_CODES for c in ex.categories)
        for j, label in enumerate(labels):
            if label == unsafe_label:
                y[i, j], known[i, j] = ex.unsafe, 1
            elif not ex.unsafe:
                known[i, j] = 1
            elif label in ("J1", "J2") or (
                ex.category_known and (has_hazard or label not in HAZARD_CODES)
            ):
                y[i, j], known[i, j] = int(label in ex.categories), 1
    return y, known


@dataclass
class Split:
    """The examples of one split with their targets and weights."""

    examples: list[Example]
    y: np.ndarray
    known: np.ndarray
    weights: np.ndarray

    @property
    def texts(self) -> list[str]:
        """The texts, in order."""
        return [ex.text for ex in self.examples]


def make_splits(
    examples: Sequence[Example],
    labels: Sequence[str],
    *,
    seed: int,
    test_fraction: float,
    calibration_fraction: float,
    weights: dict[str, float],
    power: float,
) -> dict[str, Split]:
    """Split examples by group and compute targets and (training) weights for each split."""
    parts: dict[str, list[Example]] = {s: [] for s in SPLITS}
    for ex in examples:
        parts[split_of(ex, seed, test_fraction, calibration_fraction)].append(ex)
    out = {}
    for name, rows in parts.items():
        y, known = targets(rows, labels)
        out[name] = Split(rows, y, known, source_weights(rows, weights, power))
    return out
