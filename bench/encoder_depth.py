"""Encoder depth: what a shallower encoder tier gains in speed and loses in quality.

    python bench/encoder_depth.py --runs build/encoder/run build/encoder/run_l3 build/encoder/run_l2
        [--prepared build/encoder]

Each run is an output of ``training/encoder/finetune.py`` (``--layers N`` keeps the first N of
MiniLM's 6 layers). For each run: export it (int8 ONNX, calibrated through the int8 model) into a
temporary artifact next to a copy of the shipped fast tier, refit the cascade's ensemble on the
calibration split, then measure the cascade on the held-out test split (near-duplicates of training
texts removed) — unsafe F1 and false-positive rate at 0.5, overall and per language, Alpaca
false-positive rate, J1/J2 recall at 1% false positives, calibration error — and its speed on
``guard_speed.py``'s prompts (batches of 256, one process). Needs the ``distill`` extra and the
prepared data the runs were trained on (``training/encoder/prepare.py --out DIR``, given as
``--prepared DIR``: its calibration split and base weights go into the export). Writes bench/results/encoder_depth.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

# Throughput is measured on the model, not served from the encoder's cache of recent texts.
os.environ["GARDEFOU_ENCODER_CACHE"] = "0"

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from gardefou.model import default_artifact_path, load_model, load_train_config  # noqa: E402
from gardefou.model._cascade import CascadeModel  # noqa: E402
from gardefou.model._encoder import load_encoder  # noqa: E402
from gardefou.model._metrics import binary_metrics, expected_calibration_error  # noqa: E402
from gardefou.model._train import collect_examples, config_splits, fit_cascade  # noqa: E402
from guard_quality import attack_recall, drop_near_duplicates  # noqa: E402
from guard_speed import prompts  # noqa: E402


def depth_of(run: Path) -> int:
    """Transformer layers of a fine-tuning run (6: the whole MiniLM)."""
    settings = json.loads((run / "finetune.json").read_text("utf-8"))["settings"]
    return int(settings.get("layers", "0")) or 6


def measure(
    run: Path, prepared: Path, cfg: Any, splits: dict[str, Any], test: Any, texts: list[str]
) -> dict:
    """Export ``run`` next to the shipped fast tier, refit the cascade, measure it."""
    with tempfile.TemporaryDirectory() as tmp:
        art = Path(tmp)
        for name in ("model.json", "weights.npz"):
            shutil.copy(default_artifact_path() / name, art / name)
        export = ROOT / "training/encoder/export.py"
        subprocess.run(
            [
                *(sys.executable, str(export), "--run", str(run), "--out", str(art)),
                *("--data", str(prepared / "data.jsonl.gz"), "--base", str(prepared / "base")),
            ],
            check=True,
            capture_output=True,
        )
        fast, encoder = load_model(art), load_encoder(art)
        fit_cascade(fast, encoder, splits["calibration"], test, cfg, lambda _m: None)
        model = CascadeModel(fast, encoder)
        probs = model.predict_proba(test.texts)
        u = fast.labels.index("unsafe")
        y, p = test.y[:, u], probs[:, u]

        def where(cond: Any) -> dict[str, Any]:
            m = np.array([cond(e) for e in test.examples])
            return binary_metrics(y[m], p[m])

        row: dict[str, Any] = {
            "layers": depth_of(run),
            "onnx_mb": round((art / "encoder.onnx").stat().st_size / 1e6, 1),
            "overall": binary_metrics(y, p),
            "en": where(lambda e: e.lang == "en"),
            "fr": where(lambda e: e.lang == "fr"),
            "alpaca_fpr": where(lambda e: e.source == "alpaca_benign")["fpr"],
            "ece": expected_calibration_error(y, p),
            "attacks_recall_at_1pct_fpr": {
                k: v["recall"] for k, v in attack_recall(model, test, probs).items()
            },
        }
        model.predict_proba(texts[:256])
        start, cpu = time.perf_counter(), time.process_time()
        for i in range(0, len(texts), 256):
            model.predict_proba(texts[i : i + 256])
        row["cascade_prompts_per_s"] = round(len(texts) / (time.perf_counter() - start), 1)
        row["cascade_prompts_per_cpu_s"] = round(len(texts) / (time.process_time() - cpu), 1)
        row["routed_fraction"] = round(float(model.route(fast.raw_proba(texts)).mean()), 4)
        return row


def main() -> None:
    """Measure every run, print a table and write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", nargs="+", type=Path, required=True)
    parser.add_argument("--config", default=str(ROOT / "training/default.yaml"))
    parser.add_argument(
        "--prepared",
        type=Path,
        default=ROOT / "build/encoder",
        help="prepare.py output the runs were trained on (data.jsonl.gz, base/)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/encoder_depth.json")
    args = parser.parse_args()
    missing = [str(r) for r in args.runs if not (r / "finetune.json").is_file()]
    if missing:
        raise SystemExit(f"not a fine-tuning run (no finetune.json): {', '.join(missing)}")
    if not (args.prepared / "data.jsonl.gz").is_file():
        raise SystemExit(f"no prepared data in {args.prepared} (run training/encoder/prepare.py)")
    cfg, root = load_train_config(args.config)
    examples, _ = collect_examples(cfg, root)
    splits = config_splits(cfg, examples)
    test, _ = drop_near_duplicates(splits["train"], splits["test"])
    texts = prompts(2560)
    rows = [measure(run, args.prepared, cfg, splits, test, texts) for run in args.runs]
    results = {
        "machine": f"{os.cpu_count()} CPUs",
        "load_average": os.getloadavg(),
        "runs": [str(r) for r in args.runs],
        "test_texts": len(test.texts),
        "rows": rows,
    }
    args.out.write_text(json.dumps(results, indent=1) + "\n", "utf-8")
    print(
        f"{'layers':>6} {'MB':>5} {'F1':>6} {'FPR':>6} {'F1 en':>6} {'F1 fr':>6} {'alpaca':>6} "
        f"{'J1':>6} {'J2':>6} {'p/s':>6} {'routed':>6}"
    )
    for r in rows:
        a = r["attacks_recall_at_1pct_fpr"]
        print(
            f"{r['layers']:>6} {r['onnx_mb']:>5} {r['overall']['f1']:6.3f} {r['overall']['fpr']:6.3f} "
            f"{r['en']['f1']:6.3f} {r['fr']['f1']:6.3f} {r['alpaca_fpr']:6.3f} {a['J1']:6.3f} "
            f"{a['J2']:6.3f} {r['cascade_prompts_per_s']:>6.0f} {r['routed_fraction']:6.3f}"
        )


if __name__ == "__main__":
    main()
