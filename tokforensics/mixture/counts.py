"""Pretoken counts of a category sample, pretokenized exactly as the target tokenizer does, kept per document.

Each document (a unit of the category: a JSON Lines record, or a line of a .txt file) is pretokenized on its own,
so a count is the sum of per-document counts and a bootstrap replicate can re-weight documents without
pretokenizing again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tokenizer.view import Tokenizer


@dataclass(frozen=True)
class WordArrays:
    """Distinct pretokens of a sample as base-symbol id sequences, flattened, with their counts.

    symbols (S,) i8 concatenated words; word_start (W + 1,) i8 offsets; counts (W,) i8.
    """

    symbols: np.ndarray
    word_start: np.ndarray
    counts: np.ndarray
    n_bytes: int  # UTF-8 bytes of the sample
    n_pretokens: int


@dataclass(frozen=True)
class DocumentCounts:
    """WordArrays plus how often each word occurs in each document (a CSR matrix documents x words).

    doc_ptr (N + 1,) i8; doc_word (K,) i8 word index; doc_count (K,) i8; doc_bytes (N,) i8 UTF-8 bytes.
    """

    words: WordArrays
    doc_ptr: np.ndarray
    doc_word: np.ndarray
    doc_count: np.ndarray
    doc_bytes: np.ndarray

    @property
    def n_docs(self) -> int:
        return len(self.doc_bytes)

    def reweighted(self, multiplicity: np.ndarray) -> tuple[np.ndarray, int]:
        """Word counts and UTF-8 bytes when document d is taken multiplicity[d] times (a bootstrap replicate)."""
        per_entry = np.repeat(multiplicity.astype(np.int64), np.diff(self.doc_ptr))
        counts = np.bincount(self.doc_word, weights=self.doc_count * per_entry,
                             minlength=len(self.words.counts)).astype(np.int64)
        return counts, int(multiplicity @ self.doc_bytes)


def document_counts(tok: Tokenizer, documents: list[str]) -> DocumentCounts:
    index: dict[str, int] = {}
    pieces: list[str] = []
    totals: list[int] = []
    ptr = [0]
    words: list[int] = []
    nums: list[int] = []
    sizes: list[int] = []
    n_pretokens = 0
    for doc in documents:
        local: dict[int, int] = {}
        split = tok.pretokenize(doc)
        n_pretokens += len(split)
        for piece in split:
            k = index.get(piece)
            if k is None:
                k = index[piece] = len(pieces)
                pieces.append(piece)
                totals.append(0)
            local[k] = local.get(k, 0) + 1
        for k, c in local.items():
            totals[k] += c
        words.extend(local.keys())
        nums.extend(local.values())
        ptr.append(len(words))
        sizes.append(len(doc.encode("utf-8")))
    # words of fewer than two symbols hold no pair: they are dropped, and the rest renumbered in sorted order
    order = sorted(range(len(pieces)), key=pieces.__getitem__)
    new_id = np.full(len(pieces), -1, dtype=np.int64)
    syms: list[int] = []
    starts = [0]
    kept_counts: list[int] = []
    for k in order:
        ids = tok.piece_base_ids(pieces[k])
        if len(ids) < 2:
            continue
        new_id[k] = len(kept_counts)
        syms.extend(ids)
        starts.append(len(syms))
        kept_counts.append(totals[k])
    doc_word = new_id[np.asarray(words, dtype=np.int64)] if words else np.zeros(0, dtype=np.int64)
    doc_count = np.asarray(nums, dtype=np.int64)
    keep = doc_word >= 0
    doc_ptr = np.concatenate([[0], np.cumsum(keep)])[np.asarray(ptr, dtype=np.int64)]
    wa = WordArrays(
        symbols=np.asarray(syms, dtype=np.int64), word_start=np.asarray(starts, dtype=np.int64),
        counts=np.asarray(kept_counts, dtype=np.int64), n_bytes=int(sum(sizes)), n_pretokens=n_pretokens)
    return DocumentCounts(words=wa, doc_ptr=doc_ptr.astype(np.int64), doc_word=doc_word[keep],
                          doc_count=doc_count[keep], doc_bytes=np.asarray(sizes, dtype=np.int64))


def word_arrays(tok: Tokenizer, text: str) -> WordArrays:
    """Counts of one text taken as a single document."""
    return document_counts(tok, [text]).words
