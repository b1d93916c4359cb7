"""The total slack f(alpha) of one alpha, bracketed in seconds by an auction between competitor pairs and merge steps.

For fixed alpha the LP of lp.py is min sum_t v_t + sum_p v_p subject to v_t + v_p >= x_p(t) - M_t: the dual of a
maximum-weight matching between steps and pairs with weights x_p(t) - M_t. Written with theta_t = M_t + v_t, a pair
p gains x_p(t) - theta_t from step t, and x_p(t) is constant on the intervals between p's count changes, so a pair's
best step is a range-minimum query over theta per interval. The auction (Bertsekas 1979): every pair without a step
bids for its best one, raising that step's theta by (best gain - second-best gain + eps), and the pair it displaces
bids again. With one eps and theta starting at M, the end state satisfies eps-complementary slackness, so the
matching it holds is within (steps matched) * eps of f(alpha), from below.

Two numbers come out, both exact bounds whatever eps is:
- lower: the weight of the auction's matching (any matching's weight is <= f(alpha));
- upper: a feasible cover: v_p raised to cover every row exactly (lp._pair_excess), then every theta_t lowered to
  the upper envelope max(M_t, max_p x_p(t) - v_p) (`_envelope`), then v_p once more; each step keeps every row of
  the full LP satisfied, so the total is >= f(alpha).
The matching's edges are also the rows that bind at this alpha: lp.solve_auction feeds them to the restricted LP.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numba as nb
import numpy as np


@nb.njit(cache=True)
def _intervals(n_pairs, T, init_p, init_c, init_n, d_step, d_p, d_c, d_n, w):
    """Every interval [a, b] of steps on which a pair's mixture count x is constant and positive: (p, a, b, x)."""
    mix = np.zeros(n_pairs)
    for e in range(init_p.shape[0]):
        mix[init_p[e]] += w[init_c[e]] * init_n[e]
    seg = np.zeros(n_pairs, dtype=np.int64)
    out_p = [np.int64(0)]
    out_a = [np.int64(0)]
    out_b = [np.int64(0)]
    out_x = [0.0]
    out_p.pop()
    out_a.pop()
    out_b.pop()
    out_x.pop()
    for e in range(d_step.shape[0]):
        t = d_step[e]
        p = d_p[e]
        if seg[p] <= t:
            if mix[p] > 0.0:
                out_p.append(p)
                out_a.append(seg[p])
                out_b.append(t)
                out_x.append(mix[p])
            seg[p] = t + 1
        mix[p] += w[d_c[e]] * d_n[e]
    for p in range(n_pairs):
        if seg[p] <= T - 1 and mix[p] > 0.0:
            out_p.append(p)
            out_a.append(seg[p])
            out_b.append(T - 1)
            out_x.append(mix[p])
    return np.array(out_p), np.array(out_a), np.array(out_b), np.array(out_x)


@nb.njit(cache=True)
def _merge(a1, i1, a2, b1, j1, b2):
    """(lowest, where, second lowest) of two ranges from theirs."""
    if a1 <= b1:
        return a1, i1, min(a2, b1)
    return b1, j1, min(b2, a1)


@nb.njit(cache=True)
def _tree(theta, size):
    low = np.full(2 * size, np.inf)
    at = np.full(2 * size, -1, dtype=np.int64)
    low2 = np.full(2 * size, np.inf)
    for t in range(theta.shape[0]):
        low[size + t] = theta[t]
        at[size + t] = t
    for k in range(size - 1, 0, -1):
        low[k], at[k], low2[k] = _merge(low[2 * k], at[2 * k], low2[2 * k], low[2 * k + 1], at[2 * k + 1],
                                        low2[2 * k + 1])
    return low, at, low2


@nb.njit(cache=True)
def _set(low, at, low2, size, t, value):
    k = size + t
    low[k] = value
    k >>= 1
    while k >= 1:
        low[k], at[k], low2[k] = _merge(low[2 * k], at[2 * k], low2[2 * k], low[2 * k + 1], at[2 * k + 1],
                                        low2[2 * k + 1])
        k >>= 1


@nb.njit(cache=True)
def _lowest_two(low, at, low2, size, lo, hi):
    """(lowest theta, its step, second-lowest theta) over steps lo..hi inclusive."""
    a1 = np.inf
    i1 = -1
    a2 = np.inf
    left = lo + size
    right = hi + size + 1
    while left < right:
        if left & 1:
            a1, i1, a2 = _merge(a1, i1, a2, low[left], at[left], low2[left])
            left += 1
        if right & 1:
            right -= 1
            a1, i1, a2 = _merge(a1, i1, a2, low[right], at[right], low2[right])
        left >>= 1
        right >>= 1
    return a1, i1, a2


@nb.njit(cache=True)
def _auction(theta0, ptr, iv_a, iv_b, iv_x, eps):
    """Forward auction, pairs bidding for steps. theta0 (T,) f8: starting levels (M_t; inf where a step has no
    rows); ptr (P+1,): each pair's intervals iv_a/iv_b/iv_x. Returns theta (T,) and owner (T,) i8 (pair or -1)."""
    T = theta0.shape[0]
    P = ptr.shape[0] - 1
    size = 1
    while size < T:
        size *= 2
    theta = theta0.copy()
    low, at, low2 = _tree(theta, size)
    owner = np.full(T, -1, dtype=np.int64)
    stack = np.empty(P, dtype=np.int64)
    ns = 0
    for p in range(P - 1, -1, -1):
        if ptr[p + 1] > ptr[p]:
            stack[ns] = p
            ns += 1
    while ns > 0:
        ns -= 1
        p = stack[ns]
        best = -np.inf
        where = -1
        second = 0.0  # staying without a step gains 0
        for k in range(ptr[p], ptr[p + 1]):
            a, i, a2 = _lowest_two(low, at, low2, size, iv_a[k], iv_b[k])
            if i < 0:
                continue
            g1 = iv_x[k] - a
            g2 = iv_x[k] - a2
            if g1 > best:
                second = max(second, best, g2)
                best = g1
                where = i
            else:
                second = max(second, g1)
        if where < 0 or best <= 0.0:
            continue
        theta[where] += best - second + eps
        _set(low, at, low2, size, where, theta[where])
        prev = owner[where]
        owner[where] = p
        if prev >= 0:
            stack[ns] = prev
            ns += 1
    return theta, owner


@nb.njit(cache=True)
def _envelope(n_pairs, T, active, init_p, init_c, init_n, d_step, d_p, d_c, d_n, w, M, v_p):
    """theta_t = max(M_t, max_p x_p(t) - v_p) at every active step (inf elsewhere): one sweep over the steps with a
    max-heap of x_p - v_p and lazy deletion."""
    mix = np.zeros(n_pairs)
    for e in range(init_p.shape[0]):
        mix[init_p[e]] += w[init_c[e]] * init_n[e]
    cur = mix - v_p
    heap = [(-cur[p], p) for p in range(n_pairs) if mix[p] > 0.0]
    heapq.heapify(heap)
    theta = np.full(T, np.inf)
    e = 0
    n_d = d_step.shape[0]
    changed = np.zeros(n_pairs, dtype=np.bool_)
    changed_list = []
    for t in range(T):
        if active[t]:
            top = -np.inf
            while len(heap) > 0:
                negs, p = heap[0]
                if -negs != cur[p] or mix[p] <= 0.0:
                    heapq.heappop(heap)
                    continue
                top = -negs
                break
            theta[t] = max(M[t], top)
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
    return theta


@dataclass(frozen=True)
class Bracket:
    """f(alpha) bracketed: lower <= f(alpha) <= upper (see the module docstring)."""

    lower: float
    upper: float
    match_t: np.ndarray  # (K,) i8 steps of the matching's edges, sorted
    match_p: np.ndarray  # (K,) i8 their pairs
    v_t: np.ndarray  # (T,) f8 the cover behind `upper` (0 at steps without rows)
    v_p: np.ndarray  # (P,) f8


def bracket(data, active: np.ndarray, alpha: np.ndarray, eps: float) -> Bracket:
    """Both bounds on f(alpha) for PairData `data` (lp.py), the steps with rows `active`, and bid increment eps."""
    from .lp import _gather_mix, _pair_excess  # lp imports this module

    d = data
    w = alpha * d.scale
    M = (d.merged_counts * d.scale[None, :]) @ alpha
    ip, ia, ib, ix = _intervals(d.n_pairs, d.T, d.init_p, d.init_c, d.init_n, d.d_step, d.d_p, d.d_c, d.d_n, w)
    order = np.argsort(ip, kind="stable")
    ptr = np.zeros(d.n_pairs + 1, dtype=np.int64)
    np.cumsum(np.bincount(ip, minlength=d.n_pairs), out=ptr[1:])
    theta0 = np.where(active, M, np.inf)
    levels, owner = _auction(theta0, ptr, ia[order], ib[order], ix[order], float(eps))
    match_t = np.nonzero(owner >= 0)[0]
    match_p = owner[match_t]

    def cover_pairs(theta):
        best = _pair_excess(d.n_pairs, d.T, d.init_p, d.init_c, d.init_n, d.d_step, d.d_p, d.d_c, d.d_n, w, theta,
                            np.zeros(d.n_pairs), np.inf)[0]
        return np.maximum(best, 0.0)

    # the auction's own levels are a cover too, but lowering them to the envelope of the exact v_p is never worse
    v_p = cover_pairs(np.where(active, levels, np.inf))
    theta = _envelope(d.n_pairs, d.T, active, d.init_p, d.init_c, d.init_n, d.d_step, d.d_p, d.d_c, d.d_n, w, M, v_p)
    v_p = cover_pairs(theta)
    v_t = np.where(active, theta - M, 0.0)
    upper = float(v_t.sum() + v_p.sum())
    x = _gather_mix(match_t, match_p, d.n_pairs, d.init_p, d.init_c, d.init_n, d.d_step, d.d_p, d.d_c, d.d_n, w)
    lower = float(np.maximum(x - M[match_t], 0.0).sum())
    return Bracket(lower=min(lower, upper), upper=upper, match_t=match_t, match_p=match_p, v_t=v_t, v_p=v_p)
