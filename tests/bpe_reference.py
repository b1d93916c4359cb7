"""A slow, obviously-correct BPE: the exported merges replayed over the exported pretokenizer."""

from __future__ import annotations

from tokforensics.tokenizer.view import Tokenizer


class MergeReplay:
    def __init__(self, tok: Tokenizer, ignore_merges: bool):
        self.tok = tok
        self.rank = {pair: i for i, pair in enumerate(tok.merges())}
        self.ignore_merges = ignore_merges
        self.bytes_to_id = tok.bytes_to_id
        self.byte_ids = tok.byte_token_ids
        self.cache: dict[str, list[int]] = {}
        self.vocab_chars = None if tok.byte_level else {t for t in tok.id_to_token if t is not None and len(t) == 1}

    def encode(self, text: str) -> list[int]:
        out: list[int] = []
        for piece in self.tok.pretokenize(text):
            ids = self.cache.get(piece)
            if ids is None:
                ids = self._piece(piece)
                self.cache[piece] = ids
            out.extend(ids)
        return out

    def _piece(self, piece: str) -> list[int]:
        raw = piece.encode("utf-8")
        if self.tok.byte_level:
            if self.ignore_merges and raw in self.bytes_to_id:
                return [self.bytes_to_id[raw]]
            syms: list[tuple[bytes, bool]] = [(raw[i:i + 1], True) for i in range(len(raw))]
        else:
            syms = []
            for ch in piece:
                if ch in self.vocab_chars:
                    syms.append((ch.encode("utf-8").replace(b"\xe2\x96\x81", b" "), True))
                else:
                    syms.extend((bytes([b]), False) for b in ch.encode("utf-8"))
        while len(syms) > 1:
            best, at = None, -1
            for i in range(len(syms) - 1):
                if syms[i][1] and syms[i + 1][1]:
                    r = self.rank.get((syms[i][0], syms[i + 1][0]))
                    if r is not None and (best is None or r < best):
                        best, at = r, i
            if best is None:
                break
            syms[at:at + 2] = [(syms[at][0] + syms[at + 1][0], True)]
        ids = []
        for b, mergeable in syms:
            if mergeable and b in self.bytes_to_id:
                ids.append(self.bytes_to_id[b])
            else:
                ids.extend(self.byte_ids[x] for x in b)
        return ids
