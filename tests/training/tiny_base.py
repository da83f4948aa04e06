"""A tiny BERT base directory like training/encoder/prepare.py writes (for the script tests)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import torch
from prepare import quantize_rows


def tiny_base(path: Path, layers: int = 4) -> Path:
    """A base directory like prepare.py writes, for a 4-layer, 8-wide BERT."""
    from transformers import BertConfig, BertModel

    doc = {
        "vocab_size": 30,
        "hidden_size": 8,
        "num_hidden_layers": layers,
        "num_attention_heads": 2,
        "intermediate_size": 16,
        "max_position_embeddings": 32,
    }
    path.mkdir()
    (path / "config.json").write_text(json.dumps(doc), "utf-8")
    torch.manual_seed(0)
    arrays = {}
    for name, w in BertModel(BertConfig(**doc), add_pooling_layer=False).state_dict().items():
        if not w.is_floating_point():
            continue
        if w.ndim == 2:
            q, scale = quantize_rows(w.numpy())
            arrays[f"{name}::q"], arrays[f"{name}::scale"] = q, scale
        else:
            arrays[name] = w.numpy()
    np.savez(path / "weights_int8.npz", **arrays)
    return path


def tiny_data(path: Path, n: int = 48) -> Path:
    """A data.jsonl.gz like prepare.py writes: two sources, three splits."""
    rng = np.random.default_rng(0)
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps({"labels": ["unsafe", "J1"]}) + "\n")
        for i in range(n):
            unsafe = i % 2
            words = [f"w{unsafe}"] + [f"w{k}" for k in rng.integers(2, 20, size=4)]
            row = {
                "text": " ".join(words),
                "split": ("train", "train", "calibration", "test", "calibration")[i % 5],
                "y": [unsafe, 0],
                "known": [1, 1],
                "w": 1.0,
                "source": "a" if i % 3 else "b",
                "lang": "en",
                "direction": "prompt",
            }
            handle.write(json.dumps(row) + "\n")
    return path


def tiny_tokenizer(base: Path) -> None:
    """A word-level tokenizer over the tiny vocabulary (w0..w24), saved into ``base``."""
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace

    vocab = {"[UNK]": 0, **{f"w{k}": k + 1 for k in range(25)}}
    tok = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = Whitespace()  # type: ignore[assignment]
    tok.save(str(base / "tokenizer.json"))
