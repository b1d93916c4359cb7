"""How a tokenizer splits numbers, measured from its behaviour (never from its name).

For seeded random n-digit numbers (n = 1..20) the probe encodes each number, finds which token holds each
digit, and reads off the chunk pattern (1234567 -> 3-3-1 for left-to-right chunks of three, 1-3-3 for
right-to-left). From those patterns it names the scheme: single digits, L2R chunks of up to k digits,
R2L chunks, or free BPE (digit strings learned as tokens). It also counts the number tokens in the
vocabulary and measures how separators (1,234,567 vs 123,456,7) change tokens per number and alignment.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError
from ..progress import Progress
from ..tokenizer import zoo
from ..tokenizer.ref import TokenizerRef
from ..tokenizer.view import Tokenizer
from .numbers import (
    chunk_boundaries,
    chunk_pattern,
    number_format,
    pattern_str,
    random_digit_strings,
    thousands_boundaries,
)

DEFAULT_FORMATS = ("plain", "comma_r2l", "comma_l2r", "space_r2l", "space_l2r")
SCHEME_THRESHOLD = 0.95
_DIGIT = re.compile(rb"[0-9]")
_NUMBER_TOKEN = re.compile(rb" ?[0-9]+")


@dataclass(frozen=True)
class PatternShare:
    pattern: str
    share: float


@dataclass(frozen=True)
class LengthStats:
    """Numbers of one length, written plainly."""

    digits: int
    samples: int
    mean_tokens: float  # tokens holding at least one digit, per number
    top_pattern: str
    top_share: float
    patterns: list[PatternShare]  # the most common chunk patterns, largest share first
    boundary_on_thousands: float | None  # share of chunk boundaries that fall on a thousands boundary
    aligned: float  # share of numbers in which no token crosses a thousands boundary


@dataclass(frozen=True)
class FormatStats:
    """Numbers in the digit range, written in one format (plain, 1,234,567, 123,456,7, ...)."""

    format: str
    label: str
    example: str
    example_pieces: list[str]
    tokens_per_number: float  # every token that touches the written number, separators included
    digit_tokens_per_number: float
    aligned: float
    top_pattern: str  # digit chunk pattern, separators left out
    top_share: float


@dataclass(frozen=True)
class NumberProbe:
    tokenizer: str
    vocab_size: int
    scheme: str  # single | l2r | r2l | free
    chunk: int  # largest digit chunk seen in plain numbers
    scheme_label: str
    consistency: float  # share of discriminating numbers that follow the named scheme exactly
    space_joins: float  # share of ' 123…' in which the leading space shares a token with the first digit
    prefix_token: float  # share of plain numbers preceded by a token of spaces only (SentencePiece ▁)
    number_tokens: int  # vocabulary tokens that are digit strings with an optional single leading space
    number_tokens_spaced: int  # ... of which start with the space
    single_token_0_999: int  # of the 1,000 strings 0..999, how many encode as one digit token
    single_token_0000_9999: int  # of the 10,000 strings 0000..9999
    vocab_0_999: int  # of 0..999, how many are vocabulary tokens (reachable or not)
    vocab_0000_9999: int
    longest_number_token: int  # digits in the longest number token of the vocabulary
    longest_example: str
    mean_tokens_in_range: float  # mean tokens per plain number over the digit range
    digit_range: tuple[int, int]
    by_length: list[LengthStats]
    formats: list[FormatStats]
    examples: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ArithProbeResult:
    tokenizers: dict[str, NumberProbe]  # by label (tokforensics.tokenizer.ref)
    warnings: list[str]  # one line per zoo tokenizer that could not be probed here, and why
    seed: int
    samples: int
    max_digits: int
    digit_range: tuple[int, int]
    formats: list[str]
    refs: list[TokenizerRef] = field(default_factory=list)
    model: Any = None  # a ModelProbeResult when `tok arith --model` also ran prompted addition


# ---------------------------------------------------------------------------------------------- segmentation
@dataclass(frozen=True)
class Segmentation:
    chunks: tuple[int, ...]  # digits per token, in order, for tokens holding digits of the number
    tokens: int  # tokens that touch the written number (separators included)
    space_joined: bool  # the token holding the first digit starts before it (e.g. ' 123')
    prefix_token: bool  # a token of spaces only sits right before the number


def segment(token_bytes: Sequence[bytes], ids: Sequence[int], written: bytes) -> Segmentation | None:
    """Where the tokens of `ids` cut the number `written` (its first digit is the first digit of the text).

    None if the decoded bytes do not contain `written` at the first digit (a normalizer changed it).
    """
    pieces = [token_bytes[i] for i in ids]
    full = b"".join(pieces)
    m = _DIGIT.search(full)
    if m is None:
        return None
    start = m.start()
    end = start + len(written)
    if full[start:end] != written:
        return None
    chunks: list[int] = []
    touching = 0
    joined = prefix = False
    pos = 0
    prev: bytes | None = None
    for piece in pieces:
        s, e = pos, pos + len(piece)
        pos = e
        if e <= start:
            prev = piece
            continue
        if s >= end:
            break
        touching += 1
        if s < start and not chunks and piece[: start - s].strip(b" ") == b"":
            joined = True
        nd = len(_DIGIT.findall(full[max(s, start):min(e, end)]))
        if nd:
            chunks.append(nd)
    if prev is not None and prev and prev.strip(b" ") == b"":
        prefix = True
    return Segmentation(tuple(chunks), touching, joined, prefix)


def encode_segments(tok: Tokenizer, texts: list[str], written: list[str]) -> list[Segmentation | None]:
    tb = tok.token_bytes
    out = []
    # one encode per text: for short numbers this beats encode_batch's thread pool on tiktoken files
    for ids, w in zip(map(tok.encode, texts), written, strict=True):
        out.append(segment(tb, ids, w.encode("ascii")))
    return out


def require_digits(tok: Tokenizer) -> None:
    """Raise InputError unless the tokenizer writes every digit 0-9 back as itself."""
    segs = encode_segments(tok, ["0123456789"], ["0123456789"])
    if segs[0] is None or sum(segs[0].chunks) != 10:
        raise InputError(
            f"tokenizer '{tok.name}' has no tokens for the digits 0-9 (they become unknown tokens); "
            f"number probes need a tokenizer that can write digits"
        )


# ---------------------------------------------------------------------------------------------- inventory
def number_inventory(tok: Tokenizer) -> dict:
    specials = tok.special_ids | set(getattr(tok, "added_tokens", {}).values())
    n_plain = n_spaced = 0
    longest, example = 0, ""
    seen: set[bytes] = set()  # byte-fallback pieces (<0x31>) repeat the digits: count each string once
    for i, b in enumerate(tok.token_bytes):
        if i in specials or not b or b in seen or not _NUMBER_TOKEN.fullmatch(b):
            continue
        seen.add(b)
        if b[:1] == b" ":
            n_spaced += 1
        else:
            n_plain += 1
        nd = len(b.strip(b" "))
        if nd > longest or (nd == longest and b < example.encode()):
            longest, example = nd, b.decode("ascii")
    index = tok.bytes_to_id
    s3 = [str(i) for i in range(1000)]
    s4 = [f"{i:04d}" for i in range(10000)]
    vocab3 = sum(1 for s in s3 if s.encode() in index)
    vocab4 = sum(1 for s in s4 if s.encode() in index)
    reach3 = sum(1 for g in encode_segments(tok, s3, s3) if g is not None and len(g.chunks) == 1)
    reach4 = sum(1 for g in encode_segments(tok, s4, s4) if g is not None and len(g.chunks) == 1)
    return {
        "number_tokens": n_plain + n_spaced, "number_tokens_spaced": n_spaced,
        "single_token_0_999": reach3, "single_token_0000_9999": reach4,
        "vocab_0_999": vocab3, "vocab_0000_9999": vocab4,
        "longest_number_token": longest, "longest_example": example,
    }


# ---------------------------------------------------------------------------------------------- scheme
@dataclass(frozen=True)
class SchemeCall:
    scheme: str
    chunk: int
    consistency: float
    label: str


def classify_scheme(patterns: dict[int, list[tuple[int, ...]]], space_joins: float = 0.0,
                    threshold: float = SCHEME_THRESHOLD) -> SchemeCall:
    """Name the scheme from observed chunk patterns (digits -> one pattern per sampled number).

    single: no token holds two digits. l2r / r2l: at least `threshold` of the numbers whose L2R and R2L
    chunkings differ follow one of them exactly, with k the largest chunk seen. free: anything else.
    """
    k = max((c for pats in patterns.values() for p in pats for c in p), default=1)
    if k <= 1:
        return SchemeCall("single", 1, 1.0, "single digits")
    hits = {"l2r": 0, "r2l": 0}
    total = 0
    for n, pats in patterns.items():
        want = {d: chunk_pattern(n, k, d) for d in hits}
        if want["l2r"] == want["r2l"]:
            continue
        for p in pats:
            total += 1
            for d in hits:
                hits[d] += p == want[d]
    if total == 0:  # only lengths where both directions agree: fall back to every sample
        for n, pats in patterns.items():
            for p in pats:
                total += 1
                for d in hits:
                    hits[d] += p == chunk_pattern(n, k, d)
    best = max(hits, key=lambda d: hits[d])
    share = hits[best] / total if total else 0.0
    if share >= threshold:
        arrow = "L2R" if best == "l2r" else "R2L"
        return SchemeCall(best, k, share, f"{arrow} chunks of up to {k} digits")
    label = f"free BPE (learned digit strings up to {k})"
    if space_joins >= 0.5:
        label += ", leading space joins digits"
    # consistency of a free scheme: how often the same length gives the same pattern (its top pattern)
    same = sum(Counter(p).most_common(1)[0][1] for p in patterns.values() if p)
    n_all = sum(len(p) for p in patterns.values())
    return SchemeCall("free", k, same / n_all if n_all else 0.0, label)


# ---------------------------------------------------------------------------------------------- probe
# Random numbers per digit length: the one default sample of every command that reports a number scheme or its
# consistency (`tok arith`, `tok report`, `tok check`), so they all give the same numbers.
DEFAULT_SAMPLES = 200
def _length_stats(n: int, segs: list[Segmentation]) -> LengthStats:
    pats = Counter(s.chunks for s in segs)
    total = len(segs)
    th = thousands_boundaries(n)
    on = all_b = aligned = 0
    for s in segs:
        cb = chunk_boundaries(s.chunks)
        all_b += len(cb)
        on += len(cb & th)
        aligned += th <= cb
    top, top_n = pats.most_common(1)[0]
    return LengthStats(
        digits=n, samples=total, mean_tokens=float(np.mean([len(s.chunks) for s in segs])),
        top_pattern=pattern_str(top), top_share=top_n / total,
        patterns=[PatternShare(pattern_str(p), c / total) for p, c in pats.most_common(5)],
        boundary_on_thousands=(on / all_b) if all_b else None, aligned=aligned / total,
    )


def scheme_name(scheme: str, chunk: int) -> str:
    """The arithmetic probe's (scheme, chunk) as the policy writes it."""
    return {"single": "single-digit", "l2r": f"L2R-{chunk}", "r2l": f"R2L-{chunk}"}.get(scheme, "free BPE")


def probe_tokenizer(tok: Tokenizer, *, samples: int = DEFAULT_SAMPLES, max_digits: int = 20, digit_range: tuple[int, int] = (7, 9),
                    formats: Sequence[str] = DEFAULT_FORMATS, seed: int = 0) -> NumberProbe:
    """Everything `tok arith T` reports for one tokenizer. Deterministic for a given seed."""
    require_digits(tok)
    if samples < 1:
        raise InputError("samples must be at least 1")
    fmts = [number_format(f) for f in formats]
    rng = np.random.default_rng(seed)
    numbers = {n: random_digit_strings(rng, n, samples) for n in range(1, max_digits + 1)}

    flat = [s for n in numbers for s in numbers[n]]
    plain = encode_segments(tok, flat, flat)
    spaced = encode_segments(tok, [" " + s for s in flat], flat)
    by_len: dict[int, list[Segmentation]] = {}
    for s, g in zip(flat, plain, strict=True):
        if g is not None:
            by_len.setdefault(len(s), []).append(g)
    if not by_len:
        raise InputError(f"tokenizer '{tok.name}': its normalizer changes digit strings; cannot locate numbers")
    valid_spaced = [g for g in spaced if g is not None]
    space_joins = float(np.mean([g.space_joined for g in valid_spaced])) if valid_spaced else 0.0
    prefix_token = float(np.mean([g.prefix_token for g in plain if g is not None]))
    call = classify_scheme({n: [g.chunks for g in segs] for n, segs in by_len.items()}, space_joins)
    lengths = [_length_stats(n, segs) for n, segs in sorted(by_len.items())]

    lo, hi = digit_range
    rng_f = np.random.default_rng(seed + 1)
    in_range = [s for n in range(lo, hi + 1) for s in random_digit_strings(rng_f, n, samples)]
    fstats = []
    mean_range = float("nan")
    for f in fmts:
        written = [f.apply(s) for s in in_range]
        segs = encode_segments(tok, written, written)
        good = [(s, g) for s, g in zip(in_range, segs, strict=True) if g is not None]
        if not good:
            continue
        aligned = sum(thousands_boundaries(len(s)) <= chunk_boundaries(g.chunks) for s, g in good) / len(good)
        pats = Counter(g.chunks for _, g in good)
        top, top_n = pats.most_common(1)[0]
        ex = f.apply("1234567")
        ex_ids = tok.encode(ex)
        fs = FormatStats(
            format=f.name, label=f.label, example=ex,
            example_pieces=[tok.token_bytes[i].decode("utf-8", "replace") for i in ex_ids],
            tokens_per_number=float(np.mean([g.tokens for _, g in good])),
            digit_tokens_per_number=float(np.mean([len(g.chunks) for _, g in good])),
            aligned=aligned, top_pattern=pattern_str(top), top_share=top_n / len(good),
        )
        fstats.append(fs)
        if f.name == "plain":
            mean_range = fs.digit_tokens_per_number
    if np.isnan(mean_range):
        mean_range = float(np.mean([ls.mean_tokens for ls in lengths if lo <= ls.digits <= hi] or [np.nan]))
    examples = {}
    for text in ("1234567", " 1234567", "12345678+87654321="):
        examples[text] = [tok.token_bytes[i].decode("utf-8", "replace") for i in tok.encode(text)]
    inv = number_inventory(tok)
    return NumberProbe(
        tokenizer=tok.name, vocab_size=tok.vocab_size, scheme=call.scheme, chunk=call.chunk, scheme_label=call.label,
        consistency=call.consistency, space_joins=space_joins, prefix_token=prefix_token, **inv,
        mean_tokens_in_range=mean_range, digit_range=(lo, hi), by_length=lengths, formats=fstats, examples=examples,
    )


def probe_many(specs: Sequence[str] | None = None, *, samples: int = DEFAULT_SAMPLES, max_digits: int = 20,
               digit_range: tuple[int, int] = (7, 9), formats: Sequence[str] = DEFAULT_FORMATS, seed: int = 0,
               progress: Progress | None = None, tokenizers: dict[str, Tokenizer] | None = None,
               labels: list[str] | None = None) -> ArithProbeResult:
    """Probe several tokenizers (zoo names or paths); with none given, every available zoo tokenizer.

    `tokenizers` holds already-loaded tokenizers by spec (for example a model's own), used instead of loading.
    """
    from ..tokenizer.ref import labelled, load_labelled, ref_of, tokenizer_labels
    from ..tokenizer.view import load_tokenizer

    for f in formats:
        number_format(f)
    if max_digits < 1 or max_digits > 40:
        raise InputError("max_digits must be between 1 and 40")
    unavailable: dict[str, str] = {}
    whole_zoo = not specs
    if whole_zoo:
        specs, unavailable = zoo.available()
    elif len(set(map(str, specs))) < len(specs):
        load_labelled([str(s) for s in specs])  # the one error for a tokenizer named twice
    loaded = []
    for spec in specs:
        try:
            loaded.append((tokenizers or {}).get(str(spec)) or load_tokenizer(spec))
        except InputError as exc:
            if not whole_zoo:  # a tokenizer the user named must work; the zoo sweep reports and goes on
                raise
            unavailable[str(spec)] = str(exc)
    loaded = [labelled(t, lab) for t, lab in zip(loaded, tokenizer_labels(loaded, labels), strict=True)]
    out: dict[str, NumberProbe] = {}
    for i, tok in enumerate(loaded):
        if progress:
            progress(tok.name, i, len(loaded))
        try:
            out[tok.name] = probe_tokenizer(tok, samples=samples, max_digits=max_digits, digit_range=digit_range,
                                            formats=formats, seed=seed)
        except InputError as exc:
            if not whole_zoo:
                raise
            unavailable[tok.name] = str(exc)
    if not out:
        raise InputError("no tokenizer could be probed: " + "; ".join(f"{k}: {v}" for k, v in unavailable.items()))
    if progress:
        progress("done", len(specs), len(specs))
    return ArithProbeResult(out, [f"{k} not available here: {v}" for k, v in unavailable.items()], seed, samples,
                            max_digits, tuple(digit_range), list(formats), refs=[ref_of(t) for t in loaded
                                                                                  if t.name in out])
