"""Checks on the hand-authored injection, jailbreak and response training data.

Files: training/data/injection_{en,fr}.jsonl (direction ``input``) and
training/data/responses_{en,fr}.jsonl (direction ``output``). The tests validate the row schema,
labels and categories, uniqueness of texts, the minimum number of rows per kind and language, and
that every contrast pair holds exactly one safe and one unsafe row.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

DATA_DIR = Path(__file__).resolve().parents[2] / "training" / "data"
LANGS = ("en", "fr")
HAZARDS = {f"S{i}" for i in range(1, 15)}
REQUIRED_KEYS = {"text", "label", "category", "lang", "direction", "kind"}
OPTIONAL_KEYS = {"pair"}

# kind -> (label, allowed categories, minimum rows per language)
INJECTION_KINDS: dict[str, tuple[str, set[str], int]] = {
    "injection_doc": ("unsafe", {"J2"}, 150),
    "benign_doc": ("safe", {""}, 200),
    "prompt_extraction": ("unsafe", {"J2"}, 60),
    "jailbreak_template": ("unsafe", {"J1"}, 120),
    "jailbreak_lookalike_safe": ("safe", {""}, 150),
}
RESPONSE_KINDS: dict[str, tuple[str, set[str], int]] = {
    "refusal": ("safe", {""}, 150),
    "benign_answer": ("safe", {""}, 250),
    "harmful_compliance": ("unsafe", HAZARDS, 200),
    "partial_compliance": ("unsafe", HAZARDS, 50),
}
FAMILIES = {
    "injection": ("input", INJECTION_KINDS, 100),
    "responses": ("output", RESPONSE_KINDS, 100),
}


def _load(family: str, lang: str) -> list[dict[str, Any]]:
    path = DATA_DIR / f"{family}_{lang}.jsonl"
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            assert line.strip(), f"{path.name}:{number}: blank line"
            row = json.loads(line)
            assert isinstance(row, dict), f"{path.name}:{number}: not an object"
            row["_line"] = number
            rows.append(row)
    return rows


CASES = [(family, lang) for family in FAMILIES for lang in LANGS]


@pytest.fixture(scope="module", params=CASES, ids=[f"{f}_{lang}" for f, lang in CASES])
def dataset(request: pytest.FixtureRequest) -> tuple[str, str, list[dict[str, Any]]]:
    family, lang = request.param
    return family, lang, _load(family, lang)


def test_schema_and_values(dataset: tuple[str, str, list[dict[str, Any]]]) -> None:
    family, lang, rows = dataset
    direction, kinds, _ = FAMILIES[family]
    for row in rows:
        where = f"{family}_{lang}:{row['_line']}"
        keys = set(row) - {"_line"}
        assert keys >= REQUIRED_KEYS, f"{where}: missing {REQUIRED_KEYS - keys}"
        assert keys <= REQUIRED_KEYS | OPTIONAL_KEYS, f"{where}: extra {keys - REQUIRED_KEYS}"
        assert isinstance(row["text"], str) and row["text"].strip(), where
        assert row["text"] == row["text"].strip(), f"{where}: untrimmed text"
        assert row["lang"] == lang, where
        assert row["direction"] == direction, where
        assert row["kind"] in kinds, f"{where}: unknown kind {row['kind']!r}"
        label, categories, _ = kinds[row["kind"]]
        assert row["label"] == label, f"{where}: label {row['label']!r} for {row['kind']}"
        assert row["category"] in categories, f"{where}: category {row['category']!r}"
        if "pair" in row:
            assert isinstance(row["pair"], str) and row["pair"], where


def test_no_duplicate_texts(dataset: tuple[str, str, list[dict[str, Any]]]) -> None:
    family, lang, rows = dataset
    counts = Counter(" ".join(row["text"].lower().split()) for row in rows)
    dupes = [text[:60] for text, n in counts.items() if n > 1]
    assert not dupes, f"{family}_{lang}: duplicated texts {dupes[:5]}"


def test_minimum_counts_per_kind(dataset: tuple[str, str, list[dict[str, Any]]]) -> None:
    family, lang, rows = dataset
    _, kinds, _ = FAMILIES[family]
    counts = Counter(row["kind"] for row in rows)
    for kind, (_, _, minimum) in kinds.items():
        assert counts[kind] >= minimum, f"{family}_{lang}: {kind} has {counts[kind]} < {minimum}"


def test_pairs_are_complete(dataset: tuple[str, str, list[dict[str, Any]]]) -> None:
    family, lang, rows = dataset
    _, _, min_pairs = FAMILIES[family]
    pairs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if "pair" in row:
            pairs[row["pair"]].append(row)
    assert len(pairs) >= min_pairs, f"{family}_{lang}: only {len(pairs)} pairs"
    for pair_id, members in pairs.items():
        labels = sorted(member["label"] for member in members)
        assert labels == ["safe", "unsafe"], f"{pair_id}: labels {labels}"
        lines = sorted(member["_line"] for member in members)
        assert lines[1] - lines[0] == 1, f"{pair_id}: pair rows are not adjacent"


def test_harmful_responses_cover_every_hazard() -> None:
    for lang in LANGS:
        rows = _load("responses", lang)
        covered = {row["category"] for row in rows if row["kind"] == "harmful_compliance"}
        assert covered == HAZARDS, f"responses_{lang}: missing {sorted(HAZARDS - covered)}"


def test_response_pairs_contrast_refusal_and_compliance() -> None:
    for lang in LANGS:
        pairs: dict[str, set[str]] = defaultdict(set)
        for row in _load("responses", lang):
            if "pair" in row:
                pairs[row["pair"]].add(row["kind"])
        for pair_id, kinds in pairs.items():
            assert "refusal" in kinds, f"{pair_id}: no refusal"
            assert kinds & {"harmful_compliance", "partial_compliance"}, f"{pair_id}: no compliance"


def test_injection_pairs_share_their_document() -> None:
    """The unsafe member of an injection pair is its safe document with text added."""
    for lang in LANGS:
        pairs: dict[str, dict[str, str]] = defaultdict(dict)
        for row in _load("injection", lang):
            if "pair" in row:
                pairs[row["pair"]][row["label"]] = row["text"]
        for pair_id, members in pairs.items():
            safe_words = set(members["safe"].split())
            unsafe_words = set(members["unsafe"].split())
            assert len(members["unsafe"]) > len(members["safe"]), pair_id
            assert len(safe_words - unsafe_words) <= 3, f"{pair_id}: documents differ"


def test_language_tag_matches_detector() -> None:
    from gardefou.lang import detect_language

    for family in FAMILIES:
        for lang in LANGS:
            rows = _load(family, lang)
            agree = sum(detect_language(row["text"]) == lang for row in rows)
            assert agree >= 0.95 * len(rows), f"{family}_{lang}: {agree}/{len(rows)} agree"
