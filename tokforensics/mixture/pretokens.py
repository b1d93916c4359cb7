"""Pretoken tables of streamed text: how a tokenizer splits text, as plain data a worker can rebuild, and the job
that counts one byte range of a file with it.

The hot path is C from end to end: ``regex`` findall (or the tokenizer library's own splitter) per document, chained
into one ``collections.Counter`` update; Python runs once per document and once per distinct pretoken, never per
pretoken. Tokenizers whose pretokenizer is one regex Split before ByteLevel (tiktoken files, GPT-2-style
tokenizer.json) split with the `regex` module: on the same text it was 4-5x faster than the tokenizers
pre_tokenize_str path (docs/scale.md), and it gives the same pieces (tests/test_mixture_streaming.py checks both on
hostile text).

A table is keyed by the spec's fingerprint, not by the tokenizer: GPT-4's cl100k and Llama 3 share one regex, so
one count serves both; the tokenizer-specific step (pieces -> base-symbol ids) comes after, in streaming.py.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import chain, compress

import numpy as np

from .. import cache
from ..corpus.documents import FileRange, document_keys, iter_batches
from ..corpus.textio import NotUtf8Error
from ..errors import InputError
from ..tokenizer.view import SP_SPACE, Tokenizer

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


@dataclass(frozen=True)
class PretokenizerSpec:
    """Everything that decides how text splits into pretokens, as picklable data.

    kind "regex": optional NFC, then `pattern`'s matches; "metaspace": the SentencePiece-style split of
    Tokenizer.pretokenize; "hf": a tokenizers normalizer + pre_tokenizer rebuilt from `hf_json`.
    """

    kind: str
    pattern: str = ""
    nfc: bool = False
    hf_json: str = ""
    sp_flags: tuple[bool, bool, bool] = (False, False, False)  # remove_extra_whitespaces, dummy prefix, safe

    @property
    def fingerprint(self) -> str:
        return cache.key_of("pretokenizer", self.kind, self.pattern, self.nfc, self.hf_json, list(self.sp_flags))


def _plain_regex(pre: dict | None) -> str | None:
    """The single regex of a pretokenizer that is just "split on this regex, then map bytes", else None."""
    if not pre:
        return None
    if pre.get("type") == "ByteLevel":
        if pre.get("use_regex", True) and not pre.get("add_prefix_space", False):
            return GPT2_PATTERN
        return None
    if pre.get("type") != "Sequence" or len(pre.get("pretokenizers", [])) != 2:
        return None
    split, bl = pre["pretokenizers"]
    regex_src = (split.get("pattern") or {}).get("Regex")
    if (split.get("type") == "Split" and regex_src and split.get("behavior") == "Isolated"
            and not split.get("invert") and bl.get("type") == "ByteLevel" and not bl.get("use_regex", True)
            and not bl.get("add_prefix_space", False)):
        return regex_src
    return None


def pretokenizer_spec(tok: Tokenizer) -> PretokenizerSpec:
    desc = tok.pretokenizer_description()
    if desc["kind"] == "regex":
        return PretokenizerSpec("regex", pattern=desc["pattern"] or "", nfc=bool(desc["nfc"]))
    if desc["kind"] == "metaspace":
        return PretokenizerSpec("metaspace", sp_flags=(desc["remove_extra_whitespaces"], desc["add_dummy_prefix"],
                                                       bool(desc["metaspace_safe"])))
    norm, pre = desc["normalizer"], desc["pre_tokenizer"]
    pattern = _plain_regex(pre)
    if pattern is not None and (norm is None or norm == {"type": "NFC"}):
        return PretokenizerSpec("regex", pattern=pattern, nfc=norm is not None)
    minimal = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": [], "normalizer": norm,
               "pre_tokenizer": pre, "post_processor": None, "decoder": None,
               "model": {"type": "WordLevel", "vocab": {"[UNK]": 0}, "unk_token": "[UNK]"}}
    # no pre_tokenizer: Tokenizer.pretokenize cuts before each ▁ (when that is safe), so the spec says whether it is
    safe = pre is None and bool(desc["metaspace_safe"])
    return PretokenizerSpec("hf", hf_json=json.dumps(minimal, sort_keys=True), sp_flags=(False, False, safe))


_SPLITTERS: dict[str, object] = {}


def splitter(spec: PretokenizerSpec):
    """text -> list of pretokens, built once per process (workers rebuild it from the spec)."""
    fn = _SPLITTERS.get(spec.fingerprint)
    if fn is None:
        fn = _SPLITTERS[spec.fingerprint] = _build(spec)
    return fn


# The contraction alternatives lead GPT-2-family patterns and are tried at every position; with the quote factored
# out they are tried only after a quote. Same alternatives in the same order after the same prefix: the same
# matches (tested), and findall is about 1.5x faster on English.
_CONTRACTIONS = {"'s|'t|'re|'ve|'m|'ll|'d": "'(?:s|t|re|ve|m|ll|d)"}


def fast_pattern(pattern: str) -> str:
    for slow, fast in _CONTRACTIONS.items():
        if pattern.startswith(slow + "|"):
            return fast + pattern[len(slow):]
        if pattern.startswith(f"(?i:{slow})|"):
            return f"(?i:{fast})" + pattern[len(slow) + 5:]
    return pattern


def _build(spec: PretokenizerSpec):
    if spec.kind == "regex":
        import regex

        findall = regex.compile(fast_pattern(spec.pattern)).findall
        if not spec.nfc:
            return findall
        from tokenizers import normalizers

        nfc = normalizers.NFC().normalize_str
        return lambda text: findall(nfc(text))
    if spec.kind == "metaspace":
        strip_extra, dummy, safe = spec.sp_flags
        cut = re.compile(r"(?<=[^▁])(?=▁)").split
        spaces = re.compile(" {2,}").sub

        def split_sp(text: str) -> list[str]:
            if strip_extra:
                text = spaces(" ", text.strip(" "))
            out = text.replace(" ", SP_SPACE)
            if dummy and out:
                out = SP_SPACE + out
            if not out:
                return []
            if not safe:
                return [out]
            return [p for p in cut(out) if p]

        return split_sp
    from tokenizers import Tokenizer as HFTokenizer

    hf = HFTokenizer.from_str(spec.hf_json)
    norm = hf.normalizer.normalize_str if hf.normalizer is not None else None
    pre = hf.pre_tokenizer
    safe = spec.sp_flags[2]
    cut = re.compile(r"(?<=[^▁])(?=▁)").split

    def split_hf(text: str) -> list[str]:
        if norm is not None:
            text = norm(text)
        if pre is None:
            if not text:
                return []
            return [p for p in cut(text) if p] if safe else [text]
        return [text[s:e] for _, (s, e) in pre.pre_tokenize_str(text)]

    return split_hf


@dataclass
class RangeCounts:
    """Pretoken counts of some documents; with blocks, also per seeded block (rows of a block x piece matrix)."""

    pieces: list[str]
    counts: np.ndarray  # (W,) i8
    n_bytes: int = 0
    n_docs: int = 0
    n_pretokens: int = 0
    block_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # (K,) block of each entry
    block_words: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # (K,) index into pieces
    block_counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    block_bytes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # (B,)
    block_docs: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # (B,)


@dataclass(frozen=True)
class CountJob:
    """One byte range to count. kept: sorted keys of the documents to count (None: all). blocks > 1: also count per
    block (a document's block is its key's high 32 bits mod blocks)."""

    range: FileRange
    spec: PretokenizerSpec
    kept: np.ndarray | None = None
    blocks: int = 1


def _selected(job: CountJob, batch) -> tuple[list[str], np.ndarray, np.ndarray | None]:
    keys = None
    if job.kept is not None or job.blocks > 1:
        keys = document_keys(batch.offsets, job.range.salt)
    if job.kept is None:
        return batch.texts, batch.sizes, keys
    if not len(job.kept):
        return [], batch.sizes[:0], keys[:0]
    at = np.minimum(np.searchsorted(job.kept, keys), len(job.kept) - 1)
    mask = job.kept[at] == keys
    return list(compress(batch.texts, mask.tolist())), batch.sizes[mask], keys[mask]


def count_range(job: CountJob) -> RangeCounts | tuple[str, str]:
    """Count one range; a file that is not UTF-8 comes back as ("not-utf8", message) so the caller can skip it,
    other bad input as ("input", message): an exception would end the whole executor map."""
    try:
        return _count(job)
    except NotUtf8Error as exc:
        return ("not-utf8", str(exc))
    except InputError as exc:
        return ("input", str(exc))


def _count(job: CountJob) -> RangeCounts:
    split = splitter(job.spec)
    total: Counter[str] = Counter()
    n_bytes = n_docs = 0
    B = job.blocks
    rows: list[np.ndarray] = []
    words: list[np.ndarray] = []
    nums: list[np.ndarray] = []
    index: dict[str, int] = {}
    block_bytes = np.zeros(B if B > 1 else 0, np.int64)
    block_docs = np.zeros(B if B > 1 else 0, np.int64)
    for batch in iter_batches(job.range):
        texts, sizes, keys = _selected(job, batch)
        n_bytes += int(sizes.sum())
        n_docs += len(texts)
        if B <= 1:
            total.update(chain.from_iterable(map(split, texts)))
            continue
        block = ((keys >> np.uint64(32)) % np.uint64(B)).astype(np.int64)
        np.add.at(block_bytes, block, sizes)
        np.add.at(block_docs, block, 1)
        order = np.argsort(block, kind="stable")
        bounds = np.flatnonzero(np.diff(block[order])) + 1
        for part in np.split(order, bounds) if len(order) else []:
            c = Counter(chain.from_iterable(map(split, map(texts.__getitem__, part.tolist()))))
            total.update(c)
            ids = [index.setdefault(p, len(index)) for p in c]
            rows.append(np.full(len(ids), block[part[0]], np.int64))
            words.append(np.asarray(ids, np.int64))
            nums.append(np.fromiter(c.values(), np.int64, len(c)))
    if B <= 1:
        pieces = list(total)
        counts = np.fromiter(total.values(), np.int64, len(total))
        return RangeCounts(pieces, counts, n_bytes, n_docs, int(counts.sum()))
    pieces = list(index)
    counts = np.fromiter(map(total.__getitem__, pieces), np.int64, len(pieces))
    r = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    w = np.concatenate(words) if words else np.zeros(0, np.int64)
    n = np.concatenate(nums) if nums else np.zeros(0, np.int64)
    r, w, n = _reduce(r, w, n, len(pieces))
    return RangeCounts(pieces, counts, n_bytes, n_docs, int(counts.sum()), r, w, n, block_bytes, block_docs)


def _reduce(rows: np.ndarray, words: np.ndarray, nums: np.ndarray, W: int):
    """Sum duplicate (block, word) entries; sorted by block, then word."""
    if not len(rows):
        return rows, words, nums
    key = rows * max(W, 1) + words
    uniq, inv = np.unique(key, return_inverse=True)
    sums = np.bincount(inv, weights=nums, minlength=len(uniq)).astype(np.int64)
    return uniq // max(W, 1), uniq % max(W, 1), sums


def merge(parts: list[RangeCounts], blocks: int = 1) -> RangeCounts:
    """One table from several (ranges of a file, or files of a category): pieces in first-seen order."""
    if len(parts) == 1:
        return parts[0]
    index: dict[str, int] = {}
    ids = [np.fromiter((index.setdefault(p, len(index)) for p in rc.pieces), np.int64, len(rc.pieces))
           for rc in parts]
    W = len(index)
    counts = np.zeros(W, np.int64)
    for rc, m in zip(parts, ids, strict=True):
        np.add.at(counts, m, rc.counts)
    out = RangeCounts(list(index), counts, sum(rc.n_bytes for rc in parts), sum(rc.n_docs for rc in parts),
                      sum(rc.n_pretokens for rc in parts))
    if blocks > 1:
        r = np.concatenate([rc.block_rows for rc in parts])
        w = np.concatenate([m[rc.block_words] for rc, m in zip(parts, ids, strict=True)])
        n = np.concatenate([rc.block_counts for rc in parts])
        out.block_rows, out.block_words, out.block_counts = _reduce(r, w, n, W)
        out.block_bytes = np.sum([rc.block_bytes for rc in parts], axis=0).astype(np.int64)
        out.block_docs = np.sum([rc.block_docs for rc in parts], axis=0).astype(np.int64)
    return out


# ------------------------------------------------------------------------------------- cache form of a table
def table_arrays(rc: RangeCounts) -> dict[str, np.ndarray]:
    encoded = [p.encode("utf-8") for p in rc.pieces]
    lengths = np.fromiter(map(len, encoded), np.int64, len(encoded))
    return {"blob": np.frombuffer(b"".join(encoded), np.uint8), "lengths": lengths, "counts": rc.counts,
            "stats": np.array([rc.n_bytes, rc.n_docs, rc.n_pretokens], np.int64), "block_rows": rc.block_rows,
            "block_words": rc.block_words, "block_counts": rc.block_counts, "block_bytes": rc.block_bytes,
            "block_docs": rc.block_docs}


TABLE_FIELDS = ("blob", "lengths", "counts", "stats", "block_rows", "block_words", "block_counts", "block_bytes",
                "block_docs")


def table_from_arrays(z: dict[str, np.ndarray]) -> RangeCounts:
    blob = z["blob"].tobytes()
    ends = np.cumsum(z["lengths"]).tolist()
    starts = [0, *ends[:-1]]
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(starts, ends, strict=True)]
    n_bytes, n_docs, n_pre = (int(v) for v in z["stats"])
    return RangeCounts(pieces, z["counts"], n_bytes, n_docs, n_pre, z["block_rows"], z["block_words"],
                       z["block_counts"], z["block_bytes"], z["block_docs"])
