"""Pick the candidate encoder run with the best unsafe F1 on the *calibration* split (numpy only).

    python training/encoder/select_run.py --data build/encoder/data.jsonl.gz --runs RUN_A RUN_B ...

Each run's ``logits.npz`` holds raw logits of the calibration split (``cal``, rows in the order of
``data.jsonl.gz``). A row counts as flagged when its ``unsafe`` logit is above 0 (the raw sigmoid
at 0.5, before any calibration), on the rows whose ``unsafe`` label is known. The test split is
never read: choosing on it would make the shipped test metrics optimistic. Prints one line per run
and the chosen one; with ``--write FILE`` also writes the chosen run's path there.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import read_rows


def calibration_targets(data: Path) -> tuple[np.ndarray, np.ndarray, int]:
    """The ``unsafe`` targets and known-mask of the calibration rows of ``data.jsonl.gz``, and
    the ``unsafe`` column."""
    labels, rows = read_rows(data)
    u = labels.index("unsafe")
    cal = [r for r in rows if r["split"] == "calibration"]
    if not cal:
        raise SystemExit(f"{data}: no calibration rows")
    return np.array([r["y"][u] for r in cal]), np.array([r["known"][u] > 0 for r in cal]), u


def calibration_f1(run: Path, y: np.ndarray, known: np.ndarray, u: int) -> float:
    """Unsafe F1 at logit 0 of ``run`` on the calibration rows."""
    with np.load(run / "logits.npz") as data:
        if "cal" not in data.files:
            raise SystemExit(f"{run}: logits.npz has no calibration logits ('cal')")
        z = data["cal"]
    if len(z) != len(y):
        raise SystemExit(
            f"{run}: {len(z)} calibration logits for {len(y)} rows: another data file?"
        )
    flagged = z[known, u] > 0
    truth = y[known] == 1
    tp = int((flagged & truth).sum())
    return 2 * tp / max(1, int(flagged.sum()) + int(truth.sum()))


def select(data: Path, runs: list[Path]) -> tuple[Path, dict[Path, float]]:
    """The run with the highest calibration F1 (the first one on ties) and every run's F1."""
    y, known, u = calibration_targets(data)
    scores = {run: calibration_f1(run, y, known, u) for run in runs}
    best = max(runs, key=lambda run: scores[run])
    return best, scores


def main() -> None:
    """Parse arguments, score every run, print and optionally write the choice."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--runs", type=Path, nargs="+", required=True)
    parser.add_argument("--write", type=Path, default=None, help="write the chosen run's path here")
    args = parser.parse_args()
    if not args.data.is_file():
        parser.error(f"--data: no such file: {args.data}")
    missing = [str(run) for run in args.runs if not (run / "logits.npz").is_file()]
    if missing:
        parser.error(f"no logits.npz in: {', '.join(missing)}")
    best, scores = select(args.data, args.runs)
    for run, f1 in scores.items():
        print(f"{run}: calibration unsafe F1 {f1:.4f}")
    print(f"chosen: {best}")
    if args.write:
        args.write.write_text(f"{best}\n", "utf-8")


if __name__ == "__main__":
    main()
