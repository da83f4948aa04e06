"""The dataset-level result: counts and rates per finding and category, worst examples, decision."""

from __future__ import annotations

import heapq
import re
from collections import Counter
from typing import Any, Literal

from pydantic import BaseModel, Field

from gardefou.screen._config import FINDINGS, ScreenConfig
from gardefou.screen._dedup import Deduplicator, Duplicate
from gardefou.screen._signals import redact

Decision = Literal["accept", "review", "reject"]
_SPACE = re.compile(r"\s+")
_WEIGHTS = {
    "harmful_compliance": 3.0,
    "unsafe_output": 2.0,
    "identity_shifting": 2.0,
    "encoded_payload": 2.0,
    "privacy": 1.0,
    "duplicate": 0.2,
}


class FindingStat(BaseModel):
    """How many valid examples have a finding, and their share."""

    count: int = 0
    rate: float = 0.0


class InvalidExample(BaseModel):
    """An invalid record: its line (row for Parquet) and why."""

    line: int
    reason: str


class WorstExample(BaseModel):
    """One of the most severe examples; the excerpt is short, truncated and redacted."""

    line: int
    id: str
    severity: float
    findings: dict[str, float]
    categories: list[str] = Field(default_factory=list)
    excerpt: str = ""


class DuplicateCluster(BaseModel):
    """A group of duplicates: the first example's line, the group size, how many are flagged."""

    line: int
    size: int
    flagged: int = 0


class ScreenResult(BaseModel):
    """Everything a screening run found, JSON-serializable (``model_dump_json``)."""

    path: str
    format: str | None = None
    engine: str = "local"
    workers: int = 1
    total: int = 0
    valid: int = 0
    invalid: int = 0
    invalid_examples: list[InvalidExample] = Field(default_factory=list)
    findings: dict[str, FindingStat] = Field(default_factory=dict)
    categories: dict[str, dict[str, int]] = Field(default_factory=dict)
    harmful_requests: int = 0
    compliant_harmful: int = 0
    refusal_stripping_rate: float = 0.0
    exact_duplicates: int = 0
    near_duplicates: int = 0
    largest_cluster: int = 1
    clusters: list[DuplicateCluster] = Field(default_factory=list)
    flagged: int = 0
    clean_written: int | None = None
    guard_errors: int = 0
    mean_input_unsafe: float = 0.0
    mean_output_unsafe: float = 0.0
    worst: list[WorstExample] = Field(default_factory=list)
    encodings: dict[str, int] = Field(default_factory=dict)
    pii: dict[str, int] = Field(default_factory=dict)
    decision: Decision = "accept"
    reasons: list[str] = Field(default_factory=list)
    seconds: float = 0.0
    examples_per_s: float = 0.0

    def comparable(self) -> dict[str, Any]:
        """The result without run-dependent fields (engine, workers, timings): for comparisons."""
        return self.model_dump(exclude={"engine", "workers", "seconds", "examples_per_s"})


def excerpt(turns: list[tuple[str, str]], n: int) -> str:
    """The first user turn (or the first turn), whitespace folded, redacted, cut to ``n`` chars."""
    if n == 0:
        return ""
    text = next((t for r, t in turns if r == "user" and t.strip()), turns[0][1])
    text = _SPACE.sub(" ", text[: n * 4]).strip()
    text = redact(text)
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


class Aggregator:
    """Accumulates per-example results (in dataset order) into a ScreenResult."""

    def __init__(self, config: ScreenConfig) -> None:
        self.config = config
        self.dedup = Deduplicator(config.dedup)
        self.counts: Counter[str] = Counter()
        self.categories: dict[str, Counter[str]] = {"input": Counter(), "output": Counter()}
        self.encodings: Counter[str] = Counter()
        self.pii: Counter[str] = Counter()
        self.invalid: list[InvalidExample] = []
        self.invalid_count = 0
        self.valid = 0
        self.harmful = 0
        self.compliant = 0
        self.guard_errors = 0
        self.flagged = 0
        self.sum_in = 0.0
        self.sum_out = 0.0
        self._worst: list[tuple[float, int, WorstExample]] = []
        self.first_invalid: InvalidExample | None = None

    def add_invalid(self, line: int, reason: str) -> None:
        """Count an invalid record."""
        self.invalid_count += 1
        item = InvalidExample(line=line, reason=reason[:200])
        if self.first_invalid is None:
            self.first_invalid = item
        if len(self.invalid) < self.config.max_invalid_listed:
            self.invalid.append(item)

    def add(self, result: dict[str, Any], turns: list[tuple[str, str]]) -> bool:
        """Count one analyzed example; True when it is flagged (kept out of the clean output).

        ``turns`` are the example's, for the excerpt of the worst examples (made only for them).
        """
        self.valid += 1
        findings: dict[str, float] = dict(result["findings"])
        dup: Duplicate | None = self.dedup.add(result["line"], result["exact"], result["bands"])
        if dup is not None:
            findings["duplicate"] = 1.0 if dup.kind == "exact" else 0.8
        for name in findings:
            self.counts[name] += 1
        for direction in ("input", "output"):
            if result[f"{direction}_categories"]:
                self.categories[direction].update(result[f"{direction}_categories"])
        if result["encodings"]:
            self.encodings.update(result["encodings"])
        if result["pii"]:
            self.pii.update(result["pii"])
        self.harmful += result["harmful_request"]
        self.compliant += result["compliant"]
        self.guard_errors += result["guard_errors"]
        self.sum_in += result["input_unsafe"]
        self.sum_out += result["output_unsafe"]
        flagged = any(name in self.config.drop for name in findings)
        self.flagged += flagged
        if flagged and dup is not None:
            self.dedup.flagged[dup.of_line] += 1
        if findings and self.config.worst:
            severity = round(sum(_WEIGHTS[k] * v for k, v in findings.items()), 4)
            item = (severity, -result["line"])
            if len(self._worst) < self.config.worst or item > self._worst[0][:2]:
                cats = sorted({*result["input_categories"], *result["output_categories"]})
                worst = WorstExample(
                    line=result["line"],
                    id=result["id"],
                    severity=severity,
                    findings={k: round(v, 4) for k, v in sorted(findings.items())},
                    categories=cats,
                    excerpt=excerpt(turns, self.config.detection.excerpt_chars),
                )
                entry = (severity, -result["line"], worst)
                if len(self._worst) < self.config.worst:
                    heapq.heappush(self._worst, entry)
                else:
                    heapq.heapreplace(self._worst, entry)
        return flagged

    def finish(self, path: str, fmt: str | None, seconds: float) -> ScreenResult:
        """The ScreenResult with the gates applied."""
        valid = max(self.valid, 1)
        total = self.valid + self.invalid_count
        findings = {
            name: FindingStat(count=self.counts[name], rate=round(self.counts[name] / valid, 6))
            for name in FINDINGS
        }
        codes = sorted(set(self.categories["input"]) | set(self.categories["output"]))
        result = ScreenResult(
            path=path,
            format=fmt,
            total=total,
            valid=self.valid,
            invalid=self.invalid_count,
            invalid_examples=self.invalid,
            findings=findings,
            categories={
                c: {"input": self.categories["input"][c], "output": self.categories["output"][c]}
                for c in codes
            },
            harmful_requests=self.harmful,
            compliant_harmful=self.compliant,
            refusal_stripping_rate=round(self.compliant / self.harmful, 6) if self.harmful else 0.0,
            exact_duplicates=self.dedup.exact_count,
            near_duplicates=self.dedup.near_count,
            largest_cluster=max((s for _, s in self.dedup.top_clusters(1)), default=1),
            clusters=[
                DuplicateCluster(line=line, size=size, flagged=self.dedup.flagged[line])
                for line, size in self.dedup.top_clusters(10)
            ],
            flagged=self.flagged,
            guard_errors=self.guard_errors,
            mean_input_unsafe=round(self.sum_in / valid, 6),
            mean_output_unsafe=round(self.sum_out / valid, 6),
            worst=[w for _, _, w in sorted(self._worst, key=lambda e: (-e[0], -e[1]))],
            encodings=dict(sorted(self.encodings.items())),
            pii=dict(sorted(self.pii.items())),
            seconds=round(seconds, 3),
            examples_per_s=round(total / seconds, 1) if seconds > 0 else 0.0,
        )
        result.decision, result.reasons = decide(result, self.config)
        return result


def decide(result: ScreenResult, config: ScreenConfig) -> tuple[Decision, list[str]]:
    """Apply the config's gates to a result: the decision and the reasons, worst first."""
    rates: dict[str, tuple[int, float]] = {
        name: (stat.count, stat.rate) for name, stat in result.findings.items()
    }
    rates["invalid"] = (result.invalid, result.invalid / result.total if result.total else 0.0)
    if result.harmful_requests >= config.min_harmful_requests:
        rates["refusal_stripping"] = (result.compliant_harmful, result.refusal_stripping_rate)
    rejects: list[str] = []
    reviews: list[str] = []
    for name, gate in config.gates.items():
        if name not in rates:
            continue
        count, rate = rates[name]
        if count == 0:
            continue
        what = f"{name}: {count} ({rate:.2%})"
        if gate.reject is not None and rate > gate.reject:
            rejects.append(f"{what} > reject {gate.reject:.2%}")
        elif gate.reject_count is not None and count >= gate.reject_count:
            rejects.append(f"{what} ≥ reject count {gate.reject_count}")
        elif gate.review is not None and rate > gate.review:
            reviews.append(f"{what} > review {gate.review:.2%}")
    if rejects:
        return "reject", rejects + reviews
    if reviews:
        return "review", reviews
    return "accept", []
