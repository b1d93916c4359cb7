"""The cover lattice: every valid token sequence that spells a byte prefix, kept incrementally.

For a byte string x, a *cover* is a valid token sequence t whose bytes start with x while the bytes of t
without its last token are a strict prefix of x. Covers are disjoint events for the token-level model, so
(the Byte-Token Representation Lemma of Phan et al. 2024)

    P(x) = sum over covers t of P(t).

The lattice holds
  * nodes: valid sequences that end exactly at some byte position (the *frontier* at that position); and
  * groups: for each expanded node, the candidate next tokens whose bytes still agree with x (with their
    log-probabilities once the model has been asked, and their validity once checked).
A cover is either a frontier node at len(x) or a group member reaching past len(x).

Everything before a *stable boundary* (see canon.py) is committed: every valid sequence shares those tokens,
so they move into the trunk and the lattice only spans the last few pretokenizer pieces.
"""

from __future__ import annotations

import itertools

import numpy as np

_SERIAL = itertools.count()
UNKNOWN, WITNESS, STRICT, INVALID = 0, 1, 2, -1  # group member status (valid: >= WITNESS)


class Node:
    """A valid token sequence ending exactly at byte `end` (linked to its parent; the start node has tok -1)."""

    __slots__ = ("parent", "tok", "start", "end", "lp_tok", "_logp", "next_lp", "eos", "complete", "depth",
                 "waiting", "uid", "zero", "strict")

    def __init__(self, parent: Node | None, tok: int, start: int, end: int, complete: bool, zero: bool = False):
        self.uid = next(_SERIAL)  # stable identity (id() may be reused once a node is freed)
        self.zero = zero  # a zero-length first token (SentencePiece's lone dummy-prefix '▁')
        self.strict = True  # encode(bytes) is exactly this path (end of text may follow)
        self.parent = parent
        self.tok = tok
        self.start = start
        self.end = end
        self.lp_tok: float | None = None if parent is not None else 0.0  # log P(tok | parent path)
        self._logp: float | None = 0.0 if parent is None else None
        self.next_lp: np.ndarray | None = None  # the model's next-token log-probs (kept only where needed)
        self.eos = -np.inf  # log P(end of text | path), once the model has been asked
        self.complete = complete  # bytes end on a UTF-8 character boundary
        self.depth = 0 if parent is None else parent.depth + 1
        self.waiting: list[Node] = []  # children materialised before this node's log-probs were known

    @property
    def logp(self) -> float | None:
        """log P(path | BOS) — None until the model has been asked for every step of the path."""
        if self._logp is None:
            chain = []
            n: Node | None = self
            while n is not None and n._logp is None:
                chain.append(n)
                n = n.parent
            if n is None:
                return None
            acc = n._logp
            for m in reversed(chain):
                if m.lp_tok is None:
                    return None
                acc += m.lp_tok
                m._logp = acc
        return self._logp

    def tokens_from(self, root: Node) -> tuple[int, ...]:
        out = []
        n: Node | None = self
        while n is not None and n is not root:
            out.append(n.tok)
            n = n.parent
        if n is None:
            raise ValueError("node does not descend from root")
        return tuple(reversed(out))

    def full_tokens(self) -> list[int]:
        out = []
        n: Node | None = self
        while n is not None and n.parent is not None:
            out.append(n.tok)
            n = n.parent
        return out[::-1]

    def descends_from(self, root: Node) -> bool:
        n: Node | None = self
        while n is not None and n.depth >= root.depth:
            if n is root:
                return True
            n = n.parent
        return False


class Group:
    """Candidate next tokens of one node, filtered byte by byte as the prefix grows."""

    __slots__ = ("parent", "ids", "lp", "status", "first")

    def __init__(self, parent: Node, ids: np.ndarray, first: bool):
        self.parent = parent
        self.ids = ids.astype(np.int64, copy=False)
        self.lp: np.ndarray | None = None
        self.status = np.zeros(len(ids), dtype=np.int8)
        self.first = first  # the ids are read with first-token bytes (SentencePiece dummy prefix)

    @property
    def start(self) -> int:
        return self.parent.end

    def keep(self, mask: np.ndarray) -> None:
        self.ids = self.ids[mask]
        self.status = self.status[mask]
        if self.lp is not None:
            self.lp = self.lp[mask]

    def copy(self) -> Group:
        g = Group.__new__(Group)
        g.parent, g.ids, g.status, g.first = self.parent, self.ids.copy(), self.status.copy(), self.first
        g.lp = None if self.lp is None else self.lp.copy()
        return g
