"""Results of the single-tokenizer commands (`tok encode`, `tok merges`, `tok export`, `tok tokenizers`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .catalog import ZooRow
from .display import pieces
from .ref import TokenizerRef, ref_of
from .view import Tokenizer


@dataclass(frozen=True)
class EncodeResult:
    tokenizer: TokenizerRef
    text: str
    ids: list[int]
    pieces: list[str]  # each token's bytes as text (undecodable bytes backslash-escaped)
    n_tokens: int
    n_bytes: int


def encode_text(tok: Tokenizer, text: str) -> EncodeResult:
    ids = tok.encode(text)
    return EncodeResult(ref_of(tok), text, ids, pieces(tok.token_bytes, ids), len(ids), len(text.encode("utf-8")))


@dataclass(frozen=True)
class ExportResult:
    """A file written from a tokenizer: its merge list (`merges` = how many) or its tokenizer.json."""

    tokenizer: TokenizerRef
    path: str
    kind: str  # merges.txt | tokenizer.json
    merges: int | None = None


@dataclass(frozen=True)
class ZooListing:
    tokenizers: list[ZooRow]
    warnings: list[str] = field(default_factory=list)  # one line per zoo tokenizer that is not available here


def zoo_listing(progress=None) -> ZooListing:
    from .catalog import list_zoo

    rows = list_zoo(progress)
    return ZooListing(rows, [f"{r.name} not available: {r.reason}" for r in rows if not r.available])
