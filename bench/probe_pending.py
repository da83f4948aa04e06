"""Today's guard on the hand-written data that is written but not trained on yet.

    python bench/probe_pending.py

``training/data/pending/*.jsonl`` holds data rounds written for the next encoder retrain (the
training config reads ``training/data/*.jsonl`` only, so the shipped model has seen none of it).
Scores every row with the ``default`` preset (flag or block counts as caught) and with the
cascade's ``unsafe`` score at 0.5: recall and false-positive rate per file and per ``kind``. This
is the "scored before training on it" step of every data round, as a command. No shared data
needed. Writes bench/results/probe_pending.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from probe_unseen import rates

ROOT = Path(__file__).resolve().parent.parent
PENDING = ROOT / "training/data/pending"


def main() -> None:
    """Score the pending files, print a table, write the JSON."""
    from gardefou import Guard
    from gardefou.detectors.classifier import ClassifierDetector

    files = sorted(PENDING.glob("*.jsonl"))
    if not files:
        sys.exit(f"error: no pending data in {PENDING}")
    guard = Guard.from_policy("default")
    cascade = ClassifierDetector(tier="cascade")
    results: dict[str, Any] = {"policy": "default", "files": {}, "kinds": {}}
    by_kind: dict[str, tuple[list[bool], list[bool], list[bool]]] = {}
    for path in files:
        rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
        labels, caught, at_half = [], [], []
        for direction in sorted({r["direction"] for r in rows}):
            part = [r for r in rows if r["direction"] == direction]
            texts = [r["text"] for r in part]
            verdicts = guard.check_many(texts, direction=direction)
            scores = cascade.score(texts, direction)
            for row, verdict, score in zip(part, verdicts, scores, strict=True):
                y, hit, half = (
                    row["label"] == "unsafe",
                    verdict.action != "allow",
                    score["unsafe"] >= 0.5,
                )
                labels.append(y)
                caught.append(hit)
                at_half.append(half)
                store = by_kind.setdefault(f"{row['kind']} ({row['lang']})", ([], [], []))
                store[0].append(y)
                store[1].append(hit)
                store[2].append(half)
        results["files"][path.name] = {
            "n": len(labels),
            "default_preset": rates(labels, caught),
            "cascade_at_0.5": rates(labels, at_half),
        }
    for kind, (labels, caught, at_half) in sorted(by_kind.items()):
        results["kinds"][kind] = {
            "n": len(labels),
            "default_preset": rates(labels, caught),
            "cascade_at_0.5": rates(labels, at_half),
        }
    out = ROOT / "bench/results/probe_pending.json"
    out.write_text(json.dumps(results, indent=1) + "\n", "utf-8")

    def cell(r: dict[str, Any]) -> str:
        recall = "–" if r["recall"] is None else f"{r['recall']:.2f}"
        fpr = "–" if r["fpr"] is None else f"{r['fpr']:.0%}"
        return f"{recall} / {fpr}"

    print("| pending rows | n | `default`: recall / FPR | cascade ≥ 0.5: recall / FPR |")
    print("|---|---|---|---|")
    for name, r in [*results["files"].items(), *results["kinds"].items()]:
        print(f"| {name} | {r['n']} | {cell(r['default_preset'])} | {cell(r['cascade_at_0.5'])} |")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
