"""Which tokenizer a result is about, and the one way every command labels tokenizers.

`TokenizerRef` goes into every result: `name` (the zoo name or the file's name), `label` (unique among the
tokenizers of one run: the key of that tokenizer in tables and JSON), `sha256` (of the bytes that were read)
and `source` (the zoo's provenance or the path).

`tokenizer_labels` is the labelling rule, used by `tok compare`, `tok metrics`, `tok report`, `tok arith` and any
other command that takes several tokenizers: a zoo name is its own label; a file is labelled by its name,
and where two files share a name, by the shortest path suffix that tells them apart (`A/tokenizer.json`,
`B/tokenizer.json`). `--label` chooses labels instead.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError

if TYPE_CHECKING:
    from .view import Tokenizer


@dataclass(frozen=True)
class TokenizerRef:
    name: str
    label: str
    sha256: str
    source: str


def ref_of(tok: Tokenizer) -> TokenizerRef:
    """The reference of a loaded (and possibly labelled) tokenizer."""
    src = getattr(tok, "_src", None)
    return TokenizerRef(name=getattr(tok, "_given_name", tok.name), label=tok.name, sha256=tok.sha256,
                        source=getattr(src, "origin", tok.name))


def _parts(tok: Tokenizer) -> tuple[str, ...] | None:
    """The path components of a tokenizer read from a file, None for a zoo tokenizer."""
    src = getattr(tok, "_src", None)
    if src is None or getattr(src, "entry", None) is not None:
        return None
    p = Path(src.origin)
    try:
        p = p.resolve()
    except OSError:
        pass
    return tuple(x for x in p.parts if x not in ("/", "")) or (tok.name,)


def tokenizer_labels(toks: list[Tokenizer], labels: list[str] | None = None) -> list[str]:
    """One unique label per tokenizer (see the module docstring). `labels`: the user's, in order (may be fewer)."""
    given = [x.strip() for x in (labels or [])]
    if len(given) > len(toks):
        raise UsageError(f"{len(given)} --label values for {len(toks)} tokenizers; give at most one per tokenizer")
    for x in given:
        if not x:
            raise UsageError("--label is empty; give a short name such as 'mine'")
    out: list[str | None] = [*given, *([None] * (len(toks) - len(given)))]
    base = [t.name for t in toks]
    parts = [_parts(t) for t in toks]
    for k in range(len(toks)):
        if out[k] is not None:
            continue
        label = base[k]
        clash = [j for j in range(len(toks)) if j != k and label in (out[j], base[j])]
        if clash and parts[k] is not None:
            # the shortest path suffix that no other tokenizer of this run shares
            others = [parts[j] for j in range(len(toks)) if j != k and parts[j] is not None]
            for depth in range(2, len(parts[k]) + 1):
                suffix = parts[k][-depth:]
                if all(o[-depth:] != suffix for o in others):
                    label = "/".join(suffix)
                    break
        out[k] = label
    final: list[str] = []
    for k, label in enumerate(out):
        assert label is not None
        if label in final:
            if k < len(given):
                raise UsageError(f"--label {label!r} is given twice; give each tokenizer its own label")
            n = 2
            while f"{label}#{n}" in final or f"{label}#{n}" in out:
                n += 1
            label = f"{label}#{n}"
        final.append(label)
    return final


def labelled(tok: Tokenizer, label: str) -> Tokenizer:
    """The same tokenizer, named `label` (everything keyed by `tok.name` downstream then uses the label)."""
    if label == tok.name:
        return tok
    src = getattr(tok, "_src", None)
    if src is None or not dataclasses.is_dataclass(src):
        return tok
    out = copy.copy(tok)
    out._src = dataclasses.replace(src, name=label)
    out._given_name = getattr(tok, "_given_name", tok.name)
    return out


def load_labelled(specs: list[str], labels: list[str] | None = None, pattern: str | None = None,
                  progress=None) -> list[Tokenizer]:
    """Load each spec (each once: a repeat is an error) and label them all uniquely (the one entry point for multi-tokenizer commands)."""
    from .view import load_tokenizer

    distinct = list(dict.fromkeys(str(s) for s in specs))
    if len(distinct) < len(specs):
        twice = next(s for s in distinct if [str(x) for x in specs].count(s) > 1)
        raise UsageError(f"tokenizer '{twice}' is named twice; give each tokenizer once (two different files that "
                         "share a name are told apart by their paths, or by --label)")
    toks = []
    for k, s in enumerate(distinct):
        if progress is not None:
            progress("load", k, len(distinct))
        toks.append(load_tokenizer(s) if pattern is None else load_tokenizer(s, pattern))
    return [labelled(t, lab) for t, lab in zip(toks, tokenizer_labels(toks, labels), strict=True)]


__all__ = ["TokenizerRef", "labelled", "load_labelled", "ref_of", "tokenizer_labels"]
