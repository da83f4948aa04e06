"""Fine-tune the encoder tier (all-MiniLM-L6-v2, or its first N layers, + a multi-label head).

    python training/encoder/finetune.py --data build/encoder/data.jsonl.gz \
        --base build/encoder/base --out build/encoder/run [--loso alpaca_benign,vigogne_fr] [--layers 3]
        [--init build/encoder/run --train-top 2 --epochs 1]

Needs torch, transformers and tokenizers only (runs on a bare GPU machine). A GPU is strongly
advised: on an H200 the shipped run (6 epochs over ~25k texts) takes about two minutes; on a 2-core
CPU, hours (a continued run, ``--init RUN --train-top 2``, one epoch: about 20 minutes). Writes to
``--out``:
- ``encoder.json`` + ``encoder-N.bin``: the fine-tuned weights (float16 chunks; the word
  embeddings are frozen and left out, export takes them from the base, unless
  ``--train-embeddings``);
- ``logits.npz``: raw logits of the calibration and test splits (``cal``, ``test``), and for each
  leave-one-source-out run ``loso:<source>`` (every row of that source, model trained without it)
  and ``loso_cal:<source>`` (the calibration split without that source, for Platt scaling);
- ``finetune.json``: settings, losses, timings and quick test metrics.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tokenizers import Tokenizer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import build_model, layer_of, load_chunks, save_chunks
from _data import read_rows, row_arrays

FROZEN = "bert.embeddings.word_embeddings.weight"


def label_weights(labels: list[str], y: np.ndarray, known: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Per-(label, class) loss weights, shape (2, n_labels): balanced, tempered for rare heads."""
    out = np.ones((2, len(labels)), dtype=np.float32)
    for j, label in enumerate(labels):
        k = known[:, j] > 0
        pos = float((w[k] * (y[k, j] == 1)).sum())
        neg = float((w[k] * (y[k, j] == 0)).sum())
        if pos == 0 or neg == 0:
            continue
        importance = 1.0 if label == "unsafe" else 0.5 if label in ("J1", "J2") else 0.3
        if label in ("unsafe", "J1", "J2"):
            out[0, j] = importance * 0.5 * (pos + neg) / neg
            out[1, j] = importance * 0.5 * (pos + neg) / pos
        else:
            out[0, j] = importance
            out[1, j] = importance * min(10.0, math.sqrt(neg / pos))
    return out


def batches(lengths: np.ndarray, size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled batches of similar length (less padding)."""
    order = rng.permutation(len(lengths))
    out = []
    for start in range(0, len(order), size * 50):
        chunk = order[start : start + size * 50]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        out.extend(chunk[i : i + size] for i in range(0, len(chunk), size))
    rng.shuffle(out)  # type: ignore[arg-type]
    return out


def pad(ids: list[list[int]], idx: np.ndarray, device: torch.device) -> tuple[torch.Tensor, ...]:
    """Input ids and attention mask of the rows ``idx``, padded to the longest."""
    width = max(len(ids[i]) for i in idx)
    x = np.zeros((len(idx), width), dtype=np.int64)
    m = np.zeros((len(idx), width), dtype=np.int64)
    for r, i in enumerate(idx):
        x[r, : len(ids[i])] = ids[i]
        m[r, : len(ids[i])] = 1
    return torch.from_numpy(x).to(device), torch.from_numpy(m).to(device)


def weighted_loss(
    logits: torch.Tensor,
    target: torch.Tensor,
    known: torch.Tensor,
    w: torch.Tensor,
    loss_weights: torch.Tensor,
) -> torch.Tensor:
    """The training loss: binary cross-entropy per label, class-balanced by ``loss_weights``
    (``label_weights``), masked where a label is unknown, averaged with the source weights."""
    raw = torch.nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="none")
    cls_w = loss_weights[1] * target + loss_weights[0] * (1 - target)
    return ((raw * cls_w * known).sum(1) * w).sum() / w.sum()


def new_and_replay(
    rows: list[dict[str, Any]], train_idx: np.ndarray, old_data: Path, replay: int, seed: int
) -> np.ndarray:
    """The training rows whose text is not in ``old_data``, plus ``replay`` of the others drawn at
    random (seeded): a cheap continued run that learns the new rows without drifting away from
    the old ones."""
    _, old_rows = read_rows(old_data, None)
    seen = {r["text"] for r in old_rows}
    is_new = np.array([rows[i]["text"] not in seen for i in train_idx])
    old_idx = train_idx[~is_new]
    rng = np.random.default_rng(seed)
    picked = rng.choice(old_idx, size=min(replay, len(old_idx)), replace=False)
    return np.sort(np.concatenate([train_idx[is_new], picked]))


def train(
    args: argparse.Namespace,
    labels: list[str],
    ids: list[list[int]],
    rows: list[dict[str, Any]],
    idx: np.ndarray,
    device: torch.device,
    weight_idx: np.ndarray | None = None,
) -> tuple[torch.nn.Module, list[float]]:
    """Fine-tune a model (fresh, or from ``--init``) on the rows ``idx``; returns it and the mean
    loss per epoch. The class-balancing loss weights come from the rows ``weight_idx`` (default
    ``idx``), so that a continued run on a subset keeps the full data's balance."""
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    model = build_model(args.base, len(labels), args.layers)
    if args.init:
        missing, unexpected = model.load_state_dict(load_chunks(args.init, "encoder"), strict=False)
        if unexpected or [k for k in missing if k != FROZEN]:
            raise SystemExit(f"{args.init} does not fit this model: {missing} {unexpected}")
    model = model.to(device)
    if not args.train_embeddings:
        model.get_parameter(FROZEN).requires_grad_(False)
    if args.train_top:
        # Only the top layers and the head learn; the frozen bottom then needs no backward pass,
        # which is what makes a continued run affordable on a CPU.
        depth = model.bert.config.num_hidden_layers
        for name, param in model.named_parameters():
            if name.startswith("bert.") and layer_of(name) < depth - args.train_top:
                param.requires_grad_(False)  # embeddings are layer -1: always frozen here
    y, known, w = row_arrays(rows, idx)
    balance = (y, known, w) if weight_idx is None else row_arrays(rows, weight_idx)
    lw = torch.from_numpy(label_weights(labels, *balance)).to(device)
    y_t, known_t, w_t = (torch.from_numpy(a).to(device) for a in (y, known, w))
    lengths = np.array([len(ids[i]) for i in idx])
    head = [p for n, p in model.named_parameters() if n.startswith("head.")]
    body = [p for n, p in model.named_parameters() if not n.startswith("head.") and p.requires_grad]
    opt = torch.optim.AdamW(
        [{"params": body, "lr": args.lr}, {"params": head, "lr": args.head_lr}],
        weight_decay=0.01,
    )
    steps = args.epochs * math.ceil(len(idx) / args.batch)
    warm = max(1, int(0.06 * steps))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (steps - s) / max(1, steps - warm))
    )
    use_amp = device.type == "cuda"
    losses = []
    model.train()
    for epoch in range(args.epochs):
        total, count = 0.0, 0
        for b in batches(lengths, args.batch, rng):
            x, m = pad(ids, idx[b], device)
            bt = torch.from_numpy(b).to(device)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
                logits = model(x, m)
            logits = logits.float()
            loss = weighted_loss(logits, y_t[bt], known_t[bt], w_t[bt], lw)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(b)
            count += len(b)
        losses.append(round(total / max(1, count), 5))
        print(f"  epoch {epoch + 1}/{args.epochs}: loss {losses[-1]}", flush=True)
    model.eval()
    return model, losses


@torch.inference_mode()
def predict(
    model: torch.nn.Module, ids: list[list[int]], idx: np.ndarray, device: torch.device
) -> np.ndarray:
    """Raw logits of the rows ``idx`` (in the order of ``idx``)."""
    out = np.zeros((len(idx), model.head.out_features), dtype=np.float32)  # type: ignore[union-attr]
    order = np.argsort([len(ids[i]) for i in idx], kind="stable")
    for start in range(0, len(order), 256):
        part = order[start : start + 256]
        x, m = pad(ids, idx[part], device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            out[part] = model(x, m).float().cpu().numpy()
    return out


def quick_metrics(rows: list[dict[str, Any]], idx: np.ndarray, logits: np.ndarray, u: int) -> dict:
    """F1 and FPR of the unsafe head at 0.5 (raw sigmoid), overall and per source."""
    y = np.array([rows[i]["y"][u] for i in idx])
    p = logits[:, u] > 0
    out: dict[str, Any] = {}

    def m(mask: np.ndarray) -> dict[str, float]:
        tp = int((p & (y == 1) & mask).sum())
        fp = int((p & (y == 0) & mask).sum())
        fn = int((~p & (y == 1) & mask).sum())
        neg = int(((y == 0) & mask).sum())
        f1 = 2 * tp / max(1, 2 * tp + fp + fn)
        return {"f1": round(f1, 4), "fpr": round(fp / max(1, neg), 4), "n": int(mask.sum())}

    out["overall"] = m(np.ones(len(idx), dtype=bool))
    for key in ("source", "lang"):
        for value in sorted({rows[i][key] for i in idx}):
            out[f"{key}:{value}"] = m(np.array([rows[i][key] == value for i in idx]))
    return out


def main() -> None:
    """Fine-tune the shipped model, then the leave-one-source-out variants within the budget."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--base", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=6e-5)
    parser.add_argument("--head-lr", type=float, default=1e-3)
    parser.add_argument("--max-len", type=int, default=256)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--layers", type=int, default=0, help="keep the first N layers (0: all)")
    parser.add_argument(
        "--train-embeddings",
        action="store_true",
        help="also fine-tune the word embeddings (frozen by default; saved with the run then)",
    )
    parser.add_argument(
        "--init",
        type=Path,
        default=None,
        help="start from this run's fine-tuned weights (continued training) instead of the base",
    )
    parser.add_argument(
        "--train-top",
        type=int,
        default=0,
        help="train only the top N transformer layers and the head (0: all but the embeddings)",
    )
    parser.add_argument(
        "--new-since",
        type=Path,
        default=None,
        help="with --init: train only on the training rows absent from this older data.jsonl.gz "
        "(matched by text), plus --replay rows drawn at random from the others",
    )
    parser.add_argument(
        "--replay",
        type=int,
        default=0,
        help="with --new-since: this many already-seen training rows to rehearse (keeps the "
        "continued run from forgetting them)",
    )
    parser.add_argument("--loso", default="", help="comma-separated sources to hold out")
    parser.add_argument("--budget", type=float, default=1e9, help="seconds; skip LOSO past it")
    parser.add_argument(
        "--no-main",
        action="store_true",
        help="only the leave-one-source-out runs (to complete one)",
    )
    parser.add_argument("--limit", type=int, default=0, help="use only N rows (smoke test)")
    args = parser.parse_args()
    depth = json.loads((args.base / "config.json").read_text("utf-8"))["num_hidden_layers"]
    if not 0 <= args.layers <= depth:
        parser.error(f"--layers must be 0 (all) to {depth}, not {args.layers}")
    if not 0 <= args.train_top <= (args.layers or depth):
        parser.error(f"--train-top must be 0 (all) to {args.layers or depth}, not {args.train_top}")
    if args.init and args.loso:
        parser.error("--loso needs fresh models: the --init run has already seen every source")
    if args.new_since and not args.init:
        parser.error("--new-since continues a run: it needs --init")
    if args.replay and not args.new_since:
        parser.error("--replay needs --new-since")
    if args.new_since and not args.new_since.is_file():
        parser.error(f"--new-since: no such file: {args.new_since}")
    start = time.perf_counter()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    args.out.mkdir(parents=True, exist_ok=True)
    labels, rows = read_rows(args.data, args.limit or None)
    tok = Tokenizer.from_file(str(args.base / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(args.max_len)
    ids = [e.ids for e in tok.encode_batch([r["text"] for r in rows])]
    split = np.array([r["split"] for r in rows])
    source = np.array([r["source"] for r in rows])
    u = labels.index("unsafe")
    report: dict[str, Any] = {
        "settings": {k: str(v) for k, v in vars(args).items()},
        "device": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
        "torch": torch.__version__,
    }
    print(f"{len(rows)} rows on {report['device']}", flush=True)
    logits: dict[str, np.ndarray] = {}
    estimate = 0.0
    if not args.no_main:
        t0 = time.perf_counter()
        tr = all_train = np.flatnonzero(split == "train")
        if args.new_since:
            tr = new_and_replay(rows, all_train, args.new_since, args.replay, args.seed)
            report["train_rows"] = len(tr)
            print(f"{len(tr)} training rows (new since {args.new_since} + replay)", flush=True)
        model, losses = train(args, labels, ids, rows, tr, device, all_train)
        cal, test = np.flatnonzero(split == "calibration"), np.flatnonzero(split == "test")
        logits = {
            "cal": predict(model, ids, cal, device),
            "test": predict(model, ids, test, device),
        }
        state = {
            k: v for k, v in model.state_dict().items() if k != FROZEN or args.train_embeddings
        }
        save_chunks(state, args.out, "encoder", 15 * 2**20)
        main_seconds = time.perf_counter() - t0
        report["main"] = {
            "seconds": round(main_seconds, 1),
            "losses": losses,
            "test": quick_metrics(rows, test, logits["test"], u),
        }
        print(json.dumps(report["main"]["test"]["overall"]), flush=True)
        np.savez(args.out / "logits.npz", **logits)
        estimate = main_seconds
    report["loso"] = {}
    for held in [s for s in args.loso.split(",") if s]:
        if time.perf_counter() - start + estimate * 1.1 > args.budget:
            report["loso"][held] = "skipped: time budget"
            continue
        t0 = time.perf_counter()
        keep = np.flatnonzero((split == "train") & (source != held))
        model, losses = train(args, labels, ids, rows, keep, device)
        rows_held = np.flatnonzero(source == held)
        cal_keep = np.flatnonzero((split == "calibration") & (source != held))
        logits[f"loso:{held}"] = predict(model, ids, rows_held, device)
        logits[f"loso_cal:{held}"] = predict(model, ids, cal_keep, device)
        estimate = time.perf_counter() - t0
        report["loso"][held] = {
            "seconds": round(estimate, 1),
            "losses": losses,
            "held_out": quick_metrics(rows, rows_held, logits[f"loso:{held}"], u)["overall"],
        }
        print(held, json.dumps(report["loso"][held]["held_out"]), flush=True)
        np.savez(args.out / "logits.npz", **logits)
    report["seconds"] = round(time.perf_counter() - start, 1)
    (args.out / "finetune.json").write_text(json.dumps(report, indent=1), "utf-8")
    print(f"done in {report['seconds']} s", flush=True)


if __name__ == "__main__":
    main()
