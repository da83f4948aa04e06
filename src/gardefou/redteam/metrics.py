"""Metrics over red-team results: attack success rates with Wilson 95% intervals, best-of-N per
behavior, over-refusal on benign prompts, judge agreement, tokens and time.

Records are the dicts written to ``results.jsonl`` (see ``gardefou.redteam.runner``).
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from gardefou.redteam.judges import agreement

Z95 = 1.959963984540054


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for ``k`` successes in ``n`` trials (``(0, 1)`` when n = 0)."""
    if n <= 0:
        return 0.0, 1.0
    if not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def rate(k: int, n: int) -> dict[str, Any]:
    """``{"k", "n", "rate", "lo", "hi"}`` with a Wilson 95% interval (rate None when n = 0)."""
    lo, hi = wilson(k, n)
    return {
        "k": k,
        "n": n,
        "rate": round(k / n, 6) if n else None,
        "lo": round(lo, 6),
        "hi": round(hi, 6),
    }


def _rates(groups: Mapping[str, list[bool]]) -> dict[str, dict[str, Any]]:
    return {key: rate(sum(v), len(v)) for key, v in sorted(groups.items())}


def summarize(
    records: Iterable[Mapping[str, Any]], meta: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The summary of a run: see ``docs/redteam.md`` for every field."""
    attempts: list[Mapping[str, Any]] = []
    benign: list[Mapping[str, Any]] = []
    for r in records:
        (benign if r.get("kind") == "benign" else attempts).append(r)

    by_attack: dict[str, list[bool]] = defaultdict(list)
    by_cat: dict[str, list[bool]] = defaultdict(list)
    by_lang: dict[str, list[bool]] = defaultdict(list)
    by_attack_cat: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    by_attack_lang: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    best: dict[str, bool] = {}
    families: dict[str, str] = {}
    judge_names: list[str] = []
    overall: list[bool] = []
    errors = 0
    for r in attempts:
        attack = str(r.get("attack"))
        families.setdefault(attack, str(r.get("family", "")))
        for name in r.get("judges") or {}:
            if name not in judge_names:
                judge_names.append(name)
        success = r.get("success")
        if r.get("error"):
            errors += 1
        if success is None:
            continue
        ok = bool(success)
        behavior = r.get("behavior") or {}
        cat = behavior.get("category") or "none"
        lang = behavior.get("language") or "en"
        overall.append(ok)
        by_attack[attack].append(ok)
        by_cat[cat].append(ok)
        by_lang[lang].append(ok)
        by_attack_cat[attack][cat].append(ok)
        by_attack_lang[attack][lang].append(ok)
        bid = str(behavior.get("id"))
        best[bid] = best.get(bid, False) or ok

    attack_rates = _rates(by_attack)
    for name, entry in attack_rates.items():
        entry["family"] = families.get(name, "")

    per_judge: dict[str, list[bool | None]] = {n: [] for n in judge_names}
    for r in attempts:
        js = r.get("judges") or {}
        if r.get("blocked") or not js:
            continue
        for n in judge_names:
            per_judge[n].append((js.get(n) or {}).get("success"))
    judges_out: dict[str, Any] = {
        "asr": {
            n: rate(sum(bool(x) for x in v if x is not None), sum(x is not None for x in v))
            for n, v in per_judge.items()
        },
        "agreement": {
            f"{a}|{b}": agreement(per_judge[a], per_judge[b])
            for a, b in itertools.combinations(judge_names, 2)
        },
    }

    refused = [bool(r["refused"]) for r in benign if r.get("refused") is not None]
    every = [*attempts, *benign]
    return {
        "run": dict(meta or {}),
        "attempts": len(attempts),
        "errors": errors,
        "asr": rate(sum(overall), len(overall)),
        "by_attack": attack_rates,
        "by_category": _rates(by_cat),
        "by_language": _rates(by_lang),
        "by_attack_category": {a: _rates(c) for a, c in sorted(by_attack_cat.items())},
        "by_attack_language": {a: _rates(c) for a, c in sorted(by_attack_lang.items())},
        "best_of": rate(sum(best.values()), len(best)),
        "over_refusal": rate(sum(refused), len(refused)) if benign else None,
        "judges": judges_out,
        "cost": {
            "tokens_in": sum(int(r.get("tokens_in") or 0) for r in every),
            "tokens_out": sum(int(r.get("tokens_out") or 0) for r in every),
            "target_seconds": round(sum(float(r.get("seconds") or 0.0) for r in every), 3),
        },
    }
