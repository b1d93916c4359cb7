"""The three engines that run a tokenizer (tiktoken, Hugging Face `tokenizers`, `sentencepiece`), one class each.

They sit behind one `Backend` protocol so that `Tokenizer` (view.py) holds no engine branches. Each class
keeps its engine's fast paths to itself: tiktoken's core encoder, `tokenizers`' batch calls, the
SentencePiece model's own piece table. Nothing outside `tokforensics.tokenizer` reaches into them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cached_property
from typing import Protocol

from ..errors import InputError
from . import load as _load
from .bytemap import bytes_to_symbols, char_to_byte
from .components import find_nodes, split_then_bytes
from .merges import Merge
from .spmodel import USER_DEFINED, parse_sp_model

BYTE_PIECE = re.compile(r"^<0x([0-9A-Fa-f]{2})>$")
SP_SPACE = "▁"

Piece = tuple[str, tuple[int, int]]  # a pretokenized piece of the normalized text, with its character offsets


class Backend(Protocol):
    """What `Tokenizer` asks of an engine. Texts are already checked to be valid Unicode."""

    algorithm: str  # bpe | unigram | wordpiece | wordlevel
    vocab_size: int  # size of the id space (max id + 1), special tokens included
    specials: dict[str, int]
    added_tokens: dict[str, int]  # added tokens that are not special
    id_to_token: list[str | None]  # raw vocabulary strings (byte-level symbols or ▁ pieces); None for unused ids
    vocab: dict[str, int]  # ordinary vocabulary strings -> id (no added tokens)
    token_bytes: list[bytes]  # bytes of each id in decoded text; specials give their literal text, unused ids b''
    unk_id: int | None  # None when every character is representable
    dummy_prefix: bool  # whether encoding puts a word-boundary space before the text

    def encode_batch(self, texts: list[str], *, specials: bool) -> list[list[int]]:
        """Ids of each text. `specials`: a special token's literal in the text is that token (else plain text)."""

    def encode_with_offsets(self, text: str) -> list[tuple[int, int, int]]:
        """(id, start, end) with character offsets into the normalized text; specials allowed."""

    def decode_batch(self, ids_list: list[list[int]]) -> list[str]:
        """Decoded text of each id list (invalid UTF-8 becomes U+FFFD; special tokens kept)."""

    def normalize(self, text: str) -> str: ...

    def pretokenizer_description(self) -> dict:
        """What pretokenize does, as plain data (see Tokenizer.pretokenizer_description)."""
        ...

    def pretokenize(self, text: str) -> list[Piece]:
        """The normalized text cut into the pieces the model runs on, with offsets into the normalized text."""

    def merges(self) -> list[Merge]:
        """The ordered merge list as (left bytes, right bytes); only for BPE."""

    def merge_pieces(self) -> list[tuple[str, str]]:
        """The merge list as the vocabulary strings the file writes (empty without a merge list)."""

    def describe_normalizer(self) -> str: ...

    def describe_pretokenizer(self) -> str: ...


def make_backend(src: _load.Source, conv: _load.Converted) -> Backend:
    """The engine for a converted tokenizer: tiktoken for rank files, `tokenizers` for JSON, else SentencePiece."""
    if conv.ranks is not None:
        return TiktokenBackend(src, conv)
    if conv.meta.get("has_json"):
        return HFBackend(src, conv)
    return SentencePieceBackend(src)


# ---------------------------------------------------------------- shared by the backends


def split_metaspace(norm: str, safe: bool) -> list[Piece]:
    """Pieces of SentencePiece-style text: a new piece before each ▁ that follows another character.

    Only when `safe` (no vocabulary piece holds a character followed by ▁): otherwise a piece may cross a ▁
    boundary and the whole text is one piece.
    """
    if not norm:
        return []
    if not safe:
        return [(norm, (0, len(norm)))]
    out, start = [], 0
    for m in re.finditer(r"(?<=[^▁])(?=▁)", norm):
        if m.start() > start:
            out.append((norm[start:m.start()], (start, m.start())))
        start = m.start()
    if start < len(norm):
        out.append((norm[start:], (start, len(norm))))
    return out


def metaspace_safe(pieces: Iterator[str] | list[str]) -> bool:
    pat = re.compile(r"[^▁]▁")
    return not any(pat.search(p) for p in pieces)


def piece_bytes(id_to_token: list[str | None], literal: set[int], *, byte_level: bool, byte_fallback: bool,
                wordpiece_prefix: str | None) -> list[bytes]:
    """Bytes of vocabulary strings: byte-level symbols decoded, <0xNN> pieces as their byte, ▁ as a space.

    `literal` ids (special and added tokens) stand for their text as written; `wordpiece_prefix` marks
    WordPiece continuations, and every other WordPiece token starts a word (a space before it).
    """
    c2b = char_to_byte()
    out: list[bytes] = []
    for i, tok in enumerate(id_to_token):
        if tok is None:
            out.append(b"")
        elif i in literal:
            out.append(tok.encode("utf-8"))
        elif byte_level:
            try:
                out.append(bytes(c2b[ch] for ch in tok))
            except KeyError:
                out.append(tok.encode("utf-8"))
        elif (m := BYTE_PIECE.match(tok)) and byte_fallback:
            out.append(bytes([int(m.group(1), 16)]))
        elif wordpiece_prefix is not None:
            out.append(tok[len(wordpiece_prefix):].encode() if tok.startswith(wordpiece_prefix) else b" " + tok.encode())
        else:
            out.append(tok.replace(SP_SPACE, " ").encode("utf-8"))
    return out


def _doc_merge_pairs(model: dict) -> list[tuple[str, str]]:
    out = []
    for m in model.get("merges", []) or []:
        a, b = (m.split(" ", 1) if isinstance(m, str) else m)
        out.append((a, b))
    return out


def _doc_merges(model: dict, vocab: dict[str, int], tb: list[bytes]) -> list[Merge]:
    return [(tb[vocab[a]], tb[vocab[b]]) for a, b in _doc_merge_pairs(model) if a in vocab and b in vocab]


def _dedup_by_result(merges: list[Merge]) -> list[Merge]:
    seen: set[bytes] = set()
    out = []
    for a, b in merges:
        if a + b not in seen:
            seen.add(a + b)
            out.append((a, b))
    return out


def describe(node) -> str:
    """A one-line description of a tokenizer.json normalizer or pretokenizer node."""
    if node is None:
        return "none"
    t = node.get("type", "?")
    if t == "Sequence":
        parts = node.get("normalizers") or node.get("pretokenizers") or []
        return " → ".join(describe(p) for p in parts)
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


class _Document:
    """The converted tokenizer.json, parsed when first needed (a 200k vocabulary takes a while)."""

    _conv: _load.Converted

    @cached_property
    def doc(self) -> dict:
        text = self._conv.hf_json()
        return json.loads(text) if text else {}

    @property
    def model_doc(self) -> dict:
        return self.doc.get("model", {})

    def merge_pieces(self) -> list[tuple[str, str]]:
        return _doc_merge_pairs(self.model_doc)


# ---------------------------------------------------------------- tiktoken


class TiktokenBackend(_Document):
    """tiktoken-style rank files (and Tekken): tiktoken itself encodes, as their reference implementation.

    It also builds about 4x faster than an equivalent `tokenizers` object. The pretokenizer (for pieces and
    offsets) is the same Split + ByteLevel pipeline the exported tokenizer.json has.
    """

    algorithm = "bpe"
    added_tokens: dict[str, int] = {}
    unk_id = None
    dummy_prefix = False

    def __init__(self, src: _load.Source, conv: _load.Converted):
        import tiktoken

        self._conv = conv
        tt = conv.meta["tiktoken"]
        off = int(tt["id_offset"])
        self._ranks = conv.ranks if off == 0 else {b: r + off for b, r in conv.ranks.items()}
        self._pattern = tt["pattern"]
        self._nfc_on = bool(tt.get("nfc"))
        self.specials = dict(tt["specials"])
        self._enc = tiktoken.Encoding(name=src.name, pat_str=tt["pattern"], mergeable_ranks=self._ranks,
                                      special_tokens=self.specials)
        # tiktoken's encode_batch starts a thread pool and rebuilds the special set per call; its core
        # encoder in a loop is ~40x faster for many short texts and no slower for long ones on 2 cores.
        self._core = self._enc._core_bpe
        self._allowed = self._enc.special_tokens_set
        self._pre = split_then_bytes(self._pattern)

    def pretokenizer_description(self) -> dict:
        return {"kind": "regex", "pattern": self._pattern, "nfc": self._nfc_on}

    @cached_property
    def _nfc(self):
        # the Rust normalizer, not unicodedata: Python's Unicode tables can be older, and Qwen's
        # published tokenizer.json normalizes with this one
        from tokenizers import normalizers

        return normalizers.NFC()

    @property
    def vocab_size(self) -> int:
        return self._enc.max_token_value + 1

    def encode_batch(self, texts: list[str], *, specials: bool) -> list[list[int]]:
        if self._nfc_on:
            texts = [self.normalize(t) for t in texts]
        if specials:
            core, allowed = self._core, self._allowed
            return [core.encode(t, allowed) for t in texts]
        ordinary = self._core.encode_ordinary
        return [ordinary(t) for t in texts]

    def encode_with_offsets(self, text: str) -> list[tuple[int, int, int]]:
        norm = self.normalize(text)
        ids = self._enc.encode(norm, allowed_special="all")
        _, starts = self._enc.decode_with_offsets(ids)
        ends = starts[1:] + [len(norm)]
        return [(i, s, max(s, e)) for i, s, e in zip(ids, starts, ends, strict=True)]

    def decode_batch(self, ids_list: list[list[int]]) -> list[str]:
        dec = self._core.decode_bytes
        return [bytes(dec(list(ids))).decode("utf-8", "replace") for ids in ids_list]

    def normalize(self, text: str) -> str:
        return self._nfc.normalize_str(text) if self._nfc_on else text

    def pretokenize(self, text: str) -> list[Piece]:
        norm = self.normalize(text)
        return [(norm[s:e], (s, e)) for _, (s, e) in self._pre.pre_tokenize_str(norm)]

    @cached_property
    def id_to_token(self) -> list[str | None]:
        out: list[str | None] = [None] * self.vocab_size
        for b, i in self._ranks.items():
            out[i] = bytes_to_symbols(b)
        for s, i in self.specials.items():
            out[i] = s
        return out

    @cached_property
    def vocab(self) -> dict[str, int]:
        return {bytes_to_symbols(b): i for b, i in self._ranks.items()}

    @cached_property
    def token_bytes(self) -> list[bytes]:
        # straight from the ranks: going through the byte-symbol table takes ~3 s for 200k ids
        tb = [b""] * self.vocab_size
        for b, i in self._ranks.items():
            tb[i] = b
        for text, i in self.specials.items():
            tb[i] = text.encode("utf-8")
        return tb

    def merges(self) -> list[Merge]:
        return _doc_merges(self.model_doc, self.vocab, self.token_bytes)

    def describe_normalizer(self) -> str:
        return "NFC" if self._nfc_on else "none"

    def describe_pretokenizer(self) -> str:
        return f"Split(regex={self._pattern!r}) → ByteLevel"


# ---------------------------------------------------------------- Hugging Face tokenizers


class HFBackend(_Document):
    """A tokenizer.json run by `tokenizers`: user JSON, converted SentencePiece BPE and GGUF."""

    def __init__(self, src: _load.Source, conv: _load.Converted):
        from tokenizers import Tokenizer as HFTokenizer

        self._conv = conv
        self._meta = conv.meta
        try:
            self._hf = HFTokenizer.from_str(conv.hf_json())
        except Exception as exc:  # tokenizers raises plain Exception for bad documents
            raise InputError(f"{src.origin}: tokenizers cannot build this tokenizer ({str(exc).splitlines()[0]}); check that the file is a complete tokenizer") from None
        self._src = src

    @property
    def algorithm(self) -> str:
        return str(self._hf.model.__class__.__name__).lower()

    @property
    def vocab_size(self) -> int:
        return max(self._hf.get_vocab(with_added_tokens=True).values()) + 1

    @cached_property
    def specials(self) -> dict[str, int]:
        return {t["content"]: t["id"] for t in self.doc.get("added_tokens", []) if t.get("special")}

    @cached_property
    def added_tokens(self) -> dict[str, int]:
        return {t["content"]: t["id"] for t in self.doc.get("added_tokens", []) if not t.get("special")}

    @property
    def _byte_level(self) -> bool:
        return bool(self._meta.get("byte_level"))

    @cached_property
    def unk_id(self) -> int | None:
        if self._byte_level:
            return None
        doc = self.model_doc
        if isinstance(doc.get("unk_id"), int):  # Unigram
            return int(doc["unk_id"])
        unk = doc.get("unk_token")
        if unk:
            for i, t in enumerate(self.id_to_token):
                if t == unk:
                    return i
        return None

    @cached_property
    def dummy_prefix(self) -> bool:
        if any(True for _ in find_nodes(self.doc.get("normalizer"), "Prepend")):
            return True
        return any(n.get("prepend_scheme") == "always" for n in find_nodes(self.doc.get("pre_tokenizer"), "Metaspace"))

    @cached_property
    def _sp_like(self) -> bool:
        """Whether the model works on ▁ pieces (Metaspace pretokenizer or a Prepend normalizer)."""
        return (any(True for _ in find_nodes(self.doc.get("pre_tokenizer"), "Metaspace"))
                or any(True for _ in find_nodes(self.doc.get("normalizer"), "Prepend")))

    def encode_batch(self, texts: list[str], *, specials: bool) -> list[list[int]]:
        hf = self._hf
        if not specials:
            hf.encode_special_tokens = True  # special-token literals are read as text
        try:
            if len(texts) == 1:  # no thread pool for one text
                return [hf.encode(texts[0], add_special_tokens=False).ids]
            return [e.ids for e in hf.encode_batch_fast(list(texts), add_special_tokens=False)]
        finally:
            hf.encode_special_tokens = False

    def encode_with_offsets(self, text: str) -> list[tuple[int, int, int]]:
        enc = self._hf.encode(text, add_special_tokens=False)
        return [(i, s, e) for i, (s, e) in zip(enc.ids, enc.offsets, strict=True)]

    def decode_batch(self, ids_list: list[list[int]]) -> list[str]:
        return list(self._hf.decode_batch([list(x) for x in ids_list], skip_special_tokens=False))

    def normalize(self, text: str) -> str:
        if self._hf.normalizer is None:
            return text
        return self._hf.normalizer.normalize_str(text)

    @cached_property
    def _metaspace_safe(self) -> bool:
        return metaspace_safe(self.vocab.keys())

    def pretokenizer_description(self) -> dict:
        return {"kind": "hf", "normalizer": self.doc.get("normalizer"), "pre_tokenizer": self.doc.get("pre_tokenizer"),
                "metaspace_safe": self._metaspace_safe}

    def pretokenize(self, text: str) -> list[Piece]:
        norm = self.normalize(text)
        pre = self._hf.pre_tokenizer
        if pre is None:
            return split_metaspace(norm, self._metaspace_safe)
        return [(norm[s:e], (s, e)) for _, (s, e) in pre.pre_tokenize_str(norm)]

    @cached_property
    def id_to_token(self) -> list[str | None]:
        out: list[str | None] = [None] * self.vocab_size
        for tok, i in self._hf.get_vocab(with_added_tokens=True).items():
            out[i] = tok
        return out

    @cached_property
    def vocab(self) -> dict[str, int]:
        return self._hf.get_vocab(with_added_tokens=False)

    @cached_property
    def token_bytes(self) -> list[bytes]:
        literal = set(self.specials.values()) | set(self.added_tokens.values())
        prefix = (self.model_doc.get("continuing_subword_prefix") or "##") if self.algorithm == "wordpiece" else None
        return piece_bytes(self.id_to_token, literal, byte_level=self._byte_level,
                           byte_fallback=bool(self._meta.get("byte_fallback")), wordpiece_prefix=prefix)

    def merges(self) -> list[Merge]:
        if self._src.format == "sentencepiece":
            # a SentencePiece BPE model keeps its own merge list: the converted one is built for encoding
            sp = SP_SPACE.encode("utf-8")
            model = parse_sp_model(self._src.data, self._src.origin)
            return [(a.replace(sp, b" "), b.replace(sp, b" ")) for a, b in _load.sp_dedup_merges(model)]
        out = _doc_merges(self.model_doc, self.vocab, self.token_bytes)
        if not self._byte_level and self._sp_like:
            out = _dedup_by_result(out)
        return out

    def describe_normalizer(self) -> str:
        node = self.doc.get("normalizer")
        return describe(node) if node else "none"

    def describe_pretokenizer(self) -> str:
        if self.doc.get("pre_tokenizer") is None:
            return "none (SentencePiece-style: whitespace becomes ▁, pieces never cross a ▁ boundary)"
        return describe(self.doc["pre_tokenizer"])


# ---------------------------------------------------------------- SentencePiece


class SentencePieceBackend:
    """SentencePiece models with no BPE equivalent (Unigram), run by `sentencepiece` itself."""

    def __init__(self, src: _load.Source):
        import sentencepiece as spm

        self._sp = spm.SentencePieceProcessor(model_proto=src.data)
        self._model = parse_sp_model(src.data, src.origin)

    @property
    def algorithm(self) -> str:
        return self._model.model_type

    @property
    def vocab_size(self) -> int:
        return self._sp.get_piece_size()

    @cached_property
    def specials(self) -> dict[str, int]:
        sp = self._sp
        return {sp.id_to_piece(i): i for i in range(sp.get_piece_size()) if sp.is_control(i) or sp.is_unknown(i)}

    @cached_property
    def added_tokens(self) -> dict[str, int]:
        return {p.piece: i for i, p in enumerate(self._model.pieces) if p.type == USER_DEFINED}

    @property
    def unk_id(self) -> int | None:
        u = self._sp.unk_id()
        return u if u >= 0 else None

    @property
    def dummy_prefix(self) -> bool:
        return self._model.add_dummy_prefix

    def encode_batch(self, texts: list[str], *, specials: bool) -> list[list[int]]:
        # `specials` changes nothing: sentencepiece never reads a control token's literal in text as the
        # token (user-defined pieces, which it does match, are not special)
        return self._sp.encode(list(texts))

    def encode_with_offsets(self, text: str) -> list[tuple[int, int, int]]:
        out, pos = [], 0
        tb = self.token_bytes
        for tid in self._sp.encode(text):
            piece = tb[tid].decode("utf-8", "replace")
            start = pos
            pos = min(len(text), pos + len(piece.lstrip(" ") if start == 0 else piece))
            out.append((tid, start, pos))
        return out

    def decode_batch(self, ids_list: list[list[int]]) -> list[str]:
        return list(self._sp.decode([list(x) for x in ids_list]))

    def normalize(self, text: str) -> str:
        m = self._model
        if m.remove_extra_whitespaces:
            text = re.sub(" {2,}", " ", text.strip(" "))
        out = text.replace(" ", SP_SPACE)
        return (SP_SPACE + out if m.add_dummy_prefix and out else out)

    @cached_property
    def _metaspace_safe(self) -> bool:
        return metaspace_safe(p.piece for p in self._model.pieces)

    def pretokenizer_description(self) -> dict:
        m = self._model
        return {"kind": "metaspace", "remove_extra_whitespaces": bool(m.remove_extra_whitespaces),
                "add_dummy_prefix": bool(m.add_dummy_prefix), "metaspace_safe": self._metaspace_safe}

    def pretokenize(self, text: str) -> list[Piece]:
        return split_metaspace(self.normalize(text), self._metaspace_safe)

    @cached_property
    def id_to_token(self) -> list[str | None]:
        return [self._sp.id_to_piece(i) for i in range(self._sp.get_piece_size())]

    @cached_property
    def vocab(self) -> dict[str, int]:
        return {p.piece: i for i, p in enumerate(self._model.pieces)}

    @cached_property
    def token_bytes(self) -> list[bytes]:
        literal = set(self.specials.values()) | set(self.added_tokens.values())
        return piece_bytes(self.id_to_token, literal, byte_level=False, byte_fallback=self._model.byte_fallback,
                           wordpiece_prefix=None)

    def merges(self) -> list[Merge]:
        return []  # only Unigram models come here (SentencePiece BPE is converted and runs on `tokenizers`)

    def merge_pieces(self) -> list[tuple[str, str]]:
        return []

    def describe_normalizer(self) -> str:
        m = self._model
        return f"sentencepiece {m.normalizer_name}" + (", dummy prefix ▁" if m.add_dummy_prefix else "")

    def describe_pretokenizer(self) -> str:
        return "none (SentencePiece-style: whitespace becomes ▁, pieces never cross a ▁ boundary)"
