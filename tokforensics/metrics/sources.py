"""The text a metric is measured on: a user file or folder, or the shipped default for a language.

A corpus is a list of segments (non-empty lines). Each segment is encoded on its own, so newlines are
never tokens; round trips, bootstraps and top-split words work per segment.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path

import numpy as np

from ..corpus.textio import list_files, read_user_text, require_regular
from ..errors import InputError
from . import chars

MAX_FILES = 10_000


@dataclass
class CorpusInfo:
    name: str
    source: str
    language: str | None
    segments: int
    characters: int
    bytes: int
    words: int
    parts: list[str] = field(default_factory=list)


@dataclass
class EvalCorpus:
    name: str
    source: str
    language: str | None
    segments: list[str]
    parts: list[str] = field(default_factory=list)

    @cached_property
    def text_bytes(self) -> int:
        return sum(len(s.encode("utf-8")) for s in self.segments)

    @cached_property
    def characters(self) -> int:
        return sum(len(s) for s in self.segments)

    @cached_property
    def words(self) -> int:
        return count_words(self.segments)

    def info(self) -> CorpusInfo:
        return CorpusInfo(self.name, self.source, self.language, len(self.segments), self.characters,
                          self.text_bytes, self.words, list(self.parts))


def count_words(segments: list[str]) -> int:
    """Whitespace-separated words (maximal runs of non-space characters)."""
    if not segments:
        return 0
    cps = chars.codepoints("\n".join(segments))
    if not len(cps):
        return 0
    word = (chars.tables()[1][cps] & chars.SPACE) == 0
    starts = word & np.concatenate(([True], ~word[:-1]))
    return int(starts.sum())


def split_segments(text: str) -> list[str]:
    return [ln for ln in (x.strip("\r") for x in text.split("\n")) if ln.strip()]


def _read_text(path: Path) -> str:
    return read_user_text(path, "corpus", decompress=True, drop_bom=True)


def from_path(path: str | Path, language: str | None = None) -> EvalCorpus:
    """A UTF-8 text file (or .gz, .xz, .zst), or every regular file under a folder (sorted, hidden ones skipped)."""
    p = Path(path).expanduser()
    require_regular(p, "corpus")
    if not p.exists():
        raise InputError(f"corpus '{path}': no such file or folder; check the path")
    if p.is_dir():
        files = list_files(p)
        if not files:
            raise InputError(f"corpus folder '{path}' has no files; put UTF-8 text files in it")
        if len(files) > MAX_FILES:
            raise InputError(f"corpus folder '{path}' has {len(files):,} files (more than {MAX_FILES:,}); pass a smaller folder")
        segs: list[str] = []
        for f in files:
            segs += split_segments(_read_text(f))
        parts = [f"{len(files)} files under {p}"]
    else:
        segs = split_segments(_read_text(p))
        parts = [str(p)]
    if not segs:
        raise InputError(f"corpus '{path}' is empty (no non-blank lines); give a file with text in it")
    return EvalCorpus(name=p.name, source=str(p), language=language, segments=segs, parts=parts)


def from_texts(name: str, texts: list[str], language: str | None = None, source: str = "given texts") -> EvalCorpus:
    segs = [s for t in texts for s in split_segments(t)]
    if not segs:
        raise InputError(f"corpus '{name}' is empty; give some text")
    return EvalCorpus(name=name, source=source, language=language, segments=segs, parts=[source])


def lexicon_file(name: str) -> Path:
    return Path(str(resources.files("tokforensics.data"))) / "lexicon" / name


def turkish_eval_segments() -> list[str]:
    """The shipped Turkish evaluation text (Turkish Web Treebank sentences, see data/lexicon/MANIFEST.json)."""
    p = lexicon_file("tr_eval.txt.gz")
    if not p.exists():
        raise InputError(f"the shipped Turkish evaluation text is missing ({p}); reinstall tokforensics")
    return split_segments(gzip.decompress(p.read_bytes()).decode("utf-8"))


TR_EVAL_SOURCE = "Turkish Web Treebank sentences (pip turkish-treebanks==1.0.0, Apache-2.0)"


def default_corpus(language: str) -> EvalCorpus:
    """The language's text in the shipped parallel corpus (UDHR), plus the Turkish evaluation text for Turkish."""
    from ..corpus.parallel import load_parallel

    par = load_parallel("udhr")
    decl = par.resolve(language)
    lt = par.languages[decl]
    seg_ids, texts = par.aligned([decl])
    segs = [s for t in texts[decl] for s in split_segments(t)]
    parts = [f"{par.name} {decl} ({lt.name}): {len(seg_ids)} segments (preamble + articles)"]
    name = f"{par.name}:{decl}"
    if _is_turkish(lt.code):
        extra = turkish_eval_segments()
        segs += extra
        parts.append(f"tr_eval: {len(extra):,} sentences, {TR_EVAL_SOURCE}")
        name += "+tr_eval"
    if not segs:
        raise InputError(f"the shipped corpus has no text for '{language}'; pass --corpus FILE")
    return EvalCorpus(name=name, source=par.source, language=lt.code, segments=segs, parts=parts)


def _is_turkish(code: str) -> bool:
    return code.split("-")[0].split("_")[0].lower() in ("tr", "tur")
