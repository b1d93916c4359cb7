"""The `tok` command: typer app, global options, and the one place errors become exit code 2.

Every failure kind is mapped here, once, so a command added later inherits the same behaviour:
argv that is not UTF-8, numeric options out of range, click usage errors, library errors, and
operating-system errors all end as one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import logging
import math
import os
import re
import sys
from collections.abc import Iterator
from contextlib import redirect_stdout

import typer
from rich.markup import escape

from ..errors import TokError, UsageError
from .common import Above
from .render import State, err_console, make_streams_safe

app = typer.Typer(
    name="tok",
    help="tokforensics: tokenizer analysis and forensics (offline).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Exit code of a defect in tok itself (sysexits EX_SOFTWARE): kept apart from 2 (bad input) so tests and CI
# can tell "the user must fix something" from "tok must be fixed".
EXIT_BUG = 70
ERRORS_MODES = ("strict", "replace")
_SURROGATE = re.compile("[\ud800-\udfff]")


@app.callback()
def _global(
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object to stdout instead of tables."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
    errors: str = typer.Option("strict", "--errors", help="Arguments that are not valid UTF-8: 'strict' (an "
                               "error, the default) or 'replace' (each bad byte becomes U+FFFD)."),
) -> None:
    State.json = json_out
    State.quiet = quiet
    State.errors = errors


def _register() -> None:
    """Each command module owns its `Typer()`; here, and only here, they are added to `tok` (once)."""
    if getattr(_register, "done", False):
        return
    from . import arith, bytes, check, metrics, mixture, report, tokenizers

    for module in (tokenizers, mixture, metrics, arith, bytes, check, report):
        app.add_typer(module.app)
    _register.done = True


def hoist_global_flags(args: list[str]) -> list[str]:
    """Move --json, --quiet/-q and --errors MODE to the front, wherever they were given, up to a `--`.

    Whatever follows `--` is an operand (so `tok encode gpt2 -- -q` encodes the text "-q").
    """
    cut = args.index("--") if "--" in args else len(args)
    head, tail = args[:cut], args[cut:]
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(head):
        a = head[i]
        if a == "--json":
            front.append(a)
        elif a in ("--quiet", "-q"):
            front.append("--quiet")
        elif a == "--errors" and i + 1 < len(head):
            front += [a, head[i + 1]]
            i += 1
        elif a.startswith("--errors="):
            front += ["--errors", a.split("=", 1)[1]]
        else:
            rest.append(a)
        i += 1
    return list(dict.fromkeys(f for f in front if f in ("--json", "--quiet"))) + _last_errors(front) + rest + tail


def _errors_mode(args: list[str]) -> str:
    # after hoisting, a given --errors MODE sits at the front, before any command name
    return args[args.index("--errors") + 1] if args[:4].count("--errors") else "strict"


def _last_errors(front: list[str]) -> list[str]:
    modes = [front[k + 1] for k, f in enumerate(front) if f == "--errors"]
    return ["--errors", modes[-1]] if modes else []


def check_utf8_args(args: list[str], mode: str) -> list[str]:
    """Arguments that were not valid UTF-8 reach Python as lone surrogates; refuse them, or replace them.

    Passing them on would encode text the user never typed (a lone surrogate becomes U+FFFD inside
    some encoders and a crash inside others).
    """
    if mode not in ERRORS_MODES:
        raise UsageError(f"--errors {mode!r}: choose strict or replace")
    out = []
    for a in args:
        m = _SURROGATE.search(a)
        if m is None:
            out.append(a)
            continue
        if mode == "replace":
            out.append(_SURROGATE.sub("\ufffd", a))
            continue
        cp = ord(m.group())
        what = f"byte 0x{cp - 0xDC00:02x}" if 0xDC80 <= cp <= 0xDCFF else f"lone surrogate U+{cp:04X}"
        raise UsageError(f"argument {ascii(a)} is not valid UTF-8 ({what} at character {m.start()}); "
                         "pass UTF-8 text, or add --errors replace to turn each bad byte into U+FFFD")
    return out


# ------------------------------------------------------------------ numeric options

def _numbers(value: object) -> Iterator[int | float]:
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        yield value
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _numbers(v)


def _check_number(param, value: object) -> None:
    """One range policy for every number option: finite, >= its declared min (0 when none), <= its max."""
    lo = getattr(param, "min", None)
    hi = getattr(param, "max", None)
    lo = 0 if lo is None else lo
    flag = (getattr(param, "opts", None) or [param.name])[0]
    for v in _numbers(value):
        if isinstance(v, float) and not math.isfinite(v):
            raise UsageError(f"{flag} {v}: give a finite number (not nan or inf)")
        if isinstance(lo, Above) and v <= lo:
            raise UsageError(f"{flag} {v}: must be greater than {float(lo):g}")
        if v < lo:
            raise UsageError(f"{flag} {v}: must be at least {lo:,}")
        if hi is not None and v > hi:
            raise UsageError(f"{flag} {v}: must be at most {hi:,}; give a smaller value")


def _check_raw(param, value: object) -> None:
    raw = value if isinstance(value, list | tuple) else [value]
    for v in raw:
        if not isinstance(v, str):
            continue
        try:
            number: int | float = int(v)
        except ValueError:
            try:
                number = float(v)
            except ValueError:
                continue
        _check_number(param, number)


def guard_numbers(cmd) -> None:
    """Wrap every parameter of every command so a number is range-checked right after conversion."""
    for param in getattr(cmd, "params", []):
        original = param.process_value

        def checked(ctx, value, _param=param, _original=original):
            try:
                converted = _original(ctx, value)
            except Exception:
                _check_raw(_param, value)  # typer's own range message, if that is what failed, in our words
                raise
            _check_number(_param, converted)
            return converted

        param.process_value = checked
    for sub in getattr(cmd, "commands", {}).values():
        guard_numbers(sub)


def help_to_stderr_under_json(cmd) -> None:
    """Under --json, stdout is one JSON document or nothing: help (asked for with --help, or shown for a group
    given no subcommand) goes to stderr instead. Both are printed while the arguments are parsed, through a rich
    console and click's echo that look up sys.stdout when they print."""
    original = cmd.parse_args

    def parse_args(ctx, args, _original=original):
        given = args[: args.index("--")] if "--" in args else args
        if not (State.json or "--json" in given):  # the root parses --json itself, before its callback sets State
            return _original(ctx, args)
        with redirect_stdout(sys.stderr):
            return _original(ctx, args)

    cmd.parse_args = parse_args
    for sub in getattr(cmd, "commands", {}).values():
        help_to_stderr_under_json(sub)


def prepare(cmd):
    """The policies every command of the tree gets: the number guard and help off stdout under --json."""
    guard_numbers(cmd)
    help_to_stderr_under_json(cmd)
    return cmd


def build_command():
    """The click command tree with the number guard on every parameter (also used by the tests)."""
    _register()
    return prepare(typer.main.get_command(app))


# ------------------------------------------------------------------ errors → one line

def _fail(message: str, code: int = 2) -> None:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    sys.exit(code)


def os_error_message(exc: OSError) -> str:
    """One line for an operating-system error: which file, what went wrong, what to do."""
    where = exc.filename if exc.filename is not None else "a file"
    why = exc.strerror or str(exc) or exc.__class__.__name__
    hint = {28: "free some space or choose another location", 13: "check the permissions or choose another path",
            30: "the file system is read-only; choose another path", 1: "the operation is not permitted there "
            "(immutable file?); choose another path", 2: "check the path", 20: "a part of the path is not a folder",
            21: "give a file, not a folder", 24: "too many open files; raise `ulimit -n`",
            32: "the reader of the output went away"}.get(exc.errno or 0, "check the path and try again")
    return f"{where}: {why}; {hint}"


class _NoteHandler(logging.Handler):
    """Library notes (for example a damaged cache entry being rebuilt) as one dim line on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            err_console.print(f"[dim]note: {escape(record.getMessage())}[/]", highlight=False, soft_wrap=True)
        except Exception:  # a note must never break the command
            pass


def _install_notes() -> None:
    log = logging.getLogger("tokforensics")
    if not any(isinstance(h, _NoteHandler) for h in log.handlers):
        log.addHandler(_NoteHandler())
        log.setLevel(logging.INFO)
        log.propagate = False


def main(argv: list[str] | None = None) -> None:
    make_streams_safe()
    _install_notes()
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        args = hoist_global_flags(args)
        args = check_utf8_args(args, _errors_mode(args))
        cmd = build_command()
        rv = cmd.main(args=args, prog_name="tok", standalone_mode=False)
        if isinstance(rv, int) and rv:
            sys.exit(rv)
    except TokError as exc:
        _fail(str(exc))
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except BrokenPipeError:
        # the reader (e.g. `| head`) left: stop quietly, and keep Python from complaining at exit
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        sys.exit(0)
    except OSError as exc:
        _fail(os_error_message(exc))
    except MemoryError:
        _fail("out of memory; give a smaller input or a smaller option value")
    except SystemExit:
        raise
    except BaseException as exc:
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise
        # a Rust panic inside a tokenizer library (pyo3 raises it as a BaseException) is a defect too
        # click's usage errors (typer ships its own copy of click, so match on the interface, not the class)
        fmt, code = getattr(exc, "format_message", None), getattr(exc, "exit_code", None)
        if type(exc).__name__ == "NoArgsIsHelpError":
            # `tok` or `tok bytes` alone: the help is the answer (typer has printed it already)
            if fmt().strip():
                sys.stderr.write(fmt() + "\n")
            sys.exit(2)
        if callable(fmt) and isinstance(code, int) and hasattr(exc, "show"):
            ctx = getattr(exc, "ctx", None)
            path = ctx.command_path if ctx is not None else "tok"
            _fail(f"{fmt()} (see `{path} --help`)", 2 if code == 2 or code == 1 else code)
        if os.environ.get("TOK_TRACEBACK"):
            raise
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        _fail(f"internal error ({exc.__class__.__name__}: {first}); this is a bug in tok: please report it with "
              "the command line (TOK_TRACEBACK=1 shows the traceback)", EXIT_BUG)
