"""The ``gardefou`` command: a thin typer app; each area registers its own commands."""

from __future__ import annotations

import importlib
import sys

import typer

from gardefou.errors import GardefouError

# Each module defines ``register(app)``; the order is the order of ``gardefou --help``.
COMMAND_MODULES = ("guard", "train", "serve", "redteam", "screen", "tamper")


def build_app() -> typer.Typer:
    """The CLI application with every area's commands registered."""
    app = typer.Typer(
        name="gardefou",
        help="gardefou — a safety layer for open-weight language models.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    @app.callback(invoke_without_command=True)
    def _root(
        ctx: typer.Context,
        version: bool = typer.Option(
            False, "--version", help="Print the gardefou version and exit."
        ),
    ) -> None:
        if version:
            from gardefou import __version__

            typer.echo(f"gardefou {__version__}")
            raise typer.Exit(0)
        if ctx.invoked_subcommand is None:
            typer.echo(ctx.get_help())
            raise typer.Exit(0)

    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"gardefou.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"gardefou.cli.{name}":
                continue  # area not built yet
            raise
        module.register(app)
    return app


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI; gardefou errors become one line on stderr and exit code 2."""
    app = build_app()
    try:
        rc = app(args=argv, prog_name="gardefou", standalone_mode=False)
    except GardefouError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except SystemExit:
        raise
    except OSError as exc:  # unreadable / unwritable paths given on the command line
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        sys.exit(2)
    except Exception as exc:
        # typer vendors click: match its usage errors by shape rather than by class
        kind = type(exc).__name__
        if kind == "Exit":
            sys.exit(int(getattr(exc, "exit_code", 0)))
        if kind == "Abort":
            print("aborted", file=sys.stderr)
            sys.exit(130)
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            sys.exit(2)
        raise
    if isinstance(rc, int) and rc:
        sys.exit(rc)
