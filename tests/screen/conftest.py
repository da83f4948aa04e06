"""Fixtures for the screening tests: small dataset writers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def write_jsonl(tmp_path: Path) -> Callable[..., Path]:
    """Write records (dicts, or raw strings written as is) to a JSONL file."""

    def write(records: list[Any], name: str = "data.jsonl") -> Path:
        path = tmp_path / name
        with path.open("w", encoding="utf-8") as f:
            for r in records:
                f.write((r if isinstance(r, str) else json.dumps(r)) + "\n")
        return path

    return write
