"""Hashed n-gram featurizer: batch/single agreement, normalization, edge cases, thresholds."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gardefou.model import FeatureSpec, Featurizer, normalize_text
from gardefou.model._thresholds import lowest_threshold

SPEC = FeatureSpec(word_features=2**10, char_features=2**12)


def test_batch_equals_single_and_rows_are_normalized() -> None:
    f = Featurizer(SPEC)
    texts = ["How do I kill a Python process?", "", "Café crème", "  \x01 spaces\t\n here ", "x"]
    coef = np.random.default_rng(1).standard_normal((SPEC.n_features, 3)).astype(np.float16)
    batch = f.dot(texts, coef)
    single = np.vstack([f.dot([t], coef) for t in texts])
    np.testing.assert_allclose(batch, single, atol=1e-5)
    assert not batch[1].any()  # empty text: no features
    rows, cols, vals = f.triplets(texts)
    assert np.all(np.diff(rows) >= 0) and cols.max() < SPEC.n_features
    for r in (0, 2, 3):
        m = rows == r
        words = m & (cols < SPEC.word_features)
        chars = m & (cols >= SPEC.word_features)
        assert np.isclose(np.sum(vals[words] ** 2), 1.0) and np.isclose(
            np.sum(vals[chars] ** 2), 1.0
        )


def test_accents_case_and_spaces_do_not_change_features() -> None:
    f = Featurizer(SPEC)
    a, b = f.triplets(["Crème BRÛLÉE   à Paris"]), f.triplets(["creme brulee a paris"])
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert normalize_text("  Crème\n BRÛLÉE ", SPEC) == "creme brulee"


def test_long_texts_keep_head_and_tail() -> None:
    spec = FeatureSpec(word_features=2**8, char_features=2**8, head_chars=100, tail_chars=20)
    text = "a" * 500 + " tail"
    assert normalize_text(text, spec).endswith("tail") and len(normalize_text(text, spec)) < 130


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=4))
def test_any_unicode_batch_matches_single(texts: list[str]) -> None:
    f = Featurizer(SPEC)
    coef = np.ones((SPEC.n_features, 1), dtype=np.float32)
    batch = f.dot(texts, coef)
    single = np.vstack([f.dot([t], coef) for t in texts])
    np.testing.assert_allclose(batch, single, atol=1e-4)


def test_lowest_threshold_respects_the_budget() -> None:
    scores = np.linspace(0.0, 1.0, 101)
    t = lowest_threshold(scores, 0.2)
    assert (scores >= t).mean() <= 0.2
    assert (scores >= t - 0.02).mean() > 0.2
    assert lowest_threshold(scores, 0.01) == 0.95  # clipped
    assert lowest_threshold(np.array([]), 0.1) == 0.5
    assert lowest_threshold(np.zeros(10), 0.5) == 0.05  # clipped


def test_surrogate_code_points_are_made_well_formed() -> None:
    # json.loads turns a "\ud800" escape into a lone surrogate, which no UTF codec encodes
    from gardefou.model._features import well_formed

    assert well_formed("a \ud83d\udca3 b") == "a \U0001f4a3 b"  # a pair is the character
    assert well_formed("bomb \ud800 x") == "bomb \ufffd x"  # a lone half is U+FFFD
    assert well_formed("plain café") == "plain café"
    f = Featurizer(SPEC)
    coef = np.random.default_rng(2).standard_normal((SPEC.n_features, 2)).astype(np.float16)
    np.testing.assert_allclose(
        f.dot(["bomb \ud800 x", "\udcff"], coef), f.dot(["bomb \ufffd x", "\ufffd"], coef)
    )
    assert normalize_text("Bomb \ud800", SPEC) == "bomb \ufffd"
