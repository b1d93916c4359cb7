"""Lexicon validity (%LANG, Bayram et al.'s %TR for Turkish) and purity (%Pure) of the tokens a tokenizer
uses on a corpus.

Each id that occurs in the encoded corpus is decoded alone; its text is stripped of surrounding spaces
and word-boundary markers (▁, Ġ and WordPiece ## are already spaces or gone in the token bytes). The
distinct non-empty strings are the denominator of the "distinct" figures (the paper's code); the
"occurrences" figures weight each string by how often its tokens occur in the encoded corpus.
  %LANG: the string is a word hunspell accepts (as written; hunspell accepts the capitalised and
         upper-case forms of lower-case entries). Strings without a letter are never words.
  %Pure: the string, lower-cased (Turkish rules for Turkish), is a root or a suffix allomorph of the
         language's morpheme reference.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..corpus.lexicon import Lexicon, MorphReference, iso1
from ..tokenizer.view import Tokenizer
from . import chars
from .corpus import Encoded

DEFINITIONS = {
    "strings": "distinct decoded tokens of the encoded corpus, stripped of spaces and word-boundary markers, non-empty",
    "lang_distinct": "%LANG over distinct strings: share that hunspell accepts as words (Bayram et al.'s %TR)",
    "lang_occurrences": "%LANG over token occurrences: share of the corpus's tokens whose string is a word",
    "pure_distinct": "%Pure over distinct strings: share that is a root or a suffix allomorph",
    "pure_occurrences": "%Pure over token occurrences",
}


@dataclass
class TokenStrings:
    """The distinct stripped strings of one encoding and how many token occurrences each has."""

    strings: list[str]
    counts: np.ndarray


@dataclass
class LexiconStats:
    language: str | None
    label: str
    available: bool
    reason: str | None
    dictionary: str | None
    strings: int
    occurrences: int
    valid: int
    lang_distinct: float | None
    lang_occurrences: float | None
    pure_available: bool
    pure_reason: str | None
    reference: str | None
    pure: int
    pure_distinct: float | None
    pure_occurrences: float | None
    definitions: dict[str, str] = field(default_factory=lambda: dict(DEFINITIONS))


def token_strings(tok: Tokenizer, enc: Encoded) -> TokenStrings:
    if not len(enc.flat):
        return TokenStrings([], np.zeros(0, np.int64))
    ids, counts = np.unique(enc.flat, return_counts=True)
    tb = tok.token_bytes
    specials = tok.special_ids
    agg: dict[str, int] = {}
    for i, c in zip(ids.tolist(), counts.tolist(), strict=True):
        if i in specials:
            continue
        s = tb[i].decode("utf-8", "replace").strip()
        if s:
            agg[s] = agg.get(s, 0) + c
    return TokenStrings(list(agg), np.fromiter(agg.values(), dtype=np.int64, count=len(agg)))


def label_for(language: str | None) -> str:
    return f"%{iso1(language).upper()}" if language else "%LANG"


def lexicon_stats(ts: TokenStrings, language: str | None, lexicon: Lexicon | None, lex_reason: str | None,
                  morph: MorphReference | None, morph_reason: str | None,
                  validity: dict[str, bool] | None = None) -> LexiconStats:
    n = len(ts.strings)
    occ = int(ts.counts.sum()) if n else 0
    res = LexiconStats(language=language, label=label_for(language), available=False, reason=lex_reason,
                       dictionary=lexicon.source if lexicon else None, strings=n, occurrences=occ, valid=0,
                       lang_distinct=None, lang_occurrences=None, pure_available=False, pure_reason=morph_reason,
                       reference=morph.source if morph else None, pure=0, pure_distinct=None, pure_occurrences=None)
    if language is None:
        res.reason = res.pure_reason = "no language given (use --langs)"
        return res
    if n == 0:
        res.reason = res.pure_reason = "the encoded corpus has no text tokens"
        return res
    if lexicon is not None:
        valid = validity if validity is not None else lexicon.valid(ts.strings)
        v = np.fromiter((bool(valid.get(s, False)) for s in ts.strings), dtype=bool, count=n)
        res.available, res.reason = True, None
        res.valid = int(v.sum())
        res.lang_distinct = 100.0 * res.valid / n
        res.lang_occurrences = 100.0 * int(ts.counts[v].sum()) / occ
    if morph is not None:
        low = chars.turkish_lower if iso1(language) in ("tr", "az") else str.lower
        p = np.fromiter((morph.is_pure(low(s)) for s in ts.strings), dtype=bool, count=n)
        res.pure_available, res.pure_reason = True, None
        res.pure = int(p.sum())
        res.pure_distinct = 100.0 * res.pure / n
        res.pure_occurrences = 100.0 * int(ts.counts[p].sum()) / occ
    return res


def validate_all(lexicon: Lexicon, many: list[TokenStrings], progress: Callable[[str], None] | None = None) -> dict[str, bool]:
    """One lookup pass over the strings of several tokenizers (the dictionary is loaded at most once)."""
    words: set[str] = set()
    for ts in many:
        words.update(ts.strings)
    return lexicon.valid(words, progress)


@dataclass
class LexiconValidity:
    pct_lang: float | None
    pct_pure: float | None
    pct_lang_occurrences: float | None
    pct_pure_occurrences: float | None
    reason: str | None
    corpus: str


def lexicon_validity(tok: Tokenizer, lang: str, corpus: str | None = None) -> LexiconValidity:
    """%LANG and %Pure (over distinct tokens, the paper's form) of one tokenizer on the default corpus of
    `lang` (or `corpus`, a file or folder)."""
    from pathlib import Path

    from ..corpus.lexicon import load_lexicon, morph_reference
    from .corpus import encode_corpus
    from .sources import default_corpus, from_path

    c = from_path(corpus, lang) if corpus and Path(corpus).exists() else default_corpus(lang)
    enc = encode_corpus(tok, c)
    ts = token_strings(tok, enc)
    lex, why = load_lexicon(lang)
    morph, mwhy = morph_reference(lang)
    st = lexicon_stats(ts, lang, lex, why, morph, mwhy)
    info = c.info()
    return LexiconValidity(st.lang_distinct, st.pure_distinct, st.lang_occurrences, st.pure_occurrences,
                           st.reason or st.pure_reason,
                           f"{info.name}: {info.segments:,} segments, {info.characters:,} characters")
