"""What fine-tuning (GPU machine) and export (here) share: the base weights and the network.

Needs torch and transformers only, so that the GPU machine can run it without gardefou's own
dependencies.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import BertConfig, BertModel


def base_state(base: Path) -> dict[str, torch.Tensor]:
    """The base encoder's weights, de-quantized from ``weights_int8.npz``."""
    out: dict[str, torch.Tensor] = {}
    with np.load(base / "weights_int8.npz", allow_pickle=False) as data:
        for key in data.files:
            if key.endswith("::scale"):
                continue
            if key.endswith("::q"):
                name = key[: -len("::q")]
                w = data[key].astype(np.float32) * data[f"{name}::scale"][:, None]
                out[name] = torch.from_numpy(w)
            else:
                out[key] = torch.from_numpy(data[key].astype(np.float32))
    return out


class EncoderClassifier(torch.nn.Module):
    """BERT encoder, attention-masked mean pooling, dropout and one linear head (logits)."""

    def __init__(self, config: BertConfig, n_labels: int) -> None:
        super().__init__()
        self.bert = BertModel(config, add_pooling_layer=False)
        self.dropout = torch.nn.Dropout(0.1)
        self.head = torch.nn.Linear(config.hidden_size, n_labels)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        states = self.bert(input_ids=input_ids, attention_mask=attention_mask)[0]
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.head(self.dropout(pooled))


def build_model(base: Path, n_labels: int, layers: int = 0) -> EncoderClassifier:
    """The classifier with the base encoder's weights and a fresh head.

    ``layers`` > 0 keeps only the first ``layers`` transformer layers of the base (a smaller,
    faster encoder; dropping the top layers loses the least, Sajjad et al. 2023).
    """
    doc = json.loads((base / "config.json").read_text("utf-8"))
    if layers:
        if not 0 < layers <= doc["num_hidden_layers"]:
            raise ValueError(f"layers must be 1..{doc['num_hidden_layers']}, not {layers}")
        doc["num_hidden_layers"] = layers
    config = BertConfig(**doc)
    model = EncoderClassifier(config, n_labels)
    state = base_state(base)
    dropped = [k for k in state if layer_of(k) >= config.num_hidden_layers]
    for key in dropped:
        del state[key]
    missing, unexpected = model.bert.load_state_dict(state, strict=False)
    unexpected = [k for k in unexpected if not k.startswith("pooler.")]
    missing = [k for k in missing if "position_ids" not in k]
    if missing or unexpected:
        raise RuntimeError(f"base weights do not fit: missing {missing}, unexpected {unexpected}")
    return model


def layer_of(name: str) -> int:
    """The transformer layer a weight belongs to (-1 for embeddings and the rest)."""
    parts = name.split(".")
    if "layer" in parts:
        i = parts.index("layer") + 1
        if i < len(parts) and parts[i].isdigit():
            return int(parts[i])
    return -1


def save_chunks(state: dict[str, Any], out: Path, prefix: str, chunk_bytes: int) -> list[str]:
    """Write tensors as float16 raw chunks (``prefix-N.bin``) + ``prefix.json`` index."""
    index: list[dict[str, Any]] = []
    blob = bytearray()
    for name, tensor in state.items():
        arr = tensor.detach().to(torch.float32).cpu().numpy().astype(np.float16)
        index.append({"name": name, "shape": list(arr.shape), "offset": len(blob)})
        blob += arr.tobytes()
    files = []
    for i in range(0, len(blob), chunk_bytes):
        path = out / f"{prefix}-{i // chunk_bytes}.bin"
        path.write_bytes(bytes(blob[i : i + chunk_bytes]))
        files.append(path.name)
    doc = {"tensors": index, "files": files, "dtype": "float16"}
    (out / f"{prefix}.json").write_text(json.dumps(doc), "utf-8")
    return files


def load_chunks(directory: Path, prefix: str) -> dict[str, torch.Tensor]:
    """Read what ``save_chunks`` wrote."""
    doc = json.loads((directory / f"{prefix}.json").read_text("utf-8"))
    blob = b"".join((directory / name).read_bytes() for name in doc["files"])
    out = {}
    for entry in doc["tensors"]:
        count = int(np.prod(entry["shape"])) if entry["shape"] else 1
        arr = np.frombuffer(blob, dtype=np.float16, count=count, offset=entry["offset"])
        out[entry["name"]] = torch.from_numpy(arr.astype(np.float32).reshape(entry["shape"]))
    return out
