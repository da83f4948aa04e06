"""Every hand-written training file follows the one schema, and no text appears twice.

Files under ``training/data/pending/`` (written and scored, not trained on yet) are held to the
same rules: they join the training data at the next encoder round."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gardefou.taxonomy import CATEGORY_CODES

DATA = Path(__file__).resolve().parents[2] / "training" / "data"
FILES = sorted(DATA.glob("*.jsonl")) + sorted((DATA / "pending").glob("*.jsonl"))
REQUIRED = {"text", "label", "category", "lang", "direction", "kind"}


def _key(text: str) -> str:
    """A text as compared across files: lowercased, whitespace collapsed."""
    return " ".join(text.lower().split())


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
            key = _key(json.loads(line)["text"])
            assert key not in seen, f"{path.name} repeats a text of {seen.get(key)}"
            seen[key] = path.name


def test_no_red_team_behavior_in_training_data() -> None:
    """The built-in red-team behaviors are a benchmark (bench/redteam_guard.py): never trained on."""
    from gardefou.redteam.behaviors import load_behaviors

    bench = {_key(b.text) for b in load_behaviors("builtin") + load_behaviors("builtin-benign")}
    bench |= {_key(t) for b in load_behaviors("builtin") for t in b.parallel.values()}
    leaked = [
        f"{path.name}: {json.loads(line)['text']}"
        for path in FILES
        for line in path.read_text(encoding="utf-8").splitlines()
        if _key(json.loads(line)["text"]) in bench
    ]
    assert not leaked, leaked
