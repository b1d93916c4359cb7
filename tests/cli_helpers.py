"""Run the `tok` CLI in-process and capture exit code, stdout and stderr."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


def run_tok(*args: str) -> Run:
    from tokforensics.cli import render
    from tokforensics.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    # the private attribute: reading `.file` resolves to whatever sys.stdout is now, and restoring that
    # would pin the consoles to it for every later test (capsys ones included)
    old = render.console._file, render.err_console._file
    render.console.file, render.err_console.file = out, err
    render.State.json = False
    code = 0
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        render.console._file, render.err_console._file = old
        render.State.json = False
    return Run(code, out.getvalue(), err.getvalue())


def assert_clean_error(run: Run, *needles: str) -> None:
    assert run.code == 2, (run.code, run.out, run.err)
    assert "Traceback" not in run.err and "Traceback" not in run.out
    text = " ".join(run.err.split())
    for n in needles:
        assert n.lower() in text.lower(), (n, run.err)
