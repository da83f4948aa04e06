"""The encoder tier: loading with checksums, scoring through onnxruntime, calibration."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from encoder_fixtures import write_tiny_encoder
from model_fixtures import BENIGN, HARMFUL

from gardefou.errors import ModelError
from gardefou.model._encoder import has_encoder, load_encoder, write_encoder_json
from gardefou.taxonomy import SCORE_KEYS


def test_scores_follow_the_graph_and_the_calibration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GARDEFOU_ENCODER_CACHE", "0")  # every call below runs the graph
    assert not has_encoder(tmp_path)
    write_tiny_encoder(tmp_path)
    assert has_encoder(tmp_path)
    enc = load_encoder(tmp_path)
    assert enc.labels == list(SCORE_KEYS) and enc.max_tokens == 32 and len(enc.fingerprint) == 64
    texts = [*BENIGN, *HARMFUL]
    p = enc.predict_proba(texts)
    u = enc.labels.index("unsafe")
    assert p.shape == (len(texts), len(SCORE_KEYS))
    assert p[len(BENIGN) :, u].min() > 0.5 > p[: len(BENIGN), u].max()
    assert enc.predict_proba([]).shape == (0, len(SCORE_KEYS))
    # mixed lengths in one batch give the same scores as one at a time (padding is masked)
    alone = np.vstack([enc.predict_proba([t]) for t in texts])
    np.testing.assert_allclose(p, alone, rtol=1e-5, atol=1e-6)
    # calibration (a, b) is applied to the raw logits
    z = enc.logits(texts[:2])
    shifted = write_and_load(tmp_path / "cal", {k: (2.0, -1.0) for k in SCORE_KEYS})
    np.testing.assert_allclose(
        shifted.predict_proba(texts[:2]), 1 / (1 + np.exp(-(2 * z - 1))), rtol=1e-5
    )
    # a lone surrogate (json.loads accepts a "\ud800" escape) is scored as U+FFFD, not an error
    np.testing.assert_array_equal(enc.logits(["\ud800 cake"]), enc.logits(["\ufffd cake"]))
    scored = enc.score(["bomb"])[0]
    assert set(scored) == set(SCORE_KEYS) and scored["unsafe"] > 0.5


def test_recent_texts_are_served_from_a_bounded_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tiny_encoder(tmp_path)
    enc = load_encoder(tmp_path)
    ran: list[str] = []
    run = enc._run

    def spy(texts):  # type: ignore[no-untyped-def]
        ran.extend(texts)
        return run(texts)

    monkeypatch.setattr(enc, "_run", spy)
    enc.cache_size = 3
    first = enc.logits(["cake", "bomb", "cake"])  # a repeat within one call runs once
    assert ran == ["cake", "bomb"]
    np.testing.assert_array_equal(first[0], first[2])
    again = enc.logits(["bomb", "tea", "cake"])  # two hits, one new text
    assert ran == ["cake", "bomb", "tea"]
    np.testing.assert_array_equal(again[[0, 2]], first[[1, 0]])
    lone = enc.logits(["\ud800 lone surrogate", "bread"])  # past the bound: oldest dropped
    assert len(enc._cache) == 3
    # a lone surrogate (json.loads accepts "\ud800") is scored as U+FFFD, not an error
    np.testing.assert_array_equal(lone[0], enc.logits(["\ufffd lone surrogate"])[0])
    enc.logits(["tea"])
    enc.logits(["bomb"])  # "bomb" was the least recently used
    assert ran[-1] == "bomb"
    # the cached rows are copies: changing a returned array does not change later scores
    got = enc.logits(["bread"])
    got[:] = 99.0
    assert enc.logits(["bread"])[0, 0] != 99.0
    # GARDEFOU_ENCODER_CACHE=0 turns it off
    monkeypatch.setenv("GARDEFOU_ENCODER_CACHE", "0")
    off = load_encoder(tmp_path)
    assert off.cache_size == 0
    off.logits(["cake"])
    off.logits(["cake"])
    assert len(off._cache) == 0


def write_and_load(path: Path, calibration: dict[str, tuple[float, float]]):  # type: ignore[no-untyped-def]
    write_tiny_encoder(path, calibration=calibration)
    return load_encoder(path)


def test_long_texts_are_truncated_to_the_token_limit(tmp_path: Path) -> None:
    write_tiny_encoder(tmp_path)
    enc = load_encoder(tmp_path)
    benign_start = "cake " * 40  # past the 32-token limit: the harmful tail is never read
    p = enc.predict_proba([benign_start + "bomb " * 40])
    assert p[0, enc.labels.index("unsafe")] < 0.5


def test_corrupted_or_foreign_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="missing"):
        load_encoder(tmp_path)
    write_tiny_encoder(tmp_path)
    onnx_file = tmp_path / "encoder.onnx"
    data = bytearray(onnx_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    onnx_file.write_bytes(bytes(data))
    with pytest.raises(ModelError, match=r"encoder\.onnx .*checksum"):
        load_encoder(tmp_path)
    write_tiny_encoder(tmp_path)
    (tmp_path / "tokenizer.json").unlink()
    with pytest.raises(ModelError, match=r"tokenizer\.json"):
        load_encoder(tmp_path)
    write_tiny_encoder(tmp_path)
    doc = json.loads((tmp_path / "encoder.json").read_text("utf-8"))
    doc["max_tokens"] = 9999
    (tmp_path / "encoder.json").write_text(json.dumps(doc), "utf-8")
    with pytest.raises(ModelError, match="checksum mismatch"):
        load_encoder(tmp_path)
    doc["format"] = "something-else"
    (tmp_path / "encoder.json").write_text(json.dumps(doc), "utf-8")
    with pytest.raises(ModelError, match="not a gardefou encoder"):
        load_encoder(tmp_path)
    (tmp_path / "encoder.json").write_text("{nope", "utf-8")
    with pytest.raises(ModelError, match="corrupted"):
        load_encoder(tmp_path)


def test_an_unloadable_graph_is_a_model_error(tmp_path: Path) -> None:
    from gardefou.model._encoder import write_encoder_json

    write_tiny_encoder(tmp_path)
    (tmp_path / "encoder.onnx").write_bytes(b"not an onnx graph")
    write_encoder_json(tmp_path, list(SCORE_KEYS), {k: (1.0, 0.0) for k in SCORE_KEYS}, 32, {})
    enc = load_encoder(tmp_path)  # checksums match: the session starts on first use
    with pytest.raises(ModelError, match="could not be loaded"):
        enc.predict_proba(["hello"])


def test_a_texts_scores_do_not_depend_on_the_rest_of_its_batch(tmp_path: Path) -> None:
    """The int8 graph quantizes activations with one scale per run: a padded batch that puts a
    short text next to an extreme one would move the short text's scores. Each text runs alone."""
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    write_tiny_encoder(tmp_path)
    graph = tmp_path / "encoder.onnx"
    quantize_dynamic(str(graph), str(tmp_path / "int8.onnx"), weight_type=QuantType.QInt8)
    graph.write_bytes((tmp_path / "int8.onnx").read_bytes())
    write_encoder_json(tmp_path, list(SCORE_KEYS), {k: (1.0, 0.0) for k in SCORE_KEYS}, 32, {})
    enc = load_encoder(tmp_path)
    short, extreme = "how do i bake a cake", " ".join(["bomb"] * 20)
    # the graph itself is batch-sensitive: padded together, the short text's logits move
    a, b = (enc.tokenizer().encode(t).ids for t in (short, extreme))
    ids, mask = np.zeros((2, len(b)), dtype=np.int64), np.zeros((2, len(b)), dtype=np.int64)
    ids[0, : len(a)], ids[1], mask[0, : len(a)], mask[1] = a, b, 1, 1
    session = ort.InferenceSession(str(graph), providers=["CPUExecutionProvider"])
    batched = session.run(None, {"input_ids": ids, "attention_mask": mask})[0][0]
    alone = enc.logits([short])[0]
    assert np.abs(batched - alone).max() > 1e-4
    # the tier scores it the same alone and in any company
    np.testing.assert_array_equal(enc.logits([short, extreme])[0], alone)
    np.testing.assert_array_equal(enc.logits([extreme, "cake", short])[2], alone)
