"""`tok metrics` and `tok compare` as library calls: load, measure, return plain results."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import InputError, UsageError
from ..progress import Progress as _Progress
from ..progress import stage_only
from ..tokenizer import zoo
from ..tokenizer.ref import TokenizerRef, load_labelled, ref_of
from .corpus import DEFAULT_ALPHA, CorpusStats, corpus_stats, encode_corpus
from .lexicon import LexiconStats, lexicon_stats, token_strings, validate_all
from .premium import DEFAULT_BOOTSTRAP, DEFAULT_SEED, PremiumResult, compare_premiums
from .sources import CorpusInfo, EvalCorpus, default_corpus, from_path
from .vocab import VocabStats, vocab_stats

Progress = _Progress | None  # (stage, done, total)

# The reference language of premiums, in every command (`tok compare`, `tok report`, `tok check --init`).
DEFAULT_REF = "en"


@dataclass(frozen=True)
class TokenizerMetrics:
    vocab: VocabStats
    corpus: CorpusStats
    lexicon: LexiconStats


@dataclass(frozen=True)
class MetricsReport:
    corpus: CorpusInfo
    language: str | None
    alpha: float
    order: list[str]  # tokenizer labels, fewest corpus tokens first
    tokenizers: dict[str, TokenizerMetrics]  # by label
    warnings: list[str] = field(default_factory=list)
    refs: list[TokenizerRef] = field(default_factory=list)  # in the order given
    language_given: str | None = None  # the code as the user typed it (`language` is the canonical one)
    # what happened on this run only (a dictionary loaded for the first time): true, but not a result
    events: list[str] = field(default_factory=list)

    def document(self) -> dict:
        """The --json document (`metrics_document`)."""
        return metrics_document(self)


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
    return {"corpus": asdict(rep.corpus), "language": rep.language_given or rep.language,
            "language_code": rep.language, "alpha": rep.alpha, "order": rep.order,
            "refs": [asdict(r) for r in rep.refs], "tokenizers": tokenizers, "warnings": rep.warnings,
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


def run_metrics(specs: list[str], language: str | None = None, corpus_path: str | None = None,
                alpha: float = DEFAULT_ALPHA, top: int = 10, progress: Progress = None,
                labels: list[str] | None = None) -> MetricsReport:
    if not specs:
        raise UsageError("give at least one tokenizer (zoo name or path); `tok tokenizers` lists the zoo")
    if alpha <= 0:
        raise UsageError(f"--alpha must be > 0 (got {alpha}); 1 gives Shannon entropy")
    if top < 0:
        raise UsageError(f"--top must be >= 0 (got {top})")
    corpus = load_corpus(language, corpus_path)
    if progress:
        progress("loading tokenizers", 0, len(specs))
    toks = load_labelled(specs, labels)
    say = stage_only(progress)
    names = [t.name for t in toks]
    notes: list[str] = []
    events: list[str] = []
    parts: dict[str, tuple] = {}
    for tok, name in zip(toks, names, strict=True):
        vs = vocab_stats(tok, progress=say)
        if progress:
            progress(f"{name}: encoding {corpus.name}", len(parts), len(toks))
        enc = encode_corpus(tok, corpus)
        cs = corpus_stats(tok, corpus, alpha=alpha, top=top, encoded=enc)
        parts[name] = (vs, cs, token_strings(tok, enc))
    lang = corpus.language
    from ..corpus.lexicon import load_lexicon, morph_reference

    if lang is None:
        lex, why, morph, mwhy = None, "no language given (use --langs)", None, "no language given (use --langs)"
    else:
        lex, why = load_lexicon(lang)
        morph, mwhy = morph_reference(lang)
    validity = None
    if lex is not None:
        validity = validate_all(lex, [p[2] for p in parts.values()], say)
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
    return MetricsReport(corpus=corpus.info(), language=lang, alpha=alpha, order=order, tokenizers=out,
                         warnings=notes, refs=[ref_of(t) for t in toks], language_given=language, events=events)


def run_compare(specs: list[str], langs: list[str], ref: str = DEFAULT_REF, seed: int = DEFAULT_SEED,
                n_boot: int = DEFAULT_BOOTSTRAP, progress: Progress = None,
                labels: list[str] | None = None) -> PremiumResult:
    from ..corpus.parallel import load_parallel

    if n_boot < 1:
        raise UsageError(f"--bootstrap must be >= 1 (got {n_boot})")
    langs = [c.strip() for c in langs if c.strip()]  # "tr,en," is tr and en
    if not langs:
        raise UsageError("--langs names no language; give codes such as tr,en (or all)")
    par = load_parallel("udhr")
    if not (len(langs) == 1 and langs[0].strip().lower() == "all"):
        for code in [*langs, ref]:
            par.resolve(code)  # unknown codes fail before any tokenizer is loaded
    warnings: list[str] = []
    if not specs:
        specs, skipped = zoo.available()
        warnings = [f"skipped {name}: {why}" for name, why in skipped.items()]
        if not specs:
            raise InputError("no zoo tokenizer is available on this machine; pass tokenizer paths")
    toks = load_labelled(list(specs), labels, progress=progress)
    return compare_premiums(toks, langs, ref=ref, seed=seed, n_boot=n_boot, progress=progress, warnings=warnings)
