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

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..errors import UsageError
from ..tokenizer.view import Tokenizer

DEFAULT_SEED = 0
DEFAULT_BOOTSTRAP = 1000
MASK_UNKNOWN = 0.10


@dataclass
class PremiumResult:
    corpus: str
    source: str
    segments: int
    ref: str
    languages: list[str]
    names: dict[str, str]
    tokenizers: list[str]
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
    skipped: dict[str, str] = field(default_factory=dict)
    definitions: dict[str, str] = field(default_factory=dict)


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
                     progress: Callable[[str], None] | None = None,
                     skipped: dict[str, str] | None = None) -> PremiumResult:
    from ..corpus.parallel import load_parallel

    if n_boot < 1:
        raise UsageError(f"--bootstrap must be >= 1 (got {n_boot})")
    par = load_parallel(corpus)
    if len(langs) == 1 and langs[0].strip().lower() == "all":
        codes = sorted(par.languages)
    else:
        codes = []
        for code in langs:
            c = par.resolve(code)
            if c not in codes:
                codes.append(c)
    ref_id = par.resolve(ref)
    if not codes:
        raise UsageError("--langs is empty; give codes such as tr,en or 'all'")
    all_codes = codes if ref_id in codes else [ref_id, *codes]
    seg_ids, texts = par.aligned(all_codes)
    if not seg_ids:
        raise UsageError(f"the languages {', '.join(all_codes)} share no aligned segment in {corpus}")
    nbytes = {c: sum(len(t.encode("utf-8")) for t in texts[c]) for c in all_codes}
    nchars = {c: sum(len(t) for t in texts[c]) for c in all_codes}
    weights = bootstrap_weights(len(seg_ids), n_boot, seed)
    res = PremiumResult(
        corpus=corpus, source=par.source, segments=len(seg_ids), ref=ref_id, languages=list(codes),
        names={c: par.languages[c].name for c in all_codes}, tokenizers=[t.name for t in tokenizers],
        tokens={}, premium={}, interval={}, parity={}, unknown_char_rate={}, masked={}, gini={}, mean_premium={},
        bytes=nbytes, characters=nchars, byte_premium={c: nbytes[c] / nbytes[ref_id] for c in all_codes},
        seed=seed, bootstrap=n_boot, skipped=dict(skipped or {}), definitions=dict(DEFINITIONS),
    )
    for k, tok in enumerate(tokenizers):
        if progress:
            progress(f"{tok.name} ({k + 1}/{len(tokenizers)})")
        per_seg: dict[str, np.ndarray] = {}
        for c in all_codes:
            enc = tok.encode_batch(texts[c])
            per_seg[c] = np.fromiter((len(e) for e in enc), dtype=np.float64, count=len(enc))
        unk = {c: unknown_char_rate(tok, "".join(texts[c])) for c in all_codes}
        masked = {c: f"{unk[c]:.1%} of its characters map to the unknown token" for c in all_codes
                  if unk[c] > MASK_UNKNOWN}
        t_ref = per_seg[ref_id]
        ref_masked = ref_id in masked
        name = tok.name
        res.tokens[name] = {c: int(per_seg[c].sum()) for c in all_codes}
        res.unknown_char_rate[name] = unk
        res.masked[name] = masked
        res.premium[name], res.interval[name], res.parity[name] = {}, {}, {}
        for c in all_codes:
            if c in masked or ref_masked or t_ref.sum() <= 0:
                res.premium[name][c] = res.parity[name][c] = res.interval[name][c] = None
                continue
            t = per_seg[c]
            res.premium[name][c] = float(t.sum() / t_ref.sum())
            ok = t_ref > 0
            res.parity[name][c] = float((t[ok] / t_ref[ok]).mean()) if ok.any() else None
            lo, hi = premium_interval(t, t_ref, weights)
            res.interval[name][c] = [lo, hi]
        res.gini[name] = tfg([per_seg[c].sum() / nbytes[c] for c in all_codes if c not in masked and nbytes[c] > 0])
        others = [res.premium[name][c] for c in codes if c != ref_id and res.premium[name][c] is not None]
        if not others and ref_id in codes and res.premium[name].get(ref_id) is not None:
            others = [res.premium[name][ref_id]]
        res.mean_premium[name] = float(np.mean(others)) if others else None
    return res


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
        scripts={c: par.languages[c].script for c in res.names}, reference=res.ref,
        corpus=f"{res.source}; {res.segments} aligned segments",
    )
