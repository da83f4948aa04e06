"""The screening HTML report: one self-contained file built with ``gardefou.htmlreport``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gardefou.htmlreport import Markup, bar_chart, details, esc, heatmap, note, page, table
from gardefou.screen._config import FINDINGS
from gardefou.screen._result import ScreenResult
from gardefou.taxonomy import get_category


def _summary(r: ScreenResult) -> Markup:
    rows: list[list[Any]] = [
        ["decision", r.decision.upper()],
        ["file", r.path],
        ["format", r.format or "unknown"],
        ["records", r.total],
        ["valid examples", r.valid],
        ["invalid records", r.invalid],
        ["flagged examples", r.flagged],
        ["written to clean output", "n/a" if r.clean_written is None else r.clean_written],
        ["engine", f"{r.engine} ({r.workers} workers)"],
        ["throughput (examples/s)", r.examples_per_s],
    ]
    reasons = "".join(f"<li>{esc(reason)}</li>" for reason in r.reasons)
    body = table(["", ""], rows)
    if reasons:
        body = Markup(body + f"<ul>{reasons}</ul>")
    return body


def _findings(r: ScreenResult) -> Markup:
    labels = list(FINDINGS)
    chart = bar_chart(labels, [r.findings[f].rate for f in labels], title="Share of valid examples")
    rows = [[f, r.findings[f].count, r.findings[f].rate] for f in labels]
    return Markup(chart + table(["finding", "examples", "rate"], rows))


def _categories(r: ScreenResult) -> Markup:
    if not r.categories:
        return note("No hazard category was triggered by the guard.")
    codes = list(r.categories)
    valid = max(r.valid, 1)
    values: list[list[float | None]] = [
        [r.categories[c]["input"] / valid, r.categories[c]["output"] / valid] for c in codes
    ]
    labels = [f"{c} {get_category(c).name}" for c in codes]
    top = max((v for row in values for v in row if v is not None), default=0.0) or 1.0
    chart = heatmap(labels, ["user", "assistant"], values, max_value=top)
    rows = [
        [lab, r.categories[c]["input"], r.categories[c]["output"]]
        for lab, c in zip(labels, codes, strict=True)
    ]
    return Markup(chart + table(["category", "user turns", "assistant turns"], rows))


def _refusals(r: ScreenResult) -> Markup:
    text = (
        f"{r.harmful_requests} harmful requests; {r.compliant_harmful} answered instead of refused "
        f"({r.refusal_stripping_rate:.1%}). A high share teaches the model to stop refusing."
    )
    chart = bar_chart(
        ["answered", "refused"],
        [r.refusal_stripping_rate, 1.0 - r.refusal_stripping_rate if r.harmful_requests else 0.0],
        title="Harmful requests",
    )
    return Markup(note(text) + chart)


def _duplicates(r: ScreenResult) -> Markup:
    text = (
        f"{r.exact_duplicates} exact and {r.near_duplicates} near duplicates; largest cluster: "
        f"{r.largest_cluster} examples. Oversampling a few examples amplifies their effect."
    )
    rows = [[c.line, c.size, c.flagged] for c in r.clusters]
    return Markup(note(text) + (table(["first line", "size", "flagged"], rows) if rows else ""))


def _worst(r: ScreenResult) -> Markup:
    if not r.worst:
        return note("No example has a finding.")
    rows = [
        [w.line, w.id, w.severity, ", ".join(w.findings), ", ".join(w.categories)] for w in r.worst
    ]
    excerpts = "\n".join(f"line {w.line}: {w.excerpt}" for w in r.worst)
    return Markup(
        table(["line", "id", "severity", "findings", "categories"], rows)
        + details("Excerpts (truncated, personal data redacted)", excerpts)
    )


def _invalid(r: ScreenResult) -> Markup:
    if not r.invalid:
        return note("Every record is a valid example.")
    rows = [[i.line, i.reason] for i in r.invalid_examples]
    more = r.invalid - len(rows)
    extra = note(f"… and {more} more.") if more > 0 else Markup("")
    return Markup(table(["line", "reason"], rows) + extra)


def render_report(result: ScreenResult) -> str:
    """The HTML report of a screening result."""
    sections = [
        ("Summary", _summary(result)),
        ("Findings", _findings(result)),
        ("Hazard categories", _categories(result)),
        ("Refusal stripping", _refusals(result)),
        ("Duplicates", _duplicates(result)),
        ("Worst examples", _worst(result)),
        ("Invalid records", _invalid(result)),
    ]
    return page(
        "gardefou dataset screening",
        sections,
        subtitle=f"{result.path}: {result.decision} ({result.valid} valid examples)",
    )


def write_report(result: ScreenResult, out: str | Path) -> None:
    """Write the HTML report to ``out``."""
    Path(out).write_text(render_report(result), encoding="utf-8")
