"""Every hand-written training file follows the one schema, and no text appears twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gardefou.taxonomy import CATEGORY_CODES

DATA = Path(__file__).resolve().parents[2] / "training" / "data"
FILES = sorted(DATA.glob("*.jsonl"))
REQUIRED = {"text", "label", "category", "lang", "direction", "kind"}


def test_files_exist() -> None:
    assert len(FILES) >= 6


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_schema(path: Path) -> None:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        row = json.loads(line)
        assert REQUIRED <= set(row) <= REQUIRED | {"pair"}, f"{path.name}:{n}"
        assert row["label"] in ("safe", "unsafe"), f"{path.name}:{n}"
        assert row["lang"] in ("en", "fr") and row["direction"] in ("input", "output")
        if row["label"] == "safe":
            assert row["category"] == "", f"{path.name}:{n}"
        else:
            assert row["category"] in CATEGORY_CODES, f"{path.name}:{n}"
        assert row["text"].strip(), f"{path.name}:{n}"


def test_no_text_twice_across_files() -> None:
    seen: dict[str, str] = {}
    for path in FILES:
        for line in path.read_text(encoding="utf-8").splitlines():
            key = " ".join(json.loads(line)["text"].lower().split())
            assert key not in seen, f"{path.name} repeats a text of {seen.get(key)}"
            seen[key] = path.name
