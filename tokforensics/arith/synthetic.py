"""Tiny tokenizers with a known number scheme, built with the `tokenizers` library.

They exist to validate the probe: each one splits numbers in a way that can be checked by hand.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from ..errors import UsageError

SCHEMES = ("single", "l2r", "r2l", "free", "metaspace", "nodigits")
_TEXT_CHARS = list("abcdefghijklmnopqrstuvwxyz+=,.#$_-\n ")

# Learned digit strings of the `free` tokenizer, in merge order (a plain BPE, digits not pre-split).
FREE_MERGES = [("1", "2"), ("12", "3"), ("4", "5"), ("45", "6"), ("9", "9"), ("7", "7"), (" ", "123")]


def build_tokenizer_json(scheme: str, k: int = 3) -> str:
    """A tokenizer.json document for one scheme.

    single     digits never merge
    l2r        every 1..k digit string is a token; the pretokenizer cuts runs into k-digit chunks from the left
    r2l        the same vocabulary; chunks counted from the right (1-234-567)
    free       a few learned digit strings (12, 123, 45, 456, 99, 77, ' 123'); digit runs are not pre-split
    metaspace  SentencePiece-style: ▁ dummy prefix, single digits
    nodigits   no digit in the vocabulary (digits become <unk>)
    """
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers

    if scheme not in SCHEMES:
        raise UsageError(f"unknown synthetic scheme '{scheme}'; choose from {', '.join(SCHEMES)}")
    if k < 1 or k > 4:
        raise UsageError("synthetic chunk size k must be 1..4")
    vocab: dict[str, int] = {"<unk>": 0}
    digits = [] if scheme == "nodigits" else list("0123456789")
    for ch in digits + _TEXT_CHARS:
        vocab.setdefault(ch, len(vocab))
    merges: list[tuple[str, str]] = []
    if scheme in ("l2r", "r2l"):
        for n in range(2, k + 1):
            for t in itertools.product("0123456789", repeat=n):
                s = "".join(t)
                vocab[s] = len(vocab)
                # every split, so the string merges whole whichever pair merges first
                merges.extend((s[:i], s[i:]) for i in range(1, n))
    elif scheme == "free":
        for a, b in FREE_MERGES:
            vocab.setdefault(a + b, len(vocab))
            merges.append((a, b))
    if scheme == "metaspace":
        vocab.setdefault("▁", len(vocab))
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>"))
    if scheme == "l2r":
        tok.pre_tokenizer = pre_tokenizers.Split(Regex(rf"\d{{1,{k}}}"), behavior="isolated")
    elif scheme == "r2l":
        tok.pre_tokenizer = pre_tokenizers.Split(Regex(rf"\d{{1,{k}}}(?=(?:\d{{{k}}})*(?!\d))"), behavior="isolated")
    elif scheme == "free":
        tok.pre_tokenizer = pre_tokenizers.Split(Regex(r" ?\d+| ?[^\s\d]+|\s+"), behavior="isolated")
    elif scheme == "metaspace":
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True),
            pre_tokenizers.Digits(individual_digits=True),
        ])
    else:
        tok.pre_tokenizer = pre_tokenizers.Split(Regex(r"\d|[^\d]+"), behavior="isolated")
    tok.add_special_tokens(["<unk>"])
    return tok.to_str()


def write_tokenizer(scheme: str, path: str | Path, k: int = 3) -> Path:
    path = Path(path)
    path.write_text(build_tokenizer_json(scheme, k), encoding="utf-8")
    return path
