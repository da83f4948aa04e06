"""Writing MODEL_CARD.md from a trained model's metadata and test metrics."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from gardefou.model._artifact import GuardModel
from gardefou.model._dataset import Split

LICENCES = {
    "advbench": "MIT",
    "advbench_strings": "MIT",
    "maliciousinstruct": "none stated (research use)",
    "strongreject": "MIT",
    "jailbreak_llms": "MIT",
    "forbidden_questions": "MIT",
    "do_not_answer": "CC-BY-NC-SA-4.0 (non-commercial)",
    "dna_responses": "CC-BY-NC-SA-4.0 (non-commercial)",
    "multijail": "MIT",
    "refusal_harmful": "Apache-2.0 upstream (unverified)",
    "alpaca_benign": "CC-BY-NC-4.0 (non-commercial)",
    "french_hatesent": "unclear; research use only",
    "xsafety": "Apache-2.0; README says research use only",
    "giskard": "MIT",
    "tensor_trust": "no licence file: research use",
    "tensor_trust_defences": "no licence file: research use",
    "bipia": "MIT",
    "vigogne_fr": "CC-BY-NC-4.0 (non-commercial)",
    "repo": "Apache-2.0 (written for gardefou)",
}

_STATIC = Path(__file__).with_name("MODEL_CARD_TEMPLATE.md")


def _row(name: str, m: dict[str, Any]) -> str:
    def f(v: Any) -> str:
        return "–" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)

    keys = ("n", "positives", "precision", "recall", "f1", "fpr", "auprc")
    return f"| {name} | " + " | ".join(f(m.get(k)) for k in keys) + " |"


def _table(title: str, rows: dict[str, dict[str, Any]]) -> list[str]:
    out = [f"### {title}", "", "| | n | unsafe | precision | recall | F1 | FPR | AUPRC |"]
    out.append("|---|---|---|---|---|---|---|---|")
    out += [_row(k, v) for k, v in rows.items()]
    return [*out, ""]


def render_model_card(model: GuardModel, splits: dict[str, Split]) -> str:
    """The model card in Markdown."""
    meta = model.metadata
    metrics = meta.get("test_metrics", {})
    counts: Counter[tuple[str, int]] = Counter()
    for split in splits.values():
        counts.update((ex.source, ex.unsafe) for ex in split.examples)
    lines = [_STATIC.read_text("utf-8").rstrip(), "", "## Training data (generated)", ""]
    lines += ["| source | benign | unsafe | licence |", "|---|---|---|---|"]
    for src in sorted({s for s, _ in counts}):
        lic = LICENCES.get(src, "see MANIFEST")
        lines.append(f"| {src} | {counts[(src, 0)]} | {counts[(src, 1)]} | {lic} |")
    lines += ["", "## Test-split metrics (generated, threshold 0.5)", ""]
    lines.append(f"Expected calibration error (unsafe head): {metrics.get('ece')}.")
    lines.append(f"Training time: {metrics.get('train_seconds')} s on the build machine.")
    lines.append("")
    lines += _table(
        "Overall and per language",
        {
            "all": metrics.get("overall", {}),
            **metrics.get("per_lang", {}),
            **{f"{k} data": v for k, v in metrics.get("per_origin", {}).items()},
        },
    )
    lines += _table("Per source (unsafe head)", metrics.get("per_source", {}))
    lines += _table("Per category head", metrics.get("per_category", {}))
    cascade = metrics.get("cascade")
    if cascade:
        lines += ["## Cascade (fast tier + encoder ensemble on the uncertain band), test split", ""]
        lines.append(f"Expected calibration error (unsafe): {cascade.get('ece')}.")
        routed = cascade.get("routed_fraction_calibration")
        lines.append(f"Share of calibration texts sent to the encoder: {routed}.")
        lines.append("")
        lines += _table(
            "Cascade: overall and per language",
            {
                "all": cascade.get("overall", {}),
                **cascade.get("per_lang", {}),
                **{f"{k} data": v for k, v in cascade.get("per_origin", {}).items()},
            },
        )
        lines += _table("Cascade: per source (unsafe)", cascade.get("per_source", {}))
    thresholds = (meta.get("cascade") or {}).get("thresholds") or meta.get("thresholds") or {}
    if thresholds:
        presets = sorted(thresholds)
        tier = "cascade" if meta.get("cascade") else "fast tier"
        lines += [
            f"## Thresholds tuned on the calibration split ({tier}; written into the presets)"
        ]
        lines.append("")
        lines += ["| key | " + " | ".join(presets) + " |", "|---|" + "---|" * len(presets)]
        for key in model.labels:
            cells = " | ".join(f"{thresholds[p].get(key, 0.5):.3f}" for p in presets)
            lines.append(f"| {key} | {cells} |")
        lines.append("")
    lines += ["## Input files (sha256)", "", "<details><summary>files</summary>", ""]
    lines += [f"- `{k}` {v}" for k, v in sorted(meta.get("input_sha256", {}).items())]
    lines += ["", "</details>", ""]
    return "\n".join(lines)


def write_model_card(path: Path, model: GuardModel, splits: dict[str, Split]) -> None:
    """Write the model card to ``path``."""
    path.write_text(render_model_card(model, splits), "utf-8")
