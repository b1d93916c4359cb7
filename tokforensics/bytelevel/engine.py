"""Exact byte-level probabilities from a token-level language model.

    eng = ByteLevelLM(lm)                       # lm: tokforensics.lm.LanguageModel (or the synthetic TableLM)
    eng.logprob(b"def fo")                      # log P(x) of a byte prefix, exact under the model
    eng.next_bytes(b"def fo")                   # P(next byte | x), end of text included
    st = eng.state(b"def fo"); st.push(ord("o")); st.logprob()   # incremental, byte by byte

Definitions are in covers.py and canon.py (and docs/bytelevel.md). The model is asked once per batch of
frontier nodes: when streaming, once per byte at most; when the bytes are known in advance (scoring), the
whole lattice is collected first and sent in a few large batches whose shared prefix the model adapter
computes once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError, UsageError
from ..utf8 import char_length
from .canon import Canon, split_partial
from .covers import INVALID, STRICT, UNKNOWN, WITNESS, Group, Node

EOS = 256  # index of the end-of-text outcome in next-byte arrays
FLUSH = 64  # nodes per model call when scoring known text


def _lse(a: np.ndarray) -> float:
    if a.size == 0:
        return -math.inf
    m = float(np.max(a))
    if m == -math.inf:
        return -math.inf
    return m + math.log(float(np.sum(np.exp(a - m))))


def _ends_on_char(data: bytes | bytearray) -> bool:
    """Whether data (UTF-8 so far) ends on a character boundary."""
    for k in range(1, min(4, len(data)) + 1):
        b = data[-k]
        if b & 0xC0 != 0x80:  # a lead or ASCII byte
            return char_length(b) == k
    return not data


@dataclass
class NextBytes:
    """P(next byte | prefix) under the model, with the naive token-level figure beside it."""

    prefix: bytes
    probs: np.ndarray  # (257,) normalised: bytes 0..255, then end of text
    mass: float  # log P(prefix) (sum over valid covers)
    leak: float  # 1 - (mass of all continuations)/P(prefix): probability the model puts on non-canonical tokens
    covers: int  # valid covers of the prefix
    frontier: int  # of them ending exactly at the prefix end


@dataclass
class Stats:
    model_calls: int = 0  # next_logprobs calls
    rows: int = 0  # prefixes sent (one forward row each)
    bytes: int = 0  # bytes consumed
    checks: int = 0  # validity checks (window encodes)


class ByteState:
    """The cover lattice of a byte prefix, grown byte by byte (`push`) or by known text (`extend`)."""

    def __init__(self, engine: ByteLevelLM):
        self.e = engine
        self.canon: Canon = engine.canon
        self.x = bytearray()
        self.start = Node(None, -1, 0, 0, True)
        self.root = self.start  # the committed node: every valid cover goes through it
        self.q = 0  # byte offset of root (a stable boundary)
        self.trunk: list[int] = []  # tokens from the start to root
        self.nodes_at: dict[int, list[Node]] = {0: [self.start]}
        self.expanded: set[int] = set()  # uids of nodes given a group in this state
        self.groups: list[Group] = []
        self.unflushed: list[Node] = []
        for z in self.canon.first_zero_ids:
            node = Node(self.start, z, 0, 0, True, zero=True)
            self.start.waiting.append(node)
            self.nodes_at[0].append(node)
        if self.start.waiting:
            self.unflushed.append(self.start)

    def fork(self) -> ByteState:
        """An independent copy (nodes are shared and never mutated in ways a fork could see)."""
        s = ByteState.__new__(ByteState)
        s.e, s.canon, s.x = self.e, self.canon, bytearray(self.x)
        s.start, s.root, s.q, s.trunk = self.start, self.root, self.q, list(self.trunk)
        s.nodes_at = {k: list(v) for k, v in self.nodes_at.items()}
        s.expanded = set(self.expanded)
        s.groups = [g.copy() for g in self.groups]
        s.unflushed = list(self.unflushed)
        return s

    @property
    def n(self) -> int:
        return len(self.x)

    @property
    def text(self) -> bytes:
        return bytes(self.x)

    # ------------------------------------------------------------------ growing the lattice
    def _group_of(self, node: Node) -> Group | None:
        for g in self.groups:
            if g.parent is node:
                return g
        return None

    def _expand(self, node: Node, after: bytes | None) -> None:
        """Give `node` its candidate group: tokens agreeing with `after`, or every token when None."""
        if node.uid in self.expanded:
            return
        self.expanded.add(node.uid)
        first = node is self.start and self.canon.dummy
        if after:
            ids = np.asarray(sorted(set(self.canon.consistent(after, first))), dtype=np.int64)
        else:
            lens = self.canon.first_lens if first else self.canon.lens
            ids = np.flatnonzero(lens > 0)
        if not len(ids):
            return
        g = Group(node, ids, first)
        self.groups.append(g)
        if node.next_lp is not None:
            g.lp = node.next_lp[ids]
        else:
            self.unflushed.append(node)

    def _check(self, items: list[tuple[bytes, tuple[int, ...]]]) -> list[bool]:
        self.e.stats.checks += len(items)
        return self.canon.check(items, at_start=self.q == 0)

    def _items(self, g: Group, ids) -> list[tuple[bytes, tuple[int, ...]]]:
        tb = self.canon.first_tb if g.first else self.canon.tb
        head = bytes(self.x[self.q:g.start])
        base = g.parent.tokens_from(self.root)
        return [(head + tb[int(t)], base + (int(t),)) for t in ids]

    def _step(self, c: int, after: bytes | None) -> None:
        """Consume byte c; `after` holds known bytes that follow it (None when streaming)."""
        m = self.n
        canon = self.canon
        for node in self.nodes_at.get(m, ()):
            self._expand(node, bytes([c]) + (after[:canon.maxlen] if after else b""))
        self.x.append(c)
        ended: list[tuple[Group, int, int, float | None]] = []
        kept: list[Group] = []
        for g in self.groups:
            off = m - g.start
            mat = canon.first_mat if g.first else canon.mat
            mask = mat[g.ids, off] == c
            if not mask.all():
                g.keep(mask)
            fin = (canon.first_lens if g.first else canon.lens)[g.ids] == off + 1
            if fin.any():
                ids_f, st_f = g.ids[fin], g.status[fin]
                lp_f = g.lp[fin] if g.lp is not None else None
                for j in range(len(ids_f)):
                    ended.append((g, int(ids_f[j]), int(st_f[j]), None if lp_f is None else float(lp_f[j])))
                g.keep(~fin)
            if len(g.ids):
                kept.append(g)
        self.groups = kept
        self._materialise(ended, m + 1)
        self._commit()

    def _materialise(self, ended: list[tuple[Group, int, int, float | None]], end: int) -> None:
        if not ended:
            return
        todo = [k for k, e in enumerate(ended) if e[2] == UNKNOWN]
        code = {k: max(ended[k][2], 0) for k in range(len(ended))}
        if todo:
            items = []
            for k in todo:
                items.extend(self._items(ended[k][0], [ended[k][1]]))
            for k, v in zip(todo, self._check(items), strict=True):
                code[k] = v
        complete = _ends_on_char(self.x)
        for k, (g, t, _, lp) in enumerate(ended):
            if code[k] < WITNESS:
                continue
            node = Node(g.parent, t, g.start, end, complete)
            node.strict = code[k] == STRICT
            if lp is not None:
                node.lp_tok = lp
            elif g.parent.next_lp is not None:
                node.lp_tok = float(g.parent.next_lp[t])
            else:
                g.parent.waiting.append(node)
                self.unflushed.append(g.parent)
            self.nodes_at.setdefault(end, []).append(node)

    def _commit(self) -> None:
        off = self.canon.stable_start(bytes(self.x[self.q:]), at_start=self.q == 0)
        if off <= 0:
            return
        target = self.q + off
        there = [n for n in self.nodes_at.get(target, ()) if not n.zero and n.descends_from(self.root)]
        if len(there) > 1:  # several valid paths end there (e.g. [\n\n] and [\n][\n]): keep the live one
            live = [g.parent for g in self.groups] + self._frontier()
            there = [n for n in there if any(m.descends_from(n) for m in live)]
        if len(there) != 1:
            return  # no single canonical node at the boundary: keep the longer window
        new = there[0]
        self.trunk.extend(new.tokens_from(self.root))
        self.root = new
        self.q = target
        self.groups = [g for g in self.groups if g.start >= target and g.parent.descends_from(new)]
        self.nodes_at = {k: [n for n in v if n.descends_from(new)] for k, v in self.nodes_at.items() if k >= target}

    def extend(self, data: bytes) -> ByteState:
        """Append known bytes. The model is asked in large batches, lazily."""
        data = bytes(data)
        w = self.canon.maxlen
        for k, c in enumerate(data):
            self._step(c, data[k + 1:k + 1 + w])
            self.e.stats.bytes += 1
            if len(self.unflushed) >= FLUSH:
                self._flush()
        return self

    def push(self, byte: int) -> ByteState:
        """Append one byte whose successors are unknown (streaming)."""
        if not 0 <= byte < 256:
            raise UsageError(f"a byte is 0..255, not {byte}")
        self._step(byte, None)
        self.e.stats.bytes += 1
        return self

    # ------------------------------------------------------------------ asking the model
    def _flush(self) -> None:
        need: list[Node] = []
        seen: set[int] = set()
        for node in self.unflushed:
            if node.uid in seen:
                continue
            seen.add(node.uid)
            g = self._group_of(node)
            if (g is not None and g.lp is None) or node.waiting or (node.next_lp is None and node.end == self.n):
                need.append(node)
        self.unflushed = []
        lm, bos, eos = self.e.lm, self.e.bos_id, self.e.eos_id
        for lo in range(0, len(need), FLUSH):
            chunk = need[lo:lo + FLUSH]
            prefixes = []
            for node in chunk:
                if node.descends_from(self.root):
                    toks = self.trunk + list(node.tokens_from(self.root))
                else:
                    toks = node.full_tokens()
                prefixes.append([bos, *toks])
            rows = lm.next_logprobs(prefixes)
            self.e.stats.model_calls += 1
            self.e.stats.rows += len(prefixes)
            for node, row in zip(chunk, rows, strict=True):
                node.eos = float(row[eos]) if eos is not None else -math.inf
                g = self._group_of(node)
                if g is not None and g.lp is None:
                    g.lp = row[g.ids]
                for child in node.waiting:
                    child.lp_tok = float(row[child.tok])
                node.waiting = []
                if node.end == self.n:
                    node.next_lp = row  # a frontier node keeps its row: the next byte needs every token

    def _frontier(self) -> list[Node]:
        return [n for n in self.nodes_at.get(self.n, ()) if n.descends_from(self.root)]

    def _arrays(self, covers_only: bool = False):
        """Members of the groups: (group index, member index, log mass, next byte, status)."""
        gi, mi, lm_, nb, st = [], [], [], [], []
        for k, g in enumerate(self.groups):
            off = self.n - g.start
            if covers_only and off == 0:
                continue  # tokens starting at the end of x do not cover x
            mat = self.canon.first_mat if g.first else self.canon.mat
            gi.append(np.full(len(g.ids), k))
            mi.append(np.arange(len(g.ids)))
            lm_.append(g.parent.logp + g.lp)
            nb.append(mat[g.ids, off].astype(np.int64))
            st.append(g.status)
        if not gi:
            z = np.zeros(0, dtype=np.int64)
            return z, z, np.zeros(0), z, np.zeros(0, dtype=np.int8)
        return np.concatenate(gi), np.concatenate(mi), np.concatenate(lm_), np.concatenate(nb), np.concatenate(st)

    def _settle(self, idx_g: np.ndarray, idx_m: np.ndarray) -> None:
        """Check validity of the given members in one batch."""
        by: dict[int, list[int]] = {}
        for a, b in zip(idx_g.tolist(), idx_m.tolist(), strict=True):
            by.setdefault(a, []).append(b)
        items, where = [], []
        for k, ms in by.items():
            g = self.groups[k]
            items.extend(self._items(g, g.ids[ms]))
            where.extend((k, m) for m in ms)
        for (k, m), v in zip(where, self._check(items), strict=True):
            self.groups[k].status[m] = v if v else INVALID

    def _ready(self, full: bool, rows: bool = False) -> None:
        """Ask the model what is still missing; full: every token after the frontier; rows: their rows."""
        if full or rows:
            for node in self._frontier():
                if full:
                    self._expand(node, None)
                if node.next_lp is None:
                    self.unflushed.append(node)
        self._flush()

    def cover_logps(self) -> np.ndarray:
        """log P(t) of every valid cover t of x (all candidates checked)."""
        self._ready(False)
        gi, mi, lmass, _, st = self._arrays(covers_only=True)
        unk = np.flatnonzero(st == UNKNOWN)
        if unk.size:
            self._settle(gi[unk], mi[unk])
            gi, mi, lmass, _, st = self._arrays(covers_only=True)
        ends = [n.logp for n in self._frontier() if not n.zero and n.end > 0]
        return np.concatenate([lmass[st >= WITNESS], np.asarray(ends, dtype=float)])

    def logprob(self) -> float:
        """log P(x): the sum over valid covers of x (0.0 for the empty prefix)."""
        if self.n == 0:
            return 0.0
        return _lse(self.cover_logps())

    def end_logprob(self) -> float:
        """log P(x, end of text): x is the whole text."""
        self._ready(False, rows=True)
        return _lse(self._eos_masses())

    def _eos_masses(self) -> np.ndarray:
        out = [n.logp + n.eos for n in self._frontier()
               if n.complete and n.strict and not n.zero and n.eos > -math.inf]
        return np.asarray(out, dtype=float)

    def log_masses(self, exact: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(257,) log lower and upper bounds of P(x b) for every byte b, and of P(x, end of text) at [256].

        With exact=True every candidate is checked and the bounds are equal.
        """
        self._ready(True)
        gi, mi, lmass, nb, st = self._arrays()
        if exact:
            unk = np.flatnonzero(st == UNKNOWN)
            if unk.size:
                self._settle(gi[unk], mi[unk])
                gi, mi, lmass, nb, st = self._arrays()
        eos = self._eos_masses()
        allm = np.concatenate([lmass, eos])
        m = float(np.max(allm)) if allm.size else 0.0
        if not math.isfinite(m):
            m = 0.0
        w = np.exp(lmass - m)
        lo = np.zeros(257)
        up = np.zeros(257)
        v = st >= WITNESS
        vu = v | (st == UNKNOWN)
        np.add.at(lo, nb[v], w[v])
        np.add.at(up, nb[vu], w[vu])
        e = float(np.sum(np.exp(eos - m))) if eos.size else 0.0
        lo[EOS] += e
        up[EOS] += e
        with np.errstate(divide="ignore"):
            return np.log(lo) + m, np.log(up) + m

    def refine(self, k: int) -> bool:
        """Check the k heaviest unchecked candidates; False when none was left."""
        self._ready(True)
        gi, mi, lmass, _, st = self._arrays()
        unk = np.flatnonzero(st == UNKNOWN)
        if not unk.size:
            return False
        top = unk[np.argsort(-lmass[unk], kind="stable")[:max(k, 1)]]
        self._settle(gi[top], mi[top])
        return True

    def next_bytes(self) -> NextBytes:
        """The exact next-byte distribution (every candidate checked)."""
        lo, _ = self.log_masses(exact=True)
        total = _lse(lo)
        probs = np.exp(lo - total) if total > -math.inf else np.zeros(257)
        covers = self.cover_logps() if self.n else np.zeros(1)
        px = _lse(covers) if self.n else 0.0
        leak = 1.0 - math.exp(total - px) if px > -math.inf and total > -math.inf else 0.0
        front = [n for n in self._frontier() if not n.zero]
        return NextBytes(prefix=self.text, probs=probs, mass=px, leak=max(0.0, leak), covers=int(covers.size),
                         frontier=len(front))


def normalised_bounds(lo: np.ndarray, up: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds on the normalised next-byte distribution from bounds on the (log) masses."""
    m = float(np.max(up)) if np.isfinite(np.max(up)) else 0.0
    L = np.exp(lo - m)
    U = np.exp(up - m)
    sl, su = L.sum(), U.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        plo = np.where(L > 0, L / (L + (su - U)), 0.0)
        pup = np.where(U > 0, U / (U + (sl - L)), 0.0)
    return np.nan_to_num(plo), np.nan_to_num(pup)


@dataclass
class Choice:
    byte: int  # 0..255 or EOS
    checks: int = 0


class ByteLevelLM:
    """Exact byte-level view of a token-level LM (see the module docstring)."""

    def __init__(self, lm, bos_id: int | None = None, eos_id: int | None = None, window_pieces: int | None = None):
        self.lm = lm
        self.tok = lm.tokenizer
        self.canon = Canon(self.tok) if window_pieces is None else Canon(self.tok, window_pieces)
        bos = bos_id if bos_id is not None else getattr(lm, "bos_id", None)
        if bos is None:
            raise UsageError(f"model {lm.name} names no BOS id to start text with; pass bos_id")
        self.bos_id = int(bos)
        eos = eos_id if eos_id is not None else getattr(lm, "eos_id", None)
        self.eos_id = None if eos is None else int(eos)
        self.stats = Stats()
        self._specials = [s for s in set(self.tok.specials) | set(self.tok.added_tokens) if len(s) > 1]

    @property
    def name(self) -> str:
        return self.lm.name

    def check_text(self, data: bytes, allow_partial: bool = True) -> None:
        """Raise InputError for bytes the engine cannot take (invalid UTF-8, special-token text)."""
        sp = split_partial(bytes(data))
        if sp is None or (sp[1] and not allow_partial):
            try:
                bytes(data).decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(f"the text is not valid UTF-8 (byte {exc.start}: {exc.reason}); the tokenizers "
                                 f"here only encode UTF-8 text") from None
        text = (sp[0] if sp else bytes(data)).decode("utf-8", "replace")
        for s in self._specials:
            if s in text:
                raise InputError(f"the text contains {s!r}, which {self.tok.name} reads as a special token; "
                                 f"byte-level probabilities cover ordinary text only")

    def state(self, prefix: bytes | str = b"") -> ByteState:
        data = prefix.encode("utf-8") if isinstance(prefix, str) else bytes(prefix)
        self.check_text(data)
        st = ByteState(self)
        st.extend(data)
        return st

    def logprob(self, text: bytes | str) -> float:
        return self.state(text).logprob()

    def next_bytes(self, prefix: bytes | str) -> NextBytes:
        return self.state(prefix).next_bytes()

    # ------------------------------------------------------------------ choosing bytes
    def greedy_byte(self, st: ByteState) -> Choice:
        """The most probable next byte (or EOS), checking candidates only until the answer is certain."""
        k = 64
        while True:
            lo, up = st.log_masses(exact=False)
            if not np.isfinite(np.max(up)):
                raise InputError("the model gives this prefix probability zero; nothing can follow it")
            best = int(np.argmax(lo))
            if lo[best] >= np.max(np.delete(up, best)) or not st.refine(k):
                if not lo[best] >= np.max(np.delete(up, best)):
                    lo, _ = st.log_masses(exact=True)
                    best = int(np.argmax(lo))
                return Choice(best)
            k *= 2

    def sample_byte(self, st: ByteState, u: float) -> Choice:
        """Inverse-CDF sample for uniform u in [0, 1), exact: candidates are checked until u's bucket is certain."""
        k = 64
        while True:
            lo, up = st.log_masses(exact=False)
            if not np.isfinite(np.max(up)):
                raise InputError("the model gives this prefix probability zero; nothing can follow it")
            m = float(np.max(up))
            L, U = np.exp(lo - m), np.exp(up - m)
            cl, cu = np.cumsum(L), np.cumsum(U)
            tl, tu = cl[-1], cu[-1]
            with np.errstate(invalid="ignore", divide="ignore"):
                f_low = np.nan_to_num(cl / (cl + (tu - cu)))
                f_up = np.nan_to_num(cu / (cu + (tl - cl)))
            b = int(np.searchsorted(f_low, u, side="right"))
            if b <= 256 and (b == 0 or f_up[b - 1] <= u):
                return Choice(b)
            if not st.refine(k):
                p = L / tl
                b = int(np.searchsorted(np.cumsum(p), u, side="right"))
                return Choice(min(b, int(np.flatnonzero(p > 0)[-1])))
            k *= 2

    def generate(self, prompt: bytes | str, max_bytes: int, seed: int | None = None, stop: bytes | None = None,
                 st: ByteState | None = None) -> tuple[bytes, bool]:
        """Byte-level greedy (seed None) or sampled continuation; returns (bytes, ended with end of text)."""
        st = st or self.state(prompt)
        rng = np.random.default_rng(seed) if seed is not None else None
        out = bytearray()
        for _ in range(max_bytes):
            ch = self.greedy_byte(st) if rng is None else self.sample_byte(st, float(rng.random()))
            if ch.byte == EOS:
                return bytes(out), True
            out.append(ch.byte)
            st.push(ch.byte)
            if stop and out.endswith(stop):
                break
        return bytes(out), False


@dataclass
class Mixture:
    """A byte-level mixture of models with different vocabularies (ByteSampler-style ensembling)."""

    engines: list[ByteLevelLM]
    weights: list[float] = field(default_factory=list)

    def __post_init__(self):
        if not self.weights:
            self.weights = [1.0 / len(self.engines)] * len(self.engines)
        s = sum(self.weights)
        if s <= 0 or any(w < 0 for w in self.weights):
            raise UsageError("mixture weights must be non-negative and not all zero")
        self.weights = [w / s for w in self.weights]

    def states(self, prompt: bytes) -> list[ByteState]:
        return [e.state(prompt) for e in self.engines]

    def next_probs(self, states: list[ByteState]) -> np.ndarray:
        out = np.zeros(257)
        for w, st in zip(self.weights, states, strict=True):
            out += w * st.next_bytes().probs
        return out

    def greedy_byte(self, states: list[ByteState]) -> int:
        k = 64
        while True:
            lows, ups = [], []
            for st in states:
                lo, up = st.log_masses(exact=False)
                a, b = normalised_bounds(lo, up)
                lows.append(a)
                ups.append(b)
            mlo = sum(w * a for w, a in zip(self.weights, lows, strict=True))
            mup = sum(w * b for w, b in zip(self.weights, ups, strict=True))
            best = int(np.argmax(mlo))
            if mlo[best] >= np.max(np.delete(mup, best)):
                return best
            gaps = [float(np.sum(b - a)) for a, b in zip(lows, ups, strict=True)]
            order = np.argsort(gaps)[::-1]
            if not any(states[i].refine(k) for i in order):
                return best
            k *= 2

    def generate(self, prompt: bytes, max_bytes: int, seed: int | None = None,
                 stop: bytes | None = None) -> tuple[bytes, bool]:
        states = self.states(prompt)
        rng = np.random.default_rng(seed) if seed is not None else None
        out = bytearray()
        for _ in range(max_bytes):
            if rng is None:
                b = self.greedy_byte(states)
            else:
                i = int(rng.choice(len(states), p=self.weights))
                b = self.engines[i].sample_byte(states[i], float(rng.random())).byte
            if b == EOS:
                return bytes(out), True
            out.append(b)
            for st in states:
                st.push(b)
            if stop and out.endswith(stop):
                break
        return bytes(out), False
