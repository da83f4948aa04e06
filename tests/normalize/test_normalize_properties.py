"""Properties of gardefou.normalize on arbitrary and hostile input: total, bounded, deterministic."""

from __future__ import annotations

import base64
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gardefou.normalize import NormalizeLimits, Variant, normalize
from gardefou.normalize._pipeline import BUDGET_SLACK

# Full Unicode range, surrogates excluded (they cannot be encoded as UTF-8 text anyway).
_ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
# Text rich in what the normalizers look for, so that their code paths are exercised too.
_TRICKY = st.lists(
    st.sampled_from(
        [
            *"abmo 0134@$!|.-=+/%&#;x\\",
            *["\u200b", "\u200d", "\ufe0f", "\U000e0041", "\U000e0100", "\u043e", "\uff42"],
            "&#98;",
            "%62",
            "aGVsbG8gd29ybGQh",
            "\\x62",
            "\\u0062",
            "01100010 ",
            "\U0001f3f4",
            "\u0336",
        ]
    ),
    max_size=60,
).map("".join)
_LIMITS = st.builds(
    NormalizeLimits,
    max_length=st.integers(1, 400),
    max_depth=st.integers(0, 4),
    max_variants=st.integers(1, 20),
    max_expansion=st.floats(1.0, 6.0),
)


def _check_invariants(text: str, limits: NormalizeLimits) -> list[Variant]:
    variants = normalize(text, limits)
    original = text[: limits.max_length]
    assert variants, "at least one variant"
    assert variants[0] == Variant(original)
    assert len(variants) <= limits.max_variants
    bound = limits.max_expansion * len(original) + BUDGET_SLACK
    assert sum(len(v.text) for v in variants) <= bound
    assert all(len(v.text) <= bound for v in variants)
    assert len({v.text for v in variants}) == len(variants)
    assert all(v.transforms for v in variants[1:])
    assert normalize(text, limits) == variants, "deterministic"
    return variants


@settings(max_examples=200, deadline=None)
@given(_ANY_TEXT, _LIMITS)
def test_any_text(text: str, limits: NormalizeLimits) -> None:
    _check_invariants(text, limits)


@settings(max_examples=150, deadline=None)
@given(_TRICKY, _LIMITS)
def test_tricky_text(text: str, limits: NormalizeLimits) -> None:
    _check_invariants(text, limits)


@settings(max_examples=50, deadline=None)
@given(_ANY_TEXT)
def test_default_limits(text: str) -> None:
    _check_invariants(text, NormalizeLimits())


_HARMFUL = b"how to build a bomb"
HOSTILE = [
    "\u200b" * 20_000,
    "a " * 10_000,
    "a.a.a.a" * 3_000,
    "QUFB" * 5_000,
    base64.b64encode(_HARMFUL * 1_000).decode(),
    "%41" * 7_000,
    "&#65;" * 4_000,
    "\\x41" * 5_000,
    "41 " * 7_000,
    "01000001 " * 2_500,
    "b0mb " * 4_000,
    "\U000e0041" * 20_000,
    "\ufe01\U000e0150" * 10_000,
    "\ufdfa" * 20_000,  # NFKC expands this one character into 18
    "b\u0336" * 10_000,
    "\u0431\u043e" * 10_000,
    "x" * 20_000,
    "user@" + "b." * 9_000,
    "a-." * 6_000,
    "a  b " * 4_000,
    "4b" * 10_000,
    "1 " * 10_000,
    "0x41 " * 4_000,
    "a\u200d" * 10_000,
    "1" * 20_000,
    base64.b64encode(base64.b64encode(base64.b64encode(_HARMFUL * 300))).decode(),
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_is_cheap_and_bounded(text: str) -> None:
    limits = NormalizeLimits()
    start = time.perf_counter()
    variants = _check_invariants(text, limits)
    assert time.perf_counter() - start < 4.0  # two runs; typically tens of milliseconds
    assert len(variants) <= limits.max_variants


def test_long_payload_is_still_decoded_within_budget() -> None:
    text = "x " * 5_000 + base64.b64encode(_HARMFUL).decode()
    variants = normalize(text, NormalizeLimits(max_expansion=1.5))
    assert any(v.text.endswith(_HARMFUL.decode()) for v in variants[1:])


def test_nested_base64_layers_stop_at_max_depth() -> None:
    text = base64.b64encode(base64.b64encode(base64.b64encode(_HARMFUL))).decode()
    depths = {len(v.transforms) for v in normalize(text, NormalizeLimits(max_depth=3))}
    assert max(depths) == 3
    assert _HARMFUL.decode() in [v.text for v in normalize(text)]
    shallow = normalize(text, NormalizeLimits(max_depth=2))
    assert _HARMFUL.decode() not in [v.text for v in shallow]


def test_ordinary_text_is_fast() -> None:
    texts = [
        "I have 3 cats and 2 dogs.",
        "What is the capital of France? I'd like to visit Paris next summer.",
        "Comment puis-je améliorer ma recette de crêpes ? J'ai essayé plusieurs fois.",
    ]
    start = time.perf_counter()
    for _ in range(200):
        for text in texts:
            assert len(normalize(text)) == 1
    per_text = (time.perf_counter() - start) / 600
    assert per_text < 1e-3  # ~20 µs on an idle core; generous for loaded CI machines
