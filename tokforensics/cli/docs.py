"""Example outputs for README.md and docs/, generated with cog (`cog -r README.md`; the suite runs `--check`).

Fast commands run for real, in-process, at a fixed width and without colour. Slow ones (the mixture of gpt4o,
the arithmetic study, the SmolLM2 byte-level example) are rendered by the command's own renderer from a result
committed under docs/examples/ (written by `tok --json ...`), so the text still cannot drift from the code.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path
from types import SimpleNamespace
from typing import Any

WIDTH = 118
MARK = "\x00table\n"
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"


@contextmanager
def _captured(width: int):
    from rich.table import Table

    from . import render

    out = io.StringIO()
    old = render.console._file, render.err_console._file, render.console._width, render.err_console._width
    print_ = render.console.print

    def marked(*objects: Any, **kw: Any) -> None:
        if any(isinstance(o, Table) for o in objects):
            out.write(MARK)  # where a table starts, for `tables=`
        print_(*objects, **kw)

    render.console.file, render.err_console.file = out, out
    render.console.width = render.err_console.width = width
    render.console.print = marked
    try:
        with redirect_stdout(out), redirect_stderr(out):
            yield out
    finally:
        render.console._file, render.err_console._file, render.console._width, render.err_console._width = old
        del render.console.print
        render.State.json = render.State.quiet = False


def run(command: str, tables: int | None = None, width: int = WIDTH, cwd: Path | None = None) -> str:
    """The text `command` (starting with `tok `) prints: stdout and stderr as a terminal would show them, up to
    the end of its `tables`-th table when given."""
    return _clean(_raw(command, width, cwd), tables)


def example(command: str, tables: int | None = None, note: str = "", level: str = "###") -> str:
    """A README section: the heading (saying which tables are shown) and the command's output in a code block."""
    raw = _raw(command, WIDTH, None)
    n = raw.count(MARK)
    shown = f"first table of {n}" if tables == 1 and n > 1 else f"first {tables} tables of {n}" if tables and n > tables else ""
    extra = "; ".join(x for x in (shown, note) if x)
    return f"{level} `{command}`" + (f" ({extra})" if extra else "") + "\n" + block(_clean(raw, tables))


def _raw(command: str, width: int, cwd: Path | None) -> str:
    import shlex

    from .app import main

    argv = shlex.split(command)
    assert argv[0] == "tok", command
    old = os.getcwd()
    with _captured(width) as out:
        try:
            if cwd is not None:
                os.chdir(cwd)
            main(["-q", *argv[1:]])
        except SystemExit as exc:
            if exc.code not in (0, None):
                raise RuntimeError(f"{command} exited {exc.code}: {out.getvalue()[-2000:]}") from None
        finally:
            os.chdir(old)
    return out.getvalue()


def _clean(text: str, tables: int | None = None) -> str:
    parts = text.split(MARK)
    if tables is not None:
        parts = parts[: tables + 1]
    return "\n".join(line.rstrip() for line in "".join(parts).splitlines()).strip("\n")


def block(text: str) -> str:
    return "```\n" + text.rstrip("\n") + "\n```\n"


def _ns(obj: Any) -> Any:
    """A result read back from its JSON, with attribute access, for the command's own renderer."""
    if isinstance(obj, dict):
        return SimpleNamespace(**{k: _ns(v) for k, v in obj.items()}) if all(
            isinstance(k, str) and k.isidentifier() for k in obj) else {k: _ns(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_ns(v) for v in obj]
    return obj


def committed(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text("utf-8"))


def render(fn, *args: Any, tables: int | None = None, width: int = WIDTH) -> str:
    with _captured(width) as out:
        fn(*args)
    return _clean(out.getvalue(), tables)


# ----------------------------------------------------------------------------------------- the README's examples

def mixture_gpt4o() -> str:
    """`tok infer-mixture gpt4o` from docs/examples/infer-mixture-gpt4o.json (`tok --json infer-mixture gpt4o`)."""
    from .mixture import render_mixture
    from .render import console

    doc = committed("infer-mixture-gpt4o.json")
    res = _ns(doc)
    res.groups, res.scripts = doc["groups"], doc["scripts"]
    res.group_intervals = doc.get("group_intervals")
    res.timing = doc["timing"]

    def show() -> None:
        # the notes the command prints while it runs (the APPROXIMATE one is part of the tables' text)
        for w in [w for w in doc.get("warnings", []) if not w.startswith("APPROXIMATE")]:
            console.print(f"note: {w}", highlight=False, markup=False, soft_wrap=True)
        render_mixture(res)

    return render(show)


def next_bytes() -> str:
    """`tok bytes next "def hello_wor"` from docs/examples/bytes-next.json (SmolLM2-135M on CPU)."""
    from .bytes import render_next

    return render(render_next, _ns(committed("bytes-next.json")))


def arith_study(n_tables: int = 2) -> str:
    """`tok arith study --seeds 3` from the committed study (analyses/results/arith_study_default.json)."""
    from .arith_study import _render

    doc = json.loads((ROOT / "analyses" / "results" / "arith_study_default.json").read_text("utf-8"))
    res = _ns(doc)
    res.schemes = {k: _ns(v) for k, v in doc["schemes"].items()}
    return render(_render, res, tables=n_tables)


def check_example(tokenizer: str = "gpt4") -> str:
    """`tok check` on the starter policy `tok check T --init` writes, in a scratch folder (its time left out)."""
    with tempfile.TemporaryDirectory() as d:
        run(f"tok check {tokenizer} --init", cwd=Path(d))
        text = run("tok check", cwd=Path(d)).replace(str(Path(d).resolve()) + "/", "").replace(d + "/", "")
    return re.sub(r"(checks? (passed|failed)) in \d+(\.\d+)? s", r"\1", text)

