"""What a tokenizer does, in one record: the facts `tok inspect` shows."""

from __future__ import annotations

from dataclasses import dataclass

from .ref import TokenizerRef, ref_of
from .view import Tokenizer, TokenizerInfo

NUMBER_PROBES = ["7", "42", "1234", "1234567", "12345678901", "3.14159", "1,000,000", " 2024", "$19.99"]


@dataclass(frozen=True)
class NumberSplit:
    text: str
    pieces: list[str]


@dataclass(frozen=True)
class InspectResult:
    tokenizer: TokenizerRef
    info: TokenizerInfo
    number_splits: list[NumberSplit]
    n_special: int
    n_added: int
    byte_tokens: int


def inspect_tokenizer(tok: Tokenizer) -> InspectResult:
    splits = []
    for text in NUMBER_PROBES:
        ids = tok.encode(text)
        splits.append(NumberSplit(text, [tok.token_bytes[i].decode("utf-8", "replace") for i in ids]))
    return InspectResult(
        tokenizer=ref_of(tok),
        info=tok.info(),
        number_splits=splits,
        n_special=len(tok.specials),
        n_added=len(tok.added_tokens),
        byte_tokens=len(tok.byte_token_ids),
    )
