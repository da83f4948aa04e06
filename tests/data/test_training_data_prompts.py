"""Checks on the hand-authored input-direction training prompts in training/data/prompts_*.jsonl."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from gardefou.lang import detect_language

DATA_DIR = Path(__file__).resolve().parents[2] / "training" / "data"
LANGS = ("en", "fr")
KEYS = {"text", "label", "category", "lang", "direction", "kind"}
HAZARDS = tuple(f"S{i}" for i in range(1, 15))
CATEGORIES = {*HAZARDS, "J1", "J2"}
SAFE_ONLY_KINDS = {
    "everyday",
    "benign_scary",
    "contrast_safe",
    "jailbreak_lookalike_safe",
    "chat",
    "forum",
    "code",
    "fiction",
    "history",
    "medicine",
    "security_education",
}
UNSAFE_ONLY_KINDS = {"contrast_unsafe", "thin_category"}
KINDS = SAFE_ONLY_KINDS | UNSAFE_ONLY_KINDS

MIN_SAFE = 900
MIN_UNSAFE = 350
MIN_PER_HAZARD = 15
MIN_JAILBREAK = 40
MIN_PAIRS = 250


def _load(lang: str) -> list[dict[str, Any]]:
    path = DATA_DIR / f"prompts_{lang}.jsonl"
    rows = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            assert line.strip(), f"{path.name}:{number}: blank line"
            row = json.loads(line)
            assert isinstance(row, dict), f"{path.name}:{number}: not an object"
            row["_line"] = number
            rows.append(row)
    return rows


@pytest.fixture(scope="module", params=LANGS)
def dataset(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    lang: str = request.param
    return lang, _load(lang)


def test_schema(dataset: tuple[str, list[dict[str, Any]]]) -> None:
    lang, rows = dataset
    for row in rows:
        where = f"prompts_{lang}.jsonl:{row['_line']}"
        keys = set(row) - {"_line"}
        assert keys >= KEYS, f"{where}: missing {KEYS - keys}"
        assert keys - KEYS <= {"pair"}, f"{where}: extra keys {keys - KEYS - {'pair'}}"
        assert isinstance(row["text"], str), where
        assert row["text"] == row["text"].strip() and row["text"], f"{where}: empty or padded"
        assert row["label"] in ("safe", "unsafe"), where
        assert row["lang"] == lang, where
        assert row["direction"] == "input", where
        assert row["kind"] in KINDS, f"{where}: unknown kind {row['kind']!r}"
        if row["label"] == "safe":
            assert row["category"] == "", f"{where}: safe row with a category"
            assert row["kind"] not in UNSAFE_ONLY_KINDS, f"{where}: safe row of an unsafe kind"
        else:
            assert row["category"] in CATEGORIES, f"{where}: bad category {row['category']!r}"
            assert row["kind"] not in SAFE_ONLY_KINDS, f"{where}: unsafe row of a safe kind"
        is_contrast = row["kind"].startswith("contrast_")
        assert ("pair" in row) == is_contrast, f"{where}: pair key iff contrast kind"


def _normalise(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def test_no_duplicate_texts() -> None:
    seen: dict[str, str] = {}
    for lang in LANGS:
        for row in _load(lang):
            key = _normalise(row["text"])
            where = f"prompts_{lang}.jsonl:{row['_line']}"
            assert key not in seen, f"{where} duplicates {seen[key]}"
            seen[key] = where


def test_minimum_counts(dataset: tuple[str, list[dict[str, Any]]]) -> None:
    lang, rows = dataset
    labels = Counter(row["label"] for row in rows)
    assert labels["safe"] >= MIN_SAFE, (lang, labels)
    assert labels["unsafe"] >= MIN_UNSAFE, (lang, labels)
    categories = Counter(row["category"] for row in rows if row["label"] == "unsafe")
    for code in HAZARDS:
        assert categories[code] >= MIN_PER_HAZARD, f"{lang}: {code} has {categories[code]}"
    assert categories["J1"] >= MIN_JAILBREAK, f"{lang}: J1 has {categories['J1']}"
    kinds = Counter(row["kind"] for row in rows)
    assert all(kinds[kind] > 0 for kind in KINDS), f"{lang}: kinds missing {KINDS - set(kinds)}"


def test_pairs_are_complete_and_adjacent(dataset: tuple[str, list[dict[str, Any]]]) -> None:
    lang, rows = dataset
    by_pair: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if "pair" in row:
            by_pair.setdefault(row["pair"], []).append(row)
    assert len(by_pair) >= MIN_PAIRS, f"{lang}: {len(by_pair)} pairs"
    for pair_id, members in by_pair.items():
        assert len(members) == 2, f"{lang}: pair {pair_id} has {len(members)} rows"
        safe, unsafe = sorted(members, key=lambda r: r["label"])
        assert (safe["label"], unsafe["label"]) == ("safe", "unsafe"), pair_id
        assert (safe["kind"], unsafe["kind"]) == ("contrast_safe", "contrast_unsafe"), pair_id
        assert abs(safe["_line"] - unsafe["_line"]) == 1, f"{lang}: pair {pair_id} not adjacent"
    paired_categories = {m["category"] for ms in by_pair.values() for m in ms if m["category"]}
    assert {*HAZARDS, "J1"} <= paired_categories, f"{lang}: pairs miss some categories"


def test_language_tag_matches_detector(dataset: tuple[str, list[dict[str, Any]]]) -> None:
    lang, rows = dataset
    agree = sum(detect_language(row["text"]) == lang for row in rows)
    assert agree >= 0.9 * len(rows), f"{lang}: only {agree}/{len(rows)} rows detected as {lang}"


def test_length_and_style_vary(dataset: tuple[str, list[dict[str, Any]]]) -> None:
    lang, rows = dataset
    lengths = [len(row["text"].split()) for row in rows]
    assert min(lengths) <= 3, f"{lang}: no very short texts"
    assert max(lengths) >= 40, f"{lang}: no paragraph-length texts"
    lowercase_start = sum(row["text"][0].islower() for row in rows)
    assert 0.2 * len(rows) <= lowercase_start <= 0.95 * len(rows), f"{lang}: one casing style"
