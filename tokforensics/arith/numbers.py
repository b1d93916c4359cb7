"""Numbers as text: digit-string sampling, separator formats (L2R / R2L), option parsing, answer parsing.

Pure functions with no tokenizer and no model, shared by the tokenizer probe and the model probe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..errors import UsageError

MAX_DIGITS = 30

# Separator formats, named `<separator>_<direction>` as in Singh & Strouse (2024).
SEPARATORS: dict[str, str] = {
    "comma": ",",
    "space": " ",
    "dot": ".",
    "hash": "#",
    "dollar": "$",
    "underscore": "_",
}


@dataclass(frozen=True)
class NumberFormat:
    """How an integer is written: `sep` inserted every `group` digits, counted from the left or the right."""

    name: str
    sep: str = ""
    direction: str = "r2l"  # l2r | r2l
    group: int = 3

    def apply(self, digits: str) -> str:
        return group_digits(digits, self.sep, self.direction, self.group) if self.sep else digits

    @property
    def label(self) -> str:
        if not self.sep:
            return "plain"
        sep = "space" if self.sep == " " else repr(self.sep)
        return f"{sep} every {self.group}, {'right-to-left' if self.direction == 'r2l' else 'left-to-right'}"


def number_format(name: str) -> NumberFormat:
    """`plain` or `<separator>_<l2r|r2l>` (separators: comma, space, dot, hash, dollar, underscore)."""
    if name in ("plain", "native", "nosep"):
        return NumberFormat("plain")
    sep, _, direction = name.partition("_")
    if sep not in SEPARATORS or direction not in ("l2r", "r2l"):
        choices = ", ".join(["plain"] + [f"{s}_l2r, {s}_r2l" for s in SEPARATORS])
        raise UsageError(f"unknown number format '{name}'; choose from {choices}")
    return NumberFormat(name, SEPARATORS[sep], direction)


def group_digits(digits: str, sep: str, direction: str, group: int = 3) -> str:
    """Insert `sep` between groups of `group` digits. r2l: 1,234,567 (thousands). l2r: 123,456,7."""
    if group < 1:
        raise ValueError("group must be >= 1")
    return sep.join(split_digits(digits, group, direction))


def split_digits(digits: str, k: int, direction: str) -> list[str]:
    """Chunks of at most k digits from the left (l2r: 123|456|7) or from the right (r2l: 1|234|567)."""
    if direction == "l2r":
        return [digits[i:i + k] for i in range(0, len(digits), k)]
    if direction == "r2l":
        head = len(digits) % k
        out = [digits[:head]] if head else []
        return out + [digits[i:i + k] for i in range(head, len(digits), k)]
    raise ValueError(f"direction must be l2r or r2l, not {direction!r}")


def chunk_pattern(n: int, k: int, direction: str) -> tuple[int, ...]:
    """Chunk sizes of an n-digit string split every k digits (l2r: 7,3 -> 3-3-1; r2l: 1-3-3)."""
    return tuple(len(c) for c in split_digits("0" * n, k, direction))


def thousands_boundaries(n: int) -> set[int]:
    """Positions (1..n-1, digits to the left) where a thousands separator goes in an n-digit number."""
    return {p for p in range(1, n) if (n - p) % 3 == 0}


def chunk_boundaries(chunks: tuple[int, ...] | list[int]) -> set[int]:
    out, pos = set(), 0
    for c in list(chunks)[:-1]:
        pos += c
        out.add(pos)
    return out


def pattern_str(chunks: tuple[int, ...] | list[int]) -> str:
    return "-".join(str(c) for c in chunks)


# ---------------------------------------------------------------------------------------------- sampling
def random_digit_strings(rng: np.random.Generator, n: int, count: int) -> list[str]:
    """`count` uniformly random n-digit numbers (no leading zero), as strings."""
    if n < 1:
        raise ValueError("n must be >= 1")
    first = rng.integers(1, 10, size=count) if n > 1 else rng.integers(0, 10, size=count)
    rest = rng.integers(0, 10, size=(count, n - 1))
    return ["".join(map(str, (f, *r))) for f, r in zip(first.tolist(), rest.tolist(), strict=True)]


def random_number(rng: np.random.Generator, n: int) -> int:
    """A uniformly random n-digit integer (n >= 1; 1-digit numbers start at 1)."""
    lo = 10 ** (n - 1) if n > 1 else 1
    hi = 10 ** n
    # numpy integers stop at 2**63; build long numbers from digit draws.
    if hi <= 2 ** 62:
        return int(rng.integers(lo, hi))
    first = int(rng.integers(1, 10))
    rest = "".join(map(str, rng.integers(0, 10, size=n - 1).tolist()))
    return int(f"{first}{rest}")


# ---------------------------------------------------------------------------------------------- options
def parse_digit_range(text: str, lo_limit: int = 1, hi_limit: int = MAX_DIGITS) -> tuple[int, int]:
    """'7-9' -> (7, 9); '8' -> (8, 8). Raises UsageError with one clear line for anything else."""
    raw = str(text).strip()
    m = re.fullmatch(r"(\d+)\s*(?:-\s*(\d+))?", raw)
    if not m:
        raise UsageError(f"--digits '{text}': expected a digit count like 8 or a range like 7-9")
    lo = int(m.group(1))
    hi = int(m.group(2)) if m.group(2) is not None else lo
    if lo < lo_limit or hi < lo_limit:
        raise UsageError(f"--digits '{text}': numbers need at least {lo_limit} digit (got {min(lo, hi)})")
    if lo > hi:
        raise UsageError(f"--digits '{text}': the range is backwards; write {hi}-{lo}")
    if hi > hi_limit:
        raise UsageError(f"--digits '{text}': at most {hi_limit} digits are supported")
    return lo, hi


def parse_int_list(text: str, option: str, lo: int, hi: int) -> list[int]:
    """'1,2,4,8' -> [1, 2, 4, 8] (sorted, unique), each within [lo, hi]."""
    parts = [p.strip() for p in str(text).split(",") if p.strip()]
    if not parts or not all(re.fullmatch(r"\d+", p) for p in parts):
        raise UsageError(f"{option} '{text}': expected comma-separated whole numbers like 1,2,4,8")
    vals = sorted({int(p) for p in parts})
    bad = [v for v in vals if v < lo or v > hi]
    if bad:
        raise UsageError(f"{option} '{text}': each value must be between {lo} and {hi} (got {bad[0]})")
    return vals


# ---------------------------------------------------------------------------------------------- answers
def parse_answer(text: str, seps: str = "") -> str | None:
    """The digits of the first number in `text` (up to the first newline), dropping separators `seps`.

    Leading spaces are skipped; a separator counts only between digits. None if no digit comes first.
    """
    line = text.split("\n", 1)[0].lstrip(" ")
    allowed = re.escape(seps) if seps else ""
    pat = rf"\d+(?:[{allowed}]+\d+)*" if allowed else r"\d+"
    m = re.match(pat, line)
    if not m:
        return None
    return re.sub(r"\D", "", m.group(0))
