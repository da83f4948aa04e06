"""``gardefou train``: train the guard model from a config, or a model on your own labelled data."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from gardefou.errors import ConfigError


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )


def train(
    config: Path | None = typer.Option(None, "--config", help="training config YAML"),
    data: Path | None = typer.Option(None, "--data", help="your labelled CSV/JSONL file"),
    text_field: str = typer.Option("text", help="field holding the text (with --data)"),
    label_field: str = typer.Option(
        "label", help="field holding the label: 0/1, safe/unsafe or a category name"
    ),
    out: Path | None = typer.Option(None, "--out", help="artifact directory (with --data)"),
    seed: int = typer.Option(13, help="random seed (with --data)"),
) -> None:
    """Train the guard model (--config) or a model on your own labelled data (--data --out)."""
    from gardefou.model import train_from_config, train_user_model

    if (config is None) == (data is None):
        raise ConfigError("give exactly one of --config FILE or --data FILE")
    if data is not None and out is None:
        raise ConfigError("--data needs --out DIRECTORY for the trained model")
    console = Console()
    with _progress() as progress:
        task = progress.add_task("starting", total=None)

        def say(message: str) -> None:
            progress.update(task, description=message)

        if config is not None:
            result = train_from_config(config, progress=say)
            progress.stop()
            overall = result["metrics"]["overall"]
            console.print(f"artifact written to {result['artifact']}")
            console.print(
                f"test split: F1 {overall['f1']:.3f}, precision {overall['precision']:.3f}, "
                f"recall {overall['recall']:.3f}, FPR {overall['fpr']}, "
                f"ECE {result['metrics']['ece']}"
            )
            return
        assert data is not None and out is not None
        model = train_user_model(
            data, out, text_field=text_field, label_field=label_field, seed=seed, progress=say
        )
    console.print(f"model written to {out}; score keys: {', '.join(model.labels)}")
    console.print(
        f"use it with a policy detector entry: {{name: classifier, options: {{path: {out}}}}}"
    )


def register(app: typer.Typer) -> None:
    """Add ``gardefou train`` to the CLI."""
    app.command("train")(train)
