"""Refit only the encoder's linear head on all the training data (CPU-friendly).

    python training/encoder/refit_head.py --data build/encoder/data.jsonl.gz \
        --base build/encoder/base --run build/encoder/run --out build/encoder/run_head

The body of ``--run`` stays as it is; its mean-pooled features of every row are computed once
(float32, about 8 minutes for ~41k texts on 2 cores; cached in ``--out/features.npz``) and the
head is refitted on every training row with ``finetune.py``'s loss (the same class balance and
source weights), starting from the run's head and pulled towards it by ``--l2``. This is
last-layer retraining: a way to bring new data rounds in between GPU retrains, when the body
already separates the new rows and the old head draws the line in the wrong place. Writes a run
directory like ``finetune.py`` does (weights with the new head, ``logits.npz`` with the
calibration and test logits, ``finetune.json`` with the calibration-split F1 of the old and the
new head), for ``export.py``; choose with ``select_run.py`` like any candidate.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tokenizers import Tokenizer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import build_model, load_chunks, save_chunks
from _data import read_rows, row_arrays
from finetune import FROZEN, label_weights, pad, quick_metrics, weighted_loss


@torch.inference_mode()
def pooled_features(
    model: torch.nn.Module, ids: list[list[int]], batch: int = 128, say: Any = print
) -> np.ndarray:
    """Attention-masked mean-pooled last hidden states of every row (what the head reads)."""
    width = model.head.in_features  # type: ignore[union-attr]
    out = np.zeros((len(ids), width), dtype=np.float32)
    order = np.argsort([len(x) for x in ids], kind="stable")
    start = time.perf_counter()
    for n, begin in enumerate(range(0, len(order), batch)):
        part = order[begin : begin + batch]
        x, m = pad(ids, part, torch.device("cpu"))
        states = model.bert(input_ids=x, attention_mask=m).last_hidden_state  # type: ignore[union-attr]
        mask = m.unsqueeze(-1).float()
        out[part] = ((states * mask).sum(1) / mask.sum(1).clamp(min=1.0)).numpy()
        if n % 40 == 0:
            say(f"  features {begin + len(part)}/{len(ids)} ({time.perf_counter() - start:.0f} s)")
    return out


def fit_head(
    features: np.ndarray,
    y: np.ndarray,
    known: np.ndarray,
    w: np.ndarray,
    loss_weights: np.ndarray,
    init: tuple[np.ndarray, np.ndarray],
    *,
    lr: float,
    steps: int,
    l2: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Full-batch Adam on the weighted multi-label loss, from ``init`` (weight, bias)."""
    torch.manual_seed(0)
    x, yt, kt, wt = (torch.from_numpy(a) for a in (features, y, known, w))
    lw = torch.from_numpy(loss_weights)
    w0 = torch.from_numpy(init[0])
    weight = w0.clone().requires_grad_(True)
    bias = torch.from_numpy(init[1]).clone().requires_grad_(True)
    opt = torch.optim.Adam([weight, bias], lr=lr)
    for _ in range(steps):
        loss = weighted_loss(x @ weight.T + bias, yt, kt, wt, lw)
        loss = loss + l2 * ((weight - w0) ** 2).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()
    return weight.detach().numpy(), bias.detach().numpy()


def main() -> None:
    """Compute (or load) the features, refit the head, write the run directory."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--base", type=Path, required=True)
    parser.add_argument("--run", type=Path, required=True, help="the run whose body is kept")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--l2", type=float, default=1e-3, help="pull towards the run's head")
    parser.add_argument("--max-len", type=int, default=256)
    args = parser.parse_args()
    for path, what in ((args.data, "--data"), (args.run / "encoder.json", "--run")):
        if not path.is_file():
            parser.error(f"{what}: no such file: {path}")
    labels, rows = read_rows(args.data)
    model = build_model(args.base, len(labels))
    missing, unexpected = model.load_state_dict(load_chunks(args.run, "encoder"), strict=False)
    if unexpected or [k for k in missing if k != FROZEN]:
        raise SystemExit(f"{args.run} does not fit this model: {missing} {unexpected}")
    model.eval()
    args.out.mkdir(parents=True, exist_ok=True)
    cache = args.out / "features.npz"
    texts = [r["text"] for r in rows]
    key = hashlib.sha256("\x00".join(texts).encode()).hexdigest()  # rows and their order
    cached = dict(np.load(cache)) if cache.is_file() else {}
    if str(cached.get("key")) == key:
        features = cached["features"]
    else:
        tok = Tokenizer.from_file(str(args.base / "tokenizer.json"))
        tok.no_padding()
        tok.enable_truncation(args.max_len)
        features = pooled_features(model, [e.ids for e in tok.encode_batch(texts)])
        np.savez(cache, features=features, key=key)
    split = np.array([r["split"] for r in rows])
    y, known, w = row_arrays(rows, np.arange(len(rows)))
    tr = split == "train"
    old = (model.head.weight.detach().numpy(), model.head.bias.detach().numpy())
    weight, bias = fit_head(
        features[tr],
        y[tr],
        known[tr],
        w[tr],
        label_weights(labels, y[tr], known[tr], w[tr]),
        old,
        lr=args.lr,
        steps=args.steps,
        l2=args.l2,
    )
    state = {k: v for k, v in model.state_dict().items() if k != FROZEN}
    state["head.weight"], state["head.bias"] = torch.from_numpy(weight), torch.from_numpy(bias)
    save_chunks(state, args.out, "encoder", 15 * 2**20)
    cal, test = np.flatnonzero(split == "calibration"), np.flatnonzero(split == "test")
    logits = {name: features[idx] @ weight.T + bias for name, idx in (("cal", cal), ("test", test))}
    np.savez(args.out / "logits.npz", **logits)  # type: ignore[arg-type]
    u = labels.index("unsafe")
    before = quick_metrics(rows, cal, features[cal] @ old[0].T + old[1], u)["overall"]
    after = quick_metrics(rows, cal, logits["cal"], u)["overall"]
    report = {
        "settings": {k: str(v) for k, v in vars(args).items()},
        "method": "refit_head",
        "calibration_before": before,
        "calibration_after": after,
        "loso": {},
        "seconds": 0.0,
    }
    (args.out / "finetune.json").write_text(json.dumps(report, indent=1), "utf-8")
    print(f"calibration split, unsafe at 0.5: before {before} after {after}")


if __name__ == "__main__":
    main()
