"""Refitting only the encoder's head (training/encoder/refit_head.py), on a tiny model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("tokenizers")
ENCODER = Path(__file__).resolve().parents[2] / "training" / "encoder"
sys.path.insert(0, str(ENCODER))

from _common import build_model, load_chunks, save_chunks  # noqa: E402
from finetune import FROZEN  # noqa: E402
from refit_head import fit_head  # noqa: E402
from tiny_base import tiny_base, tiny_data, tiny_tokenizer  # noqa: E402


def test_fit_head_learns_a_separable_label_from_a_wrong_start() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 4)).astype(np.float32)
    y = np.stack([(x[:, 0] > 0), np.zeros(200, bool)], axis=1).astype(np.float32)
    ones = np.ones_like(y)
    init = (np.array([[-1.0, 0, 0, 0], [0, 0, 0, 0]], np.float32), np.zeros(2, np.float32))
    weight, bias = fit_head(
        x, y, ones, np.ones(200, np.float32), np.ones((2, 2), np.float32), init,
        lr=0.05, steps=300, l2=0.0,
    )  # fmt: skip
    before = ((x @ init[0].T + init[1])[:, 0] > 0) == (y[:, 0] == 1)
    after = ((x @ weight.T + bias)[:, 0] > 0) == (y[:, 0] == 1)
    assert before.mean() < 0.1 and after.mean() > 0.95


def test_refit_head_keeps_the_body_and_writes_a_run(tmp_path: Path) -> None:
    prepared = tmp_path / "prepared"
    prepared.mkdir()
    data = tiny_data(prepared / "data.jsonl.gz")
    base = tiny_base(prepared / "base", layers=2)
    tiny_tokenizer(base)
    start = build_model(base, 2)
    run = tmp_path / "run"
    run.mkdir()
    save_chunks({k: v for k, v in start.state_dict().items() if k != FROZEN}, run, "encoder", 2**20)
    out = tmp_path / "head"
    args = ["--data", str(data), "--base", str(base), "--run", str(run), "--out", str(out)]
    done = subprocess.run(
        [sys.executable, str(ENCODER / "refit_head.py"), *args, "--steps", "50", "--lr", "0.05"],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    before, after = load_chunks(run, "encoder"), load_chunks(out, "encoder")
    assert set(before) == set(after)
    assert not torch.equal(before["head.weight"], after["head.weight"])
    for name in before:
        if not name.startswith("head."):
            assert torch.equal(before[name], after[name]), name
    with np.load(out / "logits.npz") as logits:
        assert logits["cal"].shape == (19, 2) and logits["test"].shape == (9, 2)
    assert (out / "features.npz").is_file() and "calibration split" in done.stdout


def test_refit_head_refuses_a_missing_run(tmp_path: Path) -> None:
    args = ["--data", str(tiny_data(tmp_path / "d.jsonl.gz")), "--base", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, str(ENCODER / "refit_head.py"), *args, "--run", str(tmp_path / "none"),
         "--out", str(tmp_path / "out")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and "--run: no such file" in done.stderr
