"""``gardefou screen DATASET``: screen a fine-tuning dataset before training on it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from gardefou.cli._common import console, err_console
from gardefou.errors import ConfigError, InputError
from gardefou.screen import FINDINGS, GuardSpec, ScreenResult, screen
from gardefou.screen._report import write_report


def _render(result: ScreenResult) -> None:
    table = Table(title=f"{result.path}: {result.valid} valid, {result.invalid} invalid")
    table.add_column("finding")
    table.add_column("examples", justify="right")
    table.add_column("rate", justify="right")
    for name in FINDINGS:
        stat = result.findings[name]
        table.add_row(name, str(stat.count), f"{stat.rate:.2%}")
    table.add_row(
        "refusal_stripping",
        f"{result.compliant_harmful}/{result.harmful_requests}",
        f"{result.refusal_stripping_rate:.2%}",
    )
    console.print(table)
    for w in result.worst[:5]:
        console.print(f"  line {w.line}: {', '.join(w.findings)}", highlight=False)
    for i in result.invalid_examples[:5]:
        err_console.print(f"{result.path}:{i.line}: invalid: {i.reason}", highlight=False)
    colour = {"accept": "green", "review": "yellow", "reject": "red"}[result.decision]
    console.print(f"decision: [bold {colour}]{result.decision}[/]")
    for reason in result.reasons:
        console.print(f"  - {reason}", highlight=False)


def screen_command(
    dataset: Annotated[
        Path, typer.Argument(help="JSONL, JSON, CSV, TSV or Parquet file (.gz ok).")
    ],
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help="chat, alpaca, sharegpt or fields (default: detect)."),
    ] = None,
    prompt_field: Annotated[
        str | None, typer.Option("--prompt-field", help="Field holding the prompt.")
    ] = None,
    response_field: Annotated[
        str | None, typer.Option("--response-field", help="Field holding the response.")
    ] = None,
    system_field: Annotated[
        str | None, typer.Option("--system-field", help="Field holding a system prompt.")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Screening config YAML (gates, thresholds)."),
    ] = None,
    policy: Annotated[
        str, typer.Option("--policy", "-p", help="Guard policy: preset name or YAML file.")
    ] = "default",
    guard_factory: Annotated[
        str | None,
        typer.Option(
            "--guard-factory", help="'module:callable' returning a Guard (overrides --policy)."
        ),
    ] = None,
    engine: Annotated[str, typer.Option("--engine", "-e", help="local or ray.")] = "local",
    workers: Annotated[
        int | None, typer.Option("--workers", "-w", help="Worker processes (default: CPU count).")
    ] = None,
    ray_address: Annotated[
        str | None, typer.Option("--ray-address", help="Join this Ray cluster (engine ray).")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the JSON summary here.")
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write the HTML report here.")
    ] = None,
    write_clean: Annotated[
        Path | None, typer.Option("--write-clean", help="Write the unflagged examples here.")
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail (exit 2) when any record is invalid.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Screen a fine-tuning dataset: harmful compliance, identity shifting, encoded payloads,
    personal data and duplicates. Exit 1 when the decision is reject."""
    if engine not in ("local", "ray"):
        raise ConfigError(f"--engine must be 'local' or 'ray', got {engine!r}")
    if write_clean is not None and write_clean.resolve() == dataset.resolve():
        raise ConfigError("--write-clean must not overwrite the input dataset")
    if ray_address is not None and engine != "ray":
        raise ConfigError("--ray-address needs --engine ray")
    spec = GuardSpec(policy=policy, factory=guard_factory)
    with Progress(
        SpinnerColumn(),
        TextColumn("screening {task.fields[name]}: {task.completed} records"),
        TimeElapsedColumn(),
        console=err_console,
        disable=quiet,
        transient=True,
    ) as bar:
        task = bar.add_task("screen", total=None, name=dataset.name)
        result = screen(
            dataset,
            fmt=fmt,
            prompt_field=prompt_field,
            response_field=response_field,
            system_field=system_field,
            config=config,
            guard=spec,
            engine="ray" if engine == "ray" else "local",
            workers=workers,
            ray_address=ray_address,
            write_clean=write_clean,
            progress=lambda n: bar.update(task, completed=n),
        )
    if json_out is not None:
        json_out.write_text(result.model_dump_json(indent=2), encoding="utf-8")
    if report is not None:
        write_report(result, report)
    _render(result)
    if strict and result.invalid:
        first = result.invalid_examples[0] if result.invalid_examples else None
        more = f" ({result.invalid} invalid records in all; --strict)"
        if first is None:
            raise InputError(f"invalid records{more}", path=str(dataset))
        raise InputError(first.reason + more, path=str(dataset), line=first.line)
    if result.decision == "reject":
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the ``screen`` command to the CLI."""
    app.command("screen")(screen_command)
