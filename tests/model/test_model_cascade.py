"""Cascade: static embedder, tier-2 artifact round trip and corruption, routing of the band."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from model_fixtures import BENIGN, HARMFUL, tiny_model

from gardefou.detectors.classifier import ClassifierDetector, clear_cache
from gardefou.errors import ModelError
from gardefou.model._cascade import CascadeModel, Tier2, has_tier2, load_tier2
from gardefou.model._static import StaticEmbedder, basic_tokens

VOCAB = ["[PAD]", "[UNK]", "bomb", "##s", "cake", "how", "do", "i", "?", "a", "##b", "cafe"]


def tiny_embedder(dims: int = 4) -> StaticEmbedder:
    rng = np.random.default_rng(0)
    return StaticEmbedder(VOCAB, rng.standard_normal((len(VOCAB), dims)).astype(np.float16))


def tiny_tier2(band: tuple[float, float], bias: float = 4.0) -> Tier2:
    """A tier 2 whose unsafe score is sigmoid(bias) whatever the text."""
    emb = tiny_embedder()
    coef = np.zeros((emb.dims + 1, 1), dtype=np.float32)
    return Tier2(emb, ["unsafe"], ["unsafe"], coef, np.array([bias], np.float32),
                 {"unsafe": (1.0, 0.0)}, band)  # fmt: skip


def test_basic_tokens_and_wordpiece() -> None:
    assert basic_tokens("How do I, Café?") == ["how", "do", "i", ",", "cafe", "?"]
    emb = tiny_embedder()
    assert emb.token_ids("bombs cake") == [2, 3, 4]
    assert emb.token_ids("zzz") == [1]  # no piece matches: [UNK]
    assert emb.token_ids("ab") == [9, 10]
    out = emb.embed(["bombs", "", "how do i"])
    assert out.shape == (3, 4)
    np.testing.assert_allclose(np.linalg.norm(out[[0, 2]], axis=1), 1.0, rtol=1e-5)
    assert not out[1].any()
    assert emb.embed([]).shape == (0, 4)


def test_routing_sends_only_the_band_to_tier2() -> None:
    fast = tiny_model()
    texts = BENIGN + HARMFUL
    p_fast = fast.predict_proba(texts)
    u = fast.labels.index("unsafe")
    lo, hi = np.sort(p_fast[:, u])[[3, 8]]  # a band holding some texts, not all
    cascade = CascadeModel(fast, tiny_tier2((float(lo), float(hi))))
    routed = cascade.route(p_fast)
    assert 0 < routed.sum() < len(texts)
    np.testing.assert_array_equal(routed, (p_fast[:, u] >= lo) & (p_fast[:, u] <= hi))
    p = cascade.predict_proba(texts)
    expected = 1 / (1 + np.exp(-4.0))
    np.testing.assert_allclose(p[routed, u], expected, rtol=1e-5)  # tier 2 decided
    np.testing.assert_allclose(p[~routed, u], p_fast[~routed, u], rtol=1e-6)  # fast decided
    np.testing.assert_allclose(p[:, 0], p_fast[:, 0], rtol=1e-6)  # S1 is not a tier-2 label
    assert cascade.score(texts[:1])[0].keys() == {"S1", "unsafe"}


def test_confident_texts_never_reach_tier2() -> None:
    fast = tiny_model()
    cascade = CascadeModel(fast, tiny_tier2((2.0, 3.0)))  # empty band
    texts = BENIGN + HARMFUL
    assert not cascade.route(fast.predict_proba(texts)).any()
    np.testing.assert_allclose(cascade.predict_proba(texts), fast.predict_proba(texts))


def test_tier2_round_trip_and_detector(tmp_path: Path) -> None:
    path = tiny_model().save(tmp_path / "m")
    assert not has_tier2(path)
    fast_only = ClassifierDetector(path=str(path), tier="cascade").score(["a cake"])
    tiny_tier2((0.0, 1.0)).save(path)
    loaded = load_tier2(path)
    assert loaded.band == (0.0, 1.0) and loaded.embedder.vocab == VOCAB
    clear_cache()
    cascaded = ClassifierDetector(path=str(path), tier="cascade").score(["a cake"])
    assert cascaded[0]["unsafe"] == pytest.approx(1 / (1 + np.exp(-4.0)), rel=1e-5)
    assert fast_only[0]["unsafe"] != pytest.approx(cascaded[0]["unsafe"])
    fast = ClassifierDetector(path=str(path), tier="fast").score(["a cake"])
    assert fast[0] == pytest.approx(fast_only[0])
    clear_cache()


def test_corrupted_tier2_is_refused(tmp_path: Path) -> None:
    path = tiny_model().save(tmp_path / "m")
    with pytest.raises(ModelError, match="tier 2 is missing"):
        load_tier2(path)
    tiny_tier2((0.1, 0.9)).save(path)
    npz = path / "tier2.npz"
    data = bytearray(npz.read_bytes())
    data[len(data) // 2] ^= 0xFF
    npz.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="checksum"):
        load_tier2(path)
    tiny_tier2((0.1, 0.9)).save(path)
    doc = json.loads((path / "tier2.json").read_text("utf-8"))
    doc["band"] = [0.0, 1.0]
    (path / "tier2.json").write_text(json.dumps(doc), "utf-8")
    with pytest.raises(ModelError, match="checksum mismatch"):
        load_tier2(path)
    (path / "tier2.json").write_text("{not json", "utf-8")
    with pytest.raises(ModelError, match="unreadable"):
        load_tier2(path)


def test_cascade_refuses_unknown_labels() -> None:
    t2 = tiny_tier2((0.1, 0.9))
    t2.labels = ["J1"]
    with pytest.raises(ModelError, match="lacks"):
        CascadeModel(tiny_model(), t2)


def test_fit_tier2_on_fixture_data() -> None:
    from model_fixtures import SPEC

    from gardefou.model._dataset import Split
    from gardefou.model._sources import Example
    from gardefou.model._tier2_fit import Tier2Config, cross_fit, fit_tier2

    texts = BENIGN + HARMFUL
    examples = [Example(t, int(i >= len(BENIGN)), "x", group=str(i)) for i, t in enumerate(texts)]
    y = np.array([[e.unsafe, e.unsafe] for e in examples], dtype=np.int8)
    split = Split(examples, y, np.ones_like(y), np.ones(len(texts)))
    labels = ["S1", "unsafe"]
    cfg = Tier2Config(inputs=["unsafe"], band=(0.0, 1.0), folds=2, c=10.0)
    oof = cross_fit(split, labels, cfg.inputs, spec=SPEC, c=10.0, seed=0, folds=2,
                    other_harm_share=0.4)  # fmt: skip
    assert oof.shape == (len(texts), 1)
    fast = tiny_model()
    t2 = fit_tier2(tiny_embedder(), fast, split, split, oof, cfg, labels=labels, seed=0)
    assert t2.coef.shape == (4 + 1, 1) and t2.labels == ["unsafe"]
    p = CascadeModel(fast, t2).predict_proba(texts)[:, 1]
    assert p[len(BENIGN) :].mean() > p[: len(BENIGN)].mean()
