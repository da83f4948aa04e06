"""Quality benchmark of the shipped guard model (needs ../shared/data).

    python bench/guard_quality.py [--config training/default.yaml] [--no-loso]
        [--encoder-run build/encoder/run]

Reports, on the held-out test split of the training config (near-duplicates of training texts
removed), for the fast tier, the cascade and the ensemble (both tiers on every text): per-source and per-category P/R/F1/FPR/AUPRC at
threshold 0.5, calibration error, EN vs FR on parallel XSafety prompts, jailbreak/injection
recall at 1% FPR, output-direction results (hh-rlhf harmless-base pairwise accuracy, the repo's
labelled responses); the presets' tuned thresholds applied like a policy (a text is flagged when
any score reaches its key's threshold); a keyword baseline; and a leave-one-source-out table
(the unsafe head retrained without each source, features hashed once). The encoder cannot be
fine-tuned on this machine, so its leave-one-source-out columns come from the GPU run's logits
(``--encoder-run``: ``training/encoder/finetune.py --loso ...`` output), when given.
Writes bench/results/guard_quality.json.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression

from gardefou.model import Featurizer, default_artifact_path, load_model, load_train_config
from gardefou.model._cascade import CascadeModel, ensemble_proba, logit
from gardefou.model._dataset import Split
from gardefou.model._encoder import has_encoder, load_encoder
from gardefou.model._fit import _balanced, platt
from gardefou.model._metrics import binary_metrics, recall_at_fpr
from gardefou.model._sources import read_hh_rlhf_pairs
from gardefou.model._train import collect_examples, config_splits, evaluate
from gardefou.policy import load_policy, preset_names
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


def attack_recall(model: Any, test: Split, probs: np.ndarray | None = None) -> dict[str, Any]:
    """J1/J2 recall at 1% FPR against the benign test texts (``probs``: the model's scores of
    ``test``, when the caller already has them)."""
    if probs is None:
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


def policy_thresholds(model: Any) -> dict[str, dict[str, float]]:
    """Each shipped preset's input thresholds per score key (keys it allows are left out)."""
    out: dict[str, dict[str, float]] = {}
    for name in preset_names():
        pol = load_policy(name)
        out[name] = {
            k: pol.rule_for(k, "input").threshold
            for k in model.labels
            if pol.rule_for(k, "input").action != "allow"
        }
    return out


def preset_results(model: Any, test: Split) -> dict[str, Any]:
    """Each shipped preset's thresholds applied like the policy: flagged when any key reaches its own."""
    presets = policy_thresholds(model)
    probs = model.predict_proba(test.texts)
    unsafe = test.y[:, model.labels.index("unsafe")]
    out: dict[str, Any] = {}
    groups = {
        "alpaca_benign": np.array([e.source == "alpaca_benign" for e in test.examples]),
        "repo_benign_prompts": np.array(
            [e.source == "repo" and e.direction == "input" for e in test.examples]
        ),
        "french_hatesent": np.array([e.source == "french_hatesent" for e in test.examples]),
    }
    for name, table in presets.items():
        thr = np.array([table.get(k, 2.0) for k in model.labels])
        flagged = (probs >= thr).any(axis=1).astype(float)
        row = {"overall": binary_metrics(unsafe, flagged)}
        for g, m in groups.items():
            row[g] = binary_metrics(unsafe[m], flagged[m])
        for lang in ("en", "fr"):
            m = np.array([e.lang == lang for e in test.examples])
            row[lang] = binary_metrics(unsafe[m], flagged[m])
        out[name] = row
    return out


def model_thresholds(model: Any) -> dict[str, dict[str, float]]:
    """The per-preset thresholds stored in the (fast tier's) artifact metadata."""
    fast = model.fast if isinstance(model, CascadeModel) else model
    return dict(fast.metadata.get("thresholds", {}))


def leave_one_source_out(splits: dict[str, Split], cfg: Any) -> dict[str, Any]:
    """Retrain the unsafe head without each source (features hashed once); test on that source."""
    unsafe = list(SCORE_KEYS).index("unsafe")
    train, cal = splits["train"], splits["calibration"]
    everything = [*splits.values()]
    feat = Featurizer(cfg.features)
    x_train, x_cal = feat.transform(train.texts), feat.transform(cal.texts)
    table: dict[str, Any] = {}
    for source in LOSO_SOURCES:
        start = time.perf_counter()
        held = [_subset(s, np.array([e.source == source for e in s.examples])) for s in everything]
        texts = [t for h in held for t in h.texts]
        if not texts:
            continue
        y = np.concatenate([h.y[:, unsafe] for h in held])
        keep_t = np.array([e.source != source for e in train.examples])
        keep_c = np.array([e.source != source for e in cal.examples])
        yt = train.y[keep_t, unsafe].astype(int)
        head = LogisticRegression(
            C=cfg.c, solver="liblinear", dual=True, random_state=cfg.seed, max_iter=1000
        )
        head.fit(x_train[keep_t], yt, sample_weight=_balanced(train.weights[keep_t], yt))
        yc = cal.y[keep_c, unsafe].astype(float)
        a, b = platt(head.decision_function(x_cal[keep_c]), yc)
        p_fast = 1 / (1 + np.exp(-(a * head.decision_function(feat.transform(texts)) + b)))
        p_cal = 1 / (1 + np.exp(-(a * head.decision_function(x_cal[keep_c]) + b)))
        table[source] = {
            "fast": binary_metrics(y, p_fast),
            "_p_fast": p_fast,
            "_p_cal": p_cal,
            "_y": y,
            "_y_cal": yc,
            "_texts": texts,
            "_cal_texts": [t for t, k in zip(cal.texts, keep_c, strict=True) if k],
            "seconds": round(time.perf_counter() - start, 1),
        }
        print(f"  LOSO {source}: {table[source]['fast']}", file=sys.stderr)
    return table


def _run_rows(rows: list[dict[str, Any]], source: str) -> tuple[list[str], list[str]]:
    """Texts behind a run's ``loso:<source>`` and ``loso_cal:<source>`` logits, in their order."""
    held = [r["text"] for r in rows if r["source"] == source]
    cal = [r["text"] for r in rows if r["split"] == "calibration" and r["source"] != source]
    return held, cal


def _read_rows(data: Path) -> list[dict[str, Any]]:
    """The rows of a prepared ``data.jsonl.gz`` (after its header line)."""
    with gzip.open(data, "rt", encoding="utf-8") as handle:
        handle.readline()
        return [json.loads(line) for line in handle]


def _align(texts: list[str], run_texts: list[str], z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The run's logits for ``texts`` (matched by text) and the mask of texts it scored."""
    by_text = dict(zip(run_texts, z, strict=True))
    found = np.array([t in by_text for t in texts])
    return np.array([by_text[t] for t in texts if t in by_text]), found


def encoder_loso(
    table: dict[str, Any], run: Path, band: tuple[float, float], data: Path | None = None
) -> None:
    """Add the encoder, ensemble and cascade columns from a GPU run's held-out logits (unsafe
    head only: the cascade column routes on the fast ``unsafe`` score alone). ``data``: the
    ``data.jsonl.gz`` the variants were trained on, when it is not today's snapshot; the columns
    are then measured on the rows both snapshots share (``encoder_rows`` says how many)."""
    unsafe = list(SCORE_KEYS).index("unsafe")
    logits = np.load(run / "logits.npz")
    data_rows: list[dict[str, Any]] | None = None  # read once, only if a snapshot differs
    for source, row in table.items():
        if f"loso:{source}" not in logits.files:
            continue
        z_held, z_cal = logits[f"loso:{source}"][:, unsafe], logits[f"loso_cal:{source}"][:, unsafe]
        y, y_cal, p_fast, p_fast_cal = row["_y"], row["_y_cal"], row["_p_fast"], row["_p_cal"]
        if len(z_held) != len(y) or len(z_cal) != len(y_cal):
            if data is None:
                print(f"  LOSO {source}: {run} was trained on other data, skipped", file=sys.stderr)
                row["encoder"] = "skipped: the encoder run was trained on another data snapshot"
                continue
            if data_rows is None:
                data_rows = _read_rows(data)
            held_texts, cal_texts = _run_rows(data_rows, source)
            z_held, found = _align(row["_texts"], held_texts, z_held)
            z_cal, found_cal = _align(row["_cal_texts"], cal_texts, z_cal)
            y, p_fast = y[found], p_fast[found]
            y_cal, p_fast_cal = y_cal[found_cal], p_fast_cal[found_cal]
            row["encoder_rows"] = {"held_out": int(found.sum()), "of": len(found)}
        a, b = platt(z_cal, y_cal)
        p_enc, p_enc_cal = (1 / (1 + np.exp(-(a * z + b))) for z in (z_held, z_cal))
        a2, b2 = platt((logit(p_fast_cal) + logit(p_enc_cal)) / 2, y_cal)
        mix = ensemble_proba(
            p_fast[:, None], p_enc[:, None], np.array([[a2], [b2]], dtype=np.float32)
        )[:, 0]
        routed = (p_fast >= band[0]) & (p_fast <= band[1])
        row["encoder"] = binary_metrics(y, p_enc)
        row["ensemble"] = binary_metrics(y, mix)
        row["cascade"] = binary_metrics(y, np.where(routed, mix, p_fast))
        row["routed"] = int(routed.sum())


class _Memo:
    """Memoized encoder scores, so that the cascade and the ensemble share one encoder pass."""

    def __init__(self, fn: Any) -> None:
        self.fn = fn
        self.cache: dict[str, np.ndarray] = {}

    def __call__(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if missing:
            self.cache.update(zip(missing, self.fn(missing), strict=True))
        return np.array([self.cache[t] for t in texts]).reshape(len(texts), -1)


def evaluate_all(model: Any, test: Split, shared: Path) -> dict[str, Any]:
    """Every test-split measure for one model (fast tier or cascade)."""
    return {
        **evaluate(model, test),
        "xsafety_en_vs_fr": parallel_xsafety(model, test),
        "attacks_recall_at_1pct_fpr": attack_recall(model, test),
        "output_direction": output_direction(model, test, shared),
        "presets": preset_results(model, test),
    }


def main() -> None:
    """Run the benchmark, print tables and write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default=str(ROOT / "training/default.yaml"))
    parser.add_argument("--no-loso", action="store_true", help="skip leave-one-source-out")
    parser.add_argument("--out", default=str(ROOT / "bench/results/guard_quality.json"))
    parser.add_argument("--encoder-run", help="GPU fine-tuning run with --loso logits")
    parser.add_argument(
        "--encoder-run-data",
        type=Path,
        help="data.jsonl.gz its --loso variants were trained on, if not today's snapshot",
    )
    args = parser.parse_args()
    if args.encoder_run_data and not args.encoder_run_data.is_file():
        raise SystemExit(f"--encoder-run-data: no such file: {args.encoder_run_data}")
    cfg, root = load_train_config(args.config)
    examples, _ = collect_examples(cfg, root)
    splits = config_splits(cfg, examples)
    path = default_artifact_path()
    fast = load_model(path)
    models: dict[str, Any] = {"fast": fast}
    if has_encoder(path):
        encoder = load_encoder(path)
        encoder.predict_proba = _Memo(encoder.predict_proba)  # type: ignore[method-assign]
        models["cascade"] = CascadeModel(fast, encoder)
        models["ensemble"] = CascadeModel(fast, encoder, mode="ensemble")
    test, dropped = drop_near_duplicates(splits["train"], splits["test"])
    shared = (root / cfg.shared_data).resolve()
    results: dict[str, Any] = {"test_texts": len(test.texts), "near_duplicates_dropped": dropped}
    for name, model in models.items():
        results[name] = evaluate_all(model, test, shared)
    if "cascade" in models:
        results["cascade"]["routed_fraction"] = round(
            float(models["cascade"].route(fast.predict_proba(test.texts)).mean()), 4
        )
    kw = keyword_score(test.texts)
    results["keyword_baseline"] = binary_metrics(test.y[:, list(SCORE_KEYS).index("unsafe")], kw)
    out = Path(args.out)
    if not args.no_loso:
        table = leave_one_source_out(splits, cfg)
        if args.encoder_run:
            band = models["cascade"].band if "cascade" in models else (0.1, 0.9)
            encoder_loso(table, Path(args.encoder_run), band, args.encoder_run_data)
        for row in table.values():
            for key in [k for k in row if k.startswith("_")]:
                del row[key]
        results["leave_one_source_out"] = table
    elif out.exists():  # keep the last leave-one-source-out table (it retrains, so it is slow)
        previous = json.loads(out.read_text("utf-8"))
        if "leave_one_source_out" in previous:
            results["leave_one_source_out"] = previous["leave_one_source_out"]
    out.write_text(json.dumps(results, indent=1) + "\n", "utf-8")
    print(f"test texts {len(test.texts)} (near-duplicates dropped: {dropped})")
    print(f"{'':28} {'n':>6} {'P':>6} {'R':>6} {'F1':>6} {'FPR':>6} {'AUPRC':>6}")

    def row(name: str, m: dict[str, Any]) -> None:
        cells = [m.get(k) for k in ("precision", "recall", "f1", "fpr", "auprc")]
        print(
            f"{name:28} {m['n']:>6} "
            + " ".join("     –" if c is None else f"{c:6.3f}" for c in cells)
        )

    row("keyword baseline", results["keyword_baseline"])
    for name in models:
        r = results[name]
        row(f"{name}: all @0.5", r["overall"])
        for group in ("per_lang", "per_origin", "per_source", "per_category"):
            for key, m in r[group].items():
                row(f"{name} {group[4:]}:{key}", m)
        for preset, pr in r["presets"].items():
            for key, m in pr.items():
                row(f"{name} {preset}:{key}", m)
        xs = r["xsafety_en_vs_fr"]
        print(name, "ECE", r["ece"], "| XSafety F1", {k: xs[k]["f1"] for k in ("en", "fr")})
        print(name, "attacks", r["attacks_recall_at_1pct_fpr"])
        od = r["output_direction"]
        print(name, "output", {k: v for k, v in od.items() if not isinstance(v, dict)})
    for name, m in results.get("leave_one_source_out", {}).items():
        for tier in ("fast", "encoder", "ensemble", "cascade"):
            if isinstance(m.get(tier), dict):
                row(f"LOSO {tier}:{name}", m[tier])
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
