"""Shared rendering: one JSON object for machines, rich tables for people."""

from __future__ import annotations

import codecs
import dataclasses
import json
import math
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

from ..tokenizer.display import marked, piece

console = Console()
err_console = Console(stderr=True)


class State:
    """Global CLI options (set by the app callback)."""

    json: bool = False
    quiet: bool = False
    errors: str = "strict"


def _is_utf8(stream: Any) -> bool:
    enc = getattr(stream, "encoding", None)
    if not enc:
        return True  # an in-memory text buffer takes any str
    try:
        return codecs.lookup(enc).name == "utf-8"
    except LookupError:
        return False


def make_streams_safe() -> None:
    """Let output survive a terminal or PYTHONIOENCODING that cannot encode all of Unicode.

    Text that the encoding lacks is written as backslash escapes instead of failing halfway through a
    table; JSON switches to \\u escapes (see `emit_json`), so it stays valid and exact.
    """
    for stream in (sys.stdout, sys.stderr):
        if not _is_utf8(stream) and hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="backslashreplace")
            except (ValueError, OSError):
                pass


def to_jsonable(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, bytes):
        return piece(obj)
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "item"):
        return obj.item()
    return obj


def emit_json(payload: Any) -> None:
    text = json.dumps(to_jsonable(payload), ensure_ascii=not _is_utf8(sys.stdout), indent=1)
    sys.stdout.write(text + "\n")


def emit_result(result: Any) -> None:
    """The one way a command prints --json: its frozen result dataclass, every field, as one JSON document."""
    if not (dataclasses.is_dataclass(result) and not isinstance(result, type)):
        raise TypeError(f"emit_result takes a result dataclass, not {type(result).__name__}")
    # a result whose JSON separates run-to-run fields (timing, cache state) gives its document itself
    emit_json(result.document() if callable(getattr(result, "document", None)) else result)


def table(title: str | None, columns: list[tuple[str, str]], rows: list[list[Any]], caption: str | None = None,
          highlight: dict[int, str] | None = None) -> Table:
    """A rich table. columns: (header, justify). highlight: column index -> 'max' | 'min' (best value in bold green)."""
    t = Table(title=title, caption=caption, header_style="bold", title_justify="left", caption_justify="left")
    for head, justify in columns:
        t.add_column(head, justify=justify)
    best: dict[int, Any] = {}
    for col, mode in (highlight or {}).items():
        vals = [r[col] for r in rows if isinstance(r[col], int | float) and not isinstance(r[col], bool)]
        if vals:
            best[col] = max(vals) if mode == "max" else min(vals)
    for r in rows:
        cells = []
        for i, v in enumerate(r):
            text = fmt(v)
            if i in best and v == best[i]:
                text = f"[bold green]{text}[/]"
            cells.append(text)
        t.add_row(*cells)
    return t


# Two backgrounds that stay apart at every colour depth (16, 256 and true colour): `tok encode` and `tok check`
# alternate them, so neighbouring tokens never share a colour.
TOKEN_STYLES = ("black on cyan", "black on yellow")
SEPARATOR = "|"


def colour_on(c: Console | None = None) -> bool:
    c = c or console
    return c.color_system is not None and not c.no_color


def token_line(pieces: list[str], start: int = 0, mark: int | None = None, c: Console | None = None):
    """Tokens side by side with visible boundaries: alternating backgrounds where the terminal shows colour,
    else a `|` between tokens (NO_COLOR, a pipe, TERM=dumb). `mark`: the index of a token to underline."""
    from rich.text import Text

    line = Text()
    colour = colour_on(c)
    for k, p in enumerate(pieces, start):
        shown = marked(p)
        style = (TOKEN_STYLES[k % 2] if colour else "") + (" bold underline" if k == mark else "")
        if not colour and k > start:
            line.append(SEPARATOR, style="dim")
        line.append(shown, style=style.strip() or None)
    return line


def fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if not math.isfinite(v):
            return "–"
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        if abs(v) >= 10:
            return f"{v:.1f}"
        return f"{v:.3f}"
    return str(v)
