"""The README tamper example, end to end on the toy model; writes bench/results/tamper_toy.json.

    python bench/tamper_toy.py [--data ../shared/data] [--work /tmp/gardefou-tamper-toy]

Runs the same commands as docs/tamper.md: make-toy → finetune N ∈ {0, 10, 50, 100} → ablate
(--layer auto: a sweep over layers and methods) → report.
All figures come from the tiny toy model (about 115,000 parameters), not from a real model.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from gardefou.cli.main import main
from gardefou.tamper import load_results


def _run(argv: list[str]) -> None:
    print("$ gardefou " + " ".join(argv), flush=True)
    try:
        main(argv)
    except SystemExit as exc:
        if exc.code:
            raise


def run(data: Path, work: Path) -> dict[str, object]:
    """Run the pipeline; returns the summary written to bench/results/tamper_toy.json."""
    start = time.perf_counter()
    toy, ft, ab = work / "toy", work / "finetune", work / "ablate"
    rd = data / "refusal_direction"
    malicious = data / "maliciousinstruct/data/MaliciousInstruct.txt"
    _run(
        [
            "tamper",
            "make-toy",
            "--out",
            str(toy),
            "--data",
            str(data),
            "--size",
            "tiny",
            "--epochs",
            "3",
            "--max-benign",
            "600",
        ]
    )
    _run(
        [
            "tamper", "finetune", "--model", str(toy),
            "--harmful", str(data / "advbench/data/advbench/harmful_behaviors.csv"),
            "--eval", str(malicious), "--benign", str(rd / "harmless_test.json"),
            "--n", "0,10,50,100", "--out", str(ft), "--device", "cpu", "--label", "toy",
        ]
    )  # fmt: skip
    _run(
        [
            "tamper", "ablate", "--model", str(toy),
            "--harmful", str(rd / "harmful_train.json"), "--harmless", str(rd / "harmless_val.json"),
            "--eval", str(malicious), "--benign", str(rd / "harmless_test.json"),
            "--out", str(ab), "--device", "cpu", "--label", "toy",
        ]
    )  # fmt: skip
    _run(["tamper", "report", str(ft), str(ab), "--out", str(work / "report.html")])
    fine, abl = load_results(ft), load_results(ab)
    toy_info = json.loads((toy / "toy.json").read_text(encoding="utf-8"))
    return {
        "what": "README tamper example on the toy model (not a real model)",
        "toy": toy_info,
        "finetune": {
            "device": fine["device"],
            "price_per_gpu_hour": fine["price_per_gpu_hour"],
            "judge": fine.get("judge"),
            "points": [
                {
                    k: p[k]
                    for k in (
                        "n",
                        "steps",
                        "train_wall_s",
                        "cost",
                        "harmful_refusal",
                        "harmful_answer",
                        "harmful_degenerate",
                        "benign_answer",
                    )
                }
                for p in fine["points"]
            ],
            "tamper_cost": fine["tamper_cost"],
        },
        "ablate": {
            "config": abl["config"],
            "points": [
                {
                    k: p[k]
                    for k in (
                        "state",
                        "harmful_refusal",
                        "harmful_answer",
                        "harmful_degenerate",
                        "benign_answer",
                    )
                }
                | {"samples": {k: v[:2] for k, v in p["samples"].items()}}
                for p in abl["points"]
            ],
        },
        "total_wall_s": round(time.perf_counter() - start, 1),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/gardefou-tamper-toy"))
    parser.add_argument("--out", type=Path, default=Path("bench/results/tamper_toy.json"))
    args = parser.parse_args()
    summary = run(args.data, args.work)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(summary["finetune"]["tamper_cost"], indent=2))
