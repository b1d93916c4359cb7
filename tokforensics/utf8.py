"""UTF-8 structure of byte strings: how long a character is, from its first byte."""

from __future__ import annotations


def char_length(lead: int) -> int:
    """Total length of the UTF-8 character that byte `lead` starts: 1 to 4, or 0 when it starts none.

    0 for continuation bytes (0x80-0xBF) and for the bytes no valid UTF-8 holds (0xC0, 0xC1, 0xF5-0xFF).
    """
    if lead < 0x80:
        return 1
    if 0xC2 <= lead <= 0xDF:
        return 2
    if 0xE0 <= lead <= 0xEF:
        return 3
    if 0xF0 <= lead <= 0xF4:
        return 4
    return 0
