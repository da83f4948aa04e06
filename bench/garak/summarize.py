"""Summarize a garak report (``*.report.jsonl``) into bench/results/redteam_garak.json.

garak writes one ``{"entry_type": "eval", "probe", "detector", "passed", "total"}`` line per probe
and detector; ``passed`` counts the outputs the detector found safe. We report the attack success
rate (failed / total) per probe and detector, with Wilson 95% intervals.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from gardefou.redteam.metrics import rate


def summarize_report(path: Path) -> dict[str, Any]:
    """Per probe/detector success rates from a garak report file."""
    rows: list[dict[str, Any]] = []
    meta: dict[str, Any] = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            entry = json.loads(line)
            kind = entry.get("entry_type")
            if kind == "start_run setup":
                meta = {k: v for k, v in entry.items() if "api_key" not in k}
            elif kind == "eval":
                total = int(entry.get("total") or entry.get("total_evaluated") or 0)
                passed = int(entry.get("passed") or 0)
                rows.append(
                    {
                        "probe": entry.get("probe"),
                        "detector": entry.get("detector"),
                        "attack_success": rate(total - passed, total),
                    }
                )
    failed = sum(r["attack_success"]["k"] for r in rows)
    total = sum(r["attack_success"]["n"] for r in rows)
    return {
        "benchmark": "redteam_garak",
        "target": "gardefou gateway in front of the stub upstream",
        "garak_version": meta.get("_config.version"),
        "report": path.name,
        "overall_attack_success": rate(failed, total),
        "probes": rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("--out", type=Path, default=Path("bench/results/redteam_garak.json"))
    args = parser.parse_args(argv)
    result = summarize_report(args.report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for r in result["probes"]:
        s = r["attack_success"]
        print(f"{r['probe']:<40}{r['detector']:<40}{s['k']:>5}/{s['n']:<5} attack success")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
