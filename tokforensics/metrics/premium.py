"""Token premiums on parallel text (Petrov et al.), parity, tokenizer-fairness Gini, byte premiums,
seeded bootstrap intervals, and masking of languages a tokenizer cannot represent.

Each aligned segment (UDHR: the preamble and each article) is encoded on its own.
  premium(L)    = Σ_s tokens(L, s) / Σ_s tokens(ref, s)
  parity(L)     = mean over segments of tokens(L, s) / tokens(ref, s)
  byte premium  = UTF-8 bytes(L) / bytes(ref) of the text itself (no tokenizer)
  TFG           = Σ_i Σ_j |c_i - c_j| / (2 n² μ), c_l = tokens(L) / bytes(L) over the n unmasked languages
  interval      = 2.5 / 97.5 percentiles of the premium over B paired bootstrap resamples of the segments
                  (the same resamples for every tokenizer and language; numpy default_rng(seed))
A language whose text has more than 10% characters the tokenizer maps to its unknown token is masked:
its premium, parity and interval are null and the reason is listed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from ..errors import UsageError
from ..progress import Progress
from ..tokenizer.ref import TokenizerRef, ref_of
from ..tokenizer.view import Tokenizer

DEFAULT_SEED = 0
DEFAULT_BOOTSTRAP = 1000
MASK_UNKNOWN = 0.10


@dataclass(frozen=True)
class PremiumResult:
    corpus: str
    source: str
    segments: int
    ref: str
    languages: list[str]
    names: dict[str, str]
    tokenizers: list[TokenizerRef]  # in the order given; every per-tokenizer dict is keyed by their labels
    tokens: dict[str, dict[str, int]]
    premium: dict[str, dict[str, float | None]]
    interval: dict[str, dict[str, list[float] | None]]
    parity: dict[str, dict[str, float | None]]
    unknown_char_rate: dict[str, dict[str, float]]
    masked: dict[str, dict[str, str]]
    gini: dict[str, float | None]
    mean_premium: dict[str, float | None]
    bytes: dict[str, int]
    characters: dict[str, int]
    byte_premium: dict[str, float]
    seed: int
    bootstrap: int
    warnings: list[str] = field(default_factory=list)
    definitions: dict[str, str] = field(default_factory=dict)
    # labels, cheapest first (lowest mean premium; tokenizers without one last)
    order: list[str] = field(default_factory=list)
    # language key (the code as the user gave it) -> the corpus's declaration id (canonical code)
    codes: dict[str, str] = field(default_factory=dict)
    # language key -> segments it shares with the reference (its premium is measured on these)
    segments_by_language: dict[str, int] = field(default_factory=dict)


DEFINITIONS = {
    "premium": "tokens(L) / tokens(ref) over the aligned segments",
    "parity": "mean over segments of tokens(L, s) / tokens(ref, s)",
    "interval": "95% paired bootstrap percentile interval of the premium (segments resampled)",
    "gini": "tokenizer-fairness Gini over the unmasked languages: Σ|c_i - c_j| / (2 n² μ), c = tokens/bytes",
    "byte_premium": "UTF-8 bytes(L) / bytes(ref) of the text itself",
    "masked": f"more than {MASK_UNKNOWN:.0%} of the language's characters map to the unknown token",
    "mean_premium": "mean premium over the requested languages other than the reference (unmasked only)",
}


def tfg(costs: list[float]) -> float | None:
    """Tokenizer-fairness Gini of per-language costs (tokens per byte)."""
    c = np.asarray(costs, dtype=float)
    n = len(c)
    if n < 2 or c.mean() <= 0:
        return None
    return float(np.abs(c[:, None] - c[None, :]).sum() / (2 * n * n * c.mean()))


def bootstrap_weights(n_segments: int, n_boot: int, seed: int) -> np.ndarray:
    """(n_boot, n_segments) resampling counts: row b says how often each segment is drawn in resample b."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(n_segments, np.full(n_segments, 1.0 / n_segments), size=n_boot).astype(np.float64)


def premium_interval(t_lang: np.ndarray, t_ref: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    num = weights @ t_lang
    den = weights @ t_ref
    ratio = num / np.where(den > 0, den, np.nan)
    lo, hi = np.nanpercentile(ratio, [2.5, 97.5])
    return float(lo), float(hi)


def unknown_char_rate(tok: Tokenizer, text: str) -> float:
    """Share of the characters of `text` (whitespace excluded) that the tokenizer maps to its unknown token."""
    unk = tok.unk_id
    if unk is None or not text:
        return 0.0
    distinct = sorted({c for c in text if not c.isspace()})
    if not distinct:
        return 0.0
    bad = {c for c, ids in zip(distinct, tok.encode_batch(distinct, specials=False), strict=True) if unk in ids}
    if not bad:
        return 0.0
    n = sum(1 for c in text if not c.isspace())
    return sum(1 for c in text if c in bad) / n


def compare_premiums(tokenizers: list[Tokenizer], langs: list[str], ref: str = "en", corpus: str = "udhr",
                     seed: int = DEFAULT_SEED, n_boot: int = DEFAULT_BOOTSTRAP,
                     progress: Progress | None = None,
                     warnings: list[str] | None = None, labels: list[str] | None = None) -> PremiumResult:
    """Premiums of each tokenizer for each language, keyed by the language codes as given (`codes` maps each to
    the corpus's declaration id) and by the tokenizers' `labels` (default: their names).

    Each language is measured on every segment it shares with the reference, whatever other languages are
    asked for, so a language's premium is the same number in every command (`tok compare --langs tr,en`,
    `tok report`, `tok check`). The bootstrap resamples the reference's segments, the same resamples for
    every tokenizer and language (a language without a segment leaves it out of its sums).
    """
    from ..corpus.parallel import load_parallel

    if n_boot < 1:
        raise UsageError(f"--bootstrap must be >= 1 (got {n_boot})")
    par = load_parallel(corpus)
    given = sorted(par.languages) if len(langs) == 1 and langs[0].strip().lower() == "all" else list(langs)
    codes: dict[str, str] = {}  # key as given -> declaration id; a second spelling of a language is dropped
    for code in given:
        c = par.resolve(code)
        if c not in codes.values():
            codes[code.strip()] = c
    ref_id = par.resolve(ref)
    if not codes:
        raise UsageError("--langs is empty; give codes such as tr,en or 'all'")
    ref_key = next((k for k, c in codes.items() if c == ref_id), ref.strip())
    keys = list(codes)
    all_keys = keys if ref_key in codes else [ref_key, *keys]
    codes.setdefault(ref_key, ref_id)
    ref_text = par.languages[ref_id]
    ref_segs = sorted(ref_text.segments, key=_segment_order)
    if not ref_segs:
        raise UsageError(f"the reference {ref} has no segment in {corpus}; choose another --ref, one of the corpus's languages")
    # per language: the positions (in ref_segs) of the segments it shares with the reference, and its texts there
    where: dict[str, np.ndarray] = {}
    texts: dict[str, list[str]] = {}
    for k in all_keys:
        lt = par.languages[codes[k]]
        pos = [i for i, s in enumerate(ref_segs) if s in lt.segments]
        if not pos:
            raise UsageError(f"the languages {k} and {ref} share no aligned segment in {corpus}; choose languages the corpus aligns, or another --ref")
        where[k] = np.asarray(pos, dtype=np.int64)
        texts[k] = [lt.segments[ref_segs[i]] for i in pos]
    ref_texts = [ref_text.segments[s] for s in ref_segs]
    ref_bytes = np.array([len(t.encode("utf-8")) for t in ref_texts], dtype=np.float64)
    nbytes = {k: sum(len(t.encode("utf-8")) for t in texts[k]) for k in all_keys}
    nchars = {k: sum(len(t) for t in texts[k]) for k in all_keys}
    weights = bootstrap_weights(len(ref_segs), n_boot, seed)
    names = list(labels) if labels is not None else [t.name for t in tokenizers]
    refs = [dataclasses.replace(ref_of(t), label=n) for t, n in zip(tokenizers, names, strict=True)]
    res = PremiumResult(
        corpus=corpus, source=par.source, segments=len(ref_segs), ref=ref_key, languages=keys,
        names={k: par.languages[codes[k]].name for k in all_keys}, tokenizers=refs,
        tokens={}, premium={}, interval={}, parity={}, unknown_char_rate={}, masked={}, gini={}, mean_premium={},
        bytes=nbytes, characters=nchars,
        byte_premium={k: nbytes[k] / float(ref_bytes[where[k]].sum()) for k in all_keys},
        seed=seed, bootstrap=n_boot, warnings=list(warnings or []), definitions=dict(DEFINITIONS),
        codes={k: codes[k] for k in all_keys}, segments_by_language={k: len(where[k]) for k in all_keys},
    )
    for j, (tok, name) in enumerate(zip(tokenizers, names, strict=True)):
        if progress:
            progress(name, j, len(tokenizers))
        enc = tok.encode_batch(ref_texts)
        t_ref_all = np.fromiter((len(e) for e in enc), dtype=np.float64, count=len(enc))
        per_seg: dict[str, np.ndarray] = {}
        for k in all_keys:
            if codes[k] == ref_id:
                per_seg[k] = t_ref_all[where[k]]
                continue
            enc = tok.encode_batch(texts[k])
            per_seg[k] = np.fromiter((len(e) for e in enc), dtype=np.float64, count=len(enc))
        unk = {k: unknown_char_rate(tok, "".join(texts[k])) for k in all_keys}
        masked = {k: f"{unk[k]:.1%} of its characters map to the unknown token" for k in all_keys
                  if unk[k] > MASK_UNKNOWN}
        ref_masked = ref_key in masked
        res.tokens[name] = {k: int(per_seg[k].sum()) for k in all_keys}
        res.unknown_char_rate[name] = unk
        res.masked[name] = masked
        res.premium[name], res.interval[name], res.parity[name] = {}, {}, {}
        for k in all_keys:
            t_ref = t_ref_all[where[k]]
            if k in masked or ref_masked or t_ref.sum() <= 0:
                res.premium[name][k] = res.parity[name][k] = res.interval[name][k] = None
                continue
            t = per_seg[k]
            res.premium[name][k] = float(t.sum() / t_ref.sum())
            ok = t_ref > 0
            res.parity[name][k] = float((t[ok] / t_ref[ok]).mean()) if ok.any() else None
            lo, hi = premium_interval(t, t_ref, weights[:, where[k]])
            res.interval[name][k] = [lo, hi]
        res.gini[name] = tfg([per_seg[k].sum() / nbytes[k] for k in all_keys if k not in masked and nbytes[k] > 0])
        others = [res.premium[name][k] for k in keys if k != ref_key and res.premium[name][k] is not None]
        if not others and ref_key in keys and res.premium[name].get(ref_key) is not None:
            others = [res.premium[name][ref_key]]
        res.mean_premium[name] = float(np.mean(others)) if others else None
    mp = res.mean_premium
    res.order.extend(sorted(names, key=lambda n: (mp[n] is None, mp[n] or 0.0, n)))
    return res


def _segment_order(segment: str) -> tuple[int, str]:
    return (int(segment), "") if segment.isdigit() else (-1, segment)


@dataclass
class Premiums:
    """One tokenizer's premiums, masked languages left out (listed in `masked`)."""

    premiums: dict[str, float]
    intervals: dict[str, list[float]]
    masked: dict[str, str]
    language_names: dict[str, str]
    scripts: dict[str, str]
    reference: str
    corpus: str


def premiums(tok: Tokenizer, corpus: str = "udhr", reference: str = "eng", languages: list[str] | None = None,
             seed: int = DEFAULT_SEED, n_boot: int = DEFAULT_BOOTSTRAP) -> Premiums:
    from ..corpus.parallel import load_parallel

    res = compare_premiums([tok], languages or ["all"], ref=reference, corpus=corpus, seed=seed, n_boot=n_boot)
    par = load_parallel(corpus)
    name = tok.name
    codes = [c for c in res.languages]
    return Premiums(
        premiums={c: v for c in codes if (v := res.premium[name].get(c)) is not None},
        intervals={c: v for c in codes if (v := res.interval[name].get(c)) is not None},
        masked=dict(res.masked[name]), language_names=dict(res.names),
        scripts={k: par.languages[res.codes[k]].script for k in res.names}, reference=res.ref,
        corpus=f"{res.source}; {res.segments} aligned segments",
    )
