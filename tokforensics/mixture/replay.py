"""Replay a tokenizer's ordered merges over pretoken counts and record pair counts at every step.

The state before merge t is what the BPE trainer saw when it chose merge t, so the output is:
- the pair counts before merge 0 (`init_keys`, `init_counts`),
- a delta stream (`d_step`, `d_key`, `d_delta`): the pair-count changes caused by applying merge t,
- `merged_counts[t]`: the count of merge t's own pair just before it was applied.
A pair (a, b) of token ids is keyed as a * V + b. Only words that contain the merged pair are touched,
found through a pair -> words index, as in the Hugging Face trainer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np
from numba import types
from numba.typed import Dict, List

_I64_LIST = types.ListType(types.int64)


@dataclass(frozen=True)
class Trajectory:
    """Pair counts of one category along the merge list (see module docstring)."""

    init_keys: np.ndarray  # int64, sorted
    init_counts: np.ndarray  # int64
    d_step: np.ndarray  # int32, non-decreasing
    d_key: np.ndarray  # int64
    d_delta: np.ndarray  # int64
    merged_counts: np.ndarray  # int64, one per merge
    total_pairs: int  # sum of init_counts: the normaliser of Hayase et al. (--denom pairs)


@nb.njit(cache=True)
def _replay_kernel(symbols, word_start, counts, m_left, m_right, m_new, V):
    n_words = counts.shape[0]
    sym = symbols.copy()
    word_len = np.empty(n_words, dtype=np.int64)
    for w in range(n_words):
        word_len[w] = word_start[w + 1] - word_start[w]
    last_seen = np.full(n_words, -1, dtype=np.int64)

    index = Dict.empty(key_type=types.int64, value_type=_I64_LIST)
    pair_count = Dict.empty(key_type=types.int64, value_type=types.int64)
    for w in range(n_words):
        s = word_start[w]
        n = counts[w]
        for j in range(word_len[w] - 1):
            k = sym[s + j] * V + sym[s + j + 1]
            pair_count[k] = pair_count.get(k, 0) + n
            if k not in index:
                index[k] = List.empty_list(types.int64)
            index[k].append(w)

    n_init = len(pair_count)
    init_keys = np.empty(n_init, dtype=np.int64)
    init_counts = np.empty(n_init, dtype=np.int64)
    i = 0
    for k, c in pair_count.items():
        init_keys[i] = k
        init_counts[i] = c
        i += 1

    T = m_left.shape[0]
    merged_counts = np.zeros(T, dtype=np.int64)
    out_step = List.empty_list(types.int32)
    out_key = List.empty_list(types.int64)
    out_delta = List.empty_list(types.int64)
    delta = Dict.empty(key_type=types.int64, value_type=types.int64)
    touched = List.empty_list(types.int64)

    for t in range(T):
        a = m_left[t]
        b = m_right[t]
        c = m_new[t]
        key = a * V + b
        merged_counts[t] = pair_count.get(key, 0)
        if key not in index:
            continue
        words = index.pop(key)
        for w in words:
            if last_seen[w] == t:
                continue
            last_seen[w] = t
            s = word_start[w]
            L = word_len[w]
            found = False
            for j in range(L - 1):
                if sym[s + j] == a and sym[s + j + 1] == b:
                    found = True
                    break
            if not found:
                continue
            n = counts[w]
            for j in range(L - 1):
                k = sym[s + j] * V + sym[s + j + 1]
                if k not in delta:
                    delta[k] = 0
                    touched.append(k)
                delta[k] -= n
            # merge left to right, non-overlapping, compacting in place
            r = 0
            j = 0
            while j < L:
                if j < L - 1 and sym[s + j] == a and sym[s + j + 1] == b:
                    sym[s + r] = c
                    j += 2
                else:
                    sym[s + r] = sym[s + j]
                    j += 1
                r += 1
            word_len[w] = r
            for j in range(r - 1):
                x = sym[s + j]
                y = sym[s + j + 1]
                k = x * V + y
                if k not in delta:
                    delta[k] = 0
                    touched.append(k)
                delta[k] += n
                if x == c or y == c:
                    if k not in index:
                        index[k] = List.empty_list(types.int64)
                    index[k].append(w)
        for k in touched:
            d = delta[k]
            if d != 0:
                nc = pair_count.get(k, 0) + d
                if nc == 0:
                    pair_count.pop(k)
                else:
                    pair_count[k] = nc
                out_step.append(np.int32(t))
                out_key.append(k)
                out_delta.append(d)
        delta.clear()
        touched.clear()

    m = len(out_key)
    d_step = np.empty(m, dtype=np.int32)
    d_key = np.empty(m, dtype=np.int64)
    d_delta = np.empty(m, dtype=np.int64)
    for i in range(m):
        d_step[i] = out_step[i]
        d_key[i] = out_key[i]
        d_delta[i] = out_delta[i]
    return init_keys, init_counts, d_step, d_key, d_delta, merged_counts


def replay(symbols: np.ndarray, word_start: np.ndarray, counts: np.ndarray, merge_ids: np.ndarray, V: int) -> Trajectory:
    """Run the Numba kernel. merge_ids: (T, 3) of (left, right, merged) token ids."""
    m = np.ascontiguousarray(merge_ids, dtype=np.int64)
    ik, ic, ds, dk, dd, mc = _replay_kernel(
        np.ascontiguousarray(symbols, dtype=np.int64), np.ascontiguousarray(word_start, dtype=np.int64),
        np.ascontiguousarray(counts, dtype=np.int64), m[:, 0].copy(), m[:, 1].copy(), m[:, 2].copy(), np.int64(V))
    order = np.argsort(ik, kind="stable")
    return Trajectory(ik[order], ic[order], ds, dk, dd, mc, int(ic.sum()))


def replay_reference(words: dict[tuple[int, ...], int], merges: list[tuple[int, int, int]]) -> list[dict[tuple[int, int], int]]:
    """Obviously-correct replay for tests: the full pair-count table before each merge, and after the last."""
    state = {w: c for w, c in words.items()}
    tables = []

    def count(st):
        table: dict[tuple[int, int], int] = {}
        for w, c in st.items():
            for x, y in zip(w, w[1:], strict=False):
                table[(x, y)] = table.get((x, y), 0) + c
        return table

    for a, b, c in merges:
        tables.append(count(state))
        new_state: dict[tuple[int, ...], int] = {}
        for w, n in state.items():
            out = []
            j = 0
            while j < len(w):
                if j < len(w) - 1 and w[j] == a and w[j + 1] == b:
                    out.append(c)
                    j += 2
                else:
                    out.append(w[j])
                    j += 1
            new_state[tuple(out)] = new_state.get(tuple(out), 0) + n
        state = new_state
    tables.append(count(state))
    return tables
