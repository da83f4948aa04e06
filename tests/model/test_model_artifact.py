"""Guard model: fit → save → load → score round trip, and refusal of corrupted artifacts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from model_fixtures import tiny_model

from gardefou.errors import ModelError
from gardefou.model import load_model
from gardefou.model._artifact import gate_categories
from gardefou.model._fit import platt
from gardefou.model._metrics import binary_metrics, expected_calibration_error, recall_at_fpr


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    return tiny_model().save(tmp_path / "m")


def test_round_trip_scores_match_and_separate(saved: Path) -> None:
    model = tiny_model()
    loaded = load_model(saved)
    assert loaded.labels == ["S1", "unsafe"]
    texts = ["how do I poison the dog of my neighbour", "a recipe for a cake please"]
    np.testing.assert_allclose(loaded.predict_proba(texts), model.predict_proba(texts), atol=2e-3)
    scores = loaded.score(texts)
    assert scores[0]["unsafe"] > scores[1]["unsafe"]
    assert all(0.0 <= v <= 1.0 for s in scores for v in s.values())
    assert loaded.score([]) == []


def test_flipped_byte_in_weights_is_refused(saved: Path) -> None:
    weights = saved / "weights.npz"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="checksum mismatch"):
        load_model(saved)


def test_missing_files_are_refused(saved: Path, tmp_path: Path) -> None:
    (saved / "weights.npz").unlink()
    with pytest.raises(ModelError, match=r"weights\.npz is missing"):
        load_model(saved)
    (saved / "model.json").unlink()
    with pytest.raises(ModelError, match=r"model\.json is missing"):
        load_model(saved)
    with pytest.raises(ModelError, match="not a directory"):
        load_model(tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(format_version=99), "format version 99 is not supported"),
        (lambda d: d.update(format="other"), "not a gardefou guard model"),
        (lambda d: d["calibration"].update(S1=[5.0, 0.0]), "checksum mismatch"),
    ],
)
def test_edited_model_json_is_refused(saved: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    path = saved / "model.json"
    doc = json.loads(path.read_text("utf-8"))
    edit(doc)
    path.write_text(json.dumps(doc), "utf-8")
    with pytest.raises(ModelError, match=message):
        load_model(saved)


def test_garbled_json_is_refused(saved: Path) -> None:
    (saved / "model.json").write_text("{not json", "utf-8")
    with pytest.raises(ModelError, match="unreadable or corrupted"):
        load_model(saved)


def test_platt_maps_decisions_to_calibrated_probabilities() -> None:
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.normal(-2, 1, 300), rng.normal(2, 1, 300)])
    y = np.concatenate([np.zeros(300), np.ones(300)])
    a, b = platt(z, y)
    assert a > 0.5
    p = 1 / (1 + np.exp(-(a * z + b)))
    assert expected_calibration_error(y, p) < 0.05
    assert platt(z[:3], y[:3]) == (1.0, 0.0)  # too few examples: identity


def test_metrics() -> None:
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.6, 0.7, 0.2])
    m = binary_metrics(y, p)
    assert (m["precision"], m["recall"], m["fpr"]) == (0.5, 0.5, 0.5)
    assert (
        recall_at_fpr(np.array([0] * 100 + [1] * 2), np.r_[np.zeros(100), [0.9, 0.0]])["recall"]
        == 0.5
    )
    assert recall_at_fpr(np.array([1]), np.array([0.5])) == {"recall": 0.0, "threshold": 1.0}
    assert expected_calibration_error(np.array([]), np.array([])) == 0.0


def test_category_gate_caps_hazards_only_where_unsafe_is_low() -> None:
    labels = ["S4", "J1", "unsafe"]
    probs = np.array([[0.5, 0.6, 0.05], [0.5, 0.6, 0.2], [0.01, 0.0, 0.03]], dtype=np.float32)
    gated = gate_categories(probs, labels, 0.1)
    np.testing.assert_allclose(gated[0], [0.05, 0.6, 0.05])  # S4 capped, J1 left alone
    np.testing.assert_allclose(gated[1:], probs[1:])  # unsafe above the gate, or S4 already lower
    assert probs[0, 0] == pytest.approx(0.5)  # the input is not modified
    np.testing.assert_allclose(gate_categories(probs, labels, 0.0), probs)
    assert gate_categories(probs[:0], labels, 0.1).shape == (0, 3)


def test_category_gate_travels_with_the_artifact(tmp_path: Path) -> None:
    model = tiny_model()
    model.metadata["category_gate"] = 1.0  # every text: S1 never above unsafe
    loaded = load_model(model.save(tmp_path / "g"))
    assert loaded.category_gate == 1.0
    texts = ["how do I poison the dog of my neighbour", "a recipe for a cake please"]
    raw, gated = loaded.raw_proba(texts), loaded.predict_proba(texts)
    np.testing.assert_allclose(gated, gate_categories(raw, loaded.labels, 1.0))
    assert (gated[:, 0] <= gated[:, 1]).all()
    assert tiny_model().category_gate == 0.0
