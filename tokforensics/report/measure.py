"""The measurer a policy check runs: each number the rules compare, from the metrics and arithmetic capabilities.

It sits above the capabilities, beside report/collect.py (the report's collector), because it calls
several of them; policy/ itself only compares (policy/rules.py) what this returns (policy/measure.py).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from ..arith.probe import scheme_name
from ..corpus.probes import Probe, probe_set
from ..corpus.textio import list_files, read_user_text
from ..errors import InputError
from ..policy.measure import LangValues, LexiconMeasure, ReachabilityMeasure, RoundTripMeasure, SchemeMeasure
from ..tokenizer.view import Tokenizer


class PolicyMeasurer:
    """Measures one tokenizer; each quantity is computed once and reused by every rule that needs it."""

    def __init__(self, tok: Tokenizer, user_texts: tuple[Path, ...] | list[Path] = ()):
        self.tok = tok
        self.user_texts = tuple(user_texts)

    # ------------------------------------------------------------------ corpora
    @cached_property
    def probes(self) -> list[Probe]:
        return probe_set(self.user_texts)

    def texts(self, corpus: str) -> tuple[list[tuple[str, str]], str]:
        """(id, text) pairs and a description, for "probes", a shipped parallel corpus, or a file/folder."""
        if corpus == "probes":
            ps = self.probes
            return [(p.id, p.text) for p in ps], f"probe set ({len(ps)} texts)"
        path = Path(corpus)
        if path.exists():
            files = list_files(path) if path.is_dir() else [path]
            out = []
            for f in files:
                out.append((str(f), read_user_text(f, "corpus", not_utf8="{path}: not UTF-8 text")))
            if not out:
                raise InputError(f"{path}: no text files; give a folder that holds .txt files, or one file")
            return out, f"{path} ({len(out)} files, each one text)"
        par = _parallel(corpus)
        out = [(f"{corpus}/{lid}", "\n".join(par.aligned([lid])[1][lid])) for lid in sorted(par.languages)]
        return out, f"{par.source}; each declaration one text ({len(out)} texts)"

    # ------------------------------------------------------------------ quantities
    def round_trip(self, corpus: str) -> RoundTripMeasure:
        from ..metrics.corpus import round_trip

        pairs, label = self.texts(corpus)
        res = round_trip(self.tok, [t for _, t in pairs])
        examples = [{"id": pairs[k][0], "expected": c.expected, "got": c.got, "offset": c.offset, "kind": c.kind}
                    for k, c in zip(res.lossy_indices, res.lossy, strict=True)]
        return RoundTripMeasure(len(pairs), len(examples), examples, label)

    def premiums(self, corpus: str, reference: str, langs: list[str]) -> LangValues:
        from ..metrics.premium import premiums

        ids = _resolve(corpus, langs)
        res = premiums(self.tok, corpus=corpus, reference=reference, languages=list(dict.fromkeys(ids.values())))
        values = {k: res.premiums[i] for k, i in ids.items() if i in res.premiums}
        notes = {k: f"'{k}' ({i}) is masked in {corpus}: {res.masked[i]}" for k, i in ids.items() if i in res.masked}
        return LangValues(values, f"{res.corpus}, reference {res.reference}", notes)

    def fertility(self, corpus: str, langs: list[str]) -> LangValues:
        from ..metrics.corpus import fertility

        if Path(corpus).exists():
            res = fertility(self.tok, corpus=corpus)
            value = next(iter(res.fertility.values()))
            unit = next(iter(res.unit.values()))
            return LangValues(dict.fromkeys(langs, value), f"{res.corpus}; tokens per {unit}")
        ids = _resolve(corpus, langs)
        res = fertility(self.tok, corpus=corpus, languages=list(dict.fromkeys(ids.values())))
        units = sorted({res.unit[i] for i in ids.values() if i in res.unit})
        return LangValues({k: res.fertility[i] for k, i in ids.items() if i in res.fertility},
                          f"{res.corpus}; tokens per {' or '.join(units) or 'word'}")

    def lexicon(self, lang: str, corpus: str | None) -> LexiconMeasure:
        from ..metrics.lexicon import lexicon_validity

        res = lexicon_validity(self.tok, lang, corpus=corpus)
        label = res.corpus + (f" ({res.reason})" if res.reason else "")
        return LexiconMeasure(res.pct_lang, res.pct_pure, label)

    @cached_property
    def _reach(self) -> ReachabilityMeasure:
        from ..metrics.vocab import reachability

        res = reachability(self.tok)
        return ReachabilityMeasure(res.unreachable, res.undecodable, "the whole vocabulary",
                                   list(res.unreachable_examples), list(res.undecodable_examples))

    def reachability(self) -> ReachabilityMeasure:
        return self._reach

    @cached_property
    def _scheme(self) -> SchemeMeasure:
        from ..arith.probe import DEFAULT_SAMPLES, probe_tokenizer

        samples = DEFAULT_SAMPLES
        p = probe_tokenizer(self.tok, samples=samples, formats=("plain",))
        return SchemeMeasure(scheme_name(p.scheme, p.chunk), p.scheme_label,
                             f"{samples} seeded random numbers per length, 1-20 digits")

    def number_scheme(self) -> SchemeMeasure:
        return self._scheme


def _parallel(name: str):
    from ..corpus.parallel import CORPORA, load_parallel

    if name not in CORPORA:
        raise InputError(f"corpus '{name}' is neither a file or folder nor a shipped parallel corpus "
                         f"({', '.join(CORPORA)}), nor \"probes\"")
    return load_parallel(name)


def _resolve(corpus: str, langs: list[str]) -> dict[str, str]:
    """The policy's language codes -> the corpus's text ids (deu -> deu_1996)."""
    par = _parallel(corpus)
    return {code: par.resolve(code) for code in langs}

