"""How a token is shown to a person: one escaping for tables, reports and terminals.

A token's bytes are shown as their text when they are printable UTF-8. Otherwise control and other
unprintable characters are written as Python escapes (`\\n`, `\\x00`, `\\u200b`), and bytes that are not
UTF-8 on their own (a piece of a multi-byte character) as `\\xNN` each.
"""

from __future__ import annotations


def token_text(raw: bytes) -> str:
    """A printable form of a token's bytes."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "".join(f"\\x{b:02x}" for b in raw) if len(raw) <= 4 else repr(raw)[2:-1]
    return text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
