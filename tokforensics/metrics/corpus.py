"""Corpus efficiency and losslessness of one tokenizer on one corpus.

Everything after the batch encode is vectorised over the token stream: each token's bytes are gathered
from one concatenated vocabulary array, the stream's characters are classified with the code-point
tables, and words (maximal runs of non-space characters) are matched to the tokens that overlap them with
cumulative sums. `word_stats_reference` is the plain-Python definition the tests check this against.
"""

from __future__ import annotations

import itertools
import math
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..errors import UsageError
from ..tokenizer.view import Tokenizer
from . import chars
from .sources import CorpusInfo, EvalCorpus

DEFAULT_ALPHA = 2.5
N_DIFF_EXAMPLES = 5
ROUNDTRIP_SAMPLE = 32
UNKNOWN_MARKS = ("\ufffd", "\u2047")  # replacement character; SentencePiece's unknown ⁇
UNSPACED_SHARE = 0.5


@dataclass
class Encoded:
    """A corpus encoded by one tokenizer: ids per segment, the flat id array and the wall time."""

    ids: list[list[int]]
    flat: np.ndarray
    seg_tokens: np.ndarray
    seconds: float


@dataclass
class RoundTripDiff:
    segment: int
    kind: str  # unknown | whitespace | normalization | other
    position: int
    original: str
    decoded: str


@dataclass
class RoundTrip:
    segments: int
    lossless_segments: int
    lossless_share: float
    kinds: dict[str, int]
    examples: list[RoundTripDiff] = field(default_factory=list)


@dataclass
class SplitWord:
    word: str
    tokens: int
    pieces: list[str]


@dataclass
class CorpusStats:
    tokenizer: str
    corpus: CorpusInfo
    tokens: int
    bytes_per_token: float
    chars_per_token: float
    words: int
    fertility: float
    fertility_unit: str  # word | character
    tokens_per_word: float
    tokens_per_char: float
    continued_word_ratio: float
    split_word_ratio: float
    distinct_tokens: int
    usable_vocab: int
    vocab_utilisation: float
    shannon_entropy: float
    shannon_efficiency: float
    renyi_alpha: float
    renyi_entropy: float
    renyi_efficiency: float
    efficiency_vocab: str
    encode_seconds: float
    metrics_seconds: float
    chars_per_second: float
    unk_tokens: int
    unk_rate: float
    unknown_chars: int
    unknown_char_rate: float
    unknown_char_examples: list[str]
    roundtrip: RoundTrip
    most_split: list[SplitWord]


# ------------------------------------------------------------------------------------------ corpus side
class _CorpusArrays:
    """Tokenizer-independent arrays of a corpus, computed once and kept on the corpus object."""

    def __init__(self, corpus: EvalCorpus):
        text = "".join(corpus.segments)
        self.cps = chars.codepoints(text)
        script_lut, cls_lut = chars.tables()
        cls = cls_lut[self.cps]
        self.nonspace = int(((cls & chars.SPACE) == 0).sum())
        letters = (cls & chars.LETTER) > 0
        scr = script_lut[self.cps][letters]
        unspaced_ids = [chars.SCRIPT_NAMES.index(s) for s in chars.UNSPACED_SCRIPTS]
        n_letters = int(letters.sum())
        self.unspaced_share = float(np.isin(scr, unspaced_ids).sum() / n_letters) if n_letters else 0.0
        self.distinct_chars = np.unique(self.cps)
        sb = _segment_bytes(corpus)
        self.seg_len = np.fromiter((len(b) for b in sb), dtype=np.int64, count=len(sb))
        self.seg_start = np.zeros(len(sb), np.int64)
        if len(sb) > 1:
            self.seg_start[1:] = np.cumsum(self.seg_len)[:-1]
        self.seg_blob = np.frombuffer(b"".join(sb), dtype=np.uint8)


def _arrays(corpus: EvalCorpus) -> _CorpusArrays:
    arr = corpus.__dict__.get("_metrics_arrays")
    if arr is None:
        arr = _CorpusArrays(corpus)
        corpus.__dict__["_metrics_arrays"] = arr
    return arr


# ------------------------------------------------------------------------------------------ encoding
def usable_vocab(tok: Tokenizer) -> int:
    """Ids that stand for text: not unused, not special, not the unknown token."""
    lens = tok.token_lengths
    drop = set(tok.special_ids)
    if tok.unk_id is not None:
        drop.add(tok.unk_id)
    return int((lens > 0).sum()) - sum(1 for i in drop if 0 <= i < len(lens) and lens[i] > 0)


def encode_corpus(tok: Tokenizer, corpus: EvalCorpus) -> Encoded:
    t0 = time.perf_counter()
    ids = tok.encode_batch(corpus.segments)
    dt = time.perf_counter() - t0
    seg_tokens = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
    total = int(seg_tokens.sum())
    flat = np.fromiter(itertools.chain.from_iterable(ids), dtype=np.int64, count=total)
    return Encoded(ids=ids, flat=flat, seg_tokens=seg_tokens, seconds=dt)


# ------------------------------------------------------------------------------------------ the metrics
def corpus_stats(tok: Tokenizer, corpus: EvalCorpus, alpha: float = DEFAULT_ALPHA, top: int = 10,
                 encoded: Encoded | None = None, progress: Callable[[str], None] | None = None) -> CorpusStats:
    if alpha <= 0:
        raise UsageError(f"--alpha must be > 0 (got {alpha}); 1 gives Shannon entropy")
    if progress:
        progress(f"{tok.name}: encoding {corpus.name}")
    enc = encoded if encoded is not None else encode_corpus(tok, corpus)
    t0 = time.perf_counter()
    arr = _arrays(corpus)
    flat = enc.flat
    n_tok = len(flat)
    usable = usable_vocab(tok)

    # distribution: distinct tokens, Shannon and Rényi entropies
    counts = np.bincount(flat, minlength=0) if n_tok else np.zeros(0, np.int64)
    counts = counts[counts > 0]
    p = counts / max(1, n_tok)
    h1 = float(-(p * np.log2(p)).sum()) if n_tok else 0.0
    if alpha == 1:
        ha = h1
    else:
        ha = float(np.log2((p ** alpha).sum()) / (1 - alpha)) if n_tok else 0.0
    logv = math.log2(usable) if usable > 1 else float("nan")

    # word structure of the token stream, and the stream itself for the round trip
    ws, cmp = _scan(tok, enc, arr, top)

    # unknown tokens / characters
    unk = tok.unk_id
    unk_tokens = int((flat == unk).sum()) if unk is not None and n_tok else 0
    unk_chars, unk_rate_chars, unk_examples = _unknown_chars(tok, corpus, arr, unk)

    rt = _roundtrip(tok, corpus, enc, cmp)
    words = corpus.words
    chars_n = corpus.characters
    unspaced = arr.unspaced_share > UNSPACED_SHARE
    tpw = n_tok / words if words else float("nan")
    tpc = n_tok / arr.nonspace if arr.nonspace else float("nan")
    metrics_dt = time.perf_counter() - t0
    return CorpusStats(
        tokenizer=tok.name, corpus=corpus.info(), tokens=n_tok,
        bytes_per_token=corpus.text_bytes / n_tok if n_tok else float("nan"),
        chars_per_token=chars_n / n_tok if n_tok else float("nan"),
        words=words, fertility=tpc if unspaced else tpw, fertility_unit="character" if unspaced else "word",
        tokens_per_word=tpw, tokens_per_char=tpc,
        continued_word_ratio=ws["continued"], split_word_ratio=ws["split"],
        distinct_tokens=len(counts), usable_vocab=usable, vocab_utilisation=len(counts) / usable if usable else float("nan"),
        shannon_entropy=h1, shannon_efficiency=h1 / logv, renyi_alpha=alpha, renyi_entropy=ha,
        renyi_efficiency=ha / logv,
        efficiency_vocab=f"|V| = {usable:,} (the tokenizer's ids that stand for text: special, unknown and unused ids excluded)",
        encode_seconds=enc.seconds, metrics_seconds=metrics_dt,
        chars_per_second=chars_n / enc.seconds if enc.seconds > 0 else float("nan"),
        unk_tokens=unk_tokens, unk_rate=unk_tokens / n_tok if n_tok else 0.0,
        unknown_chars=unk_chars, unknown_char_rate=unk_rate_chars, unknown_char_examples=unk_examples,
        roundtrip=rt, most_split=ws["most_split"],
    )


def _scan(tok: Tokenizer, enc: Encoded, arr: _CorpusArrays, top: int) -> tuple[dict, _ByteCompare]:
    """Word statistics and the byte comparison with the text, from one pass over the token stream."""
    from .stream import build_stream, scan_stream

    n = len(arr.seg_len)
    empty = {"continued": float("nan"), "split": float("nan"), "most_split": []}
    flat = enc.flat
    if not len(flat):
        return empty, _ByteCompare(False, list(range(n)), np.zeros(n, bool))
    blob, offs = tok.token_blob
    table = tok.token_lengths
    stream, starts = build_stream(flat, table, blob, offs)
    lens = table[flat]
    cls_lut = chars.tables()[1]
    tpw, wstart, wend, n_words, word_tokens, continued, differ, lead = scan_stream(
        stream, starts, lens, enc.seg_tokens, arr.seg_blob, arr.seg_start, arr.seg_len, tok.adds_prefix_space,
        cls_lut, np.uint8(chars.LETTER | chars.MARK))
    exact = tok.algorithm != "wordpiece"
    cmp = _ByteCompare(exact, [int(k) for k in np.flatnonzero(differ)] if exact else list(range(n)), lead)
    if n_words == 0:
        return empty, cmp
    out = {"continued": continued / word_tokens if word_tokens else float("nan"),
           "split": float((tpw >= 2).mean()), "most_split": []}
    if top > 0:
        out["most_split"] = _most_split(tok, flat, starts, lens, stream, tpw, wstart, wend, top)
    return out, cmp


def _most_split(tok, flat, starts, lens, stream, tpw, wstart, wend, top) -> list[SplitWord]:
    k = min(len(tpw), max(50, top * 20))
    cand = np.argpartition(-tpw, k - 1)[:k] if k < len(tpw) else np.arange(len(tpw))
    order = cand[np.lexsort((cand, -tpw[cand]))]
    ends = starts + lens
    out: list[SplitWord] = []
    seen: set[str] = set()
    for w in order:
        if tpw[w] < 2 or len(out) >= top:
            break
        a, b = int(wstart[w]), int(wend[w])
        word = stream[a:b].tobytes().decode("utf-8", "replace")
        if word in seen:
            continue
        seen.add(word)
        i0 = int(np.searchsorted(ends, a, side="right"))
        i1 = int(np.searchsorted(starts, b, side="left"))
        pieces = [tok.symbol(int(t)) for t, n in zip(flat[i0:i1], lens[i0:i1], strict=True) if n > 0]
        out.append(SplitWord(word=word, tokens=int(tpw[w]), pieces=pieces))
    return out


def _unknown_chars(tok: Tokenizer, corpus: EvalCorpus, arr: _CorpusArrays, unk: int | None):
    if unk is None:
        return 0, 0.0, []
    cand = [chr(int(c)) for c in arr.distinct_chars if not chr(int(c)).isspace()]
    bad = [c for c, ids in zip(cand, tok.encode_batch(cand, specials=False), strict=True) if unk in ids]
    if not bad:
        return 0, 0.0, []
    mask = np.isin(arr.cps, np.array([ord(c) for c in bad], dtype=np.uint32))
    n = int(mask.sum())
    return n, n / arr.nonspace if arr.nonspace else 0.0, bad[:12]


# ------------------------------------------------------------------------------------------ round trip
@dataclass
class _ByteCompare:
    """Which segments' token bytes equal their text (after the tokenizer's own leading space, if any)."""

    exact: bool  # the comparison was made (False: WordPiece or nothing encoded: decode every segment)
    differ: list[int]  # segments whose token bytes differ from the text
    lead_space: np.ndarray  # per segment: the token bytes start with an added space


def _roundtrip(tok: Tokenizer, corpus: EvalCorpus, enc: Encoded, cmp: _ByteCompare) -> RoundTrip:
    """decode(encode(x)) == x per segment.

    The decoder is run on every segment whose token bytes differ from its text, and on a sample of
    segments whose bytes agree, to confirm the decoder adds nothing of its own (clean-up, stripping); if
    any sampled segment disagrees, or the tokenizer is WordPiece, it is run on every segment."""
    segs = corpus.segments
    n = len(segs)
    if not cmp.exact:
        decoded = tok.decode_batch(enc.ids)
        bad = [k for k in range(n) if segs[k] != decoded[k]]
        real = dict(zip(bad, (decoded[k] for k in bad), strict=True))
    else:
        cand = cmp.differ
        cset = set(cand)
        sample = list(itertools.islice((k for k in range(n) if k not in cset), ROUNDTRIP_SAMPLE))
        check = sample + cand
        dec = tok.decode_batch([enc.ids[k] for k in check])
        got = dict(zip(check, dec, strict=True))
        if any(got[k] != segs[k] for k in sample):
            decoded = tok.decode_batch(enc.ids)
            got = dict(enumerate(decoded))
            cand = list(range(n))
        bad = [k for k in cand if got[k] != segs[k]]
        real = {k: got[k] for k in bad}
    kinds: dict[str, int] = {}
    examples: list[RoundTripDiff] = []
    unk_lit = _unk_literal(tok)
    for k in bad:
        kind = classify_diff(segs[k], real[k], unk_lit)
        kinds[kind] = kinds.get(kind, 0) + 1
        if len(examples) < N_DIFF_EXAMPLES:
            pos, a, b = first_diff(segs[k], real[k])
            examples.append(RoundTripDiff(segment=k, kind=kind, position=pos, original=a, decoded=b))
    return RoundTrip(segments=n, lossless_segments=n - len(bad), lossless_share=(n - len(bad)) / n if n else 1.0,
                     kinds=kinds, examples=examples)


def _segment_bytes(corpus: EvalCorpus) -> list[bytes]:
    sb = corpus.__dict__.get("_metrics_seg_bytes")
    if sb is None:
        sb = [s.encode("utf-8") for s in corpus.segments]
        corpus.__dict__["_metrics_seg_bytes"] = sb
    return sb


def _unk_literal(tok: Tokenizer) -> str | None:
    u = tok.unk_id
    if u is None:
        return None
    return tok.token_bytes[u].decode("utf-8", "replace") or None


def first_diff(a: str, b: str, context: int = 12) -> tuple[int, str, str]:
    """Position of the first difference and the differing spans (with a little context) of a and b."""
    n = min(len(a), len(b))
    p = 0
    while p < n and a[p] == b[p]:
        p += 1
    q = 0
    while q < n - p and a[len(a) - 1 - q] == b[len(b) - 1 - q]:
        q += 1
    lo = max(0, p - context)
    return p, a[lo:len(a) - q + context], b[lo:len(b) - q + context]


def _fold(s: str) -> str:
    s = unicodedata.normalize("NFKD", "".join(s.split())).casefold()
    return "".join(c for c in s if not unicodedata.combining(c))


def classify_diff(original: str, decoded: str, unk_literal: str | None = None) -> str:
    """unknown: an unknown-token literal, U+FFFD or SentencePiece's ⁇ (U+2047) appears; whitespace: equal once
    whitespace is removed; normalization: equal after NFKD, case folding and dropping accents; other: the rest."""
    if (unk_literal and unk_literal in decoded and unk_literal not in original) or any(
            m in decoded and m not in original for m in UNKNOWN_MARKS):
        return "unknown"
    if "".join(original.split()) == "".join(decoded.split()):
        return "whitespace"
    if _fold(original) == _fold(decoded):
        return "normalization"
    return "other"


# ------------------------------------------------------------------------------------------ references
def word_stats_reference(tok: Tokenizer, segments: list[str]) -> dict:
    """Plain Python: per word, the number of tokens whose bytes overlap it (words = maximal runs of letters
    and marks in the token bytes of each segment). Returns continued-token ratio, split ratio, tokens per word."""
    tpw: list[int] = []
    cont = word_tokens = 0
    tb = tok.token_bytes
    for seg in segments:
        ids = tok.encode(seg)
        spans = []
        pos = 0
        for i in ids:
            spans.append((pos, pos + len(tb[i])))
            pos += len(tb[i])
        text = b"".join(tb[i] for i in ids).decode("utf-8", "surrogateescape")
        is_word: list[bool] = []
        for ch in text:
            n = 1 if 0xDC80 <= ord(ch) <= 0xDCFF else len(ch.encode("utf-8"))
            is_word += [unicodedata.category(ch)[0] in "LM"] * n
        words = []
        b = 0
        while b < len(is_word):
            if is_word[b]:
                a = b
                while b < len(is_word) and is_word[b]:
                    b += 1
                words.append((a, b))
            else:
                b += 1
        for a, b in words:
            tpw.append(sum(1 for s, e in spans if s < b and e > a and s < e))
        for s, e in spans:
            if s < e and any(is_word[s:e]):
                word_tokens += 1
                if is_word[s] and s > 0 and is_word[s - 1]:
                    cont += 1
    return {"continued": cont / word_tokens if word_tokens else float("nan"),
            "split": sum(1 for x in tpw if x >= 2) / len(tpw) if tpw else float("nan"), "tokens_per_word": tpw}


def renyi_reference(counts: list[int], alpha: float, vocab: int) -> float:
    n = sum(counts)
    ps = [c / n for c in counts if c]
    if alpha == 1:
        h = -sum(p * math.log2(p) for p in ps)
    else:
        h = math.log2(sum(p ** alpha for p in ps)) / (1 - alpha)
    return h / math.log2(vocab)


# ------------------------------------------------------------------------------------------ small entry points
@dataclass
class LossyCase:
    expected: str  # the differing span of the original (with a little context)
    got: str  # the same span of decode(encode(text))
    offset: int  # character offset of the first difference
    kind: str


@dataclass
class RoundTripCheck:
    n_texts: int
    lossy_indices: list[int]
    lossy: list[LossyCase]


def round_trip(tok: Tokenizer, texts: list[str]) -> RoundTripCheck:
    """decode(encode(text)) == text for each whole text (no line splitting)."""
    ids = tok.encode_batch(list(texts)) if texts else []
    decoded = tok.decode_batch(ids)
    unk_lit = _unk_literal(tok)
    idx, cases = [], []
    for k, (a, b) in enumerate(zip(texts, decoded, strict=True)):
        if a != b:
            pos, x, y = first_diff(a, b)
            idx.append(k)
            cases.append(LossyCase(expected=x, got=y, offset=pos, kind=classify_diff(a, b, unk_lit)))
    return RoundTripCheck(n_texts=len(texts), lossy_indices=idx, lossy=cases)


@dataclass
class Fertility:
    fertility: dict[str, float]
    unit: dict[str, str]
    corpus: str


def fertility(tok: Tokenizer, corpus: str = "udhr", languages: list[str] | None = None) -> Fertility:
    """Fertility per language of a shipped parallel corpus, or of one file/folder (keyed by its path)."""
    from pathlib import Path

    from .sources import from_path, from_texts

    if Path(corpus).exists():
        c = from_path(corpus)
        st = corpus_stats(tok, c, top=0)
        return Fertility({str(corpus): st.fertility}, {str(corpus): st.fertility_unit}, f"{corpus} ({c.info().words:,} words)")
    from ..corpus.parallel import load_parallel

    par = load_parallel(corpus)
    codes = [par.resolve(x) for x in languages] if languages else sorted(par.languages)
    out, unit = {}, {}
    for code in codes:
        seg_ids, texts = par.aligned([code])
        c = from_texts(f"{corpus}:{code}", texts[code], language=par.languages[code].code, source=par.source)
        st = corpus_stats(tok, c, top=0)
        out[code], unit[code] = st.fertility, st.fertility_unit
    return Fertility(out, unit, f"{par.source}; {len(codes)} languages")
