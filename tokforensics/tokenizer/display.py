"""How a token is shown to a person: one escaping, for tables, reports, JSON and terminals.

A token's bytes are shown as their UTF-8 text, and each byte that is not part of a whole UTF-8 character
(a piece of a multi-byte character) as `\\xNN`. That is `piece`, the form JSON output, golden baselines
and the HTML viewer carry. Where a token must fit in one table cell, `token_text` also writes the
characters that do not print (newline, tab, zero-width space) as Python escapes: `\\n`, `\\t`, `\\u200b`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def piece(raw: bytes) -> str:
    """A token's bytes as text, bytes that are not whole UTF-8 characters as \\xNN."""
    return raw.decode("utf-8", "backslashreplace")


def pieces(token_bytes: Sequence[bytes], ids: Iterable[int]) -> list[str]:
    """Each token of an id sequence as `piece`; an id outside the vocabulary as <id N?>."""
    return [piece(token_bytes[i]) if 0 <= i < len(token_bytes) else f"<id {i}?>" for i in ids]


def token_text(raw: bytes) -> str:
    """`piece`, with characters that do not print written as escapes (one line, for tables)."""
    text = piece(raw)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def marked(text: str) -> str:
    """Text for coloured token blocks in a terminal: newline, tab and carriage return as visible marks."""
    return text.replace("\n", "↵").replace("\t", "→").replace("\r", "␍")
