"""The `tok` command: typer app, global options, and the one place errors become exit code 2."""

from __future__ import annotations

import sys

import typer

from ..errors import TokError
from .render import State, err_console

app = typer.Typer(
    name="tok",
    help="tokforensics: tokenizer analysis and forensics (offline).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _global(
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object to stdout instead of tables."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    State.json = json_out
    State.quiet = quiet


def _register() -> None:
    # Each command group lives in its own module and adds its commands to `app`.
    from . import tokenizers  # noqa: F401

    for name in ("mixture", "metrics", "arith", "bytes", "check", "report"):
        try:
            __import__(f"{__package__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.{name}":
                raise


def main(argv: list[str] | None = None) -> None:
    _register()
    # `--json` is accepted anywhere on the line, not only before the command.
    args = list(sys.argv[1:] if argv is None else argv)
    if "--json" in args[1:]:
        args = ["--json"] + [a for a in args if a != "--json"]
    try:
        rv = app(args=args, prog_name="tok", standalone_mode=False)
        if isinstance(rv, int) and rv:
            sys.exit(rv)
    except TokError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # click's usage errors
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(2)
        raise
