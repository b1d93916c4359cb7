"""The linear program of Hayase et al. (2024), solved exactly with row-and-column generation on HiGHS.

Variables: alpha_i >= 0 with sum alpha = 1 (category proportions, in normalised pair-count units); one slack
v_t >= 0 per merge step; one slack v_p >= 0 per competitor pair (shared across steps). For merge m(t) and a
pair p present at step t:

    sum_i alpha_i (c^_{i,m(t)}(t) - c^_{i,p}(t)) + v_t + v_p >= 0,

with c^_{i,p}(t) = c_{i,p}(t) * SCALE / (pairs of category i at step 0; when the first merges are skipped, its
counts of the constrained merges' own pairs: `normalised_by_merges`). Objective: minimise sum v_t + sum v_p.

The solver writes v_t = theta_t - M_t(alpha), where M_t(alpha) = sum_i alpha_i c^_{i,m(t)}(t) is the mixture count
of merge t's own pair: theta_t is then the "water level" that step t allows competitors to reach before they pay
slack. In that form a constraint reads theta_t + v_p >= x_p(t) with x_p(t) = sum_i alpha_i c^_{i,p}(t), and it only
touches the categories in which p occurs, so rows are sparse. (The two forms are the same LP.)

Solving. The full LP has one row per (step, pair) and, on real category samples, 10^8-10^9 of them bind at some
alpha, so rows are generated (`solve_rounds`): solve the LP over the rows found so far, add the rows a per-step heap
of x_p(t) - v_p finds above theta_t, re-solve from the previous basis. The certificate is an exact separation over
*every* step and *every* pair (`_pair_excess`: a range-minimum query over theta for every interval on which a
pair's count is constant). It gives the largest violation of the returned solution, and an upper bound (each v_p
raised to cover its violations); the restricted LP's optimum is a lower bound. When nothing is violated the two
coincide: the optimum. `solve_exact` is an independent formulation of the same LP (a maximum-weight matching per
alpha, stabilised cutting planes over alpha), used to cross-check.
"""

from __future__ import annotations

import dataclasses
import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numba as nb
import numpy as np

from ..errors import InputError
from ..stdio import native_stdout_silenced
from .replay import Trajectory

SCALE = 1e6
LP_VERSION = "8"  # 8: --skip normalises by the constrained merges' pair counts; bump when the LP or its solution changes results
EXACT_FROM = 1e-4  # solve_auction: relative gap below which f(alpha) is evaluated exactly instead of by auction

# (round, rows so far, rows added, upper bound, max violation)
RoundCallback = Callable[[int, int, int, float, float], None]


@dataclass(frozen=True)
class PairData:
    """All categories' trajectories on one dense pair index, deltas sorted by step.

    Shapes: n categories, T merges, P pairs, E initial (pair, category) entries, D deltas.
    scale (n,) f8: SCALE / pairs at step 0; merged_idx (T,) i8: dense index of merge t's pair; merged_counts (T, n)
    i8: its count per category just before merge t; init_p/init_c/init_n (E,) i8: initial counts; d_step/d_p/
    d_c/d_n (D,) i8: count changes caused by applying merge d_step.
    """

    n_cat: int
    T: int
    n_pairs: int
    scale: np.ndarray
    merged_idx: np.ndarray
    merged_counts: np.ndarray
    init_p: np.ndarray
    init_c: np.ndarray
    init_n: np.ndarray
    d_step: np.ndarray
    d_p: np.ndarray
    d_c: np.ndarray
    d_n: np.ndarray


def combine(trajs: list[Trajectory], merged_keys: np.ndarray) -> PairData:
    n = len(trajs)
    T = len(merged_keys)
    for i, tr in enumerate(trajs):
        if tr.total_pairs <= 0:
            raise InputError(f"category #{i} has no symbol pairs to count; give it more text")
    all_keys = np.unique(np.concatenate([merged_keys] + [tr.init_keys for tr in trajs] + [tr.d_key for tr in trajs]))

    def lookup(keys: np.ndarray) -> np.ndarray:
        return np.searchsorted(all_keys, keys).astype(np.int64)

    init_p = np.concatenate([lookup(tr.init_keys) for tr in trajs])
    init_c = np.concatenate([np.full(len(tr.init_keys), i, dtype=np.int64) for i, tr in enumerate(trajs)])
    init_n = np.concatenate([tr.init_counts for tr in trajs])
    d_step = np.concatenate([tr.d_step.astype(np.int64) for tr in trajs])
    d_p = np.concatenate([lookup(tr.d_key) for tr in trajs])
    d_c = np.concatenate([np.full(len(tr.d_key), i, dtype=np.int64) for i, tr in enumerate(trajs)])
    d_n = np.concatenate([tr.d_delta for tr in trajs])
    order = np.argsort(d_step, kind="stable")
    return PairData(
        n_cat=n, T=T, n_pairs=len(all_keys),
        scale=np.array([SCALE / tr.total_pairs for tr in trajs], dtype=np.float64),
        merged_idx=lookup(merged_keys),
        merged_counts=np.stack([tr.merged_counts[:T] for tr in trajs], axis=1).astype(np.int64),
        init_p=init_p, init_c=init_c, init_n=init_n.astype(np.int64),
        d_step=d_step[order], d_p=d_p[order], d_c=d_c[order], d_n=d_n[order].astype(np.int64),
    )


def pairs_at(data: PairData, step: int) -> np.ndarray:
    """(n,) f8: each category's total pair count in the state just before merge `step` (step 0: its text)."""
    totals = np.bincount(data.init_c, weights=data.init_n, minlength=data.n_cat).astype(np.float64)
    before = data.d_step < step
    totals += np.bincount(data.d_c[before], weights=data.d_n[before], minlength=data.n_cat)
    return totals


def normalised_at(data: PairData, step: int) -> tuple[PairData, np.ndarray]:
    """`data` with counts normalised by each category's pairs just before merge `step`, and those totals.

    The LP of merges step..T-1 is then, exactly, the LP of a BPE run that starts from that state. It is not what
    `--skip` uses (`normalised_by_merges`): kept for the extension experiment, which measures both.
    """
    totals = pairs_at(data, step)
    if np.any(totals <= 0):
        i = int(np.argmin(totals))
        raise InputError(f"category #{i} has no symbol pairs left before merge {step}; give it more text or a "
                         "smaller --skip")
    return dataclasses.replace(data, scale=SCALE / totals), totals


def merged_pairs_from(data: PairData, step: int) -> np.ndarray:
    """(n,) f8: each category's summed counts of merges step..T-1's own pairs, each just before its merge."""
    return data.merged_counts[step:].sum(axis=0).astype(np.float64)


def normalised_by_merges(data: PairData, step: int) -> tuple[PairData, np.ndarray]:
    """`data` normalised for `--skip step`: per unit of alpha, every category holds the same total count of the
    constrained merges' own pairs. Returns the data and those totals (the byte-share conversion uses them).

    Why not the pairs left at `step` (`normalised_at`)? A category the first merges had already compressed (the
    base tokenizer's own language, when a vocabulary is extended by training more merges on top of another's)
    keeps many pairs the extension never merges, so per unit of alpha it weighs little in any row, and alpha
    parked there costs little slack. In controlled extensions trained on real text
    (`analyses/extension_experiment.py`) that put the base category's share 28-44 points too high; normalised
    by the extension's merged pairs the bias is 9-12 points and the error is lower in every trial. Normalised at
    step 0 it is worse again (45-60 points).
    """
    # floor 1: a category with none of the constrained merges' pairs gets the largest weight per unit of alpha,
    # so the LP gives it no share unless no other category can explain the merges either
    totals = np.maximum(merged_pairs_from(data, step), 1.0)
    return dataclasses.replace(data, scale=SCALE / totals), totals


def with_margin(data: PairData, kappa: float) -> PairData:
    """The same LP on counts with a sampling-noise margin: a competitor's count c becomes max(c - kappa*sqrt(c), 0)
    and the merge's own count c + kappa*sqrt(c), so a competitor must lead the merge by more than kappa Poisson
    standard deviations of each count before the row costs slack. (sqrt(a + b) <= sqrt(a) + sqrt(b) keeps the
    margin separable per pair, which is what the row kernels need; it is wider than the exact joint deviation.)

    Counts become float; the transform is applied to every (pair, category) count sequence through its deltas.
    """
    if kappa <= 0:
        return data
    n = data.n_cat

    def lower(c):
        return np.maximum(c - kappa * np.sqrt(c), 0.0)

    init_key = data.init_p * n + data.init_c
    order_i = np.argsort(init_key, kind="stable")
    skeys = init_key[order_i]
    sinit = data.init_n[order_i].astype(np.float64)
    d_key = data.d_p * n + data.d_c
    order = np.lexsort((data.d_step, d_key))  # by (pair, category), then step
    k = d_key[order]
    dn = data.d_n[order].astype(np.float64)
    pos = np.searchsorted(skeys, k)
    pos_ok = pos < len(skeys)
    start = np.zeros(len(k))
    hit = pos_ok.copy()
    hit[pos_ok] = skeys[pos[pos_ok]] == k[pos_ok]
    start[hit] = sinit[pos[hit]]
    csum = np.cumsum(dn)
    first = np.ones(len(k), dtype=np.bool_)
    first[1:] = k[1:] != k[:-1]
    group_base = np.maximum.accumulate(np.where(first, np.arange(len(k)), 0))
    before = csum[group_base] - dn[group_base]  # cumulative sum before each group
    after = start + csum - before
    prev = after - dn
    new_dn = np.empty(len(k))
    new_dn[order] = lower(after) - lower(prev)
    merged = data.merged_counts.astype(np.float64)
    return dataclasses.replace(data, init_n=lower(data.init_n.astype(np.float64)), d_n=new_dn,
                               merged_counts=merged + kappa * np.sqrt(merged))


def constrained_steps(data: PairData, skip: int = 0, min_support: int = 1) -> np.ndarray:
    """(T,) bool: merges that get constraints. min_support: pooled sample count of the merge's own pair it needs
    (1 leaves out merges whose pair never occurs in any sample; 0 keeps every merge)."""
    active = np.zeros(data.T, dtype=np.bool_)
    active[skip:] = True
    if min_support > 0:
        active &= data.merged_counts.sum(axis=1) >= min_support
    return active


# ------------------------------------------------------------------------------------------------ kernels
@nb.njit(cache=True)
def _argmin_table(theta):
    """Sparse table for range-argmin over theta (T,) f8: tab[k, t] = argmin theta[t : t + 2^k]."""
    T = theta.shape[0]
    levels = 1
    while (1 << levels) <= T:
        levels += 1
    tab = np.empty((levels, T), dtype=np.int64)
    for t in range(T):
        tab[0, t] = t
    for k in range(1, levels):
        half = 1 << (k - 1)
        for t in range(T - (1 << k) + 1):
            a = tab[k - 1, t]
            b = tab[k - 1, t + half]
            tab[k, t] = a if theta[a] <= theta[b] else b
    return tab


@nb.njit(cache=True)
def _range_argmin(tab, theta, lo, hi):
    """argmin theta[lo..hi] (inclusive), O(1)."""
    n = hi - lo + 1
    k = 0
    while (1 << (k + 1)) <= n:
        k += 1
    a = tab[k, lo]
    b = tab[k, hi - (1 << k) + 1]
    return a if theta[a] <= theta[b] else b


@nb.njit(cache=True)
def _close_segment(tab, theta, lo, hi, value, p, v_p, tol, best, best_t, out_t, out_p):
    j = _range_argmin(tab, theta, lo, hi)
    if theta[j] < np.inf:
        ex = value - theta[j]
        if ex > best[p]:
            best[p] = ex
            best_t[p] = j
        if ex - v_p[p] > tol:
            out_t.append(j)
            out_p.append(p)


@nb.njit(cache=True)
def _pair_excess(n_pairs, T, init_p, init_c, init_n, d_step, d_p, d_c, d_n, w, theta, v_p, tol):
    """Exact separation over every (step, pair) row: for every pair p, max over constrained steps t of
    x_p(t) - theta_t, and the step where it is reached; and every row violated by more than tol, one per interval
    on which p's count is constant (at that interval's lowest theta).

    w (n,) f8: alpha * scale; theta (T,) f8, +inf at unconstrained steps; v_p (P,) f8. A pair's count is constant
    between its deltas, so each interval needs one range-minimum query: O(D + P) after an O(T log T) table.
    Returns best (P,) f8 (-inf where p is never compared), best_t (P,) i8, and the violated rows (steps, pairs).
    """
    tab = _argmin_table(theta)
    mix = np.zeros(n_pairs)
    for e in range(init_p.shape[0]):
        mix[init_p[e]] += w[init_c[e]] * init_n[e]
    best = np.full(n_pairs, -np.inf)
    best_t = np.full(n_pairs, -1, dtype=np.int64)
    seg = np.zeros(n_pairs, dtype=np.int64)
    out_t = [np.int64(0)]
    out_p = [np.int64(0)]
    out_t.pop()
    out_p.pop()
    for e in range(d_step.shape[0]):
        t = d_step[e]
        p = d_p[e]
        if seg[p] <= t:
            _close_segment(tab, theta, seg[p], t, mix[p], p, v_p, tol, best, best_t, out_t, out_p)
            seg[p] = t + 1
        mix[p] += w[d_c[e]] * d_n[e]
    for p in range(n_pairs):
        if seg[p] <= T - 1:
            _close_segment(tab, theta, seg[p], T - 1, mix[p], p, v_p, tol, best, best_t, out_t, out_p)
    return best, best_t, np.array(out_t, dtype=np.int64), np.array(out_p, dtype=np.int64)


@nb.njit(cache=True)
def _step_violations(n_pairs, T, active, init_p, init_c, init_n, d_step, d_p, d_c, d_n, merged_idx, w, theta,
                     v_p, tol, per_step):
    """For every constrained step t, up to `per_step` pairs p != m(t) with x_p(t) - v_p > theta_t + tol, most
    violated first (a max-heap of x_p - v_p with lazy deletion). Returns (steps, pairs, violations)."""
    mix = np.zeros(n_pairs)
    for e in range(init_p.shape[0]):
        mix[init_p[e]] += w[init_c[e]] * init_n[e]
    cur = mix - v_p
    heap = [(-cur[p], p) for p in range(n_pairs) if mix[p] > 0.0]
    heapq.heapify(heap)
    out_t = []
    out_p = []
    out_v = []
    e = 0
    n_d = d_step.shape[0]
    changed = np.zeros(n_pairs, dtype=np.bool_)
    changed_list = []
    for t in range(T):
        if active[t]:
            m = merged_idx[t]
            thr = theta[t] + tol
            popped = []
            found = 0
            while len(heap) > 0 and found < per_step:
                negs, p = heap[0]
                s = -negs
                if s != cur[p]:
                    heapq.heappop(heap)
                    continue
                if s <= thr:
                    break
                heapq.heappop(heap)
                popped.append((negs, p))
                if p == m:
                    continue
                out_t.append(t)
                out_p.append(p)
                out_v.append(s - theta[t])
                found += 1
            for item in popped:
                heapq.heappush(heap, item)
        while e < n_d and d_step[e] == t:
            p = d_p[e]
            mix[p] += w[d_c[e]] * d_n[e]
            if not changed[p]:
                changed[p] = True
                changed_list.append(p)
            e += 1
        for p in changed_list:
            changed[p] = False
            cur[p] = mix[p] - v_p[p]
            if mix[p] > 0.0:
                heapq.heappush(heap, (-cur[p], p))
        changed_list.clear()
    return np.array(out_t, dtype=np.int64), np.array(out_p, dtype=np.int64), np.array(out_v, dtype=np.float64)
@nb.njit(cache=True)
def _gather(q_t, q_p, n_cat, n_pairs, init_p, init_c, init_n, d_step, d_p, d_c, d_n):
    """Per-category counts c_{i,p}(t) for queries (t, p) sorted by t."""
    slot = np.full(n_pairs, -1, dtype=np.int64)
    W = 0
    for k in range(q_p.shape[0]):
        if slot[q_p[k]] == -1:
            slot[q_p[k]] = W
            W += 1
    cnt = np.zeros((W, n_cat), dtype=init_n.dtype)
    for e in range(init_p.shape[0]):
        s = slot[init_p[e]]
        if s >= 0:
            cnt[s, init_c[e]] += init_n[e]
    out = np.zeros((q_t.shape[0], n_cat), dtype=init_n.dtype)
    e = 0
    n_d = d_step.shape[0]
    k = 0
    nq = q_t.shape[0]
    while k < nq:
        t = q_t[k]
        while e < n_d and d_step[e] < t:
            s = slot[d_p[e]]
            if s >= 0:
                cnt[s, d_c[e]] += d_n[e]
            e += 1
        while k < nq and q_t[k] == t:
            out[k, :] = cnt[slot[q_p[k]], :]
            k += 1
    return out




@nb.njit(cache=True)
def _gather_mix(q_t, q_p, n_pairs, init_p, init_c, init_n, d_step, d_p, d_c, d_n, w):
    """x_p(t) = sum_i w_i c_{i,p}(t) for queries (t, p) sorted by t: (Q,) f8, one pass over the deltas."""
    mix = np.zeros(n_pairs)
    for e in range(init_p.shape[0]):
        mix[init_p[e]] += w[init_c[e]] * init_n[e]
    out = np.zeros(q_t.shape[0])
    e = 0
    n_d = d_step.shape[0]
    for k in range(q_t.shape[0]):
        t = q_t[k]
        while e < n_d and d_step[e] < t:
            mix[d_p[e]] += w[d_c[e]] * d_n[e]
            e += 1
        out[k] = mix[q_p[k]]
    return out


@nb.njit(cache=True)
def _max_weight_matching(row_ptr, cols, wts, n_cols):
    """Maximum-weight bipartite matching (rows may stay unmatched), with an optimal vertex cover.

    Rows r = 0..R-1 have edges cols[row_ptr[r]:row_ptr[r+1]] (i8 column ids < n_cols) of weight wts (f8, > 0).
    Shortest augmenting paths with potentials (the rectangular assignment algorithm of Crouse 2016, on sparse
    rows): each row also owns a private "unmatched" column, and costs are W - w >= 0, so every row is assigned
    and Dijkstra's reduced costs stay non-negative. Returns (match (R,) i8 column or -1, y (R,) f8, z (n_cols,)
    f8) with y_r + z_c >= w_rc on every edge, y, z >= 0, and sum y + sum z equal to the matching's weight.
    """
    R = row_ptr.shape[0] - 1
    W = 0.0
    for k in range(wts.shape[0]):
        if wts[k] > W:
            W = wts[k]
    NC = n_cols + R
    u = np.zeros(R)
    v = np.zeros(NC)
    col4row = np.full(R, -1, dtype=np.int64)
    row4col = np.full(NC, -1, dtype=np.int64)
    shortest = np.full(NC, np.inf)
    path = np.full(NC, -1, dtype=np.int64)
    in_sc = np.zeros(NC, dtype=np.bool_)
    touched = np.empty(NC, dtype=np.int64)
    sr = np.empty(R, dtype=np.int64)
    sc = np.empty(NC, dtype=np.int64)
    for cur in range(R):
        n_t = 0
        n_sr = 0
        n_sc = 0
        heap = [(0.0, np.int64(0))]
        heap.pop()
        min_val = 0.0
        i = cur
        sink = -1
        while sink == -1:
            sr[n_sr] = i
            n_sr += 1
            for k in range(row_ptr[i], row_ptr[i + 1] + 1):
                if k < row_ptr[i + 1]:
                    j = cols[k]
                    c = W - wts[k]
                else:
                    j = n_cols + i
                    c = W
                if in_sc[j]:
                    continue
                r = min_val + c - u[i] - v[j]
                if r < shortest[j]:
                    if shortest[j] == np.inf:
                        touched[n_t] = j
                        n_t += 1
                    shortest[j] = r
                    path[j] = i
                    heapq.heappush(heap, (r, j))
            while True:
                r, j = heapq.heappop(heap)
                if not in_sc[j] and r == shortest[j]:
                    break
            min_val = r
            in_sc[j] = True
            sc[n_sc] = j
            n_sc += 1
            if row4col[j] == -1:
                sink = j
            else:
                i = row4col[j]
        u[cur] += min_val
        for a in range(1, n_sr):
            i = sr[a]
            u[i] += min_val - shortest[col4row[i]]
        for a in range(n_sc):
            j = sc[a]
            v[j] -= min_val - shortest[j]
        j = sink
        while True:
            i = path[j]
            row4col[j] = i
            nxt = col4row[i]
            col4row[i] = j
            j = nxt
            if i == cur:
                break
        for a in range(n_t):
            shortest[touched[a]] = np.inf
        for a in range(n_sc):
            in_sc[sc[a]] = False
    match = np.full(R, -1, dtype=np.int64)
    y = np.empty(R)
    for r in range(R):
        if col4row[r] < n_cols:
            match[r] = col4row[r]
        y[r] = max(0.0, W - u[r] - v[n_cols + r])
    z = np.empty(n_cols)
    for j in range(n_cols):
        z[j] = max(0.0, -v[j])
    return match, y, z


def _sparse_rows(cols_fixed: np.ndarray, coef: np.ndarray):
    """CSR arrays for rows sum_k x[cols_fixed[r, k]] - sum_i coef[r, i] alpha_i (nonzeros only)."""
    q, n = coef.shape
    nz_r, nz_i = np.nonzero(coef)
    k = cols_fixed.shape[1]
    per_row = np.bincount(nz_r, minlength=q) + k
    starts = np.zeros(q, dtype=np.int64)
    np.cumsum(per_row[:-1], out=starts[1:])
    idx = np.empty(int(per_row.sum()), dtype=np.int32)
    val = np.empty(len(idx), dtype=np.float64)
    for j in range(k):
        idx[starts + j] = cols_fixed[:, j]
        val[starts + j] = 1.0
    first = np.zeros(q + 1, dtype=np.int64)
    np.cumsum(np.bincount(nz_r, minlength=q), out=first[1:])
    pos = starts[nz_r] + k + (np.arange(len(nz_r)) - first[nz_r])
    idx[pos] = nz_i
    val[pos] = -coef[nz_r, nz_i]
    return starts.astype(np.int32), idx, val


# ------------------------------------------------------------------------------------------------- solver
@dataclass(frozen=True)
class LPDiagnostics:
    """How the LP was solved, and the certificate of its answer (slack units: pair counts per million pairs)."""

    stop_reason: str  # "optimal" | "time_limit" | "round_limit"
    objective: float  # total slack of the returned alpha (an upper bound on the optimum)
    lower_bound: float  # no alpha has less total slack than this (from the cutting-plane model)
    max_violation: float  # largest violation of any row of the full LP by the returned (alpha, v)
    tolerance: float  # optimal means objective - lower_bound <= tolerance
    rounds: int  # outer iterations: one exact evaluation of the slack at a new alpha each
    inner_passes: int  # exact separation passes over every step and pair, all rounds together
    edges_considered: int  # (step, pair) rows ever handed to the matching
    steps_constrained: int
    pairs_with_slack: int
    slack_steps: float
    slack_pairs: float
    solve_seconds: float

    @property
    def optimal(self) -> bool:
        return self.stop_reason == "optimal"

    @property
    def gap(self) -> float:
        return max(0.0, self.objective - self.lower_bound)


@dataclass(frozen=True)
class LPSolution:
    alpha: np.ndarray  # (n,) proportions in normalised pair-count units
    diagnostics: LPDiagnostics


@dataclass(frozen=True)
class SlackEvaluation:
    """The exact total slack f(alpha) of one alpha, with its certificate and a subgradient."""

    value: float
    subgradient: np.ndarray  # (n,): f(a) >= a . subgradient for every a, with equality at this alpha
    v_t: np.ndarray  # (A,) step slacks of an optimal cover
    v_p: np.ndarray  # (P,) pair slacks of an optimal cover
    max_violation: float
    passes: int
    edges: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # matched t * P + p


class _Problem:
    """The data of one LP, with the pool of (step, pair) edges that matchings have needed so far."""

    def __init__(self, data: PairData, active: np.ndarray, per_step: int):
        self.d = data
        self.active = active
        self.steps = np.nonzero(active)[0]
        self.mnorm = data.merged_counts * data.scale[None, :]
        self.per_step = per_step
        self.pool = np.zeros(0, dtype=np.int64)  # keys t * P + p, sorted
        self.edges_considered = 0

    def _separate_all(self, w, theta_full, v_p, tol):
        d = self.d
        best, _, vt, vp = _pair_excess(d.n_pairs, d.T, d.init_p, d.init_c, d.init_n, d.d_step, d.d_p, d.d_c, d.d_n,
                                       w, theta_full, v_p, tol)
        return best - v_p, vt * d.n_pairs + vp

    def _step_top(self, w, theta_full, v_p, tol):
        d = self.d
        st, sp, _ = _step_violations(d.n_pairs, d.T, self.active, d.init_p, d.init_c, d.init_n, d.d_step, d.d_p,
                                     d.d_c, d.d_n, d.merged_idx, w, theta_full, v_p, tol, self.per_step)
        return st * d.n_pairs + sp

    def evaluate(self, alpha: np.ndarray, tol: float) -> SlackEvaluation:
        """f(alpha) exactly: max-weight matching on the pooled edges, certified by separation over all rows."""
        d = self.d
        w = alpha * d.scale
        m_mix = self.mnorm @ alpha  # (T,)
        theta_full = np.full(d.T, np.inf)
        theta_full[self.steps] = m_mix[self.steps]
        zero = np.zeros(d.n_pairs)
        self.pool = np.union1d(self.pool, self._step_top(w, theta_full, zero, tol))
        passes = 0
        while True:
            passes += 1
            q_t, q_p = self.pool // d.n_pairs, self.pool % d.n_pairs
            x = _gather_mix(q_t, q_p, d.n_pairs, d.init_p, d.init_c, d.init_n, d.d_step, d.d_p, d.d_c, d.d_n, w)
            wt = x - m_mix[q_t]
            keep = wt > tol
            et, ep, ew = q_t[keep], q_p[keep], wt[keep]
            self.edges_considered = max(self.edges_considered, int(keep.sum()))
            rows, row_of = np.unique(et, return_inverse=True)
            cols, col_of = np.unique(ep, return_inverse=True)
            row_ptr = np.zeros(len(rows) + 1, dtype=np.int64)
            np.cumsum(np.bincount(row_of, minlength=len(rows)), out=row_ptr[1:])
            match, y, z = _max_weight_matching(row_ptr, col_of.astype(np.int64), ew, len(cols))
            v_p = np.zeros(d.n_pairs)
            v_p[cols] = z
            theta_full[self.steps] = m_mix[self.steps]
            theta_full[rows] += y
            viol, violated = self._separate_all(w, theta_full, v_p, tol)
            max_violation = max(0.0, float(viol.max()))
            if max_violation <= tol:
                break
            self.pool = np.union1d(self.pool, np.concatenate([violated, self._step_top(w, theta_full, v_p, tol)]))
        # the matching's weight is f(alpha), and its edges give the subgradient sum_(t,p) s * (c_p(t) - c_m(t)(t))
        matched = match >= 0
        mt = rows[matched]
        mp = cols[match[matched]]
        value = 0.0
        grad = np.zeros(d.n_cat)
        if len(mt):
            cnt = _gather(mt, mp, d.n_cat, d.n_pairs, d.init_p, d.init_c, d.init_n, d.d_step, d.d_p, d.d_c, d.d_n)
            grad = (cnt * d.scale[None, :]).sum(axis=0) - self.mnorm[mt].sum(axis=0)
            value = float(alpha @ grad)
        v_t = theta_full[self.steps] - m_mix[self.steps]
        return SlackEvaluation(value=value, subgradient=grad, v_t=v_t, v_p=v_p, max_violation=max_violation,
                               passes=passes, edges=mt * d.n_pairs + mp)


def _master(cuts: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    """min_z,alpha z s.t. z >= alpha . g_k for every cut, sum alpha = 1, lo <= alpha <= hi. Returns (alpha, z)."""
    from scipy.optimize import linprog

    k, n = cuts.shape
    c = np.zeros(n + 1)
    c[-1] = 1.0
    a_ub = np.hstack([cuts, -np.ones((k, 1))])
    a_eq = np.ones((1, n + 1))
    a_eq[0, -1] = 0.0
    bounds = [(float(a), float(b)) for a, b in zip(lo, hi, strict=True)] + [(None, None)]
    res = linprog(c, A_ub=a_ub, b_ub=np.zeros(k), A_eq=a_eq, b_eq=[1.0], bounds=bounds, method="highs")
    if res.status != 0:
        return None, -np.inf
    return np.clip(res.x[:n], 0.0, None), float(res.x[-1])


def solve(data: PairData, skip: int = 0, min_support: int = 1, max_rounds: int | None = None,
          time_limit: float | None = None, progress: RoundCallback | None = None,
          alpha0: np.ndarray | None = None, method: str = "auction", margin: float = 0.0) -> LPSolution:
    """Solve the LP over merges skip..T-1 (see the module docstring).

    With no budget (max_rounds and time_limit None) the answer is the certified optimum. `method` "auction" (the
    default; fastest where measured, docs/mixture.md) generates the rows that bind at each alpha from an auction's
    matching and stops when the restricted LP's optimum (a lower bound) meets the best cover found (an upper
    bound); "rows" generates the most violated rows per merge until an exact separation pass over every row finds
    none; "matching" minimises the exact total slack over alpha with stabilised cutting planes. All three are the
    same LP and are tested against it written out in full. A budget stops the solve early: the shares are then
    approximate, and the diagnostics bracket the optimum between a lower and an upper bound.
    """
    if skip >= data.T:
        raise InputError(f"--skip {skip} leaves no merges to solve over (only {data.T} merges in use)")
    if method not in ("rows", "matching", "auction"):
        raise ValueError(f"unknown LP method {method!r}")
    active = constrained_steps(data, skip, min_support)
    if not active.any():
        raise InputError("no merge has its pair in any category sample; give the categories more text")
    data = with_margin(data, margin)
    if method == "matching" and max_rounds is None and time_limit is None:
        return solve_exact(data, active, progress=progress, alpha0=alpha0)
    if method == "auction":
        return solve_auction(data, active, max_rounds=max_rounds, time_limit=time_limit, progress=progress,
                             alpha0=alpha0)
    return solve_rounds(data, active, max_rounds=max_rounds, time_limit=time_limit, progress=progress)


def solve_exact(data: PairData, active: np.ndarray, per_step: int = 8, gap_rel: float = 1e-9,
                tol_rel: float = 1e-10, progress: RoundCallback | None = None,
                alpha0: np.ndarray | None = None) -> LPSolution:
    """The certified optimum: stabilised cutting planes over alpha, each cut from an exact evaluation of the
    total slack f(alpha) (a maximum-weight matching between steps and pairs, certified by a separation pass over
    every row). Stops when f(best alpha) - (the cutting-plane model's minimum over the simplex) <= the tolerance.
    """
    n = data.n_cat
    prob = _Problem(data, active, per_step)
    started = time.perf_counter()
    alpha = np.full(n, 1.0 / n) if alpha0 is None else np.asarray(alpha0, dtype=np.float64) / np.sum(alpha0)
    scale_ref = max(1.0, float((prob.mnorm[prob.steps] @ alpha).max()))
    tol = tol_rel * scale_ref
    ev = prob.evaluate(alpha, tol)
    best_alpha, best = alpha, ev
    cuts = [ev.subgradient]
    passes = ev.passes
    radius = 0.5 / n
    lower = -np.inf
    rounds = 0
    while True:
        lb_alpha, lb = _master(np.array(cuts), np.zeros(n), np.ones(n))
        lower = max(lower, lb)
        gap_tol = gap_rel * max(1.0, best.value) + n * tol
        if progress:
            progress(rounds, prob.edges_considered, 0, best.value, best.value - lower)
        if best.value - lower <= gap_tol:
            break
        rounds += 1
        # stabilised cutting planes: the next alpha minimises the model inside a box around the best one
        cand, model = _master(np.array(cuts), np.clip(best_alpha - radius, 0, 1), np.clip(best_alpha + radius, 0, 1))
        if cand is None:
            cand, model = lb_alpha, lb
        cand = cand / cand.sum()
        ev = prob.evaluate(cand, tol)
        passes += ev.passes
        cuts.append(ev.subgradient)
        predicted = best.value - model
        if ev.value < best.value - 0.1 * predicted:
            best_alpha, best = cand, ev
            radius = min(1.0, radius * 2.0)
        else:
            radius = max(radius * 0.5, 1e-9)
    v_t, v_p = best.v_t, best.v_p
    diag = LPDiagnostics(
        stop_reason="optimal", objective=best.value, lower_bound=float(min(lower, best.value)),
        max_violation=best.max_violation, tolerance=float(gap_rel * max(1.0, best.value) + n * tol), rounds=rounds,
        inner_passes=passes, edges_considered=prob.edges_considered, steps_constrained=int(active.sum()),
        pairs_with_slack=int((v_p > tol).sum()), slack_steps=float(v_t.sum()), slack_pairs=float(v_p.sum()),
        solve_seconds=round(time.perf_counter() - started, 3))
    return LPSolution(alpha=best_alpha, diagnostics=diag)


def _budget_spent(rounds: int, max_rounds: int | None, started: float, time_limit: float | None) -> str | None:
    """The stop reason when a round or time budget is used up, else None."""
    if max_rounds is not None and rounds >= max_rounds:
        return "round_limit"
    if time_limit is not None and time.perf_counter() - started > time_limit:
        return "time_limit"
    return None


def solve_rounds(data: PairData, active: np.ndarray, max_rounds: int | None, time_limit: float | None,
                 per_step: int = 10, max_new: int = 30_000, tol: float = 1e-6,
                 progress: RoundCallback | None = None) -> LPSolution:
    """Row generation (the paper's scheme): solve the LP over the rows found so far, add the rows that a per-step
    heap finds most violated, re-solve from the previous basis; until no row is violated, or a budget ends.

    Alpha may at most halve or double per round (a trust region), so a few rows cannot throw it onto one category
    before that category's own rows exist; it is lifted once nothing is violated inside it. The certificate, with
    or without a budget: an upper bound (the returned alpha, each v_p raised to cover every row of the full LP,
    from the exact per-pair separation pass) and a lower bound (the restricted LP without the trust region). When
    no row is violated they coincide and the result is the optimum.
    """
    import highspy

    n, T = data.n_cat, data.T
    steps = np.nonzero(active)[0]
    A = len(steps)
    mnorm = data.merged_counts * data.scale[None, :]
    theta_col = np.full(T, -1, dtype=np.int64)
    theta_col[steps] = n + np.arange(A)
    vp_col = np.full(data.n_pairs, -1, dtype=np.int64)
    with native_stdout_silenced():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("simplex_strategy", 1)  # dual simplex re-solves from the previous basis when rows are added
    inf = np.inf
    ei, ef = np.array([], np.int32), np.array([], np.float64)
    h.addCols(n, -mnorm[steps].sum(axis=0), np.zeros(n), np.ones(n), 0, ei, ei, ef)
    h.addCols(A, np.ones(A), np.zeros(A), np.full(A, inf), 0, ei, ei, ef)
    h.addRows(1, np.array([1.0]), np.array([1.0]), n, np.array([0], np.int32), np.arange(n, dtype=np.int32),
              np.ones(n))
    st, idx, val = _sparse_rows(theta_col[steps][:, None], mnorm[steps])
    h.addRows(A, np.zeros(A), np.full(A, inf), len(idx), st, idx, val)
    n_cols = n + A
    alpha = np.full(n, 1.0 / n)
    theta = mnorm[steps] @ alpha
    v_p = np.zeros(data.n_pairs)
    seen = np.zeros(0, dtype=np.int64)
    started = time.perf_counter()
    stop = "optimal"
    rounds = 0
    boxed = True

    def read(x):
        a = np.clip(x[:n], 0.0, None)
        vp = np.zeros(data.n_pairs)
        has = vp_col >= 0
        vp[has] = np.clip(x[vp_col[has]], 0.0, None)
        return a / a.sum(), x[n:n + A], vp

    while True:
        w = alpha * data.scale
        theta_full = np.full(T, inf)
        theta_full[steps] = theta
        st_, sp_, sv_ = _step_violations(data.n_pairs, T, active, data.init_p, data.init_c, data.init_n,
                                         data.d_step, data.d_p, data.d_c, data.d_n, data.merged_idx, w, theta_full,
                                         v_p, tol, per_step)
        keys = st_ * data.n_pairs + sp_
        fresh = ~np.isin(keys, seen)
        keys, sv_ = keys[fresh], sv_[fresh]
        if progress:
            progress(rounds, len(seen), len(keys), float("nan"), float(sv_.max()) if len(sv_) else 0.0)
        if len(keys) == 0:
            if not boxed:
                break
            # nothing violated inside the trust region: lift it, re-solve, and look again
            boxed = False
            h.changeColsBounds(n, np.arange(n, dtype=np.int32), np.zeros(n), np.ones(n))
            with native_stdout_silenced():
                h.run()
            alpha, theta, v_p = read(np.asarray(h.getSolution().col_value))
            continue
        spent = _budget_spent(rounds, max_rounds, started, time_limit)
        if spent:
            stop = spent
            break
        rounds += 1
        if len(keys) > max_new:
            keys = keys[np.argsort(-sv_, kind="stable")[:max_new]]
        keys = np.sort(keys)
        seen = np.union1d(seen, keys)
        q_t, q_p = keys // data.n_pairs, keys % data.n_pairs
        counts = _gather(q_t, q_p, n, data.n_pairs, data.init_p, data.init_c, data.init_n, data.d_step, data.d_p,
                         data.d_c, data.d_n)
        new_pairs = np.unique(q_p[vp_col[q_p] < 0])
        if len(new_pairs):
            k = len(new_pairs)
            h.addCols(k, np.ones(k), np.zeros(k), np.full(k, inf), 0, ei, ei, ef)
            vp_col[new_pairs] = np.arange(n_cols, n_cols + k)
            n_cols += k
        st, idx, val = _sparse_rows(np.stack([theta_col[q_t], vp_col[q_p]], axis=1), counts * data.scale[None, :])
        h.addRows(len(q_t), np.zeros(len(q_t)), np.full(len(q_t), inf), len(idx), st, idx, val)
        if boxed:
            h.changeColsBounds(n, np.arange(n, dtype=np.int32), alpha * 0.5,
                               np.minimum(1.0, alpha * 2.0 + 1.0 / n))
        with native_stdout_silenced():
            h.run()
        if h.modelStatusToString(h.getModelStatus()) != "Optimal":
            raise InputError("the mixture LP did not solve; try fewer --merges or more text per category")
        alpha, theta, v_p = read(np.asarray(h.getSolution().col_value))
    # the certificate of what the budget left: bounds on the optimum
    h.changeColsBounds(n, np.arange(n, dtype=np.int32), np.zeros(n), np.ones(n))
    with native_stdout_silenced():
        h.run()
    lower = float(h.getInfo().objective_function_value) if rounds else 0.0
    w = alpha * data.scale
    theta_full = np.full(T, inf)
    theta_full[steps] = theta
    best, _, _, _ = _pair_excess(data.n_pairs, T, data.init_p, data.init_c, data.init_n, data.d_step, data.d_p,
                                 data.d_c, data.d_n, w, theta_full, v_p, tol)
    m_mix = mnorm[steps] @ alpha
    v_t = (theta - m_mix).clip(0)
    v_cover = np.maximum(v_p, np.maximum(best, 0.0))
    upper = float(v_t.sum() + v_cover.sum())
    max_violation = max(0.0, float((best - v_p).max()))
    if stop == "optimal" and max_violation > 1e3 * tol:
        stop = "round_limit"  # the heap saw nothing new, yet a row is still violated: not a certificate
    diag = LPDiagnostics(
        stop_reason=stop, objective=upper, lower_bound=min(lower, upper), max_violation=max_violation, tolerance=tol,
        rounds=rounds, inner_passes=rounds, edges_considered=len(seen), steps_constrained=A,
        pairs_with_slack=int((v_cover > tol).sum()), slack_steps=float(v_t.sum()), slack_pairs=float(v_cover.sum()),
        solve_seconds=round(time.perf_counter() - started, 3))
    return LPSolution(alpha=alpha, diagnostics=diag)


class _Cover(NamedTuple):
    """A cover of every row of the full LP at one alpha: its total is an upper bound on the optimum."""

    upper: float
    v_t: np.ndarray  # (T,)
    v_p: np.ndarray  # (P,)
    alpha: np.ndarray


class _RestrictedDual:
    """The restricted LP over the rows found so far, kept in one HiGHS model that grows by columns each round.

    HiGHS solves the restricted LP's dual: max mu over a fractional matching lambda >= 0 of the rows (sum of lambda
    at most 1 at each step and each pair) with mu <= sum_r lambda_r w_{r,i} for every category i. Alpha is the
    dual of those n category rows, and v_t, v_p (the restricted primal's slacks) are the duals of the degree rows.
    The alpha columns of the primal touch every row, and interior point handles the n dense rows of the dual far
    better than the n dense columns of the primal: 30 s against 104 s at 73,000 rows of the default pack, the
    same optimum. Simplex, warm-started from the last basis, was slower than a fresh interior-point solve at every
    round measured (docs/mixture.md), so each round is an interior-point solve of the grown model.

    The bound returned is computed from lambda itself, not taken from the solver: lambda scaled to degree <= 1 is a
    dual-feasible point of the *full* LP (its other rows get lambda = 0), so min_i sum_r lambda_r w_{r,i} bounds
    the full optimum from below whatever the solver's tolerances were."""

    def __init__(self, data: PairData, mnorm: np.ndarray):
        import highspy

        self.data, self.mnorm, self.n = data, mnorm, data.n_cat
        self.step_row = np.full(data.T, -1, dtype=np.int64)  # degree row of each step (-1: no row of it yet)
        self.pair_row = np.full(data.n_pairs, -1, dtype=np.int64)
        self.n_rows = self.n
        self.keys = np.zeros(0, dtype=np.int64)  # t * P + p of the rows in the model, in the order added
        self.w_parts: list[np.ndarray] = []
        self.row_value = np.zeros(self.n)  # -duals of the last solve (alpha, then v per degree row)
        with native_stdout_silenced():
            self.h = highspy.Highs()
        h = self.h
        h.setOptionValue("output_flag", False)
        h.setOptionValue("solver", "ipm")
        # crossover stays on (it costs ~5% here): a vertex is what the exactness tests compare with the full LP
        n = self.n
        h.addRows(n, np.full(n, -np.inf), np.zeros(n), 0, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
        # mu: free, +1 in every category row, minimise -mu
        h.addCols(1, np.array([-1.0]), np.array([-np.inf]), np.array([np.inf]), n, np.array([0], np.int32),
                  np.arange(n, dtype=np.int32), np.ones(n))

    def rows_of(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(steps, pairs, w) of the rows `keys` (t * P + p), w (K, n) = c^_p(t) - c^_m(t) per category."""
        d = self.data
        q_t, q_p = keys // d.n_pairs, keys % d.n_pairs
        counts = _gather(q_t, q_p, self.n, d.n_pairs, d.init_p, d.init_c, d.init_n, d.d_step, d.d_p, d.d_c, d.d_n)
        return q_t, q_p, counts * d.scale[None, :] - self.mnorm[q_t]

    def violation(self, alpha: np.ndarray, q_t: np.ndarray, q_p: np.ndarray, w: np.ndarray) -> np.ndarray:
        """How far the last restricted solution (alpha, v) is from satisfying each row: w . alpha - v_t - v_p."""
        v = self.row_value
        v_t = np.where(self.step_row[q_t] >= 0, v[np.maximum(self.step_row[q_t], 0)], 0.0)
        v_p = np.where(self.pair_row[q_p] >= 0, v[np.maximum(self.pair_row[q_p], 0)], 0.0)
        return w @ alpha - v_t - v_p

    def add(self, q_t: np.ndarray, q_p: np.ndarray, w: np.ndarray) -> None:
        new_s = np.unique(q_t[self.step_row[q_t] < 0])
        new_p = np.unique(q_p[self.pair_row[q_p] < 0])
        k = len(new_s) + len(new_p)
        self.step_row[new_s] = self.n_rows + np.arange(len(new_s))
        self.pair_row[new_p] = self.n_rows + len(new_s) + np.arange(len(new_p))
        self.n_rows += k
        if k:
            self.h.addRows(k, np.full(k, -np.inf), np.ones(k), 0, np.zeros(0, np.int32), np.zeros(0, np.int32),
                           np.zeros(0))
        # one column per row of the primal: +1 at its step's and its pair's degree rows, -w at the category rows
        st, idx, val = _sparse_rows(np.stack([self.step_row[q_t], self.pair_row[q_p]], axis=1), w)
        R = len(q_t)
        self.h.addCols(R, np.zeros(R), np.zeros(R), np.full(R, np.inf), len(idx), st, idx, val)
        self.keys = np.concatenate([self.keys, q_t * self.data.n_pairs + q_p])
        self.w_parts.append(w)

    def solve(self) -> tuple[np.ndarray, float]:
        """(alpha, a lower bound on the full LP's optimum)."""
        with native_stdout_silenced():
            self.h.run()
        if self.h.modelStatusToString(self.h.getModelStatus()) != "Optimal":
            raise InputError("the mixture LP did not solve; try fewer --merges or more text per category")
        sol = self.h.getSolution()
        lam = np.clip(np.asarray(sol.col_value)[1:], 0.0, None)
        q_t, q_p = self.keys // self.data.n_pairs, self.keys % self.data.n_pairs
        degree = max(np.bincount(q_t, lam).max(initial=0.0), np.bincount(q_p, lam).max(initial=0.0))
        lam = lam / max(1.0, degree)
        lw = np.zeros(self.n)
        at = 0
        for w in self.w_parts:
            lw += lam[at:at + len(w)] @ w
            at += len(w)
        self.row_value = -np.asarray(sol.row_dual)
        alpha = np.clip(self.row_value[:self.n], 0.0, None)
        if alpha.sum() <= 0:
            alpha = np.ones(self.n)
        return alpha / alpha.sum(), max(0.0, float(lw.min()))


def solve_auction(data: PairData, active: np.ndarray, max_rounds: int | None = None,
                  time_limit: float | None = None, gap_rel: float = 1e-7, eps: float = 0.05,
                  progress: RoundCallback | None = None, alpha0: np.ndarray | None = None) -> LPSolution:
    """Row generation with the rows that bind at the current alpha: each round brackets f(alpha) with an auction
    (auction.py), adds the edges of its matching to the restricted LP, and re-solves it for the next alpha.

    Bounds, both exact: the restricted LP's optimum is below the full LP's (a lower bound that only rises), and
    each auction gives a cover of every row at its alpha (an upper bound; the best one is returned, with its alpha).
    The answer is optimal when they meet within gap_rel; the bid increment eps shrinks (in proportion, by 2 to 20
    times) whenever the auction's own bracket is what keeps them apart. A budget (max_rounds restricted-LP solves, or time_limit
    seconds) stops it early with both bounds reported.
    """
    from .auction import bracket

    n = data.n_cat
    mnorm = data.merged_counts * data.scale[None, :]
    alpha = np.full(n, 1.0 / n) if alpha0 is None else np.asarray(alpha0, dtype=np.float64) / np.sum(alpha0)
    started = time.perf_counter()
    master = _RestrictedDual(data, mnorm)
    lower = 0.0  # every slack is >= 0
    best: _Cover | None = None  # the best cover found
    lp_alpha = alpha
    rounds = passes = 0
    stop = "optimal"
    exact: _Problem | None = None  # f(alpha) by exact matching, once the bounds are close (below)
    while True:
        if exact is None:
            b = bracket(data, active, alpha, eps)
            b_upper, b_lower, v_t, v_p, edges = b.upper, b.lower, b.v_t, b.v_p, b.match_t * data.n_pairs + b.match_p
        else:
            ev = exact.evaluate(alpha, 1e-9 * max(1.0, best.upper))
            v_t = np.zeros(data.T)
            v_t[exact.steps] = ev.v_t
            v_p, edges = ev.v_p, ev.edges
            b_upper = b_lower = float(v_t.sum() + v_p.sum())
        passes += 1
        if best is None or b_upper < best.upper:
            best = _Cover(b_upper, v_t, v_p, alpha)
        keys = np.unique(edges)
        keys = keys[~np.isin(keys, master.keys, assume_unique=True)]
        q_t, q_p, w = master.rows_of(keys)
        if rounds:
            # only the rows the restricted solution violates are cuts; the others would only grow the LP (measured
            # on the default pack: 3,036 of a matching's 16,082 new edges at round 6, 62 of 15,700 at round 11)
            # (a row threshold of 1e-12 of the objective: summed over 30,000 matched rows it stays below gap_rel)
            cut = master.violation(lp_alpha, q_t, q_p, w) > 1e-12 * max(1.0, best.upper)
            keys, q_t, q_p, w = keys[cut], q_t[cut], q_p[cut], w[cut]
        gap = best.upper - lower
        tol = gap_rel * max(1.0, best.upper)
        if progress:
            progress(rounds, len(master.keys), len(keys), best.upper, gap)
        if gap <= tol:
            break
        spent = _budget_spent(rounds, max_rounds, started, time_limit)
        if spent:
            stop = spent
            break
        inner = b_upper - b_lower
        if exact is None and inner > 0.25 * gap and gap < EXACT_FROM * best.upper:
            # the auction's bracket would need eps (and its cost) to shrink with the gap: from here f(alpha) is
            # evaluated exactly, by maximum-weight matching over a pool seeded with the restricted LP's rows,
            # certified by a separation pass over every row (measured: an auction at eps 2e-3 took 31 s)
            exact = _Problem(data, active, per_step=8)
            exact.pool = np.sort(master.keys)
            alpha = lp_alpha
            continue
        if exact is None and inner > 0.25 * gap and eps > 1e-12 * max(1.0, best.upper):
            # the auction's bracket shrinks in proportion to eps (its bids overshoot by eps): ask for a quarter of
            # the gap, and no more, since a smaller eps costs more bids
            eps *= min(0.5, max(0.05, 0.25 * gap / inner))
        if len(keys) == 0:
            if exact is not None:
                # f(alpha) is exact and no row of its matching is violated, so the gap is the solver's tolerance:
                # nothing left to add (not seen in practice); report the bounds as they are, labelled approximate
                stop = "round_limit"
                break
            alpha = best.alpha  # nothing new for the LP: bracket the best alpha again, with the smaller eps
            continue
        rounds += 1
        master.add(q_t, q_p, w)
        lp_alpha, optimum = master.solve()
        alpha = lp_alpha
        lower = max(lower, optimum)
    upper, best_vt, best_vp, best_alpha = best
    # the certificate: the returned cover, checked against every row of the full LP
    w = best_alpha * data.scale
    m_mix = mnorm @ best_alpha
    theta = np.where(active, m_mix + best_vt, np.inf)
    excess = _pair_excess(data.n_pairs, data.T, data.init_p, data.init_c, data.init_n, data.d_step, data.d_p,
                          data.d_c, data.d_n, w, theta, best_vp, np.inf)[0]
    max_violation = max(0.0, float((excess - best_vp).max())) if data.n_pairs else 0.0
    tol = gap_rel * max(1.0, upper)
    diag = LPDiagnostics(
        stop_reason=stop, objective=upper, lower_bound=min(lower, upper), max_violation=max_violation,
        tolerance=tol, rounds=rounds, inner_passes=passes, edges_considered=len(master.keys),
        steps_constrained=int(active.sum()), pairs_with_slack=int((best_vp > tol).sum()),
        slack_steps=float(best_vt.sum()), slack_pairs=float(best_vp.sum()),
        solve_seconds=round(time.perf_counter() - started, 3))
    return LPSolution(alpha=best_alpha, diagnostics=diag)
