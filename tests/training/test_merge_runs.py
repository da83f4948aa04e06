"""Merging a model run and its leave-one-source-out runs made side by side."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "training" / "encoder"))

from merge_runs import merge


def _run(path: Path, logits: dict[str, np.ndarray], loso: dict, seconds: float) -> Path:
    path.mkdir()
    np.savez(path / "logits.npz", **logits)  # type: ignore[arg-type]
    report = {"settings": {"layers": "6"}, "loso": loso, "seconds": seconds}
    (path / "finetune.json").write_text(json.dumps(report), "utf-8")
    return path


def test_merge_keeps_the_model_and_adds_every_held_out_source(tmp_path: Path) -> None:
    main = _run(tmp_path / "main", {"cal": np.ones((3, 2)), "test": np.zeros((4, 2))}, {}, 80.0)
    (main / "encoder-0.bin").write_bytes(b"weights")
    a = _run(
        tmp_path / "a",
        {"loso:a": np.full((2, 2), 5.0), "loso_cal:a": np.ones((3, 2))},
        {"a": {"seconds": 90.0}},
        95.0,
    )
    b = _run(
        tmp_path / "b",
        {"loso:b": np.full((1, 2), 7.0), "loso_cal:b": np.ones((3, 2))},
        {"b": {"seconds": 60.0}},
        61.0,
    )
    report = merge(main, [a, b], tmp_path / "out")
    with np.load(tmp_path / "out" / "logits.npz") as data:
        assert sorted(data.files) == ["cal", "loso:a", "loso:b", "loso_cal:a", "loso_cal:b", "test"]
        assert data["loso:b"][0, 0] == 7.0
    assert (tmp_path / "out" / "encoder-0.bin").read_bytes() == b"weights"
    assert sorted(report["loso"]) == ["a", "b"] and report["seconds_side_by_side"] == 95.0
    with pytest.raises(SystemExit, match="already merged"):
        merge(main, [a, a], tmp_path / "again")
