"""One view of any tokenizer: normalize, pretokenize, encode, decode, vocabulary as bytes, merges."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from .. import cache
from ..errors import InputError
from . import load as _load
from .bytemap import bytes_to_symbols, char_to_byte
from .merges import Merge
from .spmodel import BYTE, CONTROL, UNKNOWN, USER_DEFINED, parse_sp_model

_BYTE_PIECE = re.compile(r"^<0x([0-9A-Fa-f]{2})>$")
SP_SPACE = "▁"


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
    """A loaded tokenizer. Encoding and pretokenizing go through `tokenizers` (Rust) or `sentencepiece`."""

    def __init__(self, src: _load.Source, conv: _load.Converted):
        self._src = src
        self._conv = conv
        self._meta = conv.meta
        self._sp = None
        self._hf = None
        self._tt = None
        if conv.ranks is not None:
            # tiktoken-style files: tiktoken itself encodes (it is their reference and builds 4x faster
            # than an equivalent tokenizers object); the pretokenizer is the exported Split+ByteLevel.
            import tiktoken
            from tokenizers import Regex, pre_tokenizers

            tt = conv.meta["tiktoken"]
            off = int(tt["id_offset"])
            ranks = conv.ranks if off == 0 else {b: r + off for b, r in conv.ranks.items()}
            self._tt = tiktoken.Encoding(name=src.name, pat_str=tt["pattern"], mergeable_ranks=ranks,
                                         special_tokens=dict(tt["specials"]))
            self._tt_ranks = ranks
            self._pre = pre_tokenizers.Sequence([
                pre_tokenizers.Split(Regex(tt["pattern"]), "isolated"),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
            ])
        elif conv.meta.get("has_json"):
            from tokenizers import Tokenizer as HFTokenizer

            try:
                self._hf = HFTokenizer.from_str(conv.hf_json())
            except Exception as exc:  # tokenizers raises plain Exception for bad documents
                raise InputError(f"{src.origin}: tokenizers cannot build this tokenizer ({str(exc).splitlines()[0]})") from None
            self._pre = self._hf.pre_tokenizer
        else:
            import sentencepiece as spm

            self._sp = spm.SentencePieceProcessor(model_proto=src.data)
            self._sp_model = parse_sp_model(src.data, src.origin)
            self._pre = None

    @cached_property
    def _nfc(self):
        # the Rust normalizer, not unicodedata: Python's Unicode tables can be older, and Qwen's
        # published tokenizer.json normalizes with this one
        from tokenizers import normalizers

        return normalizers.NFC()

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

    @cached_property
    def model_doc(self) -> dict:
        return self._doc.get("model", {"type": "Unigram"})

    @cached_property
    def _doc(self) -> dict:
        text = self._conv.hf_json()
        return json.loads(text) if text else {}

    @property
    def algorithm(self) -> str:
        if self._tt is not None:
            return "bpe"
        if self._sp is not None:
            return self._sp_model.model_type
        return str(self._hf.model.__class__.__name__).lower()

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
        if self._tt is not None:
            return self._tt.max_token_value + 1
        if self._sp is not None:
            return self._sp.get_piece_size()
        return max(self._hf.get_vocab(with_added_tokens=True).values()) + 1

    @cached_property
    def specials(self) -> dict[str, int]:
        if self._tt is not None:
            return dict(self._meta["tiktoken"]["specials"])
        if self._sp is not None:
            return {self._sp.id_to_piece(i): i for i in range(self._sp.get_piece_size())
                    if self._sp.is_control(i) or self._sp.is_unknown(i)}
        return {t["content"]: t["id"] for t in self._doc.get("added_tokens", []) if t.get("special")}

    @cached_property
    def added_tokens(self) -> dict[str, int]:
        if self._tt is not None:
            return {}
        if self._sp is not None:
            return {p.piece: i for i, p in enumerate(self._sp_model.pieces) if p.type == USER_DEFINED}
        return {t["content"]: t["id"] for t in self._doc.get("added_tokens", []) if not t.get("special")}

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
        if self._tt is not None:
            return "NFC" if self._meta["tiktoken"].get("nfc") else "none"
        if self._sp is not None:
            m = self._sp_model
            return f"sentencepiece {m.normalizer_name}" + (", dummy prefix ▁" if m.add_dummy_prefix else "")
        node = self._doc.get("normalizer")
        return _describe(node) if node else "none"

    def describe_pretokenizer(self) -> str:
        if self._tt is not None:
            return f"Split(regex={self.pattern!r}) → ByteLevel"
        if self._sp is not None or self._doc.get("pre_tokenizer") is None:
            return "none (SentencePiece-style: whitespace becomes ▁, pieces never cross a ▁ boundary)"
        return _describe(self._doc["pre_tokenizer"])

    # ------------------------------------------------------------------ text -> ids
    def encode(self, text: str) -> list[int]:
        require_unicode(text)
        if self._tt is not None:
            return self.encode_batch([text])[0]
        if self._sp is not None:
            return self._sp.encode(text)
        return self._hf.encode(text, add_special_tokens=False).ids

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        for t in texts:
            require_unicode(t)
        if self._tt is not None:
            if self._meta["tiktoken"].get("nfc"):
                texts = [self.normalize(t) for t in texts]
            # tiktoken's encode_batch starts a thread pool and rebuilds the special set per call; its core
            # encoder in a loop is ~40x faster for many short texts and no slower for long ones on 2 cores.
            core, allowed = self._tt._core_bpe, self._tt.special_tokens_set
            return [core.encode(t, allowed) for t in texts]
        if self._sp is not None:
            return self._sp.encode(list(texts))
        return [e.ids for e in self._hf.encode_batch_fast(list(texts), add_special_tokens=False)]

    def encode_with_offsets(self, text: str) -> list[tuple[int, int, int]]:
        """(id, start, end) with character offsets into `text` (into its normalized form if it changes)."""
        require_unicode(text)
        if self._tt is not None:
            norm = self.normalize(text)
            ids = self._tt.encode(norm, allowed_special="all")
            _, starts = self._tt.decode_with_offsets(ids)
            ends = starts[1:] + [len(norm)]
            return [(i, s, max(s, e)) for i, s, e in zip(ids, starts, ends, strict=True)]
        if self._sp is not None:
            out, pos = [], 0
            for tid in self._sp.encode(text):
                piece = self.token_bytes[tid].decode("utf-8", "replace")
                start = pos
                pos = min(len(text), pos + len(piece.lstrip(" ") if start == 0 else piece))
                out.append((tid, start, pos))
            return out
        enc = self._hf.encode(text, add_special_tokens=False)
        return [(i, s, e) for i, (s, e) in zip(enc.ids, enc.offsets, strict=True)]

    def decode(self, ids: list[int]) -> str:
        if self._tt is not None:
            return self._tt.decode(list(ids), errors="replace")
        if self._sp is not None:
            return self._sp.decode(list(ids))
        return self._hf.decode(list(ids), skip_special_tokens=False)

    def decode_bytes(self, ids: list[int]) -> bytes:
        """Exact bytes of a token sequence (no U+FFFD repair), before any decoder clean-up."""
        tb = self.token_bytes
        out = b"".join(tb[i] for i in ids)
        if not self.byte_level and self._dummy_prefix and out.startswith(b" "):
            out = out[1:]
        return out

    @cached_property
    def _dummy_prefix(self) -> bool:
        if self._sp is not None:
            return self._sp_model.add_dummy_prefix
        norm = json.dumps(self._doc.get("normalizer"))
        return '"Prepend"' in norm or '"prepend_scheme": "always"' in json.dumps(self._doc.get("pre_tokenizer"))

    # ------------------------------------------------------------------ normalize / pretokenize
    def normalize(self, text: str) -> str:
        require_unicode(text)
        if self._tt is not None:
            return self._nfc.normalize_str(text) if self._meta["tiktoken"].get("nfc") else text
        if self._sp is not None:
            m = self._sp_model
            if m.remove_extra_whitespaces:
                text = re.sub(" {2,}", " ", text.strip(" "))
            out = text.replace(" ", SP_SPACE)
            return (SP_SPACE + out if m.add_dummy_prefix and out else out)
        if self._hf.normalizer is None:
            return text
        return self._hf.normalizer.normalize_str(text)

    def pretokenize(self, text: str) -> list[str]:
        """Normalized text split into the pieces BPE runs on, as text (byte-level symbols mapped back)."""
        norm = self.normalize(text)
        pre = self._pre
        if pre is None:
            return self._split_metaspace(norm)
        return [norm[s:e] for _, (s, e) in pre.pre_tokenize_str(norm)]

    def pretokenize_batch(self, texts: list[str]) -> list[list[str]]:
        return [self.pretokenize(t) for t in texts]

    @cached_property
    def _metaspace_safe(self) -> bool:
        """Whether no vocabulary piece holds a non-▁ character followed by ▁ (so pieces can split there)."""
        pat = re.compile(r"[^▁]▁")
        return not any(pat.search(p) for p in self._piece_strings)

    @cached_property
    def _piece_strings(self) -> list[str]:
        if self._sp is not None:
            return [p.piece for p in self._sp_model.pieces]
        return list(self._vocab.keys())

    def _split_metaspace(self, norm: str) -> list[str]:
        if not norm:
            return []
        if not self._metaspace_safe:
            return [norm]
        return [p for p in re.split(r"(?<=[^▁])(?=▁)", norm) if p]

    # ------------------------------------------------------------------ vocabulary
    @cached_property
    def id_to_token(self) -> list[str | None]:
        """Raw vocabulary strings by id (byte-level symbols or ▁ pieces); None for unused ids."""
        out: list[str | None] = [None] * self.vocab_size
        if self._tt is not None:
            for b, i in self._tt_ranks.items():
                out[i] = bytes_to_symbols(b)
            for s, i in self.specials.items():
                out[i] = s
            return out
        if self._sp is not None:
            for i in range(self._sp.get_piece_size()):
                out[i] = self._sp.id_to_piece(i)
            return out
        for tok, i in self._hf.get_vocab(with_added_tokens=True).items():
            out[i] = tok
        return out

    @cached_property
    def special_ids(self) -> frozenset[int]:
        return frozenset(self.specials.values())

    @cached_property
    def token_bytes(self) -> list[bytes]:
        """Bytes each id stands for in decoded text. Special tokens give their literal text; unused ids b''."""
        if self._tt is not None:
            tb = [b""] * self.vocab_size
            for b, i in self._tt_ranks.items():
                tb[i] = b
            for text, i in self.specials.items():
                tb[i] = text.encode("utf-8")
            return tb
        added = {i for i in self.specials.values()} | set(self.added_tokens.values())
        c2b = char_to_byte()
        wordpiece = self.algorithm == "wordpiece"
        prefix = self.model_doc.get("continuing_subword_prefix") or "##"
        out: list[bytes] = []
        for i, tok in enumerate(self.id_to_token):
            if tok is None:
                out.append(b"")
            elif i in added:
                out.append(tok.encode("utf-8"))
            elif self.byte_level:
                try:
                    out.append(bytes(c2b[ch] for ch in tok))
                except KeyError:
                    out.append(tok.encode("utf-8"))
            elif (m := _BYTE_PIECE.match(tok)) and self.byte_fallback:
                out.append(bytes([int(m.group(1), 16)]))
            elif wordpiece:
                out.append(tok[len(prefix):].encode() if tok.startswith(prefix) else b" " + tok.encode())
            else:
                out.append(tok.replace(SP_SPACE, " ").encode("utf-8"))
        return out

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
            elif not self.byte_level and _BYTE_PIECE.match(tok):
                out[tb[i][0]] = i
        return out

    @cached_property
    def _vocab(self) -> dict[str, int]:
        if self._tt is not None:
            return {bytes_to_symbols(b): i for b, i in self._tt_ranks.items()}
        if self._sp is not None:
            return {p.piece: i for i, p in enumerate(self._sp_model.pieces)}
        return self._hf.get_vocab(with_added_tokens=False)

    def piece_base_ids(self, piece: str) -> list[int]:
        """The initial symbols of a pretokenized piece before any merge, as token ids."""
        if self.byte_level:
            bt = self.byte_token_ids
            return [bt[b] for b in piece.encode("utf-8")]
        vocab = self._vocab
        out: list[int] = []
        for ch in piece:
            tid = vocab.get(ch)
            if tid is not None:
                out.append(tid)
            elif self.byte_fallback:
                bt = self.byte_token_ids
                out.extend(bt[b] for b in ch.encode("utf-8"))
            else:
                out.append(self._unk_id)
        return out

    @cached_property
    def _unk_id(self) -> int:
        unk = self.model_doc.get("unk_token")
        if unk and unk in self._vocab:
            return self._vocab[unk]
        return 0

    def symbol(self, tid: int) -> str:
        """A printable form of a token for tables: its text, with control bytes escaped."""
        raw = self.token_bytes[tid]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return "".join(f"\\x{b:02x}" for b in raw) if len(raw) <= 4 else repr(raw)[2:-1]
        return text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text

    # ------------------------------------------------------------------ merges
    def n_merges(self) -> int | None:
        """Length of `merges()`, remembered on disk by content hash (counting means parsing them)."""
        if not self.is_bpe:
            return None
        path = cache.entry_path("summaries", cache.key_of("n_merges", self.sha256, self.name), ".json")
        hit = cache.read_entry(path, lambda data: int(cache.json_object(data)["merges"]))
        if hit is not None:
            return hit
        n = len(self.merges())
        try:
            cache.write_bytes_atomic(path, json.dumps({"merges": n}).encode())
        except OSError:
            pass
        return n

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
        if self._src.format == "sentencepiece":
            sp = SP_SPACE.encode("utf-8")
            return [(a.replace(sp, b" "), b.replace(sp, b" "))
                    for a, b in _load.sp_dedup_merges(parse_sp_model(self._src.data, self._src.origin))]
        raw = self.model_doc.get("merges", [])
        vocab = self._vocab
        tb = self.token_bytes
        out: list[Merge] = []
        for m in raw:
            a, b = (m.split(" ", 1) if isinstance(m, str) else m)
            if a in vocab and b in vocab:
                out.append((tb[vocab[a]], tb[vocab[b]]))
        if not self.byte_level and self._is_sp_like and self._src.format != "sentencepiece":
            out = _dedup_by_result(out)
        return out

    @property
    def _is_sp_like(self) -> bool:
        return "Metaspace" in json.dumps(self._doc.get("pre_tokenizer")) or '"Prepend"' in json.dumps(self._doc.get("normalizer"))

    def merge_ids(self) -> np.ndarray:
        """(n, 3) int64 array of (left id, right id, merged id) in merge order."""
        return self._merge_ids

    @cached_property
    def _merge_ids(self) -> np.ndarray:
        # parsing a 200k merge list takes seconds; the id form is kept on disk by content hash
        path = cache.entry_path("merges", cache.key_of("merge_ids", self.sha256, self.name), ".npy")
        def parse(data: bytes) -> np.ndarray:
            arr = np.load(io.BytesIO(data), allow_pickle=False)
            if arr.ndim != 2 or arr.shape[1] != 3 or arr.dtype != np.int64:
                raise ValueError(f"array of shape {arr.shape} and dtype {arr.dtype}")
            return arr

        hit = cache.read_entry(path, parse)
        if hit is not None:
            return hit
        index = self.bytes_to_id
        rows = [(index[a], index[b], index[a + b]) for a, b in self.merges()]
        out = np.asarray(rows, dtype=np.int64).reshape(-1, 3)
        try:
            with cache.atomic_writer(path, "wb") as f:
                np.save(f, out)
        except OSError:
            pass
        return out

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


def _dedup_by_result(merges: list[Merge]) -> list[Merge]:
    seen: set[bytes] = set()
    out = []
    for a, b in merges:
        if a + b not in seen:
            seen.add(a + b)
            out.append((a, b))
    return out


def _describe(node) -> str:
    if node is None:
        return "none"
    t = node.get("type", "?")
    if t == "Sequence":
        parts = node.get("normalizers") or node.get("pretokenizers") or []
        return " → ".join(_describe(p) for p in parts)
    if t == "Split":
        pat = node.get("pattern", {})
        return f"Split(regex={pat.get('Regex', pat.get('String'))!r})"
    if t == "ByteLevel":
        return "ByteLevel" + ("(GPT-2 regex)" if node.get("use_regex") else "")
    if t == "Digits":
        return "Digits(individual)" if node.get("individual_digits") else "Digits"
    if t == "Replace":
        return f"Replace({node.get('pattern', {}).get('String', '?')!r}→{node.get('content')!r})"
    if t == "Prepend":
        return f"Prepend({node.get('prepend')!r})"
    if t == "Metaspace":
        return f"Metaspace({node.get('replacement', '▁')!r})"
    return t


def load_tokenizer(spec: str | Path, pattern: str | None = None) -> Tokenizer:
    """Load a zoo name or a path (tokenizer.json, model folder, .model, .tiktoken, tekken JSON, GGUF)."""
    src = _load.resolve(spec, pattern)
    return Tokenizer(src, _load.load_converted(src))


__all__ = ["Tokenizer", "TokenizerInfo", "load_tokenizer", "BYTE", "CONTROL", "UNKNOWN"]
