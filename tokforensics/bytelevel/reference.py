"""Brute-force reference for the byte-level engine: plain definitions, no windows, no caches of the engine.

Every token sequence whose bytes are consistent with the prefix is enumerated; canonicity is checked by
encoding the whole text with the foundation's tokenizer (and every completion of a cut last character).
Exponential; only for tiny vocabularies and short strings, in tests.
"""

from __future__ import annotations

import math

import numpy as np

from .canon import PROBES, completions, split_partial


class Reference:
    def __init__(self, tok, exhaustive: bool = False):
        self.tok = tok
        self.exhaustive = exhaustive
        excluded = set(tok.special_ids) | set(tok.added_tokens.values())
        self.byte_ids = [i for i in range(tok.vocab_size) if i not in excluded and tok.token_bytes[i]]
        self._canon: dict[tuple[int, ...], bool] = {}
        self._alive: dict[tuple[int, ...], bool] = {}
        self._firsts: dict[int, bytes] = {}
        self._reduced: dict[bytes, list[bytes]] = {}

    def decode(self, toks) -> bytes:
        return self.tok.decode_bytes(list(toks))

    def _first(self, v: int) -> bytes:
        got = self._firsts.get(v)
        if got is None:
            got = self._firsts[v] = self.tok.decode_bytes([v])
        return got

    def canonical(self, toks: tuple[int, ...]) -> bool:
        got = self._canon.get(toks)
        if got is not None:
            return got
        s = self.decode(toks)
        if not s:
            ok = True  # empty bytes (a lone dummy-prefix token): exempt
        else:
            sp = split_partial(s)
            if sp is None:
                ok = False
            elif not sp[1]:
                ok = self._v1(s.decode("utf-8"), toks)
            else:
                head, part = sp
                comps = self.completions(part)
                ok = any(self._v1((head + part + r).decode("utf-8"), toks) for r in comps)
        self._canon[toks] = ok
        return ok

    def completions(self, part: bytes) -> list[bytes]:
        """Every completion of a cut character; for byte-fallback BPE (merges never touch <0xNN> tokens), every
        character that is a vocabulary piece plus one that is not, since all non-pieces are spelt alike as bytes
        (tests check this reduction against the full list)."""
        comps = completions(part)
        if self.exhaustive or not (self.tok.byte_fallback and not self.tok.byte_level):
            return comps
        got = self._reduced.get(part)
        if got is not None:
            return got
        pieces = set()
        byte_ids = set(self.tok.byte_token_ids.values())
        for i in self.byte_ids:
            if i not in byte_ids:
                pieces.update(self.tok.token_bytes[i].decode("utf-8", "ignore"))
        inside = [r for r in comps if (part + r).decode("utf-8") in pieces]
        outside = [r for r in comps if (part + r).decode("utf-8") not in pieces]
        self._reduced[part] = inside + outside[:1]
        return self._reduced[part]

    def _v1(self, text: str, toks: tuple[int, ...]) -> bool:
        """toks starts the encoding of text, or of text + a probe when text ends in whitespace."""
        n = len(toks)
        if tuple(self.tok.encode(text)[:n]) == toks:
            return True
        return text[-1:].isspace() and any(tuple(self.tok.encode(text + w)[:n]) == toks for w in PROBES)

    def valid(self, toks: tuple[int, ...]) -> bool:
        return all(self.canonical(toks[:j]) for j in range(1, len(toks) + 1))

    def ends_text(self, toks: tuple[int, ...]) -> bool:
        """Whether end-of-text may follow: the bytes are complete UTF-8 and encode back to exactly `toks`."""
        s = self.decode(toks)
        try:
            text = s.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return self.valid(toks) and self.tok.encode(text) == list(toks)

    def alive(self, toks: tuple[int, ...], depth: int = 0) -> bool:
        """Valid, and either has bytes or some valid continuation (a lone '▁' must lead somewhere)."""
        got = self._alive.get(toks)
        if got is not None:
            return got
        ok = self.valid(toks)
        if ok and not self.decode(toks):
            ok = depth < 2 and any(self.alive(toks + (v,), depth + 1) for v in self.byte_ids)
        self._alive[toks] = ok
        return ok

    def allowed_next(self, body: tuple[int, ...]) -> np.ndarray:
        """Mask over the synthetic model's vocabulary (tokenizer ids + one BOS/EOS id) of canonical continuations."""
        n = self.tok.vocab_size
        ok = np.zeros(n + 1, dtype=bool)
        for v in self.byte_ids:
            ok[v] = self.alive(tuple(body) + (v,))
        ok[n] = self.ends_text(tuple(body))
        return ok

    # ------------------------------------------------------------------ probabilities by enumeration
    def _walk(self, lm, x: bytes, visit) -> None:
        bos = lm.bos_id

        def rec(toks: tuple[int, ...], lp: float, d: bytes) -> None:
            row = lm.next_logprobs([[bos, *toks]])[0]
            for v in self.byte_ids:
                t2 = toks + (v,)
                d2 = d + self.tok.token_bytes[v] if toks else self._first(v)
                if len(d2) == len(d) and d2 == d:  # zero-length (dummy prefix) token
                    if not toks and row[v] > -math.inf and self.canonical(t2):
                        rec(t2, lp + row[v], d2)
                    continue
                m = min(len(d2), len(x))
                if d2[:m] != x[:m] or not self.canonical(t2):
                    continue  # inconsistent with x, or not valid (a valid sequence has canonical prefixes only)
                lp2 = lp + row[v]
                if len(d2) >= len(x) and len(d) < len(x):
                    visit("cover", t2, lp2, d2, None)
                if len(d2) <= len(x) and len(d2) > len(d):
                    if len(d2) < len(x) or visit("frontier", t2, lp2, d2, None) is not False:
                        rec(t2, lp2, d2)
            if d == x:
                visit("end", toks, lp, d, row)

        rec((), 0.0, b"")

    def prefix_logprob(self, lm, x: bytes) -> float:
        """log of the sum of P(t) over valid covers t of x (0.0 for the empty string)."""
        if not x:
            return 0.0
        acc: list[float] = []

        def visit(kind, toks, lp, d, row):
            if kind == "cover" and self.valid(toks):
                acc.append(lp)
            if kind == "frontier":
                return False  # covers only need sequences that end before len(x)

        self._walk(lm, x, visit)
        return float(np.logaddexp.reduce(acc)) if acc else -math.inf

    def next_masses(self, lm, x: bytes) -> np.ndarray:
        """(257,) masses P(x b) for every byte b and P(x, end of text) at index 256 (not normalised)."""
        out = np.zeros(257)
        for b in range(256):
            lp = self.prefix_logprob(lm, x + bytes([b]))
            out[b] = math.exp(lp) if lp > -math.inf else 0.0
        eos = lm.eos_id
        ends: list[float] = []

        def visit(kind, toks, lp, d, row):
            if kind == "end" and self.ends_text(toks):
                ends.append(lp + row[eos])

        if not x:
            row = lm.next_logprobs([[lm.bos_id]])[0]
            out[256] = math.exp(row[eos]) if self.ends_text(()) else 0.0
            return out
        self._walk(lm, x, visit)
        out[256] = float(np.exp(np.logaddexp.reduce(ends))) if ends else 0.0
        return out
