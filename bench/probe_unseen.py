"""How an earlier shipped guard does on hand-written data written after it (unseen by it).

    python bench/probe_unseen.py --ref 47c85d5

Takes the model artifact and the ``default`` policy as they were at the git revision ``--ref``, and
scores every ``training/data/*.jsonl`` file that did not exist at that revision, in its own
direction: recall and false-positive rate of the cascade at ``unsafe`` >= 0.5 and of the ``default``
preset (flag or block), per file. Each round of new data is scored this way before it is trained
on: it is the closest thing to a fresh benchmark that the project has. Then, on the rows of those
files that fall in the held-out test split (unseen by both models), the ``default`` preset of
``--ref`` next to today's: what training on the new files changed. No shared data needed.
Writes bench/results/probe_unseen.json.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = "src/gardefou/model/artifacts"


def _git(*args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True).stdout


def files_at(ref: str, folder: str) -> set[str]:
    """Paths under ``folder`` at revision ``ref``."""
    out = _git("ls-tree", "-r", "--name-only", ref, folder).decode()
    return {line for line in out.splitlines() if line}


def extract(ref: str, target: Path) -> Path:
    """Write the artifact directory and default policy of ``ref`` under ``target``."""
    art = target / "artifacts"
    art.mkdir()
    for path in files_at(ref, ARTIFACTS):
        (art / Path(path).name).write_bytes(_git("show", f"{ref}:{path}"))
    policy = target / "default.yaml"
    policy.write_bytes(_git("show", f"{ref}:src/gardefou/policies/default.yaml"))
    return art


def rates(labels: list[bool], hits: list[bool]) -> dict[str, Any]:
    """Recall and false-positive rate, with their counts."""
    pos = sum(labels)
    neg = len(labels) - pos
    tp = sum(h and y for h, y in zip(hits, labels, strict=True))
    fp = sum(h and not y for h, y in zip(hits, labels, strict=True))
    return _finish({"tp": tp, "pos": pos, "fp": fp, "neg": neg})


def _finish(c: dict[str, int]) -> dict[str, Any]:
    return {
        **c,
        "recall": round(c["tp"] / c["pos"], 4) if c["pos"] else None,
        "fpr": round(c["fp"] / c["neg"], 4) if c["neg"] else None,
    }


def theme(name: str) -> str:
    """``extra8_content_a_en.jsonl`` -> ``content (en)``: the files of one kind and language."""
    m = re.match(r"extra\d+_(.+?)(?:\d+)?(?:_[a-z])?_(en|fr)\.jsonl", name)
    return f"{m.group(1)} ({m.group(2)})" if m else name


_TOTALS = {  # the rates summed per theme, and where each file's counts are
    "default_preset": lambda r: r["default_preset"],
    "default_preset_ref": lambda r: r["test_split"]["default_preset_ref"],
    "default_preset_today": lambda r: r["test_split"]["default_preset_today"],
}


def by_theme(files: dict[str, Any]) -> dict[str, Any]:
    """Counts summed over the files of each theme, rates recomputed."""
    out: dict[str, Any] = {}
    for name, r in files.items():
        row = out.setdefault(theme(name), {"files": 0, "n": 0, "test_n": 0})
        row["files"] += 1
        row["n"] += r["n"]
        row["test_n"] += r["test_split"]["n"]
        for key, counts_of in _TOTALS.items():
            acc = row.setdefault(key, {"tp": 0, "pos": 0, "fp": 0, "neg": 0})
            for k in acc:
                acc[k] += counts_of(r)[k]
    for row in out.values():
        for key in _TOTALS:
            row[key] = _finish(row[key])
    return dict(sorted(out.items()))


def main() -> None:
    """Score the files added since ``--ref`` with the model of ``--ref``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ref", required=True, help="git revision of the earlier shipped model")
    parser.add_argument("--out", default=str(ROOT / "bench/results/probe_unseen.json"))
    args = parser.parse_args()
    from gardefou import Guard
    from gardefou.detectors.classifier import ClassifierDetector
    from gardefou.model import load_train_config
    from gardefou.model._dataset import split_of
    from gardefou.model._sources import load_repo_file

    cfg, _ = load_train_config(ROOT / "training/default.yaml")
    today = Guard.from_policy("default")

    try:
        old = files_at(args.ref, "training/data")
    except subprocess.CalledProcessError:
        sys.exit(f"error: unknown git revision {args.ref!r}")
    new = sorted(
        p for p in (ROOT / "training/data").glob("*.jsonl") if f"training/data/{p.name}" not in old
    )
    if not new:
        sys.exit(f"error: no training/data file was added since {args.ref}")
    results: dict[str, Any] = {"ref": args.ref, "files": {}}
    with tempfile.TemporaryDirectory() as tmp:
        art = extract(args.ref, Path(tmp))
        cascade = ClassifierDetector(path=str(art), tier="cascade")
        guard = Guard.from_policy(
            str(Path(tmp) / "default.yaml"),
            detector_overrides={"classifier": cascade},
        )
        for path in new:
            rows = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
            by_dir: dict[str, list[dict[str, Any]]] = {}
            for row in rows:
                by_dir.setdefault(row["direction"], []).append(row)
            for direction, part in by_dir.items():
                texts = [r["text"] for r in part]
                labels = [r["label"] == "unsafe" for r in part]
                scores = cascade.score(texts, direction)  # type: ignore[arg-type]
                verdicts = guard.check_many(texts, direction=direction)  # type: ignore[arg-type]
                key = path.name if len(by_dir) == 1 else f"{path.name}:{direction}"
                test = [
                    split_of(ex, cfg.seed, cfg.test_fraction, cfg.calibration_fraction) == "test"
                    for ex in load_repo_file(path)
                    if ex.direction == direction
                ]
                held = [t for t, keep in zip(texts, test, strict=True) if keep]
                y_held = [y for y, keep in zip(labels, test, strict=True) if keep]
                now = today.check_many(held, direction=direction)  # type: ignore[arg-type]
                results["files"][key] = {
                    "n": len(part),
                    "unsafe": sum(labels),
                    "direction": direction,
                    "cascade_at_0.5": rates(labels, [s["unsafe"] >= 0.5 for s in scores]),
                    "default_preset": rates(labels, [v.action != "allow" for v in verdicts]),
                    "test_split": {
                        "n": len(held),
                        "default_preset_ref": rates(
                            y_held,
                            [v.action != "allow" for v, k in zip(verdicts, test, strict=True) if k],
                        ),
                        "default_preset_today": rates(y_held, [v.action != "allow" for v in now]),
                    },
                }
    results["themes"] = by_theme(results["files"])
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n", "utf-8")
    print(f"model and default policy of {args.ref}, on files added since")
    print(
        f"{'file':34} {'n':>4} {'dir':>6} | {'@0.5 R':>7} {'FPR':>5} | {'default R':>9} {'FPR':>5}"
    )

    def cell(v: float | None, width: int) -> str:
        return f"{'–':>{width}}" if v is None else f"{v:{width}.2f}"

    for name, r in results["files"].items():
        a, d = r["cascade_at_0.5"], r["default_preset"]
        t = r["test_split"]
        b, c = t["default_preset_ref"], t["default_preset_today"]
        print(
            f"{name:34} {r['n']:>4} {r['direction']:>6} | {cell(a['recall'], 7)} "
            f"{cell(a['fpr'], 5)} | {cell(d['recall'], 9)} {cell(d['fpr'], 5)}"
            f" || {'':10} {t['n']:>4} | {cell(b['recall'], 5)} {cell(b['fpr'], 5)} | "
            f"{cell(c['recall'], 7)} {cell(c['fpr'], 5)}"
        )
    print(f"\n{'theme':26} {'files':>5} {'n':>5} | {'unseen R':>8} {'FPR':>5} || test rows "
          f"{'n':>4} | {'ref R':>5} {'FPR':>5} | {'today R':>7} {'FPR':>5}")  # fmt: skip
    for name, r in results["themes"].items():
        u, b, c = r["default_preset"], r["default_preset_ref"], r["default_preset_today"]
        print(
            f"{name:26} {r['files']:>5} {r['n']:>5} | {cell(u['recall'], 8)} {cell(u['fpr'], 5)}"
            f" || {'':9} {r['test_n']:>4} | {cell(b['recall'], 5)} {cell(b['fpr'], 5)} | "
            f"{cell(c['recall'], 7)} {cell(c['fpr'], 5)}"
        )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
