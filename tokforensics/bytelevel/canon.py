r"""Which token sequences are canonical: the ones the tokenizer itself would produce.

Definitions (docs/bytelevel.md has the long form). For a token sequence t with bytes s = decode_bytes(t):

* if s is complete UTF-8:      t is canonical  iff  encode(s + w)[:len(t)] == t for w = "" or, when s ends in
                               whitespace, for one of the PROBES ("a", "1", ".", "\n", " a", "\ta")    (V1)
* if s ends inside a character (partial bytes p of a character that needs more bytes):
                               t is canonical  iff  V1 holds for s[:-len(p)] + c for some character c
                                                    that starts with p                                (V2)
* otherwise (invalid UTF-8):   not canonical.

t is *strictly* canonical when encode(s) == t: only then may end of text follow it.

The probes exist because regex pretokenizers look ahead: GPT-2's `\s+(?!\S)` splits a trailing run of
whitespace differently once a non-space follows, so [\n][\n] is not what "\n\n" encodes to, yet it starts
the encoding of "\n\nx"; SentencePiece's "▁▁" behaves the same way. A token sequence is a prefix of a
canonical encoding in those cases, and the probes find the witness.

A sequence is *valid* when it and all its prefixes with non-empty bytes are canonical (prefixes whose bytes are
empty — SentencePiece's lone dummy-prefix '▁' as first token — are exempt).

Computing encode() on the whole text for every candidate would cost O(text) per check. The oracle instead
encodes a short window: text from a *stable boundary* q, the start of the K-th last pretokenizer piece of the
text seen so far (K = 3). It relies on one locality property of the tokenizer: a pretokenizer boundary that
K pieces of text have been appended after never moves again, so encode(text) = encode(text[:q]) +
encode(text[q:]) (with SentencePiece's dummy prefix standing in for the space that starts the window). Tests
check this property against whole-text encoding on the shipped tokenizers.
"""

from __future__ import annotations

import bisect
import unicodedata
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..errors import InputError
from ..utf8 import char_length

WINDOW_PIECES = 3
V2_CHUNK = 256
PROBES = ("a", "1", ".", "\n", " a", "\ta")
INVALID_, WITNESS, STRICT = 0, 1, 2


def supported_kind(tok) -> str:
    """'byte-level' or 'byte-fallback', or raise InputError naming the kinds the engine handles."""
    if tok.byte_level:
        return "byte-level"
    if tok.byte_fallback and len(tok.byte_token_ids) == 256:
        return "byte-fallback"
    kind = tok.algorithm + (" with partial byte fallback" if tok.byte_fallback else " without byte tokens")
    raise InputError(
        f"tokenizer '{tok.name}' is {kind}: exact byte-level probabilities need a tokenizer that can spell every "
        f"byte string, i.e. byte-level BPE (GPT-2 style: gpt2, gpt4, smollm2, llama3, qwen2.5 ...) or "
        f"SentencePiece-style BPE with <0xNN> byte fallback (mistral, llama2, gemma ...)"
    )


def split_partial(data: bytes) -> tuple[bytes, bytes] | None:
    """(complete part, trailing partial character) if `data` is UTF-8 up to an incomplete last character.

    The partial part is b"" for complete UTF-8; None when the bytes are not UTF-8 even allowing for a cut
    last character.
    """
    try:
        data.decode("utf-8")
        return data, b""
    except UnicodeDecodeError:
        pass
    for k in (1, 2, 3):
        if k > len(data):
            break
        lead = data[-k]
        if lead & 0xC0 == 0x80:
            continue  # a continuation byte: look further back for the lead
        if char_length(lead) <= k:
            return None
        head, tail = data[:-k], data[-k:]
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return (head, tail) if completions(tail) else None
    return None


_COMPLETIONS: dict[bytes, list[bytes]] = {}


def completions(partial: bytes) -> list[bytes]:
    """Every byte string r such that partial + r is one UTF-8 character (ascending code point)."""
    got = _COMPLETIONS.get(partial)
    if got is not None:
        return got
    need = char_length(partial[0]) if partial else 0
    out: list[bytes] = []
    if need > len(partial) and all(b & 0xC0 == 0x80 for b in partial[1:]):
        masks = {2: 0x1F, 3: 0x0F, 4: 0x07}
        cp = partial[0] & masks[need]
        for b in partial[1:]:
            cp = (cp << 6) | (b & 0x3F)
        free = need - len(partial)
        lo = cp << (6 * free)
        k = len(partial)
        for c in range(lo, lo + (1 << (6 * free))):
            if c > 0x10FFFF or 0xD800 <= c <= 0xDFFF:
                continue
            e = chr(c).encode("utf-8")
            if len(e) == need and e[:k] == partial:
                out.append(e[k:])
    _COMPLETIONS[partial] = out
    return out


@dataclass
class CanonStats:
    v1_checks: int = 0
    v2_checks: int = 0
    v2_encodes: int = 0
    probe_encodes: int = 0


class Canon:
    """Canonicity oracle and vocabulary tables for one tokenizer."""

    def __init__(self, tok, window_pieces: int = WINDOW_PIECES):
        self.tok = tok
        self.kind = supported_kind(tok)
        self.window_pieces = window_pieces
        self.stats = CanonStats()
        n = tok.vocab_size
        excluded = set(tok.special_ids) | set(tok.added_tokens.values())
        raw = tok.token_bytes
        self.tb: list[bytes] = [b"" if i in excluded else raw[i] for i in range(n)]
        # Bytes of a token when it comes first: SentencePiece-style decoding drops the dummy-prefix space.
        spaced = [i for i, b in enumerate(self.tb) if b.startswith(b" ")]
        self.dummy = bool(spaced) and tok.decode_bytes([spaced[0]]) != self.tb[spaced[0]]
        if self.dummy:
            self.first_tb: list[bytes] = [b[1:] if b.startswith(b" ") else b for b in self.tb]
            for i in spaced[:50]:  # the rule above is decode_bytes' own; keep them in step
                if tok.decode_bytes([i]) != self.first_tb[i]:
                    raise InputError(f"tokenizer '{tok.name}': cannot tell the bytes of a first token "
                                     f"(decode of {self.tb[i]!r} is unexpected)")
        else:
            self.first_tb = self.tb
        self.n = n
        self.lens = np.fromiter((len(b) for b in self.tb), dtype=np.int64, count=n)
        self.first_lens = np.fromiter((len(b) for b in self.first_tb), dtype=np.int64, count=n)
        self._v2_cache: dict = {}
        self._classes: dict[bytes, list[bytes]] = {}
        self._v1_cache: dict = {}

    # ------------------------------------------------------------------ vocabulary tables
    @cached_property
    def maxlen(self) -> int:
        return int(max(self.lens.max(), self.first_lens.max(), 1))

    def _matrix(self, tbl: list[bytes]) -> np.ndarray:
        m = np.zeros((self.n, self.maxlen), dtype=np.int16) - 1
        for i, b in enumerate(tbl):
            if b:
                m[i, :len(b)] = np.frombuffer(b, dtype=np.uint8)
        return m

    @cached_property
    def mat(self) -> np.ndarray:
        """(vocab, maxlen) int16: byte k of each token, -1 past its end."""
        return self._matrix(self.tb)

    @cached_property
    def first_mat(self) -> np.ndarray:
        return self._matrix(self.first_tb) if self.dummy else self.mat

    @cached_property
    def byte_ids(self) -> np.ndarray:
        """Ids of the tokens with at least one byte (candidates for covers)."""
        return np.flatnonzero(self.lens > 0)

    @cached_property
    def first_zero_ids(self) -> list[int]:
        """Ids whose bytes are empty as the first token (SentencePiece '▁' under a dummy prefix)."""
        return [int(i) for i in np.flatnonzero((self.first_lens == 0) & (self.lens > 0))]

    @cached_property
    def _sorted(self) -> tuple[list[bytes], list[int]]:
        pairs = sorted((b, i) for i, b in enumerate(self.tb) if b)
        return [p[0] for p in pairs], [p[1] for p in pairs]

    @cached_property
    def _sorted_first(self) -> tuple[list[bytes], list[int]]:
        pairs = sorted((b, i) for i, b in enumerate(self.first_tb) if b)
        return [p[0] for p in pairs], [p[1] for p in pairs]

    @cached_property
    def _exact(self) -> dict[bytes, list[int]]:
        out: dict[bytes, list[int]] = {}
        for i, b in enumerate(self.tb):
            if b:
                out.setdefault(b, []).append(i)
        return out

    @cached_property
    def _exact_first(self) -> dict[bytes, list[int]]:
        out: dict[bytes, list[int]] = {}
        for i, b in enumerate(self.first_tb):
            if b:
                out.setdefault(b, []).append(i)
        return out

    def consistent(self, text: bytes, first: bool) -> list[int]:
        """Ids whose bytes are a prefix of `text` or start with all of `text` (text non-empty)."""
        exact = self._exact_first if first else self._exact
        out: list[int] = []
        for k in range(1, min(len(text), self.maxlen) + 1):
            out.extend(exact.get(text[:k], ()))
        keys, ids = self._sorted_first if first else self._sorted
        lo = bisect.bisect_right(keys, text)  # strictly longer tokens that start with text
        hi = bisect.bisect_left(keys, text + b"\xff" * (self.maxlen + 1))
        out.extend(ids[lo:hi])
        return out

    @cached_property
    def _pair_rarity(self) -> np.ndarray:
        """(256, 256) count of tokens holding each adjacent byte pair (orders V2 witness search)."""
        m = np.zeros((256, 256), dtype=np.int64)
        for b in self.tb:
            for a, c in zip(b, b[1:], strict=False):
                m[a, c] += 1
        return m

    @cached_property
    def _oov_alike(self) -> frozenset[str] | None:
        """Characters that are vocabulary pieces, when every other character behaves alike (else None).

        Under byte-fallback BPE a character that is not a piece is spelt as its <0xNN> byte tokens, which no
        merge involves: all such characters are interchangeable for canonicity, so one stands for all of them.
        """
        if self.kind != "byte-fallback":
            return None
        merges = self.tok.merge_pieces()
        if not merges:
            return None
        for parts in merges:
            if any(str(x).startswith("<0x") for x in parts):
                return None
        chars = set()
        byte_ids = set(self.tok.byte_token_ids.values())
        for i, b in enumerate(self.tb):
            if b and i not in byte_ids:
                chars.update(b.decode("utf-8", "ignore"))
        return frozenset(chars)

    @cached_property
    def _active_pairs(self) -> np.ndarray:
        """(256, 256) bool: byte a directly followed by byte b inside some token (so a merge may join them)."""
        return self._pair_rarity > 0

    @cached_property
    def _token_ends(self) -> frozenset[bytes]:
        """Last characters of tokens, as bytes (a piece ending with one may be a whole vocabulary token)."""
        out = set()
        for b in self.tb:
            for k in range(2, 5):
                if len(b) >= k and char_length(b[-k]) == k:
                    out.add(b[-k:])
        return frozenset(out)

    def completion_classes(self, partial: bytes) -> list[bytes]:
        """Completions of a cut character, one per class of characters that tokenize alike.

        byte fallback: characters that are not pieces are spelt alike as <0xNN> bytes (see _oov_alike).
        byte level:    a completion byte that no token joins to the byte before it cannot change how the bytes
                       before it are merged (BPE never merges across a pair that no token contains), so two
                       completions agree on the tokens before the cut when they share the character class
                       (Unicode category, whitespace or not) and the bytes up to the first such unjoinable pair.
                       Characters that end some token stay apart (a whole piece may be a vocabulary entry).
        """
        got = self._classes.get(partial)
        if got is not None:
            return got
        comps = completions(partial)
        out: list[bytes] = []
        alike = self._oov_alike
        if alike is not None:
            rep = None
            for r in comps:
                if (partial + r).decode("utf-8") in alike:
                    out.append(r)
                elif rep is None:
                    rep = r
            out += [rep] if rep is not None else []
        elif self.kind == "byte-level" and self.tok.describe_normalizer() == "none":
            act = self._active_pairs
            ends = self._token_ends
            seen: set = set()
            for r in comps:
                ch = (partial + r).decode("utf-8")
                if (partial + r) in ends:
                    out.append(r)
                    continue
                prev, j = partial[-1], 0
                while j < len(r) and act[prev, r[j]]:
                    prev = r[j]
                    j += 1
                key = (unicodedata.category(ch), ch.isspace(), r[:j])
                if key not in seen:
                    seen.add(key)
                    out.append(r)
        else:
            out = comps
        self._classes[partial] = out
        return out

    # ------------------------------------------------------------------ windows
    def window_encode(self, text: str, at_start: bool) -> list[int]:
        return self.window_encode_batch([text], at_start)[0]

    def window_encode_batch(self, texts: list[str], at_start: bool) -> list[list[int]]:
        if not at_start and self.dummy:
            texts = [t[1:] if t.startswith(" ") else "\x00" + t for t in texts]  # \x00: never a valid window
        return self.tok.encode_batch(texts)

    def piece_starts(self, text: str, at_start: bool) -> list[int] | None:
        """Character offsets where pretokenizer pieces start in `text` (None if pieces cannot be mapped back)."""
        if not text:
            return []
        if self.dummy and not at_start:
            if not text.startswith(" "):
                return None
            pieces = self.tok.pretokenize(text[1:])
        else:
            pieces = self.tok.pretokenize(text)
        if self.dummy:
            joined = "".join(pieces)
            body = text if at_start else text[1:]
            sp = "\u2581"
            if joined != sp + body.replace(" ", sp) or not pieces:
                return None
            lens = [len(p) for p in pieces]
            if at_start:
                lens[0] -= 1  # the dummy '▁' is not in the text; mid-text it stands for the window's first space
        else:
            if "".join(pieces) != text:
                return None
            lens = [len(p) for p in pieces]
        out, pos = [], 0
        for n in lens:
            out.append(pos)
            pos += n
        return out

    def stable_start(self, window: bytes, at_start: bool) -> int:
        """Byte offset (within `window`, itself starting at a stable boundary) of a later stable boundary, or 0."""
        sp = split_partial(window)
        if sp is None:
            return 0
        head = sp[0]
        text = head.decode("utf-8")
        starts = self.piece_starts(text, at_start)
        if not starts or len(starts) <= self.window_pieces:
            return 0
        c = starts[-self.window_pieces]
        return len(text[:c].encode("utf-8"))

    # ------------------------------------------------------------------ validity
    def check(self, items: list[tuple[bytes, tuple[int, ...]]], at_start: bool) -> list[int]:
        """Canonicity of each (window bytes, window tokens), the window starting at a stable boundary.

        Returns 2 (strictly canonical: encode(bytes) == tokens), 1 (a prefix of a canonical encoding, by a
        probe or a completion of a cut character) or 0 (not canonical).
        """
        res: list[int | None] = [None] * len(items)
        v1_idx: list[int] = []
        v1_txt: list[str] = []
        for k, (data, toks) in enumerate(items):
            if not data:
                res[k] = STRICT if not toks else WITNESS if at_start else 0  # the exempt lone dummy prefix
                continue
            hit = self._v1_cache.get((data, toks, at_start))
            if hit is not None:
                res[k] = hit
                continue
            sp = split_partial(data)
            if sp is None:
                res[k] = 0
            elif sp[1]:
                res[k] = WITNESS if self._v2(sp[0], sp[1], toks, at_start) else 0
            else:
                v1_idx.append(k)
                v1_txt.append(data.decode("utf-8"))
        if v1_idx:
            for k, v in zip(v1_idx, self._v1([(t, items[k][1]) for k, t in zip(v1_idx, v1_txt, strict=True)],
                                             at_start), strict=True):
                res[k] = v
                if len(self._v1_cache) > 200_000:
                    self._v1_cache.clear()
                self._v1_cache[(items[k][0], items[k][1], at_start)] = v
        return [int(r) for r in res]

    def _v1(self, pairs: list[tuple[str, tuple[int, ...]]], at_start: bool) -> list[int]:
        """V1 for complete texts: strict encode, then the probes for texts that end in whitespace."""
        self.stats.v1_checks += len(pairs)
        encs = self.window_encode_batch([t for t, _ in pairs], at_start)
        out = [STRICT if tuple(e) == toks else 0 for e, (_, toks) in zip(encs, pairs, strict=True)]
        retry = [k for k, (t, _) in enumerate(pairs) if not out[k] and t[-1:].isspace()]
        if retry:
            texts = [pairs[k][0] + w for k in retry for w in PROBES]
            self.stats.probe_encodes += len(texts)
            encs = self.window_encode_batch(texts, at_start)
            for j, k in enumerate(retry):
                toks = pairs[k][1]
                n = len(toks)
                if any(tuple(e[:n]) == toks for e in encs[j * len(PROBES):(j + 1) * len(PROBES)]):
                    out[k] = WITNESS
        return out

    def _v2(self, head: bytes, partial: bytes, toks: tuple[int, ...], at_start: bool) -> bool:
        key = (head, partial, toks, at_start)
        hit = self._v2_cache.get(key)
        if hit is not None:
            return hit
        self.stats.v2_checks += 1
        comps = self.completion_classes(partial)
        if len(comps) > 1:
            rare = self._pair_rarity
            seq = [partial[-1]]
            score = np.zeros(len(comps), dtype=np.int64)
            arr = np.frombuffer(b"".join(comps), dtype=np.uint8).reshape(len(comps), -1)
            prev = np.full(len(comps), seq[0])
            for j in range(arr.shape[1]):
                score += rare[prev, arr[:, j]]
                prev = arr[:, j]
            order = np.argsort(score, kind="stable")
            comps = [comps[i] for i in order]
        n = len(toks)
        found = False
        prefix = (head + partial)
        for lo in range(0, len(comps), V2_CHUNK):
            texts = [(prefix + r).decode("utf-8") for r in comps[lo:lo + V2_CHUNK]]
            self.stats.v2_encodes += len(texts)
            for enc in self.window_encode_batch(texts, at_start):
                if tuple(enc[:n]) == toks:
                    found = True
                    break
            if not found:  # a completed character that is whitespace can need a probe after it
                spaced = [t + w for t in texts if t[-1:].isspace() for w in PROBES]
                if spaced:
                    found = any(tuple(e[:n]) == toks for e in self.window_encode_batch(spaced, at_start))
            if found:
                break
        if len(self._v2_cache) > 100_000:
            self._v2_cache.clear()
        self._v2_cache[key] = found
        return found
