"""Cascade: routing of the band to the encoder, the ensemble, settings checks, the detector."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from encoder_fixtures import write_tiny_encoder
from model_fixtures import BENIGN, HARMFUL, tiny_model

from gardefou.detectors.classifier import ClassifierDetector, clear_cache
from gardefou.errors import ModelError
from gardefou.model import GuardModel
from gardefou.model._cascade import CascadeModel, ensemble_proba, logit
from gardefou.model._encoder import EncoderTier, load_encoder

LABELS = ["S1", "unsafe"]


def pair(tmp_path: Path, band: tuple[float, float]) -> tuple[GuardModel, EncoderTier]:
    """The tiny fast model and a tiny encoder with matching labels and cascade settings."""
    write_tiny_encoder(tmp_path / "enc", labels=LABELS)
    enc = load_encoder(tmp_path / "enc")
    fast = tiny_model()
    fast.metadata["cascade"] = {
        "band": list(band),
        "calibration": {"S1": [1.0, 0.0], "unsafe": [1.5, 0.25]},
        "encoder": enc.fingerprint,
    }
    return fast, enc


def test_only_the_band_goes_to_the_encoder(tmp_path: Path) -> None:
    texts = BENIGN + HARMFUL
    fast, enc = pair(tmp_path, (0.0, 1.0))
    p_fast = fast.predict_proba(texts)
    u = LABELS.index("unsafe")
    lo, hi = (float(x) for x in np.sort(p_fast[:, u])[[3, 8]])  # some texts, not all
    fast.metadata["cascade"]["band"] = [lo, hi]
    cascade = CascadeModel(fast, enc)
    routed = cascade.route(p_fast)
    assert 0 < routed.sum() < len(texts)
    np.testing.assert_array_equal(routed, (p_fast[:, u] >= lo) & (p_fast[:, u] <= hi))
    p = cascade.predict_proba(texts)
    p_enc = enc.predict_proba(texts)
    z = (logit(p_fast) + logit(p_enc)) / 2
    expected = 1 / (1 + np.exp(-(z * np.array([1.0, 1.5]) + np.array([0.0, 0.25]))))
    np.testing.assert_allclose(p[routed], expected[routed], rtol=1e-4)  # ensemble decided
    np.testing.assert_allclose(p[~routed], p_fast[~routed], rtol=1e-6)  # fast decided
    assert cascade.score(texts[:1])[0].keys() == set(LABELS)


def test_route_on_sends_a_text_when_any_of_its_keys_is_in_the_band(tmp_path: Path) -> None:
    texts = BENIGN + HARMFUL
    fast, enc = pair(tmp_path, (0.0, 1.0))
    p_fast = fast.predict_proba(texts)
    s1, u = LABELS.index("S1"), LABELS.index("unsafe")
    lo, hi = (float(x) for x in np.sort(p_fast[:, u])[[3, 8]])
    fast.metadata["cascade"]["band"] = [lo, hi]
    only_unsafe = CascadeModel(fast, enc).route(p_fast)
    fast.metadata["cascade"]["route_on"] = ["unsafe", "S1"]
    both = CascadeModel(fast, enc).route(p_fast)
    in_band = (p_fast >= lo) & (p_fast <= hi)
    np.testing.assert_array_equal(only_unsafe, in_band[:, u])
    np.testing.assert_array_equal(both, in_band[:, u] | in_band[:, s1])
    for bad in (["J9"], [], "unsafe"):
        fast.metadata["cascade"]["route_on"] = bad
        with pytest.raises(ModelError, match="route_on"):
            CascadeModel(fast, enc)


def test_a_key_with_its_own_band_routes_on_that_band(tmp_path: Path) -> None:
    texts = BENIGN + HARMFUL
    fast, enc = pair(tmp_path, (2.0, 3.0))  # the shared band reaches nothing
    p_fast = fast.predict_proba(texts)
    s1, u = LABELS.index("S1"), LABELS.index("unsafe")
    lo, hi = (float(x) for x in np.sort(p_fast[:, s1])[[2, 6]])
    fast.metadata["cascade"]["route_on"] = ["unsafe", "S1"]
    fast.metadata["cascade"]["bands"] = {"S1": [lo, hi]}
    routed = CascadeModel(fast, enc).route(p_fast)
    assert 0 < routed.sum() < len(texts)
    np.testing.assert_array_equal(routed, (p_fast[:, s1] >= lo) & (p_fast[:, s1] <= hi))
    assert not ((p_fast[:, u] >= 2.0) & routed).any()
    for bad in ({"J1": [0.0, 1.0]}, {"S1": [0.5]}, {"S1": "low"}):
        fast.metadata["cascade"]["bands"] = bad
        with pytest.raises(ModelError, match="bands"):
            CascadeModel(fast, enc)


def test_ensemble_mode_reads_every_text_and_empty_band_reads_none(tmp_path: Path) -> None:
    texts = BENIGN + HARMFUL
    fast, enc = pair(tmp_path, (2.0, 3.0))  # a band no probability reaches
    cascade = CascadeModel(fast, enc)
    assert not cascade.route(fast.predict_proba(texts)).any()
    np.testing.assert_allclose(cascade.predict_proba(texts), fast.predict_proba(texts))
    ensemble = CascadeModel(fast, enc, mode="ensemble")
    p = ensemble.predict_proba(texts)
    assert ensemble.route(p).all()
    u = LABELS.index("unsafe")
    assert p[len(BENIGN) :, u].min() > p[: len(BENIGN), u].max()
    with pytest.raises(ModelError, match="unknown cascade mode"):
        CascadeModel(fast, enc, mode="fastest")


def test_ensemble_is_monotone_in_both_tiers() -> None:
    cal = np.array([[1.0], [0.0]], dtype=np.float32)
    grid = np.linspace(0.01, 0.99, 9, dtype=np.float32)[:, None]
    assert np.all(np.diff(ensemble_proba(grid, np.full_like(grid, 0.3), cal)[:, 0]) > 0)
    assert np.all(np.diff(ensemble_proba(np.full_like(grid, 0.3), grid, cal)[:, 0]) > 0)
    np.testing.assert_allclose(ensemble_proba(grid, grid, cal), grid, rtol=1e-4)


def test_stale_or_missing_settings_are_refused(tmp_path: Path) -> None:
    fast, enc = pair(tmp_path, (0.1, 0.9))
    fast.metadata["cascade"]["encoder"] = "0" * 64
    with pytest.raises(ModelError, match="another encoder"):
        CascadeModel(fast, enc)
    del fast.metadata["cascade"]
    with pytest.raises(ModelError, match="no cascade settings"):
        CascadeModel(fast, enc)
    fast, enc = pair(tmp_path, (0.1, 0.9))
    del fast.metadata["cascade"]["calibration"]["S1"]
    with pytest.raises(ModelError, match="invalid cascade settings"):
        CascadeModel(fast, enc)
    write_tiny_encoder(tmp_path / "other", labels=["J1", "unsafe"])
    other = load_encoder(tmp_path / "other")
    fast.metadata["cascade"]["encoder"] = other.fingerprint
    with pytest.raises(ModelError, match="labels differ"):
        CascadeModel(fast, other)


def test_detector_tiers_on_an_artifact_with_and_without_encoder(tmp_path: Path) -> None:
    fast, _ = pair(tmp_path, (0.0, 1.0))
    path = fast.save(tmp_path / "m")
    clear_cache()
    try:
        plain = ClassifierDetector(path=str(path), tier="cascade").score(["a cake"])
        assert plain == ClassifierDetector(path=str(path), tier="fast").score(["a cake"])
        write_tiny_encoder(path, labels=LABELS)
        fast.metadata["cascade"]["encoder"] = load_encoder(path).fingerprint
        fast.save(path)
        clear_cache()
        cascaded = ClassifierDetector(path=str(path), tier="cascade").score(["a cake"])
        assert cascaded[0]["unsafe"] != pytest.approx(plain[0]["unsafe"])
        det = ClassifierDetector(path=str(path), tier="ensemble")
        assert isinstance(det.model, CascadeModel) and det.model.mode == "ensemble"
    finally:
        clear_cache()


def test_combine_matches_scoring_and_tiers_share_one_encoder(tmp_path: Path) -> None:
    texts = BENIGN + HARMFUL
    fast, enc = pair(tmp_path, (0.2, 0.8))
    fast.metadata["category_gate"] = 0.5
    cascade = CascadeModel(fast, enc)
    combined = cascade.combine(fast.raw_proba(texts), enc.predict_proba(texts))
    np.testing.assert_allclose(combined, cascade.predict_proba(texts), rtol=1e-6)
    hazards = [j for j, k in enumerate(fast.labels) if k.startswith("S")]
    u = fast.labels.index("unsafe")
    low = combined[:, u] < 0.5
    assert low.any()
    assert (combined[low][:, hazards] <= combined[low][:, [u]] + 1e-7).all()
    path = fast.save(tmp_path / "m")
    write_tiny_encoder(path, labels=LABELS)
    fast.metadata["cascade"]["encoder"] = load_encoder(path).fingerprint
    fast.save(path)
    clear_cache()
    try:
        a = ClassifierDetector(path=str(path), tier="cascade").model
        b = ClassifierDetector(path=str(path), tier="ensemble").model
        assert isinstance(a, CascadeModel) and isinstance(b, CascadeModel)
        assert a.encoder is b.encoder
    finally:
        clear_cache()
