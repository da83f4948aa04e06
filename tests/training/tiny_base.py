"""A tiny BERT base directory like training/encoder/prepare.py writes (for the script tests)."""

from __future__ import annotations

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
