"""What every command shares: the option spellings of the one CLI grammar, status lines and progress bars.

Short flags have one meaning across commands: -o --out, -m --model, -c --config, -q --quiet, -k --top (bytes),
-n --max-bytes. The tokenizer is the first positional argument of every command that takes one; `--langs` takes
language codes everywhere; `--ref` defaults to `en` everywhere; `--label` (repeatable, in the order of the
tokenizers) renames tokenizers in tables and JSON keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from ..errors import UsageError
from ..progress import Progress
from .render import State, err_console

# the same value as tokforensics.metrics.run.DEFAULT_REF (a test holds them equal; importing it here would load numpy
# for every command)
DEFAULT_REF = "en"
LABEL_HELP = ("Label for a tokenizer in tables and JSON keys, in the order the tokenizers are given (repeatable). "
              "Default: the zoo name, or the file's name (with as much of its path as tells two files apart).")
REF_HELP = f"Reference language of the premiums (default {DEFAULT_REF})."
# A seed goes into numpy and torch generators as is; every command accepts the same range.
MAX_SEED = 2**32 - 1


class Above(float):
    """`min=Above(0)`: a lower bound the value must exceed (typer has no min_open); app.py's number guard reads it."""


def label_option():
    return typer.Option(None, "--label", help=LABEL_HELP)


def ref_option():
    return typer.Option(DEFAULT_REF, "--ref", help=REF_HELP)


def tokenizer_reads(specs: Iterable[str | None]) -> list[tuple[Path | None, str]]:
    """The tokenizer files behind zoo names and paths, as `check_destination(reads=...)` takes them."""
    from ..tokenizer.load import source_path

    return [(source_path(s), "tokenizer file") for s in specs if s]


def split_codes(langs: str, flag: str = "--langs") -> list[str]:
    codes = [c.strip() for c in langs.split(",") if c.strip()]
    if not codes:
        raise UsageError(f"{flag} is empty; give codes such as tr,en or 'all'")
    return codes


@contextmanager
def status(message: str) -> Iterator[Progress]:
    """A status line on stderr while the block runs (none with --quiet or --json); yields a `Progress`."""
    if State.quiet or State.json:
        yield lambda stage, done, total: None
        return
    with err_console.status(message) as st:

        def update(stage: str, done: int = 0, total: int = 0) -> None:
            st.update(f"{message}: {stage}" + (f" ({done}/{total})" if total else ""))

        yield update


def progress_display(*columns, transient: bool = True, **kwargs):
    """A rich Progress on stderr that leaves nothing behind when the block fails, so the error is the only line.

    rich ends a display on a console that is not a terminal with a blank line, and a non-transient one with its
    last frame; on an error both would stand before the error line.
    """
    from rich.progress import Progress as RichProgress

    class _Display(RichProgress):
        def __exit__(self, exc_type, exc, tb):
            if exc_type is None:
                return super().__exit__(exc_type, exc, tb)
            self.live.transient = True
            if not self.disable:
                self.live.stop()  # not Progress.stop: that adds the blank line
            return None

    return _Display(*columns, console=err_console, transient=transient, **kwargs)


@contextmanager
def bar(title: str) -> Iterator[Progress | None]:
    """A rich progress bar on stderr (none with --quiet or --json); yields a `Progress` (stage, done, total)."""
    if State.quiet or State.json:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn

    with progress_display(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()) as rp:
        task = rp.add_task(title, total=None)

        def cb(stage: str, done: int, total: int) -> None:
            rp.update(task, completed=done, total=total or None, description=f"{title}: {stage}")

        yield cb
