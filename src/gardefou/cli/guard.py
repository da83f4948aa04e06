"""Guard commands: check, scan, eval, taxonomy, policy."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from gardefou.cli._common import (
    MAX_CLI_TEXT_CHARS,
    check_direction,
    console,
    err_console,
    load_guard,
)
from gardefou.errors import ConfigError, InputError
from gardefou.evaluation import Label, evaluate, parse_label_at
from gardefou.guard import Verdict
from gardefou.io import read_records
from gardefou.policy import load_policy, load_policy_file, preset_names
from gardefou.taxonomy import CATEGORIES, get_category

PolicyOpt = Annotated[str, typer.Option("--policy", "-p", help="Preset name or policy YAML file.")]
DirectionOpt = Annotated[
    str, typer.Option("--direction", "-d", help="input (a prompt) or output (a model answer).")
]


def _read_text_arg(text: str) -> str:
    if text == "-":
        data = sys.stdin.buffer.read(MAX_CLI_TEXT_CHARS * 4 + 1)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("stdin is not valid UTF-8") from None
    if not text.strip():
        raise InputError("empty text: nothing to check")
    if len(text) > MAX_CLI_TEXT_CHARS:
        raise InputError(f"text too long: {len(text)} characters (max {MAX_CLI_TEXT_CHARS})")
    return text


def _verdict_table(v: Verdict) -> Table:
    table = Table(title=f"{v.action.upper()} ({v.direction}, policy {v.policy})", show_lines=False)
    table.add_column("category")
    table.add_column("name")
    table.add_column("score", justify="right")
    table.add_column("triggered")
    ranked = sorted(v.scores.items(), key=lambda kv: -kv[1])
    for code, score in ranked[:8]:
        name = "overall" if code == "unsafe" else get_category(code).name
        table.add_row(code, name, f"{score:.3f}", "yes" if code in v.triggered else "")
    return table


def check(
    text: Annotated[str, typer.Argument(help="Text to check, or - to read stdin.")],
    direction: DirectionOpt = "input",
    policy: PolicyOpt = "default",
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
) -> None:
    """Check one text. Exit code 0 = allowed, 1 = blocked, 2 = usage or config error."""
    check_direction(direction)
    body = _read_text_arg(text)
    verdict = load_guard(policy).check(body, direction)  # type: ignore[arg-type]
    if as_json:
        console.print_json(verdict.model_dump_json())
    else:
        console.print(_verdict_table(verdict))
        for note in verdict.evidence:
            console.print(f"  evidence: {note}")
        console.print(f"[bold]{'allowed' if verdict.allowed else 'blocked'}[/bold]")
    raise typer.Exit(0 if verdict.allowed else 1)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    )


def _count_lines(path: Path) -> int | None:
    if str(path) == "-" or path.name.endswith(".gz"):
        return None
    with open(path, "rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))


def _batched_verdicts(
    path: Path,
    field: str,
    direction: str,
    policy: str,
    skip_bad: bool,
    batch_size: int,
    extra_fields: tuple[str, ...] = (),
) -> tuple[list[tuple[int, dict[str, Any], Verdict]], list[InputError]]:
    guard = load_guard(policy)
    skipped: list[InputError] = []
    out: list[tuple[int, dict[str, Any], Verdict]] = []
    total = _count_lines(path)
    batch: list[tuple[int, dict[str, Any]]] = []

    def flush() -> None:
        if not batch:
            return
        verdicts = guard.check_many([r[field] for _, r in batch], direction)  # type: ignore[arg-type]
        for (line, rec), v in zip(batch, verdicts, strict=True):
            out.append((line, {k: rec.get(k) for k in extra_fields}, v))
        progress.update(task, completed=batch[-1][0])
        batch.clear()

    def on_error(err: InputError) -> None:
        skipped.append(err)

    with _progress() as progress:
        task = progress.add_task(f"checking {path.name}", total=total)
        for line, rec in read_records(path, field, on_error=on_error if skip_bad else None):
            if not rec[field].strip() or len(rec[field]) > MAX_CLI_TEXT_CHARS:
                err = InputError(
                    "empty text" if not rec[field].strip() else "text too long",
                    path=str(path),
                    line=line,
                )
                if not skip_bad:
                    raise err
                skipped.append(err)
                continue
            batch.append((line, rec))
            if len(batch) >= batch_size:
                flush()
        flush()
        progress.update(task, total=progress.tasks[0].completed or 0)
    return out, skipped


def scan(
    file: Annotated[
        Path, typer.Argument(help=".txt (one text per line), .jsonl or .csv (.gz ok).")
    ],
    field: Annotated[str, typer.Option("--field", "-f", help="Text column / key.")] = "text",
    direction: DirectionOpt = "input",
    policy: PolicyOpt = "default",
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Verdicts JSONL (default: FILE.verdicts.jsonl)."),
    ] = None,
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad", help="Skip bad lines, count them.")
    ] = False,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, max=4096)] = 256,
) -> None:
    """Check every text of a file; write one verdict per line as JSONL and print a summary."""
    check_direction(direction)
    results, skipped = _batched_verdicts(file, field, direction, policy, skip_bad, batch_size)
    out_path = out or file.with_name(file.name + ".verdicts.jsonl")
    with open(out_path, "w", encoding="utf-8") as fh:
        for line, _, v in results:
            fh.write(json.dumps({"line": line, **v.model_dump()}, ensure_ascii=False) + "\n")
    actions = Counter(v.action for _, _, v in results)
    cats = Counter(c for _, _, v in results for c in v.triggered)
    table = Table(title=f"{len(results)} texts checked, {len(skipped)} skipped")
    table.add_column("category")
    table.add_column("name")
    table.add_column("count", justify="right")
    table.add_column("share", justify="right")
    for code, n in cats.most_common():
        name = "overall" if code == "unsafe" else get_category(code).name
        table.add_row(code, name, str(n), f"{n / max(1, len(results)):.1%}")
    console.print(table)
    console.print(
        f"allowed {actions['allow']}, flagged {actions['flag']}, blocked {actions['block']}"
        f" → {out_path}"
    )
    for err in skipped[:5]:
        err_console.print(f"skipped: {err}")
    if len(skipped) > 5:
        err_console.print(f"… and {len(skipped) - 5} more skipped lines")


def eval_(
    file: Annotated[Path, typer.Argument(help="Labelled .csv / .jsonl / .json file (.gz ok).")],
    text_field: Annotated[str, typer.Option("--text-field", "-t")] = "text",
    label_field: Annotated[str, typer.Option("--label-field", "-l")] = "label",
    direction: DirectionOpt = "input",
    policy: PolicyOpt = "default",
    positive: Annotated[
        str,
        typer.Option(help="What counts as predicted unsafe: 'flag' (flag or block) or 'block'."),
    ] = "flag",
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the figures here.")] = None,
    skip_bad: Annotated[bool, typer.Option("--skip-bad")] = False,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, max=4096)] = 256,
) -> None:
    """Measure the guard on a labelled file: precision, recall, F1, FPR, AUPRC, per category."""
    check_direction(direction)
    if positive not in ("flag", "block"):
        raise InputError(f"--positive must be 'flag' or 'block', got {positive!r}")
    results, skipped = _batched_verdicts(
        file, text_field, direction, policy, skip_bad, batch_size, (label_field,)
    )
    labels: list[Label] = []
    kept: list[Verdict] = []
    for line, extra, v in results:
        if extra.get(label_field) is None:
            err = InputError(f"no field {label_field!r}", path=str(file), line=line)
            if not skip_bad:
                raise err
            skipped.append(err)
            continue
        try:
            labels.append(parse_label_at(extra[label_field], path=str(file), line=line))
        except InputError as err:
            if not skip_bad:
                raise
            skipped.append(err)
            continue
        kept.append(v)
    if not labels:
        raise InputError("no labelled rows to evaluate", path=str(file))
    pred = [v.action == "block" or (positive == "flag" and v.action == "flag") for v in kept]
    report = evaluate(
        labels,
        pred,
        [v.unsafe_score for v in kept],
        [v.triggered for v in kept],
        [v.scores for v in kept],
    )
    report.skipped = len(skipped)
    _print_eval(report.as_dict())
    if json_out is not None:
        payload = {"file": str(file), "policy": policy, "direction": direction, **report.as_dict()}
        json_out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        console.print(f"figures written to {json_out}")


def _print_eval(data: dict[str, Any]) -> None:
    o = data["overall"]
    table = Table(title=f"{o['n']} examples")
    for col in ("precision", "recall", "f1", "false_positive_rate", "auprc"):
        table.add_column(col, justify="right")
    table.add_row(
        *(
            ("—" if o[c] is None else f"{o[c]:.3f}")
            for c in ("precision", "recall", "f1", "false_positive_rate", "auprc")
        )
    )
    console.print(table)
    cm = Table(title="confusion matrix (rows: gold, columns: predicted)")
    cm.add_column("")
    cm.add_column("safe", justify="right")
    cm.add_column("unsafe", justify="right")
    cm.add_row("safe", str(o["tn"]), str(o["fp"]))
    cm.add_row("unsafe", str(o["fn"]), str(o["tp"]))
    console.print(cm)
    if data["per_category"]:
        pc = Table(title="per category")
        for col in ("category", "n+", "precision", "recall", "f1", "auprc"):
            pc.add_column(col, justify="right")
        for code, m in data["per_category"].items():
            auprc = "—" if m["auprc"] is None else f"{m['auprc']:.3f}"
            pc.add_row(
                code,
                str(m["tp"] + m["fn"]),
                f"{m['precision']:.3f}",
                f"{m['recall']:.3f}",
                f"{m['f1']:.3f}",
                auprc,
            )
        console.print(pc)
    if data["skipped"]:
        err_console.print(f"{data['skipped']} rows skipped")


def taxonomy(
    lang: Annotated[str, typer.Option("--lang", help="Description language: en or fr.")] = "en",
) -> None:
    """Print the hazard taxonomy with its AILuminate and OpenAI mappings."""
    table = Table(title="gardefou hazard taxonomy")
    for col in ("code", "name", "description", "AILuminate", "OpenAI moderation"):
        table.add_column(col)
    for c in CATEGORIES:
        table.add_row(
            c.code, c.name, c.description(lang), ", ".join(c.ailuminate), ", ".join(c.openai)
        )
    console.print(table)


policy_app = typer.Typer(help="Show, list and validate guard policies.", no_args_is_help=True)


@policy_app.command("list")
def policy_list() -> None:
    """List the shipped policy presets."""
    for name in preset_names():
        console.print(f"{name}: {load_policy(name).description}")


@policy_app.command("show")
def policy_show(name: Annotated[str, typer.Argument(help="Preset name or YAML file.")]) -> None:
    """Print a policy as YAML, with every default filled in."""
    import yaml

    pol = load_policy(name)
    typer.echo(yaml.safe_dump(pol.model_dump(mode="json"), sort_keys=False, allow_unicode=True))


@policy_app.command("validate")
def policy_validate(file: Annotated[Path, typer.Argument(help="Policy YAML file.")]) -> None:
    """Validate a policy file; exit 2 with the offending key when it is invalid."""
    pol = load_policy_file(file)
    from gardefou.detectors import detectors, load_builtin_detectors

    load_builtin_detectors()
    for spec in pol.detectors:
        if spec.name not in detectors:
            raise ConfigError(
                f"{file}: unknown detector {spec.name!r}; known: {', '.join(detectors.names())}"
            )
    console.print(f"{file}: valid policy {pol.name!r} ({len(pol.detectors)} detectors)")


def register(app: typer.Typer) -> None:
    """Add the guard commands to the CLI."""
    app.command()(check)
    app.command()(scan)
    app.command("eval")(eval_)
    app.command()(taxonomy)
    app.add_typer(policy_app, name="policy")
