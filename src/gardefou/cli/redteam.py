"""``gardefou redteam``: run attacks against a target, rebuild reports, compare runs, list attacks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from gardefou.cli._common import console, err_console
from gardefou.errors import ConfigError
from gardefou.redteam.api import parse_options, run_campaign
from gardefou.redteam.attacks import attacks, build_attack
from gardefou.redteam.config import RedteamConfig, load_config
from gardefou.redteam.report import build_report, compare, load_summary, pct

redteam_app = typer.Typer(
    help="Red team: measure how often attacks get through a model, an endpoint or the guard.",
    no_args_is_help=True,
)


def _summary_table(summary: dict[str, object]) -> Table:
    table = Table(title="attack success rate (Wilson 95% CI)")
    table.add_column("attack")
    table.add_column("family")
    table.add_column("n", justify="right")
    table.add_column("success", justify="right")
    by_attack = summary.get("by_attack") or {}
    assert isinstance(by_attack, dict)
    for name, entry in sorted(by_attack.items(), key=lambda kv: -(kv[1].get("rate") or 0)):
        table.add_row(
            escape(name), str(entry.get("family", "")), str(entry["n"]), escape(pct(entry))
        )
    return table


@redteam_app.command("run")
def run_cmd(
    target: Annotated[str | None, typer.Option(help="guard, openai, hf or command.")] = None,
    target_option: Annotated[
        list[str] | None,
        typer.Option("--target-option", "-o", help="Target option key=value (repeatable)."),
    ] = None,
    behaviors: Annotated[str | None, typer.Option(help="Behaviors file or 'builtin'.")] = None,
    benign: Annotated[
        str | None,
        typer.Option(help="Benign prompts for over-refusal: file, 'builtin-benign' or 'none'."),
    ] = None,
    attacks_opt: Annotated[
        str | None, typer.Option("--attacks", help="Comma-separated attacks, or 'all'.")
    ] = None,
    judge: Annotated[
        str | None, typer.Option(help="Comma-separated judges; the first decides.")
    ] = None,
    judge_option: Annotated[
        list[str] | None,
        typer.Option("--judge-option", help="Judge option JUDGE.key=value, e.g. llm.model=m."),
    ] = None,
    out: Annotated[str | None, typer.Option(help="Output folder.")] = None,
    config: Annotated[
        Path | None, typer.Option(help="YAML config (CLI options override it).")
    ] = None,
    fail_if: Annotated[
        list[str] | None, typer.Option("--fail-if", help="Gate, e.g. 'asr>0.05' (repeatable).")
    ] = None,
    resume: Annotated[bool, typer.Option(help="Skip attempts already in results.jsonl.")] = False,
    concurrency: Annotated[int | None, typer.Option(help="Parallel requests.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed.")] = None,
    limit: Annotated[int | None, typer.Option(help="Use only the first N behaviors.")] = None,
    category: Annotated[list[str] | None, typer.Option(help="Only these categories.")] = None,
    language: Annotated[
        list[str] | None, typer.Option(help="Only these languages (en, fr).")
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Run attacks against a target, judge the answers, write results, summary and report."""
    base = load_config(config) if config else RedteamConfig()
    data = base.model_dump()
    overrides = {
        "target": target,
        "behaviors": behaviors,
        "benign": benign,
        "attacks": attacks_opt,
        "judges": judge,
        "out": out,
        "concurrency": concurrency,
        "seed": seed,
        "limit": limit,
        "categories": category or None,
        "languages": language or None,
        "fail_if": fail_if or None,
    }
    data.update({k: v for k, v in overrides.items() if v is not None})
    if target_option:
        data["target_options"] = {**data["target_options"], **parse_options(target_option)}
    for item in judge_option or []:
        name, dot, rest = item.partition(".")
        if not dot or not name:
            raise ConfigError(f"--judge-option {item!r}: expected JUDGE.key=value")
        data["judge_options"].setdefault(name, {}).update(parse_options([rest]))
    cfg = RedteamConfig.model_validate(data)
    with Progress(
        TextColumn("[bold]red team"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=not progress,
        transient=True,
    ) as bar:
        task = bar.add_task("attempts", total=None)
        try:
            summary, tripped = run_campaign(
                cfg,
                resume=resume,
                on_progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        except KeyboardInterrupt:
            bar.stop()
            err_console.print(
                f"interrupted: finished attempts kept in {cfg.out}; rerun with --resume"
            )
            raise typer.Exit(130) from None
    console.print(_summary_table(summary))
    line = (
        f"overall: {pct(summary['asr'])}  best-of: {pct(summary['best_of'])}  "
        f"over-refusal: {pct(summary['over_refusal'])}"
    )
    console.print(escape(line))
    console.print(f"wrote {cfg.out}/results.jsonl, summary.json, report.html")
    if summary["errors"]:
        err_console.print(
            f"[yellow]warning:[/yellow] {summary['errors']} of {summary['attempts']} attempts failed "
            "and were not judged (see the 'error' field in results.jsonl)"
        )
    if tripped:
        for t in tripped:
            err_console.print(f"[red]gate tripped:[/red] {escape(t)}")
        raise typer.Exit(1)


@redteam_app.command("report")
def report_cmd(
    directory: Annotated[Path, typer.Argument(help="A run's output folder.")],
    examples: Annotated[int, typer.Option(help="Example transcripts per attack.")] = 2,
) -> None:
    """(Re)build report.html from a run folder."""
    path = build_report(directory, examples=examples)
    console.print(f"wrote {path}")


@redteam_app.command("compare")
def compare_cmd(
    a: Annotated[Path, typer.Argument(help="Baseline run folder (or summary.json).")],
    b: Annotated[Path, typer.Argument(help="New run folder (or summary.json).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON rows.")] = False,
) -> None:
    """Show what changed between two runs (significant = disjoint 95% intervals)."""
    rows = compare(load_summary(a), load_summary(b))
    if as_json:
        console.print_json(json.dumps(rows))
        return
    table = Table(title=f"{a} → {b}")
    for col in ("scope", "key", "A", "B", "Δ", "significant"):
        table.add_column(col, justify="right" if col in ("A", "B", "Δ") else "left")

    def fmt(v: float | None) -> str:
        return "n/a" if v is None else f"{v * 100:.1f}%"

    for r in rows:
        delta = "n/a" if r["delta"] is None else f"{r['delta'] * 100:+.1f}"
        table.add_row(
            r["scope"], r["key"], fmt(r["a"]), fmt(r["b"]), delta, "yes" if r["significant"] else ""
        )
    console.print(table)


@redteam_app.command("attacks")
def attacks_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the attacks with their family and a one-line description."""
    rows = []
    for name in attacks.names():
        a = build_attack(name)
        rows.append(
            {"id": name, "family": a.family, "description": a.description, "parameters": a.params}
        )
    if as_json:
        console.print_json(json.dumps(rows, ensure_ascii=False))
        return
    table = Table(title=f"{len(rows)} attacks")
    table.add_column("id")
    table.add_column("family")
    table.add_column("description")
    for r in rows:
        table.add_row(str(r["id"]), str(r["family"]), str(r["description"]))
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the ``redteam`` sub-app."""
    app.add_typer(redteam_app, name="redteam")
