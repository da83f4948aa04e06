"""Merge fine-tuning runs made side by side into one run directory (numpy only).

    python training/encoder/merge_runs.py --main RUN --loso RUN_A RUN_B ... --out build/encoder/run

``finetune.py`` trains the model and then each leave-one-source-out variant in turn. On a GPU the
small model leaves the device mostly idle, so it is faster to start one process for the model and
one per held-out source (``--no-main --loso SOURCE``). This copies the model's weights and
``logits.npz``, adds every variant's ``loso:*`` / ``loso_cal:*`` logits, and merges the reports, so
that ``export.py`` and ``bench/guard_quality.py --encoder-run`` read one directory.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np


def merge(main: Path, variants: list[Path], out: Path) -> dict:
    """Write the merged run to ``out``; returns the merged report."""
    out.mkdir(parents=True, exist_ok=True)
    for path in main.iterdir():
        if path.is_file() and path.name not in ("logits.npz", "finetune.json"):
            shutil.copy(path, out / path.name)
    with np.load(main / "logits.npz") as data:
        logits = {k: data[k] for k in data.files}
    report = json.loads((main / "finetune.json").read_text("utf-8"))
    wall = float(report["seconds"])
    for run in variants:
        with np.load(run / "logits.npz") as data:
            extra = {k: data[k] for k in data.files if k.startswith("loso")}
        clash = sorted(set(extra) & set(logits))
        if clash:
            raise SystemExit(f"{run}: held-out source already merged: {', '.join(clash)}")
        logits.update(extra)
        other = json.loads((run / "finetune.json").read_text("utf-8"))
        report["loso"].update(other["loso"])
        wall = max(wall, float(other["seconds"]))
    report["seconds_side_by_side"] = wall
    np.savez(out / "logits.npz", **logits)  # type: ignore[arg-type]
    (out / "finetune.json").write_text(json.dumps(report, indent=1), "utf-8")
    return report


def main() -> None:
    """Parse arguments and merge."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--main", type=Path, required=True, help="the run with the model")
    parser.add_argument("--loso", type=Path, nargs="+", required=True, help="--no-main runs")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    report = merge(args.main, args.loso, args.out)
    print(f"{args.out}: model + held out {', '.join(sorted(report['loso']))}")


if __name__ == "__main__":
    main()
