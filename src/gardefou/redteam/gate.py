"""CI gates on a run's summary: ``asr>0.05``, ``over_refusal>=0.2``, ``asr[base64]>0.1``,
``asr[S1]>0``, ``asr[fr]>0.1``, ``best_of>0.3`` (values as fractions or percentages: ``5%``)."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gardefou.errors import ConfigError

_RULE = re.compile(
    r"^\s*(?P<metric>asr|over_refusal|best_of)\s*(?:\[\s*(?P<key>[^\]]+?)\s*\])?\s*"
    r"(?P<op>>=|<=|>|<)\s*(?P<value>[0-9.]+)\s*(?P<pct>%?)\s*$"
)
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


@dataclass(frozen=True)
class Gate:
    """One ``--fail-if`` condition."""

    text: str
    metric: str
    key: str | None
    op: str
    value: float

    def measured(self, summary: Mapping[str, Any]) -> float | None:
        """The value this gate looks at in ``summary`` (None: nothing measured)."""
        if self.metric == "over_refusal":
            entry = summary.get("over_refusal")
        elif self.metric == "best_of":
            entry = summary.get("best_of")
        elif self.key is None:
            entry = summary.get("asr")
        else:
            entry = None
            for section in ("by_attack", "by_category", "by_language"):
                found = (summary.get(section) or {}).get(self.key)
                if found is not None:
                    entry = found
                    break
            if entry is None:
                raise ConfigError(
                    f"--fail-if {self.text!r}: no attack, category or language {self.key!r} in this run"
                )
        if not entry or entry.get("rate") is None:
            return None
        return float(entry["rate"])

    def tripped(self, summary: Mapping[str, Any]) -> bool:
        """Whether the condition holds (a metric with nothing measured never trips)."""
        value = self.measured(summary)
        return value is not None and _OPS[self.op](value, self.value)


def parse_gate(text: str) -> Gate:
    """Parse one condition; ConfigError with the accepted syntax otherwise."""
    m = _RULE.match(text)
    if not m:
        raise ConfigError(
            f"--fail-if {text!r}: expected METRIC[KEY] OP VALUE, e.g. 'asr>0.05', "
            "'asr[base64]>10%', 'asr[S1]>0', 'over_refusal>=0.2' (metrics: asr, over_refusal, best_of)"
        )
    try:
        value = float(m["value"])
    except ValueError:
        raise ConfigError(f"--fail-if {text!r}: {m['value']!r} is not a number") from None
    if m["pct"]:
        value /= 100
    if m["key"] and m["metric"] != "asr":
        raise ConfigError(f"--fail-if {text!r}: only asr takes a [key]")
    return Gate(text.strip(), m["metric"], m["key"], m["op"], value)


def check_gates(gates: list[Gate], summary: Mapping[str, Any]) -> list[str]:
    """Human-readable messages for every tripped gate (empty: all passed)."""
    tripped = []
    for g in gates:
        if g.tripped(summary):
            tripped.append(f"{g.text} (measured {g.measured(summary):.4f})")
    return tripped
