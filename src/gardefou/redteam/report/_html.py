"""The self-contained HTML report of a run (``report.html``), built from its output folder."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from gardefou import htmlreport as hr
from gardefou.errors import InputError
from gardefou.redteam.runner import REPORT, RESULTS, SUMMARY, read_results, write_summary


def pct(entry: dict[str, Any] | None) -> str:
    """``"12.5% [8.1–18.0]"`` for a rate entry, ``"n/a"`` without data."""
    if not entry or entry.get("rate") is None:
        return "n/a"
    return f"{entry['rate'] * 100:.1f}% [{entry['lo'] * 100:.1f}–{entry['hi'] * 100:.1f}]"


def _rate_chart(
    section: dict[str, dict[str, Any]], title: str, order: list[str] | None = None
) -> str:
    keys = order or sorted(section)
    keys = [k for k in keys if section[k].get("rate") is not None]
    if not keys:
        return hr.note("No data.")
    return hr.bar_chart(
        keys,
        [section[k]["rate"] for k in keys],
        lows=[section[k]["lo"] for k in keys],
        highs=[section[k]["hi"] for k in keys],
        title=title,
    )


def _rate_table(section: dict[str, dict[str, Any]], label: str, order: list[str]) -> str:
    rows = [
        [k, section[k].get("family", ""), section[k]["k"], section[k]["n"], pct(section[k])]
        for k in order
    ]
    if not any(section[k].get("family") for k in order):
        rows = [[r[0], *r[2:]] for r in rows]
        return hr.table([label, "successes", "attempts", "rate [95% CI]"], rows)
    return hr.table([label, "family", "successes", "attempts", "rate [95% CI]"], rows)


def _examples(records: list[dict[str, Any]], per_attack: int) -> str:
    by_attack: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        if r.get("kind") == "attack":
            by_attack[str(r.get("attack"))].append(r)
    blocks = []
    for attack in sorted(by_attack):
        rs = sorted(by_attack[attack], key=lambda r: (not r.get("success"), str(r.get("key"))))
        for r in rs[:per_attack]:
            prompt = r.get("transcript") or r.get("prompt")
            if isinstance(prompt, list):
                prompt = "\n\n".join(f"[{m.get('role')}] {m.get('content')}" for m in prompt)
            outcome = {True: "SUCCESS", False: "failed", None: "not judged"}[r.get("success")]
            body = f"PROMPT:\n{prompt}\n\nANSWER:\n{r.get('answer') or ('(blocked)' if r.get('blocked') else '')}"
            if r.get("error"):
                body += f"\n\nERROR: {r['error']}"
            behavior = r.get("behavior") or {}
            summary = f"{attack} · {behavior.get('id')} ({behavior.get('category') or '-'}, {behavior.get('language')}) · {outcome}"
            blocks.append(hr.details(summary, body))
    return "".join(blocks) or hr.note("No attempts.")


def render_report(
    summary: dict[str, Any], records: list[dict[str, Any]], *, examples: int = 2
) -> str:
    """The report HTML for a summary and its records."""
    run = summary.get("run", {})
    attacks = summary.get("by_attack", {})
    order = sorted(
        attacks,
        key=lambda a: (attacks[a].get("family") != "baseline", attacks[a].get("family", ""), a),
    )
    over = summary.get("over_refusal")
    cost = summary.get("cost", {})
    overview = hr.table(
        ["measure", "value"],
        [
            ["target", run.get("target", "")],
            ["behaviors", f"{run.get('behaviors', '')} ({run.get('n_behaviors', '?')})"],
            ["attempts", summary.get("attempts", 0)],
            ["attack success rate (all attempts)", pct(summary.get("asr"))],
            ["best-of-all-attacks success per behavior", pct(summary.get("best_of"))],
            ["over-refusal on benign prompts", pct(over)],
            ["errors", summary.get("errors", 0)],
            ["tokens in / out", f"{cost.get('tokens_in', 0)} / {cost.get('tokens_out', 0)}"],
            [
                "target time (s) / wall time (s)",
                f"{cost.get('target_seconds', 0)} / {run.get('wall_seconds', '?')}",
            ],
            ["judges", ", ".join(run.get("judges", []))],
            ["seed", run.get("seed", "")],
        ],
    )
    sections: list[tuple[str, str]] = [("Overview", overview)]
    sections.append(
        (
            "Success by attack",
            hr.note("Share of attempts judged successful, with Wilson 95% intervals.")
            + _rate_chart(attacks, "attack success rate", order)
            + _rate_table(attacks, "attack", order),
        )
    )
    matrix = summary.get("by_attack_category", {})
    cats = sorted({c for row in matrix.values() for c in row}, key=lambda c: (len(c), c))
    if matrix and cats:
        values = [[(matrix.get(a, {}).get(c) or {}).get("rate") for c in cats] for a in order]
        sections.append(
            ("Attack × category", hr.heatmap(order, cats, values, title="success rate (%)"))
        )
    by_cat = summary.get("by_category", {})
    by_lang = summary.get("by_language", {})
    sections.append(
        (
            "By category and language",
            _rate_chart(by_cat, "by category", sorted(by_cat, key=lambda c: (len(c), c)))
            + _rate_chart(by_lang, "by language"),
        )
    )
    if over:
        sections.append(
            (
                "Over-refusal",
                hr.note(
                    "Benign prompts (some with sensitive words) that the target refused or blocked."
                )
                + hr.bar_chart(
                    ["over-refusal"], [over["rate"] or 0.0], lows=[over["lo"]], highs=[over["hi"]]
                )
                + hr.table(
                    ["refused", "benign prompts", "rate [95% CI]"],
                    [[over["k"], over["n"], pct(over)]],
                ),
            )
        )
    judges = summary.get("judges", {})
    if judges.get("asr"):
        rows = [[name, pct(entry)] for name, entry in judges["asr"].items()]
        agree = [
            [
                pair,
                a["n"],
                "n/a" if a["percent"] is None else f"{a['percent'] * 100:.1f}%",
                "n/a" if a["kappa"] is None else f"{a['kappa']:.3f}",
            ]
            for pair, a in judges.get("agreement", {}).items()
        ]
        body: str = hr.table(["judge", "success rate by this judge"], rows)
        if agree:
            body += hr.table(["judges", "both judged", "agreement", "Cohen's kappa"], agree)
        sections.append(
            ("Judges", hr.note("A single judge tends to overstate success; compare them.") + body)
        )
    sections.append(("Example transcripts", _examples(records, examples)))
    return hr.page(
        "gardefou red-team report", sections, subtitle=f"started {run.get('started', '?')}"
    )


def build_report(out_dir: str | Path, *, examples: int = 2) -> Path:
    """(Re)build ``report.html`` (and ``summary.json`` when missing) from a run folder."""
    out = Path(out_dir)
    if not (out / RESULTS).exists():
        raise InputError(f"no {RESULTS} here: not a red-team output folder", path=str(out))
    records = list(read_results(out / RESULTS))
    if (out / SUMMARY).exists():
        summary = json.loads((out / SUMMARY).read_text(encoding="utf-8"))
    else:
        summary = write_summary(out, {})
    path = out / REPORT
    path.write_text(render_report(summary, records, examples=examples), encoding="utf-8")
    return path
