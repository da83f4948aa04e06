"""The one-call GPU round (training/encoder/gpu_round.sh) and its calibration-split choice,
run end to end on a tiny model on the CPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")
ENCODER = Path(__file__).resolve().parents[2] / "training" / "encoder"
sys.path.insert(0, str(ENCODER))

from select_run import select  # noqa: E402
from tiny_base import tiny_base, tiny_data, tiny_tokenizer  # noqa: E402

LABELS = ["unsafe", "J1"]


def _calibration_logits(run: Path, z: list[float]) -> Path:
    run.mkdir()
    cal = np.zeros((len(z), len(LABELS)), dtype=np.float32)
    cal[:, 0] = z
    np.savez(run / "logits.npz", cal=cal, test=-cal)  # test logits: the opposite ranking
    return run


def test_select_chooses_on_the_calibration_split_only(tmp_path: Path) -> None:
    data = tiny_data(
        tmp_path / "data.jsonl.gz", n=8
    )  # calibration rows 2, 4, 7: safe, safe, unsafe
    good = _calibration_logits(tmp_path / "good", [-1.0, -1.0, 1.0])
    bad = _calibration_logits(tmp_path / "bad", [1.0, -1.0, -1.0])
    best, scores = select(data, [bad, good])
    assert best == good and scores == {bad: 0.0, good: 1.0}


def test_select_refuses_logits_of_another_data_file(tmp_path: Path) -> None:
    data = tiny_data(tmp_path / "data.jsonl.gz", n=8)
    other = _calibration_logits(tmp_path / "other", [1.0, 1.0])
    with pytest.raises(SystemExit, match="2 calibration logits for 3 rows"):
        select(data, [other])


def test_gpu_round_trains_chooses_merges_and_packs(tmp_path: Path) -> None:
    data_dir = tmp_path / "prepared"
    data_dir.mkdir()
    tiny_data(data_dir / "data.jsonl.gz")
    tiny_tokenizer(tiny_base(data_dir / "base", layers=2))
    out = tmp_path / "out"
    env = {**os.environ, "PYTHON": sys.executable, "LOSO": "a b", "EPOCHS": "2"}
    done = subprocess.run(
        ["bash", str(ENCODER / "gpu_round.sh"), str(data_dir), str(out), "--batch", "8"],
        capture_output=True, text=True, env=env, check=False, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout
    parts = sorted(out.glob("round.tgz.part-*"))
    assert parts and all(p.stat().st_size <= 15 * 2**20 for p in parts)
    packed = tmp_path / "round.tgz"
    packed.write_bytes(b"".join(p.read_bytes() for p in parts))
    with tarfile.open(packed) as tar:
        tar.extractall(tmp_path / "back", filter="data")
    run = tmp_path / "back" / "run"
    with np.load(run / "logits.npz") as logits:
        assert {"cal", "test", "loso:a", "loso:b", "loso_cal:a", "loso_cal:b"} <= set(logits.files)
        assert logits["cal"].shape == (19, len(LABELS))  # rows 2, 4, 7, 9, … of 48
    chosen = Path((tmp_path / "back" / "chosen.txt").read_text("utf-8").strip()).name
    assert chosen in {"m13", "m14", "m13short"}
    report = json.loads((run / "finetune.json").read_text("utf-8"))
    assert set(report["loso"]) == {"a", "b"}
    assert (run / "encoder.json").is_file()
    assert "chosen:" in done.stdout


def test_gpu_round_refuses_a_directory_without_prepared_data(tmp_path: Path) -> None:
    done = subprocess.run(
        ["bash", str(ENCODER / "gpu_round.sh"), str(tmp_path), str(tmp_path / "out")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and "run training/encoder/prepare.py" in done.stderr
