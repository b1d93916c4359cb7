"""Bug #12: `tok encode` boundaries must be visible in every terminal (with TERM=xterm-256color every token got
the same background colour); without colour a separator marks them."""

from __future__ import annotations

import io
import re

from rich.console import Console

from tests.cli_helpers import run_tok
from tokforensics.cli.render import token_line


def _backgrounds(system: str) -> list[str]:
    buf = io.StringIO()
    c = Console(file=buf, force_terminal=True, color_system=system, width=200)
    c.print(token_line(["Mer", "haba", " dünya", "!", " ", "123", "456", "7"], c=c))
    return [x for x in re.findall(r"\x1b\[([0-9;]+)m(?=[^\x1b])", buf.getvalue()) if x != "0"]


def test_neighbouring_tokens_differ_at_every_colour_depth():
    for system in ("standard", "256", "truecolor"):
        codes = _backgrounds(system)
        assert len(codes) == 8, (system, codes)
        assert all(a != b for a, b in zip(codes, codes[1:], strict=False)), (system, codes)


def test_no_colour_shows_a_separator(monkeypatch):
    r = run_tok("encode", "gpt4o", "Merhaba dünya! 1234567")  # captured: not a terminal
    assert r.code == 0, r.err
    assert r.out.splitlines()[0] == "Mer|haba| dünya|!| |123|456|7"
    buf = io.StringIO()
    c = Console(file=buf, force_terminal=True, no_color=True)
    c.print(token_line(["a", "b"], c=c))
    assert re.sub(r"\x1b\[[0-9;]*m", "", buf.getvalue()) == "a|b\n"
    doc = run_tok("--json", "encode", "gpt4o", "hello world").json()
    assert doc["pieces"] == ["hello", " world"] and doc["tokenizer"]["name"] == "gpt4o" and doc["n_bytes"] == 11
