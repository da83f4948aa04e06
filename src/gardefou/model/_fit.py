"""Fitting the guard model: one weighted logistic regression per label, then Platt calibration."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from gardefou.model._artifact import GuardModel
from gardefou.model._features import FeatureSpec, Featurizer

Progress = Callable[[str], None]
_MIN_CALIBRATION_POSITIVES = 5


def _balanced(weights: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Rescale weights so that positives and negatives carry the same total weight."""
    out = weights.astype(np.float64).copy()
    pos, neg = out[y == 1].sum(), out[y == 0].sum()
    total = pos + neg
    if pos > 0 and neg > 0:
        out[y == 1] *= total / (2 * pos)
        out[y == 0] *= total / (2 * neg)
    scaled: np.ndarray = out * (len(out) / total)
    return scaled


def _contrast_negatives(
    w: np.ndarray, y: np.ndarray, harmful: np.ndarray, share: float
) -> np.ndarray:
    """Give the harmful negatives (other categories) ``share`` of the negatives' total weight.

    Without this a category head learns "harmful vs benign" (benign texts are most negatives);
    with it, it must also tell its own category from the other harms.
    """
    neg = y == 0
    other = neg & harmful
    plain = neg & ~harmful
    if share <= 0 or not other.any() or not plain.any():
        return w
    total = w[neg].sum()
    out = w.copy()
    out[other] *= share * total / w[other].sum()
    out[plain] *= (1 - share) * total / w[plain].sum()
    return out


def platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt scaling: ``(a, b)`` so that ``sigmoid(a*z + b)`` is calibrated on ``(z, y)``."""
    if len(z) == 0 or y.sum() < _MIN_CALIBRATION_POSITIVES or (1 - y).sum() < 5:
        return 1.0, 0.0
    n_pos, n_neg = float(y.sum()), float(len(y) - y.sum())
    target = np.where(
        y == 1, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2)
    )  # Platt's smoothed targets
    lr = LogisticRegression(C=1e4, solver="lbfgs", max_iter=1000)
    zz = np.concatenate([z, z]).reshape(-1, 1)
    yy = np.concatenate([np.ones_like(y), np.zeros_like(y)])
    ww = np.concatenate([target, 1 - target])
    lr.fit(zz, yy, sample_weight=ww)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def fit_model(
    texts: Sequence[str],
    targets: np.ndarray,
    known: np.ndarray,
    weights: np.ndarray,
    labels: Sequence[str],
    *,
    spec: FeatureSpec,
    c: float = 4.0,
    seed: int = 0,
    calibration: tuple[Sequence[str], np.ndarray, np.ndarray] | None = None,
    metadata: dict[str, Any] | None = None,
    progress: Progress | None = None,
    other_harm_share: float = 0.4,
) -> GuardModel:
    """Fit one logistic head per label on the rows where that label is ``known``.

    ``targets`` and ``known`` are (n_texts, n_labels) 0/1 arrays; ``weights`` per text. Each head
    is trained with class-balanced weights, then Platt-calibrated on ``calibration`` (texts,
    targets, known) when given, so that probabilities reflect that set's class mix. When an ``unsafe`` label exists, the
    harmful texts of other categories carry ``other_harm_share`` of each category head's negative
    weight (see ``_contrast_negatives``).
    """
    featurizer = Featurizer(spec)
    x = featurizer.transform(texts)
    n_labels = len(labels)
    coef = np.zeros((spec.n_features, n_labels), dtype=np.float32)
    intercept = np.zeros(n_labels, dtype=np.float32)
    harmful = (
        targets[:, list(labels).index("unsafe")].astype(bool)
        if "unsafe" in labels
        else np.zeros(len(texts), dtype=bool)
    )
    for j, label in enumerate(labels):
        if progress is not None:
            progress(f"fitting head {label} ({j + 1}/{n_labels})")
        rows = known[:, j].astype(bool)
        y = targets[rows, j].astype(np.int64)
        if y.sum() == 0 or y.sum() == len(y):
            intercept[j] = 8.0 if len(y) and y.sum() == len(y) else -8.0
            continue
        head = LogisticRegression(
            C=c, solver="liblinear", dual=True, random_state=seed, max_iter=1000
        )
        w = _balanced(weights[rows], y)
        if label != "unsafe":
            w = _contrast_negatives(w, y, harmful[rows], other_harm_share)
        head.fit(x[rows], y, sample_weight=w)
        coef[:, j] = head.coef_[0]
        intercept[j] = head.intercept_[0]
    coef = coef.astype(np.float16).astype(np.float32)  # calibrate the weights that get shipped
    calib: dict[str, tuple[float, float]] = {label: (1.0, 0.0) for label in labels}
    if calibration is not None:
        if progress is not None:
            progress("calibrating")
        cal_texts, cal_targets, cal_known = calibration
        z = (
            np.asarray(featurizer.transform(cal_texts) @ coef) + intercept
            if len(cal_texts)
            else np.zeros((0, n_labels))
        )
        for j, label in enumerate(labels):
            rows = cal_known[:, j].astype(bool)
            calib[label] = platt(z[rows, j], cal_targets[rows, j].astype(np.float64))
    model = GuardModel(spec, list(labels), coef, intercept, calib, dict(metadata or {}))
    model._featurizer = featurizer
    return model
