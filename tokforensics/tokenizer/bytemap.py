"""GPT-2's reversible byte <-> printable-character alphabet used by byte-level BPE vocabularies."""

from __future__ import annotations

from functools import cache


@cache
def byte_to_char() -> dict[int, str]:
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    table = {b: chr(b) for b in keep}
    n = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + n)
            n += 1
    return table


@cache
def char_to_byte() -> dict[str, int]:
    return {c: b for b, c in byte_to_char().items()}


def bytes_to_symbols(data: bytes) -> str:
    table = byte_to_char()
    return "".join(table[b] for b in data)


def symbols_to_bytes(text: str) -> bytes | None:
    """Inverse of bytes_to_symbols; None when `text` holds a character outside the alphabet."""
    table = char_to_byte()
    out = bytearray()
    for ch in text:
        b = table.get(ch)
        if b is None:
            return None
        out.append(b)
    return bytes(out)
