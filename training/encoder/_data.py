"""Reading ``prepare.py``'s ``data.jsonl.gz`` (standard library and numpy only, so that the
numpy-only scripts such as ``select_run.py`` can use it on a bare machine)."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path
from typing import Any

import numpy as np


def read_rows(path: Path, limit: int | None = None) -> tuple[list[str], list[dict[str, Any]]]:
    """The label names and the rows of ``data.jsonl.gz`` (``limit``: N rows drawn at random)."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        labels = json.loads(handle.readline())["labels"]
        rows = [json.loads(line) for line in handle]
    if limit:
        random.Random(0).shuffle(rows)
        rows = rows[:limit]
    return labels, rows


def row_arrays(
    rows: list[dict[str, Any]], idx: np.ndarray | list[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Targets ``y``, known-mask and source weight ``w`` of the rows ``idx`` (float32)."""
    y = np.array([rows[i]["y"] for i in idx], dtype=np.float32)
    known = np.array([rows[i]["known"] for i in idx], dtype=np.float32)
    w = np.array([rows[i]["w"] for i in idx], dtype=np.float32)
    return y, known, w
