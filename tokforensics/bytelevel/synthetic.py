"""A synthetic token-level LM in plain numpy, for validating the byte-level engine against brute force.

`TableLM` conditions on the last token only: a fixed random table of next-token log-probabilities. With
`canonical=True` it puts zero probability on every continuation that makes the sequence non-canonical (by
the reference definition in `reference.py`) and renormalises, so it is a model of canonical token sequences:
for it, next-byte distributions sum to one without renormalisation and the chain rule over bytes holds exactly.
"""

from __future__ import annotations

import numpy as np


class TableLM:
    """Implements the `LanguageModel` interface (next_logprobs, score, greedy) without torch."""

    device = "cpu"

    def __init__(self, tokenizer, seed: int = 0, concentration: float = 0.3, canonical: bool = False,
                 reference=None):
        self.tokenizer = tokenizer
        self.name = f"table:{tokenizer.name}"
        n = tokenizer.vocab_size
        self.bos_id = n  # one model-only id starts and ends text
        self.eos_id = n
        self.vocab_size = n + 1
        self.seed = seed
        self.concentration = concentration
        self.table = None
        if self.vocab_size <= 4096:
            rng = np.random.default_rng(seed)
            table = rng.dirichlet(np.full(self.vocab_size, concentration), size=self.vocab_size)
            table = np.maximum(table, 1e-6)
            table /= table.sum(axis=1, keepdims=True)
            self.table = np.log(table)
        self._rows: dict[int, np.ndarray] = {}
        self.canonical = canonical
        self.forward_calls = 0
        if canonical:
            from .reference import Reference

            self.ref = reference or Reference(tokenizer)
        self._memo: dict[tuple[int, ...], np.ndarray] = {}

    def _table_row(self, last: int) -> np.ndarray:
        if self.table is not None:
            return self.table[last]
        got = self._rows.get(last)
        if got is None:  # large vocabularies: rows drawn on demand (a fixed function of seed and last token)
            rng = np.random.default_rng([self.seed, last])
            z = rng.standard_normal(self.vocab_size) * 3.0
            got = z - np.logaddexp.reduce(z)
            if len(self._rows) > 512:
                self._rows.clear()
            self._rows[last] = got
        return got

    def _row(self, prefix: tuple[int, ...]) -> np.ndarray:
        row = self._table_row(prefix[-1]).copy()
        if not self.canonical:
            return row
        got = self._memo.get(prefix)
        if got is not None:
            return got
        body = prefix[1:]  # drop BOS
        ok = self.ref.allowed_next(body)
        row[~ok] = -np.inf
        if ok.any():
            row -= np.logaddexp.reduce(row[ok])
        self._memo[prefix] = row
        return row

    def next_logprobs(self, prefixes: list[list[int]]) -> np.ndarray:
        self.forward_calls += 1
        out = np.empty((len(prefixes), self.vocab_size))
        for k, p in enumerate(prefixes):
            if not p:
                raise ValueError("prefixes must start with the BOS id")
            out[k] = self._row(tuple(p))
        return out

    def score(self, prompts: list[list[int]], continuations: list[list[int]]) -> list[float]:
        res = []
        for p, c in zip(prompts, continuations, strict=True):
            seq = list(p)
            total = 0.0
            for t in c:
                total += float(self._row(tuple(seq))[t])
                seq.append(t)
            res.append(total)
        return res

    def greedy(self, prompts: list[list[int]], max_new_tokens: int, stop_ids: set[int] | None = None) -> list[list[int]]:
        out = []
        for p in prompts:
            seq = list(p)
            new: list[int] = []
            for _ in range(max_new_tokens):
                t = int(np.argmax(self._row(tuple(seq))))
                new.append(t)
                seq.append(t)
                if stop_ids and t in stop_ids:
                    break
            out.append(new)
        return out
