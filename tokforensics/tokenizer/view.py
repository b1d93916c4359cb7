"""One view of any tokenizer: normalize, pretokenize, encode, decode, vocabulary as bytes, merges."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from .. import cache
from ..errors import InputError
from . import display
from . import load as _load
from .backends import BYTE_PIECE, SP_SPACE, Backend, make_backend
from .bytemap import bytes_to_symbols
from .merges import TRAINING_MERGES_VERSION, Merge, training_merges
from .spmodel import BYTE, CONTROL, UNKNOWN

_SURROGATE = re.compile("[\ud800-\udfff]")


class NotUnicodeError(InputError):
    """Text holding a lone surrogate: it is not Unicode text, and no tokenizer can encode it faithfully."""


def require_unicode(text: str) -> str:
    """Refuse lone surrogates (what undecodable bytes become under surrogateescape).

    Backends disagree about them (tiktoken encodes U+FFFD, Hugging Face raises TypeError, the byte-level
    views raise UnicodeEncodeError), so every text-taking method checks first and fails the same way.
    """
    if not text.isascii():
        m = _SURROGATE.search(text)
        if m is not None:
            raise NotUnicodeError(f"the text holds a lone surrogate U+{ord(m.group()):04X} at character {m.start()} "
                                  "(an undecodable byte?); pass valid Unicode text")
    return text


@dataclass(frozen=True)
class TokenizerInfo:
    name: str
    source: str
    format: str
    family: str
    algorithm: str  # bpe | unigram | wordpiece | wordlevel
    license: str
    sha256: str
    vocab_size: int
    merges: int | None
    byte_level: bool
    byte_fallback: bool
    pattern: str | None
    normalizer: str
    pretokenizer: str
    specials: dict[str, int]


class Tokenizer:
    """A loaded tokenizer: one interface over its engine (`backends.py`), with what every engine shares.

    The engine is tiktoken, `tokenizers` (Rust) or `sentencepiece`; this class never asks which.
    """

    def __init__(self, src: _load.Source, conv: _load.Converted):
        self._src = src
        self._conv = conv
        self._meta = conv.meta
        self._backend: Backend = make_backend(src, conv)

    def hf_json(self) -> str | None:
        """The tokenizer as a Hugging Face tokenizer.json document (None for SentencePiece Unigram)."""
        return self._conv.hf_json()

    # ------------------------------------------------------------------ identity
    @property
    def name(self) -> str:
        return self._src.name

    @property
    def sha256(self) -> str:
        return self._src.sha256

    @property
    def algorithm(self) -> str:
        return self._backend.algorithm

    @property
    def is_bpe(self) -> bool:
        return self.algorithm == "bpe"

    @property
    def byte_level(self) -> bool:
        return bool(self._meta.get("byte_level"))

    @property
    def byte_fallback(self) -> bool:
        return bool(self._meta.get("byte_fallback"))

    @property
    def pattern(self) -> str | None:
        return self._meta.get("pattern")

    @property
    def vocab_size(self) -> int:
        """Size of the id space (max id + 1), special tokens included."""
        return self._backend.vocab_size

    @property
    def specials(self) -> dict[str, int]:
        return self._backend.specials

    @property
    def added_tokens(self) -> dict[str, int]:
        return self._backend.added_tokens

    @property
    def unk_id(self) -> int | None:
        """The id of the unknown token, or None when the tokenizer can represent every character."""
        return self._backend.unk_id

    def info(self) -> TokenizerInfo:
        entry = self._src.entry
        merges = self.n_merges()
        return TokenizerInfo(
            name=self.name, source=self._src.origin, format=self._src.format,
            family=entry.family if entry else "user", algorithm=self.algorithm,
            license=entry.licence if entry else "user-supplied", sha256=self.sha256, vocab_size=self.vocab_size,
            merges=merges, byte_level=self.byte_level, byte_fallback=self.byte_fallback, pattern=self.pattern,
            normalizer=self.describe_normalizer(), pretokenizer=self.describe_pretokenizer(), specials=self.specials,
        )

    def describe_normalizer(self) -> str:
        return self._backend.describe_normalizer()

    def describe_pretokenizer(self) -> str:
        return self._backend.describe_pretokenizer()

    # ------------------------------------------------------------------ text -> ids
    def encode(self, text: str, *, specials: bool = True) -> list[int]:
        """Ids of `text`. `specials=False` reads special-token literals as plain text (tiktoken's
        `encode_ordinary`); the default reads them as the tokens, as tiktoken's `allowed_special="all"`."""
        return self.encode_batch([text], specials=specials)[0]

    def encode_batch(self, texts: list[str], *, specials: bool = True) -> list[list[int]]:
        for t in texts:
            require_unicode(t)
        if not texts:
            return []
        return self._backend.encode_batch(list(texts), specials=specials)

    def encode_with_offsets(self, text: str) -> list[tuple[int, int, int]]:
        """(id, start, end) with character offsets into `text` (into its normalized form if it changes)."""
        require_unicode(text)
        return self._backend.encode_with_offsets(text)

    def decode(self, ids: list[int]) -> str:
        return self._backend.decode_batch([list(ids)])[0]

    def decode_batch(self, ids_list: list[list[int]]) -> list[str]:
        """`[decode(ids) for ids in ids_list]`, batched where the engine allows it."""
        return self._backend.decode_batch([list(x) for x in ids_list]) if ids_list else []

    def decode_bytes(self, ids: list[int]) -> bytes:
        """Exact bytes of a token sequence (no U+FFFD repair), before any decoder clean-up."""
        tb = self.token_bytes
        out = b"".join(tb[i] for i in ids)
        if not self.byte_level and self._backend.dummy_prefix and out.startswith(b" "):
            out = out[1:]
        return out

    @cached_property
    def adds_prefix_space(self) -> bool:
        """Whether encoding adds a word-boundary space itself (SentencePiece dummy prefix, WordPiece)."""
        ids = self.encode("a")
        return bool(ids) and self.token_bytes[ids[0]].startswith(b" ")

    # ------------------------------------------------------------------ normalize / pretokenize
    def normalize(self, text: str) -> str:
        require_unicode(text)
        return self._backend.normalize(text)

    def pretokenize(self, text: str) -> list[str]:
        """Normalized text split into the pieces BPE runs on, as text (byte-level symbols mapped back)."""
        return [p for p, _ in self.pretokenize_with_offsets(text)]

    def pretokenize_with_offsets(self, text: str) -> list[tuple[str, tuple[int, int]]]:
        """The pieces of `pretokenize` with their character offsets into the normalized text."""
        require_unicode(text)
        return self._backend.pretokenize(text)

    def pretokenizer_description(self) -> dict:
        """What `pretokenize` does, as plain data, for code that reproduces it at scale (mixture counting):
        kind "regex" (pattern, nfc), "hf" (the tokenizer.json normalizer and pre_tokenizer nodes) or "metaspace"
        (SentencePiece's whitespace flags); each with whether cutting before every metaspace is safe."""
        return self._backend.pretokenizer_description()

    def pretokenize_batch(self, texts: list[str]) -> list[list[str]]:
        return [self.pretokenize(t) for t in texts]

    # ------------------------------------------------------------------ vocabulary
    @property
    def id_to_token(self) -> list[str | None]:
        """Raw vocabulary strings by id (byte-level symbols or ▁ pieces); None for unused ids."""
        return self._backend.id_to_token

    @cached_property
    def special_ids(self) -> frozenset[int]:
        return frozenset(self.specials.values())

    @property
    def token_bytes(self) -> list[bytes]:
        """Bytes each id stands for in decoded text. Special tokens give their literal text; unused ids b''."""
        return self._backend.token_bytes

    @cached_property
    def token_lengths(self) -> np.ndarray:
        """Byte length of every id (int64)."""
        return np.fromiter((len(b) for b in self.token_bytes), dtype=np.int64, count=self.vocab_size)

    @cached_property
    def token_blob(self) -> tuple[np.ndarray, np.ndarray]:
        """(all token bytes concatenated as a uint8 array, start offset of each id)."""
        tb = self.token_bytes
        offs = np.zeros(len(tb), np.int64)
        if len(tb) > 1:
            offs[1:] = np.cumsum(self.token_lengths)[:-1]
        return np.frombuffer(b"".join(tb), dtype=np.uint8), offs

    @cached_property
    def byte_token_ids(self) -> dict[int, int]:
        """Byte value -> id of the token that is exactly that byte (byte-level or byte-fallback)."""
        out: dict[int, int] = {}
        tb = self.token_bytes
        for i, tok in enumerate(self.id_to_token):
            if tok is None or i in self.special_ids:
                continue
            if self.byte_level and len(tb[i]) == 1:
                out.setdefault(tb[i][0], i)
            elif not self.byte_level and BYTE_PIECE.match(tok):
                out[tb[i][0]] = i
        return out

    @cached_property
    def byte_piece_ids(self) -> frozenset[int]:
        """Ids of byte-fallback pieces (<0xNN>); empty for tokenizers without byte fallback."""
        if not self.byte_fallback or self.byte_level:
            return frozenset()
        return frozenset(i for i, t in enumerate(self.id_to_token) if t is not None and BYTE_PIECE.match(t))

    def piece_base_ids(self, piece: str) -> list[int]:
        """The initial symbols of a pretokenized piece before any merge, as token ids."""
        if self.byte_level:
            bt = self.byte_token_ids
            return [bt[b] for b in piece.encode("utf-8")]
        vocab = self._backend.vocab
        unk = self.unk_id if self.unk_id is not None else 0
        out: list[int] = []
        for ch in piece:
            tid = vocab.get(ch)
            if tid is not None:
                out.append(tid)
            elif self.byte_fallback:
                bt = self.byte_token_ids
                out.extend(bt[b] for b in ch.encode("utf-8"))
            else:
                out.append(unk)
        return out

    def symbol(self, tid: int) -> str:
        """A printable form of a token for tables (see `display.token_text`)."""
        return display.token_text(self.token_bytes[tid])

    # ------------------------------------------------------------------ merges
    def n_merges(self) -> int | None:
        """Length of `merges()`, remembered on disk by content hash (counting means parsing them)."""
        if not self.is_bpe:
            return None
        key = cache.key_of("n_merges", self.sha256, self.name)
        return cache.cached_json("summaries", key, lambda: len(self.merges()), load=lambda obj: int(obj["merges"]),
                                 dump=lambda n: {"merges": n})

    def merges(self) -> list[Merge]:
        """The ordered merge list as (left bytes, right bytes); SentencePiece lists are deduplicated."""
        return self._merges

    @cached_property
    def _merges(self) -> list[Merge]:
        if not self.is_bpe:
            raise InputError(
                f"tokenizer '{self.name}' is {self.algorithm}, not BPE: it has no merge list "
                f"(merge-based analyses need a BPE tokenizer)"
            )
        return self._backend.merges()

    def merge_pieces(self) -> list[tuple[str, str]]:
        """The merge list as the vocabulary strings the tokenizer file writes (empty without one)."""
        return self._backend.merge_pieces()

    def merge_ids(self) -> np.ndarray:
        """(n, 3) int64 array of (left id, right id, merged id) of the merges training made, in order.

        This is `merges()` with one merge per created token (`merges.training_merges`): a list that holds every
        split of each token (Llama 3 as converted from its ranks) keeps the split BPE reaches, and tokens no
        merge reaches are left out. For every other list it is `merges()` itself.
        """
        return self._merge_ids

    @cached_property
    def _merge_ids(self) -> np.ndarray:
        # parsing a 200k merge list takes seconds; the id form is kept on disk by content hash
        def load(data: bytes) -> np.ndarray:
            arr = np.load(io.BytesIO(data), allow_pickle=False)
            if arr.ndim != 2 or arr.shape[1] != 3 or arr.dtype != np.int64:
                raise ValueError(f"array of shape {arr.shape} and dtype {arr.dtype}")
            return arr

        def dump(arr: np.ndarray) -> bytes:
            buf = io.BytesIO()
            np.save(buf, arr)
            return buf.getvalue()

        def build() -> np.ndarray:
            index = self.bytes_to_id
            made, _dropped = training_merges(self.merges(), byte_level=self.byte_level)
            rows = [(index[a], index[b], index[a + b]) for a, b in made]
            return np.asarray(rows, dtype=np.int64).reshape(-1, 3)

        key = cache.key_of("merge_ids", "training", TRAINING_MERGES_VERSION, self.sha256, self.name)
        return cache.cached("merges", key, ".npy", build,
                            dump=dump, load=load)

    @cached_property
    def bytes_to_id(self) -> dict[bytes, int]:
        """Token bytes -> id for ordinary tokens. A byte-fallback piece <0xNN> loses to a normal piece
        with the same bytes (the ▁ piece, not <0x20>, is what merges build on)."""
        out: dict[bytes, int] = {}
        specials = self.special_ids | set(self.added_tokens.values())
        fallback = set() if self.byte_level else set(self.byte_token_ids.values())
        for i, b in enumerate(self.token_bytes):
            if b and i not in specials and i not in fallback:
                out.setdefault(b, i)
        for i in sorted(fallback):
            out.setdefault(self.token_bytes[i], i)
        return out

    def merges_txt(self) -> str:
        """HF merges.txt form of `merges()`: byte-level symbols, or ▁ pieces for SentencePiece-style models."""
        lines = ["#version: 0.2"]
        for a, b in self.merges():
            lines.append(f"{self._sym(a)} {self._sym(b)}")
        return "\n".join(lines) + "\n"

    def _sym(self, b: bytes) -> str:
        if self.byte_level:
            return bytes_to_symbols(b)
        return b.decode("utf-8").replace(" ", SP_SPACE)


def load_tokenizer(spec: str | Path, pattern: str | None = None) -> Tokenizer:
    """Load a zoo name or a path (tokenizer.json, model folder, .model, .tiktoken, tekken JSON, GGUF)."""
    src = _load.resolve(spec, pattern)
    return Tokenizer(src, _load.load_converted(src))


__all__ = ["Tokenizer", "TokenizerInfo", "load_tokenizer", "BYTE", "CONTROL", "UNKNOWN"]
