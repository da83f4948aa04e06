"""``gardefou tamper``: measure how cheaply fine-tuning and weight edits remove a model's refusals."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from gardefou.cli._common import console, err_console
from gardefou.errors import ConfigError, InputError
from gardefou.guard import Guard

DEFAULT_DATA = Path("../shared/data")
"""The shared datasets, relative to the repository root (used by make-toy when no file is given)."""

tamper_app = typer.Typer(
    name="tamper",
    help="Tamper audit: how cheaply can fine-tuning or a weight edit remove refusals?",
    no_args_is_help=True,
)


def guard_factory(policy: str, factory: str | None, no_guard: bool) -> Callable[[], Guard] | None:
    """The guard used to judge answers: a ``module:callable``, a policy, or none."""
    if no_guard:
        return None
    if factory is None:
        return lambda: Guard.from_policy(Path(policy) if Path(policy).is_file() else policy)
    module_name, _, attr = factory.partition(":")
    if not module_name or not attr:
        raise ConfigError(f"--guard-factory must be 'module:callable', got {factory!r}")
    try:
        fn = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot load guard factory {factory!r}: {exc}") from None

    def build() -> Guard:
        guard = fn() if callable(fn) else None
        if not isinstance(guard, Guard):
            raise ConfigError(f"guard factory {factory!r} did not return a Guard")
        return guard

    return build


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None]]:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _rate(r: dict[str, Any]) -> str:
    return f"{r['rate']:.0%} [{r['low']:.0%}–{r['high']:.0%}]"


def _print_points(results: dict[str, Any]) -> None:
    table = Table(title=f"{results['label']} — {results['kind']} on {results['device']}")
    for col in ("N / state", "steps", "train s", "cost $", "refusal", "harmful", "benign answered"):
        table.add_column(col, justify="right")
    for p in results["points"]:
        table.add_row(
            str(p.get("n", p.get("state"))),
            str(p["steps"]),
            f"{p['train_wall_s']:.1f}",
            f"{p['cost']:.4f}",
            _rate(p["harmful_refusal"]),
            _rate(p["harmful_answer"]),
            _rate(p["benign_answer"]),
        )
    console.print(table)
    cfg = results.get("config", {})
    if results["kind"] == "ablate":
        how = f"chosen by a sweep of {len(cfg['sweep'])}" if cfg.get("sweep") else "as given"
        console.print(
            f"direction: layer {cfg['layer']}, {cfg['method']} ablation ({how})", highlight=False
        )
    for key, tc in results.get("tamper_cost", {}).items():
        console.print(f"tamper cost {key.replace('_', ' ')}%: {tc['summary']}", highlight=False)


def _finish(results: dict[str, Any], out: Path, report: bool) -> None:
    from gardefou.tamper import save, write_report

    path = save(results, out)
    _print_points(results)
    console.print(f"results: {path}", highlight=False)
    if report:
        console.print(f"report: {write_report([results], out / 'report.html')}", highlight=False)


def _split(prompts: list[Any], n_eval: int, seed: int) -> tuple[list[Any], list[Any]]:
    from gardefou.tamper._data import shuffled

    mixed = shuffled(prompts, seed)
    return mixed[:n_eval], mixed[n_eval:]


@tamper_app.command("make-toy")
def make_toy_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory to save the toy model in.")],
    data: Annotated[
        list[Path] | None,
        typer.Option(
            "--data",
            help="A shared-data directory or a file with a 'label' column (harmful/benign); "
            "repeatable. Default: ../shared/data when no --harmful/--benign is given.",
        ),
    ] = None,
    harmful: Annotated[
        list[Path] | None, typer.Option("--harmful", help="File of harmful prompts; repeatable.")
    ] = None,
    benign: Annotated[
        list[Path] | None, typer.Option("--benign", help="File of benign prompts; repeatable.")
    ] = None,
    size: Annotated[
        str, typer.Option("--size", help="tiny (seconds) or small (minutes).")
    ] = "small",
    epochs: Annotated[int, typer.Option("--epochs", help="Training epochs.")] = 4,
    steps: Annotated[
        int | None, typer.Option("--steps", help="Exact number of optimizer steps.")
    ] = None,
    max_benign: Annotated[
        int, typer.Option("--max-benign", help="Use at most this many benign prompts.")
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
) -> None:
    """Train a tiny model that refuses harmful requests and answers benign ones."""
    from gardefou.tamper._data import read_labeled, read_many, shared_data_files, shuffled
    from gardefou.tamper._toy import make_toy

    h_files, b_files = list(harmful or []), list(benign or [])
    h_prompts, b_prompts = [], []
    sources = list(data or ([] if (h_files or b_files) else [DEFAULT_DATA]))
    for src in sources:
        if src.is_dir():
            hf, bf = shared_data_files(src)
            h_files += hf
            b_files += bf
        elif src.is_file():
            h, b = read_labeled(src)
            h_prompts += h
            b_prompts += b
        else:
            raise InputError(
                "no such file or directory (give --data, --harmful/--benign)", path=str(src)
            )
    h_prompts += read_many(h_files) if h_files else []
    b_prompts += read_many(b_files) if b_files else []
    b_prompts = shuffled(b_prompts, seed)[:max_benign]
    if not h_prompts or not b_prompts:
        raise InputError("make-toy needs both harmful and benign prompts")
    with _progress("training the toy") as update:
        info = make_toy(
            out,
            h_prompts,
            b_prompts,
            size=size,
            epochs=epochs,
            max_steps=steps,
            seed=seed,
            progress=update,
        )
    console.print(
        f"toy model ({info.parameters:,} parameters, {info.steps} steps, {info.wall_s:.0f} s, "
        f"final loss {info.final_loss}) saved to {out}",
        highlight=False,
    )


_GUARD_HELP = "Guard policy (preset or YAML) used to judge answers."


@tamper_app.command("finetune")
def finetune_command(
    model: Annotated[Path, typer.Option("--model", "-m", help="Local causal LM directory.")],
    harmful: Annotated[Path, typer.Option("--harmful", help="Harmful prompts to train on.")],
    eval_file: Annotated[Path, typer.Option("--eval", help="Held-out harmful prompts.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")],
    benign: Annotated[
        Path | None, typer.Option("--benign", help="Benign prompts (utility; identity-shift data).")
    ] = None,
    ns: Annotated[str, typer.Option("--n", help="Comma-separated N values.")] = "0,10,50,100,300",
    attack: Annotated[str, typer.Option("--attack", help="harmful or identity-shift.")] = "harmful",
    lora_r: Annotated[int, typer.Option("--lora-r", help="LoRA rank.")] = 8,
    epochs: Annotated[int, typer.Option("--epochs", help="Epochs over the N examples.")] = 3,
    lr: Annotated[float, typer.Option("--lr", help="Learning rate.")] = 1e-3,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Batch size.")] = 8,
    price: Annotated[
        float, typer.Option("--price-per-gpu-hour", help="Price of one GPU-hour, in $.")
    ] = 2.0,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")] = "auto",
    n_eval: Annotated[int, typer.Option("--n-eval", help="Held-out harmful prompts used.")] = 100,
    n_benign: Annotated[int, typer.Option("--n-benign", help="Benign prompts measured.")] = 50,
    max_new_tokens: Annotated[int, typer.Option("--max-new-tokens")] = 32,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    label: Annotated[str | None, typer.Option("--label", help="Name in reports.")] = None,
    policy: Annotated[str, typer.Option("--policy", "-p", help=_GUARD_HELP)] = "default",
    factory: Annotated[
        str | None, typer.Option("--guard-factory", help="'module:callable' returning a Guard.")
    ] = None,
    no_guard: Annotated[
        bool, typer.Option("--no-guard", help="Judge by refusal detection only.")
    ] = False,
    report: Annotated[bool, typer.Option("--report/--no-report", help="Write report.html.")] = True,
) -> None:
    """LoRA fine-tuning attack for each N; refusal, harmful-answer and benign-answer rates."""
    from gardefou.tamper._data import parse_ns, read_prompts, without
    from gardefou.tamper._finetune import FinetuneConfig, run_finetune

    config = FinetuneConfig(
        ns=tuple(parse_ns(ns)),
        attack=attack,
        lora_r=lora_r,
        lora_alpha=2 * lora_r,
        epochs=epochs,
        lr=lr,
        batch_size=batch_size,
        seed=seed,
        price_per_gpu_hour=price,
        device=device,
        max_new_tokens=max_new_tokens,
    )
    config.check()
    judge_guard = guard_factory(policy, factory, no_guard)
    harmful_eval = _split(read_prompts(eval_file), n_eval, seed)[0]
    harmful_train = without(read_prompts(harmful), harmful_eval)
    benign_eval: list[Any] = []
    benign_train: list[Any] = []
    if benign is not None:
        benign_eval, benign_train = _split(read_prompts(benign), n_benign, seed)
    if attack == "identity-shift" and benign is None:
        raise ConfigError("--attack identity-shift trains on benign prompts: give --benign")
    results = run_finetune(
        model,
        harmful_train,
        harmful_eval,
        benign_eval,
        benign_train=benign_train,
        config=config,
        guard_factory=judge_guard,
        label=label,
        on_step=lambda msg: err_console.print(msg, highlight=False),
    )
    results["judge"] = (
        "refusal only" if judge_guard is None else f"refusal + guard ({factory or policy})"
    )
    _finish(results, out, report)


@tamper_app.command("ablate")
def ablate_command(
    model: Annotated[Path, typer.Option("--model", "-m", help="Local causal LM directory.")],
    harmful: Annotated[Path, typer.Option("--harmful", help="Harmful prompts (direction).")],
    harmless: Annotated[Path, typer.Option("--harmless", help="Harmless prompts (direction).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")],
    eval_file: Annotated[
        Path | None, typer.Option("--eval", help="Held-out harmful prompts (default: split).")
    ] = None,
    benign: Annotated[
        Path | None, typer.Option("--benign", help="Benign prompts measured (default: split).")
    ] = None,
    layer: Annotated[
        str,
        typer.Option(
            "--layer", help="Layer of the direction, or auto: a sweep on a validation split."
        ),
    ] = "auto",
    method: Annotated[
        str,
        typer.Option(
            "--method",
            help="directional (component set to 0), affine (set to the harmless mean's) or auto.",
        ),
    ] = "auto",
    mode: Annotated[str, typer.Option("--mode", help="hooks or weights.")] = "hooks",
    n_direction: Annotated[
        int, typer.Option("--n-direction", help="Prompts per side for the direction.")
    ] = 64,
    n_val: Annotated[
        int, typer.Option("--n-val", help="Prompts per side for the auto sweep (validation).")
    ] = 32,
    n_eval: Annotated[int, typer.Option("--n-eval", help="Held-out harmful prompts used.")] = 100,
    n_benign: Annotated[int, typer.Option("--n-benign", help="Benign prompts measured.")] = 50,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")] = "auto",
    price: Annotated[float, typer.Option("--price-per-gpu-hour")] = 2.0,
    max_new_tokens: Annotated[int, typer.Option("--max-new-tokens")] = 32,
    save_model: Annotated[
        Path | None, typer.Option("--save", help="Save the edited model (--mode weights).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    label: Annotated[str | None, typer.Option("--label", help="Name in reports.")] = None,
    policy: Annotated[str, typer.Option("--policy", "-p", help=_GUARD_HELP)] = "default",
    factory: Annotated[str | None, typer.Option("--guard-factory")] = None,
    no_guard: Annotated[bool, typer.Option("--no-guard")] = False,
    report: Annotated[bool, typer.Option("--report/--no-report")] = True,
) -> None:
    """Refusal-direction ablation: measure, remove the direction, measure again."""
    from gardefou.tamper._ablate import run_ablate
    from gardefou.tamper._data import read_prompts, without

    if save_model is not None and mode != "weights":
        raise ConfigError("--save needs --mode weights (hooks do not change the weights)")
    if n_direction <= 0 or n_val < 0:
        raise ConfigError("--n-direction must be positive and --n-val non-negative")
    judge_guard = guard_factory(policy, factory, no_guard)
    # direction, validation (the auto sweep) and evaluation prompts are disjoint
    h_dir, h_rest = _split(read_prompts(harmful), n_direction, seed)
    b_dir, b_rest = _split(read_prompts(harmless), n_direction, seed)
    h_val, h_rest = h_rest[:n_val], h_rest[n_val:]
    b_val, b_rest = b_rest[:n_val], b_rest[n_val:]
    used_h, used_b = h_dir + h_val, b_dir + b_val
    h_eval = without(read_prompts(eval_file), used_h)[:n_eval] if eval_file else h_rest[:n_eval]
    b_eval = without(read_prompts(benign), used_b)[:n_benign] if benign else b_rest[:n_benign]
    if not h_eval:
        raise ConfigError("no held-out harmful prompt left: give --eval or more --harmful prompts")
    err_console.print("measuring, ablating, measuring again", highlight=False)
    results = run_ablate(
        model,
        h_dir,
        b_dir,
        h_eval,
        b_eval,
        layer=layer,
        method=method,
        mode=mode,
        val_harmful=h_val,
        val_harmless=b_val,
        device=device,
        guard_factory=judge_guard,
        label=label,
        price_per_gpu_hour=price,
        max_new_tokens=max_new_tokens,
        save_to=save_model,
    )
    results["judge"] = (
        "refusal only" if judge_guard is None else f"refusal + guard ({factory or policy})"
    )
    _finish(results, out, report)


@tamper_app.command("report")
def report_command(
    runs: Annotated[list[Path], typer.Argument(help="Run directories (or results.json files).")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="HTML file (default: first run's report.html)."),
    ] = None,
) -> None:
    """A self-contained HTML report over one or more runs."""
    from gardefou.tamper import load_results, write_report

    loaded = [load_results(r) for r in runs]
    target = out or ((runs[0] if runs[0].is_dir() else runs[0].parent) / "report.html")
    console.print(f"report: {write_report(loaded, target)}", highlight=False)


@tamper_app.command("compare")
def compare_command(
    runs: Annotated[list[Path], typer.Argument(help="Two or more run directories.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML file.")] = Path(
        "tamper-compare.html"
    ),
) -> None:
    """Tamper cost side by side for several models or checkpoints (table + HTML)."""
    from gardefou.tamper import load_results, write_report
    from gardefou.tamper._report import cost_rows

    if len(runs) < 2:
        raise ConfigError("compare needs at least two runs")
    loaded = [load_results(r) for r in runs]
    table = Table(title="tamper cost")
    for col in ("run", "device", "price", "refusal at N=0", "to < 50%", "to < 10%"):
        table.add_column(col)
    for row in cost_rows(loaded):
        table.add_row(*map(str, row))
    console.print(table)
    for run in loaded:
        if run["kind"] == "ablate":
            before, after = run["points"][0], run["points"][-1]
            console.print(
                f"{run['label']} ablation: refusal {_rate(before['harmful_refusal'])} → "
                f"{_rate(after['harmful_refusal'])}",
                highlight=False,
            )
    console.print(f"report: {write_report(loaded, out)}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``gardefou tamper ...`` to the CLI."""
    app.add_typer(tamper_app, name="tamper")
