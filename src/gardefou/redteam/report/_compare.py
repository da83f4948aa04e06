"""Compare two runs: what changed per attack, category and language."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gardefou.errors import InputError
from gardefou.redteam.runner import SUMMARY


def load_summary(path: str | Path) -> dict[str, Any]:
    """A run's summary from its folder or its summary.json."""
    p = Path(path)
    if p.is_dir():
        p = p / SUMMARY
    if not p.exists():
        raise InputError("no summary.json (run 'gardefou redteam report' first?)", path=str(p))
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InputError("not a valid summary.json", path=str(p)) from None
    if not isinstance(data, dict):
        raise InputError("not a valid summary.json", path=str(p))
    return data


def _row(
    scope: str, key: str, a: dict[str, Any] | None, b: dict[str, Any] | None
) -> dict[str, Any]:
    ra = a.get("rate") if a else None
    rb = b.get("rate") if b else None
    delta = None if ra is None or rb is None else round(rb - ra, 6)
    significant = bool(
        a and b and ra is not None and rb is not None and (b["lo"] > a["hi"] or b["hi"] < a["lo"])
    )
    return {
        "scope": scope,
        "key": key,
        "a": ra,
        "b": rb,
        "delta": delta,
        "significant": significant,
    }


def compare(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows ``{scope, key, a, b, delta, significant}``; significant = the 95% intervals are disjoint."""
    rows = [
        _row("overall", "asr", a.get("asr"), b.get("asr")),
        _row("overall", "best_of", a.get("best_of"), b.get("best_of")),
        _row("overall", "over_refusal", a.get("over_refusal"), b.get("over_refusal")),
    ]
    for scope in ("by_attack", "by_category", "by_language"):
        sa, sb = a.get(scope) or {}, b.get(scope) or {}
        for key in sorted(set(sa) | set(sb)):
            rows.append(_row(scope.removeprefix("by_"), key, sa.get(key), sb.get(key)))
    return rows
