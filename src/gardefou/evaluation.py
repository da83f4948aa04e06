"""Measuring a guard on labelled data: label parsing, binary and per-category metrics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from gardefou.errors import InputError
from gardefou.taxonomy import CATEGORY_CODES

_SAFE = {"0", "false", "safe", "benign", "no", "n", "negative", "ok", "allowed", "none", ""}
_UNSAFE = {"1", "true", "unsafe", "harmful", "yes", "y", "positive", "toxic", "flagged", "blocked"}


@dataclass(frozen=True)
class Label:
    """A parsed gold label: unsafe or not, and the categories when the label names them."""

    unsafe: bool
    categories: tuple[str, ...] = ()


def parse_label(value: object) -> Label:
    """Parse 0/1, true/false, safe/unsafe (and synonyms) or category codes like ``S1`` / ``S1,S10``.

    Raises ValueError with the allowed forms when the value is none of these.
    """
    if isinstance(value, bool):
        return Label(value)
    if isinstance(value, int | float) and value in (0, 1):
        return Label(bool(value))
    if value is None:
        return Label(False)
    if not isinstance(value, str):
        raise ValueError(f"label must be a string or 0/1, got {type(value).__name__}")
    text = value.strip()
    low = text.lower()
    if low in _SAFE:
        return Label(False)
    if low in _UNSAFE:
        return Label(True)
    parts = [p.strip().upper() for p in text.replace(";", ",").replace("|", ",").split(",")]
    parts = [p for p in parts if p]
    if parts and all(p in CATEGORY_CODES for p in parts):
        return Label(True, tuple(dict.fromkeys(parts)))
    raise ValueError(
        f"unrecognised label {text[:20]!r}: use 0/1, true/false, safe/unsafe or category codes "
        f"({', '.join(CATEGORY_CODES[:3])}, …)"
    )


def parse_label_at(value: object, *, path: str, line: int) -> Label:
    """``parse_label`` with errors as InputError naming the file and line."""
    try:
        return parse_label(value)
    except ValueError as exc:
        raise InputError(str(exc), path=path, line=line) from None


@dataclass
class BinaryMetrics:
    """Confusion counts and the figures derived from them."""

    tp: int = 0
    fp: int = 0
    tn: int = 0
    fn: int = 0
    auprc: float | None = None

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.tn + self.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def false_positive_rate(self) -> float:
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else 0.0

    def as_dict(self) -> dict[str, float | int | None]:
        """Counts and figures, rounded, for JSON output."""
        return {
            "n": self.n,
            "tp": self.tp,
            "fp": self.fp,
            "tn": self.tn,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "false_positive_rate": round(self.false_positive_rate, 4),
            "auprc": None if self.auprc is None else round(self.auprc, 4),
        }


def average_precision(y_true: Sequence[bool], scores: Sequence[float]) -> float | None:
    """Area under the precision-recall curve (average precision); None without positives."""
    positives = sum(y_true)
    if positives == 0:
        return None
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    ap = 0.0
    tp = 0
    i = 0
    while i < len(order):
        # ties: take every example with the same score as one threshold step
        j = i
        step_tp = 0
        while j < len(order) and scores[order[j]] == scores[order[i]]:
            step_tp += int(y_true[order[j]])
            j += 1
        tp += step_tp
        ap += (step_tp / positives) * (tp / j)
        i = j
    return ap


def binary_metrics(
    y_true: Sequence[bool], y_pred: Sequence[bool], scores: Sequence[float] | None = None
) -> BinaryMetrics:
    """Confusion counts (and AUPRC when scores are given)."""
    m = BinaryMetrics()
    for t, p in zip(y_true, y_pred, strict=True):
        if t and p:
            m.tp += 1
        elif p:
            m.fp += 1
        elif t:
            m.fn += 1
        else:
            m.tn += 1
    if scores is not None:
        m.auprc = average_precision(y_true, scores)
    return m


@dataclass
class EvalReport:
    """Overall and per-category metrics of a guard on a labelled set."""

    overall: BinaryMetrics
    per_category: dict[str, BinaryMetrics] = field(default_factory=dict)
    skipped: int = 0

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form: overall, confusion matrix and per-category figures."""
        o = self.overall
        return {
            "overall": o.as_dict(),
            "confusion_matrix": {
                "labels": ["safe", "unsafe"],
                "matrix": [[o.tn, o.fp], [o.fn, o.tp]],
            },
            "per_category": {k: v.as_dict() for k, v in self.per_category.items()},
            "skipped": self.skipped,
        }


def evaluate(
    labels: Sequence[Label],
    predicted_unsafe: Sequence[bool],
    unsafe_scores: Sequence[float],
    predicted_categories: Sequence[Sequence[str]],
    category_scores: Sequence[dict[str, float]],
) -> EvalReport:
    """Overall metrics; per category too, for the categories that labels name.

    Per category, an example is positive when its label names the category, and predicted
    positive when the guard triggered that category.
    """
    y_true = [lab.unsafe for lab in labels]
    report = EvalReport(binary_metrics(y_true, predicted_unsafe, unsafe_scores))
    named = sorted({c for lab in labels for c in lab.categories}, key=CATEGORY_CODES.index)
    for code in named:
        truth = [code in lab.categories for lab in labels]
        pred = [code in cats for cats in predicted_categories]
        sc = [s.get(code, 0.0) for s in category_scores]
        report.per_category[code] = binary_metrics(truth, pred, sc)
    return report
