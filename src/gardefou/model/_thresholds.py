"""Per-key decision thresholds tuned on the calibration (validation) split, never the test split.

For a false-positive budget ``b`` (one per preset): the ``unsafe`` threshold is the lowest one whose
false-positive rate is ≤ ``b`` on benign instructions (Alpaca) and ≤ ``5 b`` on the hand-written
benign prompts (contrast pairs, scary words, chat, ...); each category head gets the lowest
threshold whose false-positive rate on all benign texts is ≤ ``b / 4`` (so that the union of the
heads stays near the budget). Thresholds are clipped to [0.05, 0.95].
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gardefou.model._dataset import Split

_LO, _HI = 0.05, 0.95


def lowest_threshold(scores: np.ndarray, max_fpr: float) -> float:
    """The lowest threshold ``t`` (score ≥ t flags) whose FPR on benign ``scores`` is ≤ max_fpr."""
    if len(scores) == 0:
        return 0.5
    s = np.sort(np.asarray(scores, dtype=float))[::-1]
    allowed = int(np.floor(max_fpr * len(s)))
    t = math.floor(float(s[allowed]) * 1000 + 1) / 1000 if allowed < len(s) else 0.0
    return min(_HI, max(_LO, t))


def _table(
    probs: np.ndarray, labels: list[str], masks: dict[str, np.ndarray], budget: float
) -> dict[str, float]:
    benign, alpaca, repo = masks["benign"], masks["alpaca"], masks["repo"]
    table: dict[str, float] = {}
    for j, label in enumerate(labels):
        if label == "unsafe":
            pairs = ((alpaca, budget), (repo, 5 * budget))
            parts = [lowest_threshold(probs[m, j], f) for m, f in pairs if m.any()]
            table[label] = max(parts) if parts else lowest_threshold(probs[benign, j], budget)
        else:
            table[label] = lowest_threshold(probs[benign, j], budget / 4)
    return table


def _union_fpr(
    probs: np.ndarray, table: dict[str, float], labels: list[str], m: np.ndarray
) -> float:
    if not m.any():
        return 0.0
    thr = np.array([table[k] for k in labels])
    return float((probs[m] >= thr).any(axis=1).mean())


def tune_thresholds(
    model: Any, cal: Split, budgets: dict[str, float], probs: np.ndarray | None = None
) -> dict[str, dict[str, float]]:
    """``{preset: {score key: threshold}}`` for each false-positive budget in ``budgets``.

    A text is flagged when *any* key reaches its threshold, so the per-key budgets are shrunk
    (×0.7 per round, at most 12 rounds) until the union stays within ``b`` on benign instructions
    and ``5 b`` on the hand-written benign prompts of the calibration split. ``probs``: the
    model's scores of ``cal`` when already computed.
    """
    if probs is None:
        probs = model.predict_proba(cal.texts)
    labels = list(model.labels)
    benign = np.array([ex.unsafe == 0 for ex in cal.examples])
    masks = {
        "benign": benign,
        "alpaca": benign & np.array([ex.source == "alpaca_benign" for ex in cal.examples]),
        "repo": benign
        & np.array([ex.source == "repo" and ex.direction == "input" for ex in cal.examples]),
    }
    out: dict[str, dict[str, float]] = {}
    for preset, budget in budgets.items():
        scale = 1.0
        table = _table(probs, labels, masks, budget)
        for _ in range(12):
            if (
                _union_fpr(probs, table, labels, masks["alpaca"]) <= budget
                and _union_fpr(probs, table, labels, masks["repo"]) <= 5 * budget
            ):
                break
            scale *= 0.7
            table = _table(probs, labels, masks, budget * scale)
        out[preset] = table
    return out
