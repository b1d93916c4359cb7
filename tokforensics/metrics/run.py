"""`tok metrics` and `tok compare` as library calls: load, measure, return plain results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import InputError, UsageError
from ..tokenizer import zoo
from ..tokenizer.view import Tokenizer, load_tokenizer
from .corpus import DEFAULT_ALPHA, CorpusStats, corpus_stats, encode_corpus
from .lexicon import LexiconStats, lexicon_stats, token_strings, validate_all
from .premium import DEFAULT_BOOTSTRAP, DEFAULT_SEED, PremiumResult, compare_premiums
from .sources import CorpusInfo, EvalCorpus, default_corpus, from_path
from .vocab import VocabStats, vocab_stats

Progress = Callable[[str], None] | None


@dataclass
class TokenizerMetrics:
    vocab: VocabStats
    corpus: CorpusStats
    lexicon: LexiconStats


@dataclass
class MetricsReport:
    corpus: CorpusInfo
    language: str | None
    alpha: float
    order: list[str]  # tokenizer names, fewest corpus tokens first
    tokenizers: dict[str, TokenizerMetrics]
    notes: list[str] = field(default_factory=list)
    # what happened on this run only (a dictionary loaded for the first time): true, but not a result
    events: list[str] = field(default_factory=list)


# Fields that depend on the run, not on the inputs: the machine's speed and what the cache held.
VOLATILE = {"vocab": ("seconds", "cached"), "corpus": ("encode_seconds", "metrics_seconds", "chars_per_second")}


def metrics_document(rep: MetricsReport) -> dict:
    """The report as one JSON-ready dict whose every field but `provenance` is identical from run to run.

    Timing and cache hits are real but vary between a cold and a warm cache, so they live in the one
    field `provenance`, and a diff of two runs over the same inputs shows nothing else.
    """
    from dataclasses import asdict

    tokenizers: dict[str, dict] = {}
    runs: dict[str, dict] = {}
    for n in rep.order:
        doc = asdict(rep.tokenizers[n])
        runs[n] = {f"{part}_{k}": doc[part].pop(k)
                   for part, keys in VOLATILE.items() for k in keys}
        tokenizers[n] = doc
    return {"corpus": asdict(rep.corpus), "language": rep.language, "alpha": rep.alpha, "order": rep.order,
            "tokenizers": tokenizers, "notes": rep.notes,
            "provenance": {"varies": "timing and cache state of this run; everything outside this field is "
                                     "byte-identical for the same inputs", "tokenizers": runs, "events": rep.events}}


def resolve_language(code: str | None) -> str | None:
    """Check a language code against the parallel corpus (clear error with the closest codes)."""
    if code is None:
        return None
    from ..corpus.parallel import load_parallel

    par = load_parallel("udhr")
    return par.languages[par.resolve(code)].code


def load_corpus(language: str | None, path: str | None) -> EvalCorpus:
    if path is not None:
        lang = resolve_language(language) if language else None
        return from_path(path, lang)
    return default_corpus(language or "en")


def load_many(specs: list[str]) -> list[Tokenizer]:
    seen: list[str] = []
    for s in specs:
        if s not in seen:
            seen.append(s)
    return [load_tokenizer(s) for s in seen]


def run_metrics(specs: list[str], language: str | None = None, corpus_path: str | None = None,
                alpha: float = DEFAULT_ALPHA, top: int = 10, progress: Progress = None) -> MetricsReport:
    if not specs:
        raise UsageError("give at least one tokenizer (zoo name or path); `tok tokenizers` lists the zoo")
    if alpha <= 0:
        raise UsageError(f"--alpha must be > 0 (got {alpha}); 1 gives Shannon entropy")
    if top < 0:
        raise UsageError(f"--top must be >= 0 (got {top})")
    corpus = load_corpus(language, corpus_path)
    toks = load_many(specs)
    names = _unique_names(toks)
    notes: list[str] = []
    events: list[str] = []
    parts: dict[str, tuple] = {}
    for tok, name in zip(toks, names, strict=True):
        vs = vocab_stats(tok, progress=progress)
        if progress:
            progress(f"{name}: encoding {corpus.name}")
        enc = encode_corpus(tok, corpus)
        cs = corpus_stats(tok, corpus, alpha=alpha, top=top, encoded=enc)
        parts[name] = (vs, cs, token_strings(tok, enc))
    lang = corpus.language
    from ..corpus.lexicon import load_lexicon, morph_reference

    if lang is None:
        lex, why, morph, mwhy = None, "no language given (use --lang)", None, "no language given (use --lang)"
    else:
        lex, why = load_lexicon(lang)
        morph, mwhy = morph_reference(lang)
    validity = None
    if lex is not None:
        validity = validate_all(lex, [p[2] for p in parts.values()], progress)
        if lex.loaded:
            events.append(f"loaded the {lex.language} hunspell dictionary ({lex.source}); its answers are cached")
    if why:
        notes.append(f"%LANG not available: {why}")
    if mwhy and lang is not None:
        notes.append(f"%Pure not available: {mwhy}")
    out: dict[str, TokenizerMetrics] = {}
    for name, (vs, cs, ts) in parts.items():
        out[name] = TokenizerMetrics(vs, cs, lexicon_stats(ts, lang, lex, why, morph, mwhy, validity))
    order = sorted(out, key=lambda n: (out[n].corpus.tokens, n))
    return MetricsReport(corpus=corpus.info(), language=lang, alpha=alpha, order=order, tokenizers=out, notes=notes,
                         events=events)


def _unique_names(toks: list[Tokenizer]) -> list[str]:
    names: list[str] = []
    for t in toks:
        n = t.name
        k = 2
        while n in names:
            n = f"{t.name}#{k}"
            k += 1
        names.append(n)
    return names


def run_compare(specs: list[str], langs: list[str], ref: str = "en", seed: int = DEFAULT_SEED,
                n_boot: int = DEFAULT_BOOTSTRAP, progress: Progress = None) -> PremiumResult:
    from ..corpus.parallel import load_parallel

    if n_boot < 1:
        raise UsageError(f"--bootstrap must be >= 1 (got {n_boot})")
    par = load_parallel("udhr")
    if not (len(langs) == 1 and langs[0].strip().lower() == "all"):
        for code in [*langs, ref]:
            par.resolve(code)  # unknown codes fail before any tokenizer is loaded
    skipped: dict[str, str] = {}
    if not specs:
        specs, skipped = zoo.available()
        if not specs:
            raise InputError("no zoo tokenizer is available on this machine; pass tokenizer paths")
    toks = []
    for s in dict.fromkeys(specs):
        if progress:
            progress(f"loading {s}")
        toks.append(load_tokenizer(s))
    return compare_premiums(toks, langs, ref=ref, seed=seed, n_boot=n_boot, progress=progress, skipped=skipped)
