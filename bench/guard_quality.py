"""Quality benchmark of the shipped guard model (needs ../shared/data).

    python bench/guard_quality.py [--config training/default.yaml] [--no-loso]

Reports, on the held-out test split of the training config (near-duplicates of training texts
removed): per-source and per-category P/R/F1/FPR/AUPRC at threshold 0.5, calibration error,
EN vs FR on parallel XSafety prompts, jailbreak/injection recall at 1% FPR, output-direction
results (hh-rlhf harmless-base pairwise accuracy, the repo's labelled responses), a keyword
baseline, and a leave-one-source-out table (retrains the unsafe head without each source).
Writes bench/results/guard_quality.json.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer

from gardefou.model import default_artifact_path, fit_model, load_model, load_train_config
from gardefou.model._dataset import Split, make_splits
from gardefou.model._metrics import binary_metrics, recall_at_fpr
from gardefou.model._sources import read_hh_rlhf_pairs
from gardefou.model._train import collect_examples, evaluate
from gardefou.taxonomy import SCORE_KEYS

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = re.compile(
    r"\b(kill|bomb|weapon|hack|steal|drug|poison|suicide|nazi|rape|porn|sex|explosive|"
    r"ignore (all|previous|the above)|jailbreak|dan|tuer|bombe|arme|pirater|voler|drogue|"
    r"poison|suicide|viol|porno|ignore[rz]? (les|toutes))\b",
    re.IGNORECASE,
)
LOSO_SOURCES = (
    "advbench", "strongreject", "do_not_answer", "multijail", "xsafety", "jailbreak_llms",
    "tensor_trust", "bipia", "french_hatesent", "alpaca_benign", "vigogne_fr", "repo",
)  # fmt: skip


def keyword_score(texts: list[str]) -> np.ndarray:
    """The keyword baseline: 1.0 when any listed word occurs."""
    return np.array([1.0 if KEYWORDS.search(t) else 0.0 for t in texts])


def _subset(split: Split, mask: np.ndarray) -> Split:
    idx = np.flatnonzero(mask)
    return Split(
        [split.examples[i] for i in idx], split.y[idx], split.known[idx], split.weights[idx]
    )


def drop_near_duplicates(train: Split, test: Split, threshold: float = 0.9) -> tuple[Split, int]:
    """Remove test texts whose word-unigram cosine with some training text is ≥ threshold."""
    vec = HashingVectorizer(n_features=2**18, alternate_sign=False, norm="l2", binary=True)
    a, b = vec.transform(train.texts), vec.transform(test.texts)
    best = np.zeros(len(test.texts))
    for start in range(0, b.shape[0], 500):
        sims = b[start : start + 500] @ a.T
        best[start : start + 500] = sims.max(axis=1).toarray().ravel()
    keep = best < threshold
    return _subset(test, keep), int((~keep).sum())


def parallel_xsafety(model: Any, test: Split) -> dict[str, Any]:
    """EN vs FR on XSafety prompts whose both versions are in the test split."""
    groups: dict[str, dict[str, int]] = {}
    for i, ex in enumerate(test.examples):
        if ex.source == "xsafety":
            groups.setdefault(ex.group, {})[ex.lang] = i
    pairs = [g for g in groups.values() if {"en", "fr"} <= set(g)]
    out: dict[str, Any] = {"pairs": len(pairs)}
    col = model.labels.index("unsafe")
    for lang in ("en", "fr"):
        idx = [g[lang] for g in pairs]
        probs = model.predict_proba([test.examples[i].text for i in idx])[:, col]
        out[lang] = binary_metrics(test.y[idx, col], probs)
    return out


def attack_recall(model: Any, test: Split) -> dict[str, Any]:
    """J1/J2 recall at 1% FPR against the benign test texts."""
    probs = model.predict_proba(test.texts)
    benign = np.array([ex.unsafe == 0 for ex in test.examples])
    out = {}
    for code in ("J1", "J2"):
        j = model.labels.index(code)
        pos = test.y[:, j] == 1
        mask = pos | benign
        out[code] = {
            "positives": int(pos.sum()),
            **recall_at_fpr(pos[mask].astype(int), probs[mask, j], 0.01),
            "recall_at_0.5": round(float((probs[pos, j] >= 0.5).mean()), 4) if pos.any() else None,
        }
    return out


def output_direction(model: Any, test: Split, shared: Path) -> dict[str, Any]:
    """hh-rlhf pairwise accuracy and metrics on labelled responses in the test split."""
    col = model.labels.index("unsafe")
    pairs = read_hh_rlhf_pairs(shared)
    chosen = model.predict_proba([c for c, _ in pairs])[:, col]
    rejected = model.predict_proba([r for _, r in pairs])[:, col]
    wins = (rejected > chosen).sum() + 0.5 * (rejected == chosen).sum()
    out: dict[str, Any] = {
        "hh_rlhf_pairs": len(pairs),
        "hh_rlhf_pairwise_accuracy": round(float(wins / len(pairs)), 4),
    }
    mask = np.array([ex.direction == "output" for ex in test.examples])
    for name, m in (
        ("all_responses", mask),
        ("repo_responses", mask & np.array([ex.source == "repo" for ex in test.examples])),
    ):
        if m.any():
            sub = _subset(test, m)
            out[name] = binary_metrics(sub.y[:, col], model.predict_proba(sub.texts)[:, col])
    return out


def leave_one_source_out(splits: dict[str, Split], cfg: Any) -> dict[str, Any]:
    """Retrain the unsafe head without each source; test on all of that source's texts."""
    unsafe = list(SCORE_KEYS).index("unsafe")
    everything = [s for s in splits.values()]
    table: dict[str, Any] = {}
    for source in LOSO_SOURCES:
        start = time.perf_counter()
        train, cal = splits["train"], splits["calibration"]
        held = [_subset(s, np.array([e.source == source for e in s.examples])) for s in everything]
        texts = [t for h in held for t in h.texts]
        if not texts:
            continue
        y = np.concatenate([h.y[:, unsafe] for h in held])
        keep_t = np.array([e.source != source for e in train.examples])
        keep_c = np.array([e.source != source for e in cal.examples])
        tr, ca = _subset(train, keep_t), _subset(cal, keep_c)
        model = fit_model(
            tr.texts, tr.y[:, [unsafe]], tr.known[:, [unsafe]], tr.weights, ["unsafe"],
            spec=cfg.features, c=cfg.c, seed=cfg.seed,
            calibration=(ca.texts, ca.y[:, [unsafe]], ca.known[:, [unsafe]]),
        )  # fmt: skip
        p = model.predict_proba(texts)[:, 0]
        table[source] = {**binary_metrics(y, p), "seconds": round(time.perf_counter() - start, 1)}
        print(f"  LOSO {source}: {table[source]}", file=sys.stderr)
    return table


def main() -> None:
    """Run the benchmark, print tables and write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default=str(ROOT / "training/default.yaml"))
    parser.add_argument("--no-loso", action="store_true", help="skip leave-one-source-out")
    args = parser.parse_args()
    cfg, root = load_train_config(args.config)
    examples, _ = collect_examples(cfg, root)
    splits = make_splits(
        examples, list(SCORE_KEYS), seed=cfg.seed, test_fraction=cfg.test_fraction,
        calibration_fraction=cfg.calibration_fraction, weights=cfg.weights, power=cfg.balance_power,
    )  # fmt: skip
    model = load_model(default_artifact_path())
    test, dropped = drop_near_duplicates(splits["train"], splits["test"])
    results: dict[str, Any] = {"test_texts": len(test.texts), "near_duplicates_dropped": dropped}
    results["fast"] = evaluate(model, test)
    results["xsafety_en_vs_fr"] = parallel_xsafety(model, test)
    results["attacks_recall_at_1pct_fpr"] = attack_recall(model, test)
    results["output_direction"] = output_direction(model, test, (root / cfg.shared_data).resolve())
    kw = keyword_score(test.texts)
    results["keyword_baseline"] = binary_metrics(test.y[:, list(SCORE_KEYS).index("unsafe")], kw)
    if not args.no_loso:
        results["leave_one_source_out"] = leave_one_source_out(splits, cfg)
    out = ROOT / "bench/results/guard_quality.json"
    out.write_text(json.dumps(results, indent=1) + "\n", "utf-8")
    fast = results["fast"]
    print(f"test texts {len(test.texts)} (near-duplicates dropped: {dropped})")
    print(f"{'':24} {'n':>6} {'P':>6} {'R':>6} {'F1':>6} {'FPR':>6} {'AUPRC':>6}")

    def row(name: str, m: dict[str, Any]) -> None:
        cells = [m.get(k) for k in ("precision", "recall", "f1", "fpr", "auprc")]
        print(
            f"{name:24} {m['n']:>6} "
            + " ".join("     –" if c is None else f"{c:6.3f}" for c in cells)
        )

    row("fast: all", fast["overall"])
    row("keyword baseline", results["keyword_baseline"])
    for group in ("per_lang", "per_source", "per_category"):
        for name, m in fast[group].items():
            row(f"{group[4:]}:{name}", m)
    print(
        "ECE",
        fast["ece"],
        "| XSafety",
        {k: results["xsafety_en_vs_fr"][k]["f1"] for k in ("en", "fr")},
    )
    print("attacks", results["attacks_recall_at_1pct_fpr"])
    print(
        "output", {k: v for k, v in results["output_direction"].items() if not isinstance(v, dict)}
    )
    for name, m in results.get("leave_one_source_out", {}).items():
        row(f"LOSO:{name}", m)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
