"""The `tok` command: typer app, global options, and the one place errors become exit code 2."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

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
    args = list(sys.argv[1:] if argv is None else argv)
    # Global flags are accepted anywhere on the line, not only before the command.
    for flags in (("--json",), ("--quiet", "-q")):
        if any(a in flags for a in args):
            args = [flags[0]] + [a for a in args if a not in flags]
    try:
        rv = app(args=args, prog_name="tok", standalone_mode=False)
        if isinstance(rv, int) and rv:
            sys.exit(rv)
    except TokError as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except Exception as exc:
        # click's usage errors (typer ships its own copy of click, so match on the interface, not the class)
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            sys.exit(2)
        raise
