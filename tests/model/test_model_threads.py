"""The shipped classifier gives the same scores when threads score at the same time."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from gardefou.detectors.classifier import ClassifierDetector
from gardefou.model import _features


def test_concurrent_scoring_matches_sequential() -> None:
    det = ClassifierDetector()
    texts = [f"message number {i}: " + "how do I bake bread " * (i % 50 + 1) for i in range(64)]
    expected = det.score(texts)
    for _ in range(10):
        _features._POW_CACHE.clear()  # every thread races to build the hashing tables
        with ThreadPoolExecutor(max_workers=8) as pool:
            got = list(pool.map(lambda t: det.score([t])[0], texts))
        for a, b in zip(expected, got, strict=True):
            assert a.keys() == b.keys()
            assert np.allclose([a[k] for k in a], [b[k] for k in a], atol=1e-6)
