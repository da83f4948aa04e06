"""Quality metrics shared by training (model card) and the benchmark scripts."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score


def binary_metrics(y: np.ndarray, p: np.ndarray, threshold: float = 0.5) -> dict[str, Any]:
    """Precision, recall, F1, FPR at ``threshold``, AUPRC and counts for 0/1 labels ``y``."""
    y = np.asarray(y).astype(int)
    pred = np.asarray(p) >= threshold
    tp = int((pred & (y == 1)).sum())
    fp = int((pred & (y == 0)).sum())
    fn = int((~pred & (y == 1)).sum())
    tn = int((~pred & (y == 0)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    both = 0 < y.sum() < len(y)
    return {
        "n": len(y),
        "positives": int(y.sum()),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "fpr": round(fp / (fp + tn), 4) if fp + tn else None,
        "auprc": round(float(average_precision_score(y, p)), 4) if both else None,
    }


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """ECE with equal-width bins: mean |accuracy - confidence| weighted by bin size."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    if len(y) == 0:
        return 0.0
    idx = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = idx == b
        if mask.any():
            total += mask.sum() * abs(y[mask].mean() - p[mask].mean())
    return round(float(total / len(y)), 4)


def recall_at_fpr(y: np.ndarray, p: np.ndarray, max_fpr: float = 0.01) -> dict[str, float]:
    """The best recall whose false-positive rate stays ≤ ``max_fpr``, and its threshold."""
    y = np.asarray(y).astype(int)
    p = np.asarray(p, dtype=float)
    neg = np.sort(p[y == 0])[::-1]
    if len(neg) == 0 or y.sum() == 0:
        return {"recall": 0.0, "threshold": 1.0}
    allowed = int(np.floor(max_fpr * len(neg)))
    threshold = float(neg[allowed]) if allowed < len(neg) else 0.0
    recall = float((p[y == 1] > threshold).mean())
    return {"recall": round(recall, 4), "threshold": round(threshold, 4)}
