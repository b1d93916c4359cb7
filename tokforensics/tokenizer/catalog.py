"""The zoo as a table: what each named tokenizer is and whether it is available here."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from . import zoo
from .view import Tokenizer, load_tokenizer


@dataclass(frozen=True)
class ZooRow:
    name: str
    aliases: list[str]
    family: str
    description: str
    algorithm: str
    format: str
    vocab_size: int | None
    merges: int | None
    source: str
    license: str
    available: bool
    reason: str | None


def summary(tok: Tokenizer) -> dict:
    return {"vocab_size": tok.vocab_size, "merges": tok.n_merges()}


def list_zoo(progress=None) -> list[ZooRow]:
    rows = []
    for i, e in enumerate(zoo.ENTRIES):
        if progress:
            progress(i, len(zoo.ENTRIES), e.name)
        located = zoo.locate(e)
        vocab = merges = None
        reason = None
        if located is not None:
            try:
                s = summary(load_tokenizer(e.name))
                vocab, merges = s["vocab_size"], s["merges"]
            except InputError as exc:
                reason = str(exc)
        else:
            reason = e.install_hint
        rows.append(ZooRow(e.name, list(e.aliases), e.family, e.description, e.algorithm, e.format, vocab, merges,
                           zoo.source_of(e) if located else "not installed", e.licence,
                           located is not None and reason is None, reason))
    return rows
