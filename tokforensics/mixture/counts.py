"""Pretoken counts of a category sample, pretokenized exactly as the target tokenizer does."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..tokenizer.view import Tokenizer

# Pretokenize in pieces of about this many characters, cut only at a blank line so that no
# pretoken crosses a cut (a pretokenizer regex never joins text across "\n\n" + a non-space).
_CHUNK_CHARS = 1 << 20


@dataclass(frozen=True)
class WordArrays:
    """Distinct pretokens of a sample as base-symbol id sequences, flattened, with their counts."""

    symbols: np.ndarray  # int64, concatenated words
    word_start: np.ndarray  # int64, n_words + 1 offsets
    counts: np.ndarray  # int64
    n_bytes: int  # UTF-8 bytes of the sample
    n_pretokens: int


def _chunks(text: str):
    start = 0
    n = len(text)
    while start < n:
        end = min(n, start + _CHUNK_CHARS)
        if end < n:
            cut = text.rfind("\n\n", start + _CHUNK_CHARS // 2, end)
            end = cut + 2 if cut != -1 else end
            # step past whitespace so the next chunk starts on text, as the regex would see it
            while end < n and text[end] in "\r\n":
                end += 1
        yield text[start:end]
        start = end


def count_pretokens(tok: Tokenizer, text: str) -> Counter:
    counter: Counter = Counter()
    for chunk in _chunks(text):
        counter.update(tok.pretokenize(chunk))
    return counter


def word_arrays(tok: Tokenizer, text: str) -> WordArrays:
    counter = count_pretokens(tok, text)
    syms: list[int] = []
    starts = [0]
    counts: list[int] = []
    for piece, n in sorted(counter.items()):
        ids = tok.piece_base_ids(piece)
        if len(ids) < 2:
            continue
        syms.extend(ids)
        starts.append(len(syms))
        counts.append(n)
    return WordArrays(
        symbols=np.asarray(syms, dtype=np.int64),
        word_start=np.asarray(starts, dtype=np.int64),
        counts=np.asarray(counts, dtype=np.int64),
        n_bytes=len(text.encode("utf-8")),
        n_pretokens=int(sum(counter.values())),
    )
