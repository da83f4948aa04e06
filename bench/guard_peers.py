"""gardefou side by side with the offline peer guards, on the held-out data of the quality bench.

    python bench/guard_peers.py [--shared ../shared/data] [--peers-dir /tmp/peers] [--setup]

Peers whose weights ship in their wheel (no hub download) each live in their own venv under
``--peers-dir`` (``--setup`` creates them) and are called through ``bench/peers/<name>_runner.py``
(JSONL texts in, JSONL scores out; network refused), so this script needs none of their
dependencies. gardefou (``Guard.from_policy("default")``) and a keyword baseline run in-process.

Tasks, each a seeded sample of at most ``--max-per-task`` texts:
  harmful       harmful vs benign prompts: the input-direction test split of training/default.yaml
                (near-duplicates of training texts dropped, as in guard_quality.py), French
                hate-speech posts left to their own task
  attacks       jailbreak / prompt injection (J1, J2) vs the benign prompts of that split
  offensive_fr  french_hatesent dev_500.csv rows that gardefou never trained or calibrated on
  benign_fr     benign French prompts of the test split (false-positive rate only)

A text counts as detected when the system flags it (gardefou: action flag or block; peers: their
own decision). Quality and speed are also given as ratios to gardefou.
Writes bench/results/guard_peers.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import subprocess
import sys
import time
import venv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "bench/peers")]

from _protocol import Result, measure  # noqa: E402

from gardefou import Guard  # noqa: E402
from gardefou.model import default_artifact_path, load_train_config, sha256_file  # noqa: E402
from gardefou.model._dataset import Split, targets  # noqa: E402
from gardefou.model._metrics import binary_metrics  # noqa: E402
from gardefou.model._sources import Example, text_group  # noqa: E402
from gardefou.model._train import collect_examples, config_splits  # noqa: E402
from gardefou.taxonomy import SCORE_KEYS  # noqa: E402
from guard_quality import drop_near_duplicates, keyword_score  # noqa: E402

TASKS = ("harmful", "attacks", "offensive_fr", "benign_fr")


@dataclass
class Peer:
    """A peer guard: what it is, how its venv is installed (pip argument lists, in order)."""

    what: str
    installs: list[list[str]]
    packages: list[str] = field(default_factory=list)


PEERS = {
    "securevector-guardian-model": Peer(
        "prompt-injection / jailbreak model (TF-IDF + logistic regression, pure-Python runtime)",
        [["securevector-guardian-model==1.4.0"]],
    ),
    "prompt-guardrail": Peer(
        "prompt-injection detector (TF-IDF + logistic regression, pickled in the wheel)",
        [["prompt-guardrail==1.0.1", "scikit-learn==1.7.2"]],  # the version it was pickled with
    ),
    "alt-profanity-check": Peer(
        "English offensive-language detector (linear SVM, pins scikit-learn exactly)",
        [["alt-profanity-check==1.9.1"]],
    ),
    "llm-guard": Peer(
        "llm-guard 0.3.16 rule scanners: BanSubstrings (its prompt list), InvisibleText, Secrets",
        [
            ["--no-deps", "llm-guard==0.3.16"],  # its full deps pull torch + transformers
            ["structlog==26.1.0", "bc-detect-secrets==1.5.43", "presidio-anonymizer==2.2.358"],
        ],
    ),
}


@dataclass
class Task:
    """Texts and 0/1 labels of one task, with where they come from."""

    texts: list[str]
    y: np.ndarray
    sources: dict[str, int]


def _sample(idx: list[int], n: int, rng: random.Random) -> list[int]:
    return sorted(rng.sample(idx, n)) if len(idx) > n else idx


def _split_of(examples: list[Example]) -> Split:
    y, known = targets(examples, list(SCORE_KEYS))
    return Split(examples, y, known, np.ones(len(examples)))


def load_tasks(shared: Path | None, seed: int, max_n: int) -> dict[str, Task]:
    """The four tasks, from the same splits and near-duplicate filter as guard_quality.py."""
    cfg, root = load_train_config(ROOT / "training/default.yaml")
    if shared is not None:
        cfg = cfg.model_copy(update={"shared_data": str(shared.resolve())})
    examples, _ = collect_examples(cfg, root)
    splits = config_splits(cfg, examples)
    test, _ = drop_near_duplicates(splits["train"], splits["test"])
    rng = random.Random(seed)
    ex = test.examples
    prompts = [
        i for i, e in enumerate(ex) if e.direction == "input" and e.source != "french_hatesent"
    ]
    attack = {i for i in prompts if {"J1", "J2"} & set(ex[i].categories)}
    benign = [i for i in prompts if ex[i].unsafe == 0]
    pos = _sample(sorted(attack), max_n // 2, rng)
    chosen = {
        "harmful": (_sample(prompts, max_n, rng), lambda i: ex[i].unsafe),
        "attacks": (sorted(pos + _sample(benign, max_n - len(pos), rng)), lambda i: i in attack),
        "benign_fr": (_sample([i for i in benign if ex[i].lang == "fr"], max_n, rng), lambda i: 0),
    }
    tasks = {
        name: Task(
            [ex[i].text for i in idx],
            np.array([int(label(i)) for i in idx]),
            dict(Counter(ex[i].source for i in idx)),
        )
        for name, (idx, label) in chosen.items()
    }
    seen = {e.group for s in ("train", "calibration") for e in splits[s].examples}
    path = (root / cfg.shared_data).resolve() / "french_hatesent/dev_500.csv"
    with open(path, encoding="utf-8-sig", newline="") as handle:
        dev = [
            Example(r["text"].strip(), int(r["label"] == "1"), "french_hatesent", lang="fr")
            for r in csv.DictReader(handle)
            if r["text"].strip()
        ]
    dev = [e for e in dev if text_group(e.text) not in seen]
    held, _ = drop_near_duplicates(splits["train"], _split_of(dev))
    idx = _sample(list(range(len(held.examples))), max_n, rng)
    tasks["offensive_fr"] = Task(
        [held.examples[i].text for i in idx],
        np.array([held.examples[i].unsafe for i in idx]),
        {"french_hatesent_dev": len(idx)},
    )
    return {name: tasks[name] for name in TASKS}


def setup_venvs(peers_dir: Path) -> None:
    """Create one venv per peer and install it (pinned) with its own pip."""
    for name, peer in PEERS.items():
        target = peers_dir / name
        print(f"setting up {name} in {target}", file=sys.stderr)
        venv.EnvBuilder(with_pip=True, clear=True).create(target)
        for args in peer.installs:
            cmd = [str(target / "bin/python"), "-m", "pip", "install", "-q", *args]
            if subprocess.run(cmd, check=False).returncode != 0:
                print(
                    f"  {name}: pip install failed; it will be reported as failed", file=sys.stderr
                )
                break


def run_peer(name: str, python: Path, texts: list[str], timeout: float) -> dict[str, Any]:
    """Run a peer's runner in its venv; returns results + meta, or a status saying why not."""
    if not python.exists():
        return {"status": "missing", "reason": f"no venv at {python.parent.parent} (run --setup)"}
    runner = ROOT / "bench/peers" / f"{name.replace('-', '_')}_runner.py"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "NO_PROXY": "*",
    }
    payload = "".join(json.dumps({"text": t}) + "\n" for t in texts)
    try:
        proc = subprocess.run(
            [str(python), str(runner)], input=payload, capture_output=True, text=True,
            timeout=timeout, env=env, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return {"status": "failed", "reason": f"timed out after {timeout:.0f} s"}
    if proc.returncode != 0:
        status = "network" if proc.returncode == 3 else "failed"
        tail = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
        return {"status": status, "reason": (tail or [f"exit {proc.returncode}"])[-1]}
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    meta = rows.pop()["meta"]
    results: list[Result] = [(r["score"], r["flag"], r.get("detail", "")) for r in rows]
    return {"status": "ok", "results": results, "meta": meta}


def run_in_process(load: Any, texts: list[str]) -> dict[str, Any]:
    """Load and time an in-process scorer with the runners' own ``measure``."""
    start = time.perf_counter()
    try:
        score = load()
        score(texts[:1])
        load_s = round(time.perf_counter() - start, 3)
        results, stats = measure(score, texts)
    except DetectorFailedError as exc:
        return {"status": "failed", "reason": str(exc)}
    return {"status": "ok", "results": results, "meta": {"load_s": load_s, **stats}}


class DetectorFailedError(RuntimeError):
    """gardefou answered with a detector error (e.g. no usable model): not a measurement."""


def gardefou_scorer() -> Any:
    """The default-policy guard; score = its riskiest score, flag = action is not ``allow``."""
    guard = Guard.from_policy("default")

    def score(texts: list[str]) -> list[Result]:
        verdicts = guard.check_many(texts, "input")
        failed = next((v.error for v in verdicts if v.error), None)
        if failed:  # fail-closed would block everything: report it instead of scoring it
            raise DetectorFailedError(failed)
        return [(max(v.scores.values(), default=0.0), v.action != "allow") for v in verdicts]

    return score


def artifact_identity() -> dict[str, Any]:
    """Which shipped model gardefou ran with: format version and model.json checksum."""
    path = default_artifact_path() / "model.json"
    try:
        meta = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {"model_json": "unreadable"}
    version = meta.get("format_version") if isinstance(meta, dict) else None
    return {"format_version": version, "model_json_sha256": sha256_file(path)[:16]}


def keyword_scorer() -> Any:
    """The keyword baseline of guard_quality.py (EN + FR harmful words)."""
    return lambda texts: [(float(p), bool(p >= 0.5)) for p in keyword_score(texts)]


def task_metrics(y: np.ndarray, results: list[Result]) -> dict[str, Any]:
    """P/R/F1/FPR at the system's own decision, AUPRC from its scores."""
    flags = np.array([float(r[1]) for r in results])
    scores = np.array([r[0] for r in results])
    out = {k: v for k, v in binary_metrics(y, flags).items() if k != "auprc"}
    both = 0 < y.sum() < len(y)
    out["auprc"] = round(float(average_precision_score(y, scores)), 4) if both else None
    details = Counter(r[2] for r in results if len(r) > 2 and r[2])
    if details:
        out["fired"] = dict(details)
    return out


def _ratio(a: Any, b: Any) -> float | None:
    return (
        round(a / b, 3) if isinstance(a, int | float) and isinstance(b, int | float) and b else None
    )


def evaluate(
    runs: dict[str, dict[str, Any]], tasks: dict[str, Task], index: dict[str, int]
) -> None:
    """Fill each run's per-task metrics and its ratios to gardefou (in place)."""
    for run in runs.values():
        if run["status"] != "ok":
            continue
        results = run.pop("results")
        run["tasks"] = {
            name: task_metrics(task.y, [results[index[t]] for t in task.texts])
            for name, task in tasks.items()
        }
    ref = runs["gardefou"]
    for run in runs.values():
        if run["status"] != "ok" or ref["status"] != "ok":
            continue
        ratios: dict[str, Any] = {
            f"{name}_{key}": _ratio(run["tasks"][name][key], ref["tasks"][name][key])
            for name in TASKS
            for key in (("fpr",) if name == "benign_fr" else ("f1", "fpr"))
        }
        ratios["texts_per_s"] = _ratio(run["meta"]["texts_per_s"], ref["meta"]["texts_per_s"])
        ratios["p50_ms"] = _ratio(run["meta"]["p50_ms"], ref["meta"]["p50_ms"])
        run["ratios_to_gardefou"] = ratios


def table(runs: dict[str, dict[str, Any]]) -> list[list[str]]:
    """Header + one row per system: F1 (FPR) per task, benign-French FPR, speed, ratios."""
    head = [f"{t} F1 (FPR)" for t in TASKS[:3]]
    ratios = ["harmful F1 ×", "attacks F1 ×", "texts/s ×"]
    rows = [["system", *head, "benign_fr FPR", "texts/s", "p50 ms", *ratios]]
    for name, run in runs.items():
        if run["status"] != "ok":
            rows.append([name, f"{run['status']}: {run['reason']}"])
            continue
        m, meta, r = run["tasks"], run["meta"], run.get("ratios_to_gardefou", {})
        rows.append(
            [name, *(f"{m[t]['f1']:.3f} ({m[t]['fpr']:.3f})" for t in TASKS[:3])]
            + [f"{m['benign_fr']['fpr']:.3f}", f"{meta['texts_per_s']:.0f}"]
            + [f"{meta['p50_ms']:.2f}"]
            + ["–" if r.get(k) is None else f"{r[k]:.2f}" for k in ("harmful_f1", "attacks_f1")]
            + ["–" if r.get("texts_per_s") is None else f"{r['texts_per_s']:.2f}"]
        )
    return rows


def print_table(runs: dict[str, dict[str, Any]], markdown: bool = False) -> None:
    """Print the table, plain or as Markdown (the form docs/peers.md copies)."""
    rows = table(runs)
    if markdown:
        for i, row in enumerate(rows):
            print("| " + " | ".join(row + [""] * (len(rows[0]) - len(row))) + " |")
            if i == 0:
                print("|" + "---|" * len(row))
        return
    widths = [
        max(len(r[i]) for r in rows if len(r) > i and len(r) > 2) for i in range(len(rows[0]))
    ]
    for row in rows:
        if len(row) == 2:
            print(f"{row[0]:{widths[0]}}  {row[1]}")
        else:
            print(
                "  ".join(
                    f"{c:>{w}}" if i else f"{c:{w}}"
                    for i, (c, w) in enumerate(zip(row, widths, strict=True))
                )
            )


def main() -> None:
    """Build the tasks, run every system, print the table and write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=None, help="shared data (default: config)")
    parser.add_argument("--peers-dir", type=Path, default=Path("/tmp/peers"))
    parser.add_argument("--setup", action="store_true", help="create the peers' venvs first")
    parser.add_argument("--max-per-task", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--timeout", type=float, default=900, help="seconds per peer")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--report", action="store_true", help="only print the saved results")
    args = parser.parse_args()
    out = ROOT / "bench/results/guard_peers.json"
    if args.report:
        print_table(json.loads(out.read_text("utf-8"))["systems"], args.markdown)
        return
    if args.setup:
        setup_venvs(args.peers_dir)
    print("building the held-out tasks", file=sys.stderr)
    tasks = load_tasks(args.shared, args.seed, args.max_per_task)
    texts = list(dict.fromkeys(t for task in tasks.values() for t in task.texts))
    random.Random(args.seed).shuffle(texts)  # the latency sample mixes every task
    index = {t: i for i, t in enumerate(texts)}
    runs: dict[str, dict[str, Any]] = {}
    artifact = artifact_identity()  # before loading it: training may rewrite it meanwhile
    for name, load in (("gardefou", gardefou_scorer), ("keyword-baseline", keyword_scorer)):
        print(f"running {name} on {len(texts)} texts", file=sys.stderr)
        runs[name] = run_in_process(load, texts)
    for name in PEERS:
        print(f"running {name} on {len(texts)} texts", file=sys.stderr)
        runs[name] = run_peer(name, args.peers_dir / name / "bin/python", texts, args.timeout)
    evaluate(runs, tasks, index)
    runs["gardefou"]["what"] = "Guard.from_policy('default'): rules + shipped classifier"
    runs["gardefou"]["artifact"] = artifact
    runs["keyword-baseline"]["what"] = "guard_quality.py keyword regex (EN + FR harmful words)"
    for name, peer in PEERS.items():
        runs[name]["what"] = peer.what
    results = {
        "command": "python bench/guard_peers.py --setup",
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
        },
        "seed": args.seed,
        "tasks": {
            name: {"n": len(t.y), "positives": int(t.y.sum()), "sources": t.sources}
            for name, t in tasks.items()
        },
        "speed_texts": len(texts),
        "systems": runs,
    }
    out.write_text(json.dumps(results, indent=1) + "\n", "utf-8")
    print_table(runs, args.markdown)
    print(f"tasks: { {k: (v['n'], v['positives']) for k, v in results['tasks'].items()} }")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
