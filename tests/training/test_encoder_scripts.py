"""The encoder fine-tuning scripts' pure parts: int8 base weights, weight chunks, loss weights."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "training" / "encoder"))

from _common import base_state, build_model, load_chunks, save_chunks  # noqa: E402
from finetune import FROZEN, batches, label_weights, new_and_replay, train  # noqa: E402
from prepare import quantize_rows  # noqa: E402
from tiny_base import tiny_base as _tiny_base  # noqa: E402


def test_per_row_int8_is_within_half_a_step() -> None:
    rng = np.random.default_rng(0)
    w = rng.standard_normal((50, 16)).astype(np.float32) * rng.uniform(0.01, 3, (50, 1))
    w[3] = 0.0
    q, scale = quantize_rows(w)
    assert q.dtype == np.int8 and scale.shape == (50,)
    err = np.abs(q * scale[:, None] - w)
    assert np.all(err <= scale[:, None] / 2 + 1e-7)
    assert not q[3].any()


def test_chunks_round_trip_across_files(tmp_path: Path) -> None:
    state = {"a": torch.randn(300, 7), "b.bias": torch.randn(7), "c": torch.tensor(2.5)}
    files = save_chunks(state, tmp_path, "enc", chunk_bytes=1000)
    assert len(files) > 1
    back = load_chunks(tmp_path, "enc")
    assert list(back) == list(state)
    for k, v in state.items():
        torch.testing.assert_close(back[k], v.half().float())


def test_label_weights_balance_the_main_heads_and_temper_rare_ones() -> None:
    labels = ["S1", "J1", "unsafe"]
    y = np.array([[1, 0, 1], [0, 0, 0], [0, 0, 0], [0, 1, 1], [0, 0, 0], [0, 0, 0]])
    known = np.ones_like(y)
    w = np.ones(len(y))
    lw = label_weights(labels, y, known, w)
    u = 2  # unsafe: 2 positives, 4 negatives → each class carries half the total weight
    assert lw[1, u] * 2 == pytest.approx(lw[0, u] * 4)
    assert lw[1, 0] / lw[0, 0] == pytest.approx(np.sqrt(5))  # S1: 1 positive, 5 negatives
    assert lw[0, 0] < lw[0, u]  # category heads matter less than the unsafe head


def test_batches_cover_every_row_once_with_similar_lengths() -> None:
    lengths = np.arange(1000) % 97
    out = batches(lengths, 32, np.random.default_rng(0))
    flat = np.concatenate(out)
    assert sorted(flat.tolist()) == list(range(1000))
    spread = np.mean([np.ptp(lengths[b]) for b in out])
    assert spread < 20  # sorted within pools, unlike a random split (~90)


def test_build_model_keeps_the_first_layers_of_the_base(tmp_path: Path) -> None:
    base = _tiny_base(tmp_path / "base")
    state = base_state(base)
    full, short = build_model(base, 3), build_model(base, 3, layers=2)
    assert len(full.bert.encoder.layer) == 4 and len(short.bert.encoder.layer) == 2
    key = "encoder.layer.1.output.dense.weight"
    torch.testing.assert_close(short.bert.state_dict()[key], state[key])
    ids = torch.tensor([[1, 5, 7, 2]])
    assert short(ids, torch.ones_like(ids)).shape == (1, 3)
    with pytest.raises(ValueError, match=r"layers must be 1\.\.4"):
        build_model(base, 3, layers=5)


@pytest.mark.parametrize("train_embeddings", [False, True])
def test_word_embeddings_are_frozen_unless_asked(tmp_path: Path, train_embeddings: bool) -> None:
    import argparse

    base = _tiny_base(tmp_path / "base", layers=1)
    args = argparse.Namespace(
        base=base, layers=0, seed=0, lr=1e-2, head_lr=1e-2, epochs=1, batch=4,
        train_embeddings=train_embeddings, init=None, train_top=0,
    )  # fmt: skip
    rng = np.random.default_rng(0)
    ids = [[1, *rng.integers(3, 29, size=5).tolist(), 2] for _ in range(8)]
    rows = [{"y": [i % 2, 0], "known": [1, 1], "w": 1.0} for i in range(8)]
    before = build_model(base, 2).state_dict()[FROZEN].clone()
    model, losses = train(args, ["unsafe", "J1"], ids, rows, np.arange(8), torch.device("cpu"))
    changed = not torch.equal(model.state_dict()[FROZEN], before)
    assert changed == train_embeddings and len(losses) == 1


def test_loss_balance_comes_from_the_weight_rows_not_the_subset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import argparse

    import finetune

    seen: list[np.ndarray] = []

    def spy(labels: list[str], y: np.ndarray, known: np.ndarray, w: np.ndarray) -> np.ndarray:
        seen.append(y)
        return label_weights(labels, y, known, w)

    monkeypatch.setattr(finetune, "label_weights", spy)
    base = _tiny_base(tmp_path / "base", layers=1)
    args = argparse.Namespace(
        base=base, layers=0, seed=0, lr=1e-3, head_lr=1e-3, epochs=1, batch=4,
        train_embeddings=False, init=None, train_top=0,
    )  # fmt: skip
    ids = [[1, 5, 6, 2] for _ in range(8)]
    rows = [{"y": [int(i < 2), 0], "known": [1, 1], "w": 1.0} for i in range(8)]
    subset = np.array([0, 1, 2, 3])  # half unsafe; all eight rows: a quarter
    train(args, ["unsafe", "J1"], ids, rows, subset, torch.device("cpu"), np.arange(8))
    assert seen[-1].shape[0] == 8 and seen[-1][:, 0].mean() == 0.25


def test_continued_training_starts_from_a_run_and_moves_only_the_top(tmp_path: Path) -> None:
    import argparse

    base = _tiny_base(tmp_path / "base", layers=3)
    rng = np.random.default_rng(0)
    ids = [[1, *rng.integers(3, 29, size=5).tolist(), 2] for _ in range(8)]
    rows = [{"y": [i % 2, 0], "known": [1, 1], "w": 1.0} for i in range(8)]
    start = build_model(base, 2)
    torch.nn.init.constant_(start.head.bias, 0.25)  # a "run" that differs from a fresh model
    run = tmp_path / "run"
    run.mkdir()
    save_chunks({k: v for k, v in start.state_dict().items() if k != FROZEN}, run, "encoder", 2**20)
    args = argparse.Namespace(
        base=base, layers=0, seed=0, lr=1e-2, head_lr=0.0, epochs=1, batch=4,
        train_embeddings=False, init=run, train_top=1,
    )  # fmt: skip
    model, _ = train(args, ["unsafe", "J1"], ids, rows, np.arange(8), torch.device("cpu"))
    after, before = model.state_dict(), start.state_dict()
    torch.testing.assert_close(after["head.bias"], before["head.bias"].half().float())  # lr 0
    for name in before:
        frozen = name.startswith("bert.") and ".layer.2." not in name
        if name.startswith("bert.") and name.endswith("dense.weight"):
            assert torch.allclose(after[name], before[name], atol=1e-3) == frozen, name


def test_new_and_replay_takes_every_new_row_and_a_seeded_sample_of_the_old(tmp_path: Path) -> None:
    import gzip

    old = tmp_path / "old.jsonl.gz"
    with gzip.open(old, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps({"labels": ["unsafe"]}) + "\n")
        for i in range(10):
            handle.write(json.dumps({"text": f"old {i}"}) + "\n")
    rows = [{"text": f"old {i}"} for i in range(10)] + [{"text": f"new {i}"} for i in range(4)]
    train_idx = np.array([0, 1, 2, 3, 4, 5, 6, 10, 11, 12])  # rows 7-9 and 13: other splits
    picked = new_and_replay(rows, train_idx, old, replay=3, seed=0)
    assert {10, 11, 12} <= set(picked.tolist()) and 13 not in picked
    old_picked = [i for i in picked if i < 10]
    assert len(old_picked) == 3 and set(old_picked) <= set(range(7))
    assert picked.tolist() == sorted(set(picked.tolist()))
    assert new_and_replay(rows, train_idx, old, replay=3, seed=0).tolist() == picked.tolist()
    assert len(new_and_replay(rows, train_idx, old, replay=50, seed=0)) == len(train_idx)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--train-top", "5"], "--train-top must be 0 (all) to 4, not 5"),
        (["--layers", "2", "--train-top", "3"], "--train-top must be 0 (all) to 2, not 3"),
        (["--init", "RUN", "--loso", "repo"], "--loso needs fresh models"),
        (["--new-since", "OLD"], "--new-since continues a run: it needs --init"),
        (["--replay", "10"], "--replay needs --new-since"),
        (["--init", "RUN", "--new-since", "OLD"], "--new-since: no such file: OLD"),
    ],
)
def test_finetune_refuses_inconsistent_options(
    tmp_path: Path, extra: list[str], message: str
) -> None:
    import subprocess

    base = _tiny_base(tmp_path / "base")
    script = Path(__file__).resolve().parents[2] / "training" / "encoder" / "finetune.py"
    args = ["--data", str(tmp_path / "none.jsonl.gz"), "--base", str(base), "--out", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, str(script), *args, *extra], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2 and message in done.stderr
