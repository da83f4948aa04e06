"""Fitting the cascade's second tier (training time only; imports scikit-learn).

The tier-2 head sees the fast tier's decision values, so on training texts those values must come
from fast models that did not see the text: they are cross-fitted (``folds`` group folds). The head
is then Platt-calibrated on the calibration split's texts inside the band, scored by the real fast
tier, which never saw them either.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from sklearn.linear_model import LogisticRegression

from gardefou.model._artifact import GuardModel
from gardefou.model._cascade import Tier2
from gardefou.model._dataset import Split
from gardefou.model._features import FeatureSpec
from gardefou.model._fit import _balanced, fit_model, platt
from gardefou.model._static import StaticEmbedder

Progress = Callable[[str], None]


class Tier2Config(BaseModel):
    """Settings of the second tier (``tier2:`` in a training config)."""

    model_config = ConfigDict(extra="forbid")

    labels: list[str] = Field(default_factory=lambda: ["unsafe"])
    inputs: list[str] = Field(default_factory=lambda: ["unsafe", "J1", "J2"])
    band: tuple[float, float] = (0.15, 0.85)
    dims: int = Field(256, ge=8, le=384)
    folds: int = Field(2, ge=2, le=10)
    c: float = Field(1.0, gt=0.0)


def _fold(group: str, seed: int, folds: int) -> int:
    digest = hashlib.sha256(f"fold:{seed}:{group}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % folds


def cross_fit(
    train: Split,
    labels: Sequence[str],
    inputs: Sequence[str],
    *,
    spec: FeatureSpec,
    c: float,
    seed: int,
    folds: int,
    other_harm_share: float,
    progress: Progress | None = None,
) -> np.ndarray:
    """Out-of-fold fast-tier decision values of ``inputs`` for every training text."""
    cols = [list(labels).index(k) for k in inputs]
    keep = np.array(sorted(set(cols) | {list(labels).index("unsafe")}), dtype=np.int64)
    sub_labels = [labels[j] for j in keep]
    fold = np.array([_fold(ex.group, seed, folds) for ex in train.examples])
    out = np.zeros((len(train.examples), len(inputs)), dtype=np.float32)
    for f in range(folds):
        if progress is not None:
            progress(f"tier 2: cross-fitting the fast tier ({f + 1}/{folds})")
        fit_rows = np.flatnonzero(fold != f)
        model = fit_model(
            [train.examples[i].text for i in fit_rows],
            train.y[np.ix_(fit_rows, keep)],
            train.known[np.ix_(fit_rows, keep)],
            train.weights[fit_rows],
            sub_labels,
            spec=spec,
            c=c,
            seed=seed,
            other_harm_share=other_harm_share,
        )
        rows = np.flatnonzero(fold == f)
        z = model.decision([train.examples[i].text for i in rows])
        out[rows] = z[:, [sub_labels.index(k) for k in inputs]]
    return out


def fit_tier2(
    embedder: StaticEmbedder,
    fast: GuardModel,
    train: Split,
    cal: Split,
    oof: np.ndarray,
    cfg: Tier2Config,
    *,
    labels: Sequence[str],
    seed: int,
    progress: Progress | None = None,
) -> Tier2:
    """Fit one logistic head per tier-2 label on ``[embedding ⊕ out-of-fold fast values]``."""
    say = progress or (lambda _m: None)
    say("tier 2: embedding texts")
    x = np.hstack([embedder.embed(train.texts), oof])
    in_cols = [fast.labels.index(k) for k in cfg.inputs]
    cal_z = fast.decision(cal.texts)
    cal_x = np.hstack([embedder.embed(cal.texts), cal_z[:, in_cols]])
    p_unsafe = fast.proba_from_decision(cal_z)[:, fast.labels.index("unsafe")]
    in_band = (p_unsafe >= cfg.band[0]) & (p_unsafe <= cfg.band[1])
    coef = np.zeros((x.shape[1], len(cfg.labels)), dtype=np.float32)
    intercept = np.zeros(len(cfg.labels), dtype=np.float32)
    calibration: dict[str, tuple[float, float]] = {}
    for j, label in enumerate(cfg.labels):
        say(f"tier 2: fitting head {label}")
        col = list(labels).index(label)
        rows = train.known[:, col].astype(bool)
        y = train.y[rows, col].astype(np.int64)
        head = LogisticRegression(C=cfg.c, solver="lbfgs", max_iter=2000, random_state=seed)
        head.fit(x[rows], y, sample_weight=_balanced(train.weights[rows], y))
        coef[:, j], intercept[j] = head.coef_[0], head.intercept_[0]
        known = cal.known[:, col].astype(bool) & in_band
        z = cal_x[known] @ coef[:, j] + intercept[j]
        calibration[label] = platt(z, cal.y[known, col].astype(np.float64))
    meta = {"calibration_texts_in_band": int(in_band.sum()), "folds": cfg.folds}
    return Tier2(
        embedder, list(cfg.labels), list(cfg.inputs), coef, intercept, calibration, cfg.band, meta
    )
