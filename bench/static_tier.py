"""Static token embeddings (model2vec-style) as a tier of the guard: measured, not shipped.

    python bench/static_tier.py [--config training/default.yaml]

The issue that asked for the embedded model listed "static embeddings distilled locally from an
encoder (model2vec)" among the designs to compare. This bench distils them from the shipped
encoder itself: every WordPiece token of its vocabulary runs alone through ``encoder.onnx``
(``[CLS] token [SEP]``) and its mean-pooled output, the vector the encoder's head reads, becomes
that token's static vector (30,522 x 384). A text's features are the mean of its tokens'
vectors, so scoring is a tokenizer call and a table lookup, without the transformer. Heads are
fitted on the training split of the config (``unsafe`` only): a logistic regression and a
one-hidden-layer MLP (512 units, the head model2vec's own classifiers use), each Platt-calibrated
on the calibration split.

Rows, on the calibration and the held-out test split (``unsafe`` at 0.5):
- the shipped fast tier, encoder and cascade, for reference;
- the static tier alone (both heads);
- the fast tier mixed with the static MLP (``(1 - a) * fast logit + a * static logit``, ``a``
  chosen on the calibration split), alone and as the cascade's first tier (same band, the
  encoder's scores combined as shipped).
Also the static tier's batched speed and the size its table would add to the artifact. Needs
``../shared`` (the splits), scikit-learn and the ``onnx`` package. Writes
``bench/results/static_tier.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score
from sklearn.neural_network import MLPClassifier

from gardefou.model import default_artifact_path, load_model, load_train_config
from gardefou.model._cascade import CascadeModel, logit
from gardefou.model._encoder import load_encoder
from gardefou.model._fit import platt
from gardefou.model._metrics import binary_metrics
from gardefou.model._train import collect_examples, config_splits

ROOT = Path(__file__).resolve().parent.parent
POOLED = "/Div_output_0"  # the mean-pooled states, the input of the head in encoder.onnx


def distil(artifact: Path) -> np.ndarray:
    """One static vector per vocabulary token: the encoder's pooled output of that token alone."""
    import onnx
    import onnxruntime as ort

    graph = onnx.load(str(artifact / "encoder.onnx"))
    if not any(POOLED in node.output for node in graph.graph.node):
        raise SystemExit(f"{artifact / 'encoder.onnx'}: no {POOLED} node (export changed?)")
    graph.graph.output.append(
        onnx.helper.make_tensor_value_info(POOLED, onnx.TensorProto.FLOAT, None)
    )
    options = ort.SessionOptions()
    options.intra_op_num_threads = os.cpu_count() or 1
    session = ort.InferenceSession(
        graph.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    vocab = json.loads((artifact / "tokenizer.json").read_text("utf-8"))["model"]["vocab"]
    cls, sep = vocab["[CLS]"], vocab["[SEP]"]
    out = np.zeros((len(vocab), 384), dtype=np.float32)
    start = time.perf_counter()
    for token in range(len(vocab)):
        x = np.array([[cls, token, sep]], dtype=np.int64)
        feeds = {"input_ids": x, "attention_mask": np.ones_like(x)}
        out[token] = session.run([POOLED], feeds)[0][0]
        if token % 5000 == 0:
            print(
                f"  distilling {token}/{len(vocab)} ({time.perf_counter() - start:.0f} s)",
                flush=True,
            )
    return out


class StaticFeatures:
    """Mean of the static vectors of a text's tokens (special tokens left out)."""

    def __init__(self, artifact: Path, table: np.ndarray) -> None:
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(artifact / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(512)
        self.table = table

    def __call__(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        out = np.zeros((len(texts), self.table.shape[1]), dtype=np.float32)
        for row, encoding in enumerate(encodings):
            ids = encoding.ids[1:-1]
            if ids:
                out[row] = self.table[ids].mean(axis=0)
        return out


def calibrated(z: np.ndarray, ab: tuple[float, float]) -> np.ndarray:
    """``sigmoid(a * z + b)``: a score through its Platt scaling."""
    return 1 / (1 + np.exp(-(z * ab[0] + ab[1])))


def metrics(y: np.ndarray, p: np.ndarray, lang: np.ndarray) -> dict[str, Any]:
    """``binary_metrics`` at 0.5, plus F1 per language."""
    out = binary_metrics(y, p)
    out["f1_en"] = binary_metrics(y[lang == "en"], p[lang == "en"])["f1"]
    out["f1_fr"] = binary_metrics(y[lang == "fr"], p[lang == "fr"])["f1"]
    return out


def main() -> None:
    """Distil, fit, compare, write the JSON and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, default=ROOT / "training" / "default.yaml")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "static_tier.json")
    args = parser.parse_args()
    artifact = default_artifact_path()
    fast, encoder = load_model(artifact), load_encoder(artifact)
    cascade = CascadeModel(fast, encoder)
    cfg, root = load_train_config(args.config)
    examples, _ = collect_examples(cfg, root)
    splits = config_splits(cfg, examples)
    u = list(fast.labels).index("unsafe")

    print("distilling the static table from encoder.onnx ...", flush=True)
    start = time.perf_counter()
    features = StaticFeatures(artifact, distil(artifact))
    distil_s = time.perf_counter() - start
    data: dict[str, dict[str, Any]] = {}
    for name in ("train", "calibration", "test"):
        split = splits[name]
        data[name] = {
            "x": features(split.texts),
            "y": split.y[:, u].astype(int),
            "w": split.weights,
            "lang": np.array([ex.lang for ex in split.examples]),
            "texts": split.texts,
        }
    mean = data["train"]["x"].mean(axis=0)
    std = data["train"]["x"].std(axis=0) + 1e-6
    for part in data.values():
        part["x"] = (part["x"] - mean) / std

    train = data["train"]
    heads: dict[str, Any] = {
        "static_linear": LogisticRegression(C=1.0, max_iter=3000, class_weight="balanced"),
        "static_mlp": MLPClassifier(
            hidden_layer_sizes=(512,), alpha=1e-3, max_iter=60, early_stopping=True, random_state=0
        ),
    }
    for name, head in heads.items():
        print(f"fitting {name} ...", flush=True)
        head.fit(train["x"], train["y"], sample_weight=train["w"])

    print("scoring the calibration and test splits with both tiers ...", flush=True)
    scores: dict[str, dict[str, np.ndarray]] = {}
    for name in ("calibration", "test"):
        part = data[name]
        raw = fast.raw_proba(part["texts"])
        scores[name] = {
            "raw": raw,
            "encoder_all": encoder.predict_proba(part["texts"]),
        }
        for head_name, head in heads.items():
            scores[name][head_name] = logit(head.predict_proba(part["x"])[:, 1])

    cal_y = data["calibration"]["y"]
    calib = {h: platt(scores["calibration"][h], cal_y) for h in heads}
    fast_cal = logit(scores["calibration"]["raw"][:, u])
    static_cal = logit(calibrated(scores["calibration"]["static_mlp"], calib["static_mlp"]))
    grid = [round(a, 2) for a in np.arange(0.0, 0.55, 0.05)]
    mix_auprc = {
        a: float(average_precision_score(cal_y, (1 - a) * fast_cal + a * static_cal)) for a in grid
    }
    best_a = max(grid, key=lambda a: mix_auprc[a])
    mix_cal = (1 - best_a) * fast_cal + best_a * static_cal
    mix_calib = platt(mix_cal, cal_y)

    results: dict[str, Any] = {
        "config": str(args.config),
        "machine": f"{os.cpu_count()} CPUs",
        "distil_s": round(distil_s, 1),
        "table_mb_float16": round(features.table.size * 2 / 2**20, 1),
        "mix_weight_static": best_a,
        "mix_auprc_on_calibration": {str(a): round(v, 4) for a, v in mix_auprc.items()},
        "splits": {},
    }
    for name in ("calibration", "test"):
        part, s = data[name], scores[name]
        y, lang = part["y"], part["lang"]
        fast_z = logit(s["raw"][:, u])
        static_p = {h: calibrated(s[h], calib[h]) for h in heads}
        static_z = logit(static_p["static_mlp"])
        mix_p = calibrated((1 - best_a) * fast_z + best_a * static_z, mix_calib)
        mixed_raw = s["raw"].copy()
        mixed_raw[:, u] = mix_p
        rows = {
            "fast tier (shipped)": fast.gate(s["raw"].copy())[:, u],
            "encoder tier (shipped)": s["encoder_all"][:, u],
            "cascade (shipped)": cascade.combine(s["raw"], s["encoder_all"])[:, u],
            "static, linear head": static_p["static_linear"],
            "static, MLP head": static_p["static_mlp"],
            f"fast + {best_a} static MLP": mix_p,
            "cascade on fast + static": cascade.combine(mixed_raw, s["encoder_all"])[:, u],
        }
        table = {row: metrics(y, p, lang) for row, p in rows.items()}
        table["cascade (shipped)"]["routed"] = round(float(cascade.route(s["raw"]).mean()), 4)
        table["cascade on fast + static"]["routed"] = round(
            float(cascade.route(mixed_raw).mean()), 4
        )
        results["splits"][name] = {"rows": len(y), "table": table}

    texts = data["test"]["texts"][:4096]
    mlp = heads["static_mlp"]
    start = time.perf_counter()
    for i in range(0, len(texts), 256):
        mlp.predict_proba((features(texts[i : i + 256]) - mean) / std)
    results["static_mlp_prompts_per_s"] = round(len(texts) / (time.perf_counter() - start), 1)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n", "utf-8")
    for name, split in results["splits"].items():
        print(f"\n{name} split ({split['rows']} rows), unsafe at 0.5")
        print(f"{'':30s} {'F1':>6s} {'FPR':>6s} {'AUPRC':>6s} {'F1 en':>6s} {'F1 fr':>6s} routed")
        for row, m in split["table"].items():
            routed = f"{m['routed']:.3f}" if "routed" in m else ""
            print(
                f"{row:30s} {m['f1']:6.3f} {m['fpr']:6.3f} {m['auprc']:6.3f} "
                f"{m['f1_en']:6.3f} {m['f1_fr']:6.3f} {routed}"
            )
    print(
        f"\nstatic MLP tier: {results['static_mlp_prompts_per_s']:,.0f} prompts/s batched; "
        f"table {results['table_mb_float16']} MB as float16; distilled in {distil_s:.0f} s"
    )
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


if __name__ == "__main__":
    main()
