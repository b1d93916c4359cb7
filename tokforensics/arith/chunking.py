"""Number tokenizers for the from-scratch study: one scheme each, over one tiny closed vocabulary.

Each scheme writes a digit string as tokens of at most k digits, cut from the left (l2r: 123|4) or from the
right (r2l: 1|234), optionally with a comma token between chunks (1,234 written as 1|,|234). The vocabulary
is the specials, '+', '=' and every digit string of 1..k digits (leading zeros included: r2l writes 1007 as
1|007), so the only thing that differs between two schemes is how a number is cut.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from itertools import product

from ..errors import UsageError, did_you_mean
from .numbers import split_digits

PAD, EOS, PLUS, EQUALS, COMMA = "<pad>", "<eos>", "+", "=", ","
SPECIALS = (PAD, EOS, PLUS, EQUALS)
DEFAULT_SCHEMES = ("single", "l2r3", "r2l3")
KNOWN = "single, l2r2, r2l2, l2r3, r2l3, comma_l2r3, comma_r2l3"
_NAME = re.compile(r"(comma_)?(l2r|r2l)([2-4])")


@dataclass(frozen=True)
class ChunkScheme:
    """How one scheme writes numbers: chunks of at most `chunk` digits, cut from the left or the right."""

    name: str
    chunk: int  # 1 = single digits
    direction: str  # l2r | r2l (the same for chunk 1)
    comma: bool = False  # a ',' token between chunks

    @property
    def label(self) -> str:
        if self.chunk == 1:
            return "single digits"
        way = "left-to-right" if self.direction == "l2r" else "right-to-left"
        return f"{self.chunk}-digit chunks, {way}" + (", comma between chunks" if self.comma else "")

    @cached_property
    def vocab(self) -> tuple[str, ...]:
        digits = tuple("".join(p) for k in range(1, self.chunk + 1) for p in product("0123456789", repeat=k))
        return SPECIALS + ((COMMA,) if self.comma else ()) + digits

    @cached_property
    def ids(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.vocab)}

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    @property
    def pad_id(self) -> int:
        return self.ids[PAD]

    @property
    def eos_id(self) -> int:
        return self.ids[EOS]

    def features(self) -> list[list[int]]:
        """Per token, the indices of its active features: one per special, then (place, digit) for each digit
        counted from the chunk's right end, then the chunk's length. Models with digit-composed embeddings
        sum one learned vector per active feature, so '123' starts out related to '23' and '3'."""
        n_special = len(self.vocab) - sum(10 ** k for k in range(1, self.chunk + 1))
        place0 = n_special
        len0 = place0 + 10 * self.chunk
        out = []
        for i, t in enumerate(self.vocab):
            if i < n_special:
                out.append([i])
                continue
            feats = [place0 + 10 * j + int(d) for j, d in enumerate(reversed(t))]
            out.append(feats + [len0 + len(t) - 1])
        return out

    @property
    def feature_count(self) -> int:
        return len(self.vocab) - sum(10 ** k for k in range(1, self.chunk + 1)) + 11 * self.chunk

    def pieces(self, digits: str) -> list[str]:
        """The token strings of one number, e.g. r2l3: '1234' -> ['1', '234']; comma_r2l3 -> ['1', ',', '234']."""
        if not digits.isdigit() or not digits.isascii():
            raise ValueError(f"not a digit string: {digits!r}")
        chunks = split_digits(digits, self.chunk, self.direction)
        if not self.comma:
            return chunks
        out: list[str] = []
        for c in chunks:
            if out:
                out.append(COMMA)
            out.append(c)
        return out

    def encode_number(self, digits: str) -> list[int]:
        return [self.ids[p] for p in self.pieces(digits)]

    def prompt(self, a: int, b: int) -> list[int]:
        return self.encode_number(str(a)) + [self.ids[PLUS]] + self.encode_number(str(b)) + [self.ids[EQUALS]]

    def answer(self, c: int) -> list[int]:
        """The answer's tokens, in natural (most significant first) order, then EOS."""
        return self.encode_number(str(c)) + [self.eos_id]

    def decode(self, ids: list[int]) -> str:
        return "".join(self.vocab[i] for i in ids)

    def read_answer(self, ids: list[int]) -> str | None:
        """The digits a generated answer spells: digit tokens (commas skipped) up to the first other token."""
        out = []
        for i in ids:
            t = self.vocab[i] if 0 <= i < len(self.vocab) else PAD
            if t == COMMA:
                continue
            if not t.isdigit():
                break
            out.append(t)
        return "".join(out) or None


def scheme(name: str) -> ChunkScheme:
    """'single', '<l2r|r2l><k>' (k = 2..4) or 'comma_<l2r|r2l><k>'; UsageError for anything else."""
    text = name.strip().lower()
    if text in ("single", "single1", "l2r1", "r2l1"):
        return ChunkScheme("single", 1, "l2r")
    m = _NAME.fullmatch(text)
    if not m:
        raise UsageError(f"unknown scheme '{name}'; choose from {KNOWN} (k = 2..4 in <l2r|r2l><k>)."
                         f"{did_you_mean(text, KNOWN.split(', '))}")
    return ChunkScheme(text, int(m.group(3)), m.group(2), bool(m.group(1)))


def parse_schemes(text: str) -> list[ChunkScheme]:
    names = [p.strip() for p in str(text).split(",") if p.strip()]
    if not names:
        raise UsageError(f"--schemes '{text}': name at least one scheme ({KNOWN})")
    out = [scheme(n) for n in names]
    seen: set[str] = set()
    for s in out:
        if s.name in seen:
            raise UsageError(f"--schemes '{text}': scheme '{s.name}' is named twice")
        seen.add(s.name)
    return out
