"""The linear program of Hayase et al. (2024), solved with lazy constraint generation on HiGHS.

Variables: alpha_i >= 0 with sum alpha = 1 (category proportions, in normalised pair-count units);
slack v_t >= 0 per merge step; slack v_p >= 0 per competitor pair (shared across steps).
For merge m(t) and a competitor pair p present at step t:
    sum_i alpha_i (c^_{i,m(t)}(t) - c^_{i,p}(t)) + v_t + v_p >= 0,
with c^_{i,p}(t) = c_{i,p}(t) / (pairs of category i at step 0), scaled by 1e6 so coefficients are
"per million pairs" (keeps HiGHS tolerances meaningful). Objective: minimise sum v_t + sum v_p.

There are far too many (t, p) constraints to write down, so we start with none, and repeatedly:
simulate the merge list under the current solution, keep a heap of every pair's mixture count minus
its slack, and at each step pop the pairs that beat the merge by more than its slack; those are the
violated constraints, added in one batch; HiGHS re-solves from its previous basis. It stops when a
pass finds no violated constraint: the solution is then optimal for the full LP.
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass, field

import numba as nb
import numpy as np

from ..errors import InputError
from .replay import Trajectory

SCALE = 1e6
LP_VERSION = "2"  # bump when the LP or its constraint generation changes results


@dataclass(frozen=True)
class PairData:
    """All categories' trajectories on one dense pair index, deltas sorted by step."""

    n_cat: int
    T: int
    n_pairs: int
    scale: np.ndarray  # (n,) SCALE / total pairs
    merged_idx: np.ndarray  # (T,) dense index of each merge's pair
    merged_counts: np.ndarray  # (T, n)
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
    lookup = lambda keys: np.searchsorted(all_keys, keys)  # noqa: E731
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
        merged_idx=lookup(merged_keys).astype(np.int64),
        merged_counts=np.stack([tr.merged_counts[:T] for tr in trajs], axis=1).astype(np.int64),
        init_p=init_p.astype(np.int64), init_c=init_c, init_n=init_n.astype(np.int64),
        d_step=d_step[order], d_p=d_p[order].astype(np.int64), d_c=d_c[order], d_n=d_n[order].astype(np.int64),
    )


@nb.njit(cache=True)
def _find_violations(n_pairs, T, active, init_p, init_c, init_n, d_step, d_p, d_c, d_n, merged_idx, merged_mix,
                     w, v_t, v_p, tol, per_step):
    """Simulate BPE under weights w (alpha * scale); return violated (t, p, amount) triples."""
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
            thr = merged_mix[t] + v_t[t] + tol
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
                out_v.append(s - thr + tol)
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
    cnt = np.zeros((W, n_cat), dtype=np.int64)
    for e in range(init_p.shape[0]):
        s = slot[init_p[e]]
        if s >= 0:
            cnt[s, init_c[e]] += init_n[e]
    out = np.zeros((q_t.shape[0], n_cat), dtype=np.int64)
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


def _solve_and_read(h, n, n_vt, T, skip, vp_col, n_pairs):
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    if status != "Optimal":
        raise InputError(f"the mixture LP did not solve ({status}); try fewer --merges or more text per category")
    x = np.asarray(h.getSolution().col_value)
    alpha = np.clip(x[:n], 0.0, None)
    alpha = alpha / alpha.sum() if alpha.sum() > 0 else np.full(n, 1.0 / n)
    v_t = np.zeros(T)
    v_t[skip:] = x[n:n + n_vt]
    v_p = np.zeros(n_pairs)
    has = vp_col >= 0
    v_p[has] = x[vp_col[has]]
    return alpha, v_t, v_p


@dataclass
class LPResult:
    alpha: np.ndarray  # proportions in normalised pair-count units
    steps_used: int  # merges that contribute constraints
    violated_left: int  # violated constraints found by the last search (0 when converged)
    max_violation_left: float
    objective: float  # total slack (scaled units)
    slack_steps: float
    slack_pairs: float
    constraints: int
    rounds: int
    converged: bool
    solve_seconds: float
    search_seconds: float
    history: list[dict] = field(default_factory=list)


def solve(data: PairData, skip: int = 0, per_step: int = 10, max_new: int = 30_000, max_rounds: int = 200,
          tol: float = 1e-6, all_steps: bool = False, time_limit: float | None = None, progress=None) -> LPResult:
    """Solve the LP over merges skip..T-1.

    Unless `all_steps`, merges whose pair never occurs in any category sample are left out: with samples far
    smaller than a training corpus they only say "something outside the samples was merged here", which the
    step's slack absorbs whatever alpha is, while they multiply the constraints to generate.
    """
    import highspy

    n, T = data.n_cat, data.T
    if skip >= T:
        raise InputError(f"--skip {skip} leaves no merges to solve over (only {T} merges in use)")
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    # dual simplex re-solves from the previous basis when rows are added: the fastest path here
    h.setOptionValue("simplex_strategy", 1)
    n_vt = T - skip
    # columns: alpha (n), v_t (T - skip), then v_p added lazily
    h.addCols(n, np.zeros(n), np.zeros(n), np.ones(n), 0, np.array([], np.int32), np.array([], np.int32), np.array([]))
    h.addCols(n_vt, np.ones(n_vt), np.zeros(n_vt), np.full(n_vt, np.inf), 0, np.array([], np.int32),
              np.array([], np.int32), np.array([]))
    h.addRows(1, np.array([1.0]), np.array([1.0]), n, np.array([0], np.int32), np.arange(n, dtype=np.int32), np.ones(n))
    vp_col = np.full(data.n_pairs, -1, dtype=np.int64)
    n_cols = n + n_vt
    alpha = np.full(n, 1.0 / n)
    v_t = np.zeros(T)
    v_p = np.zeros(data.n_pairs)
    m_norm = data.merged_counts * data.scale[None, :]  # (T, n)
    active = np.zeros(T, dtype=np.bool_)
    active[skip:] = True
    if not all_steps:
        active &= data.merged_counts.sum(axis=1) > 0
    started = time.perf_counter()
    seen: set[tuple[int, int]] = set()
    t_solve = t_search = 0.0
    history: list[dict] = []
    converged = False
    rounds = 0
    remaining, remaining_max = 0, 0.0
    boxed = True
    for rounds in range(1, max_rounds + 1):
        t0 = time.perf_counter()
        w = alpha * data.scale
        merged_mix = data.merged_counts @ w
        qt, qp, qv = _find_violations(data.n_pairs, T, active, data.init_p, data.init_c, data.init_n, data.d_step,
                                      data.d_p, data.d_c, data.d_n, data.merged_idx, merged_mix, w, v_t, v_p,
                                      tol, per_step)
        keep = np.array([(int(a), int(b)) not in seen for a, b in zip(qt, qp, strict=True)], dtype=bool)
        qt, qp, qv = qt[keep], qp[keep], qv[keep]
        if len(qt) > max_new:
            top = np.argsort(-qv, kind="stable")[:max_new]
            top.sort()
            qt, qp, qv = qt[top], qp[top], qv[top]
        t_search += time.perf_counter() - t0
        if progress:
            progress(rounds, len(seen), len(qt))
        if len(qt) == 0:
            if boxed:
                # no violation inside the trust region: lift it and keep going until none is left without it
                boxed = False
                h.changeColsBounds(n, np.arange(n, dtype=np.int32), np.zeros(n), np.ones(n))
                alpha, v_t, v_p = _solve_and_read(h, n, n_vt, T, skip, vp_col, data.n_pairs)
                continue
            converged = True
            break
        remaining, remaining_max = int(len(qt)), float(qv.max())
        if time_limit is not None and time.perf_counter() - started > time_limit:
            break
        counts = _gather(qt, qp, n, data.n_pairs, data.init_p, data.init_c, data.init_n, data.d_step, data.d_p,
                         data.d_c, data.d_n)
        new_pairs = np.unique(qp[vp_col[qp] < 0])
        if len(new_pairs):
            k = len(new_pairs)
            h.addCols(k, np.ones(k), np.zeros(k), np.full(k, np.inf), 0, np.array([], np.int32),
                      np.array([], np.int32), np.array([]))
            vp_col[new_pairs] = np.arange(n_cols, n_cols + k)
            n_cols += k
        coef = m_norm[qt] - counts * data.scale[None, :]  # (q, n)
        q = len(qt)
        idx = np.empty((q, n + 2), dtype=np.int32)
        val = np.empty((q, n + 2))
        idx[:, :n] = np.arange(n, dtype=np.int32)[None, :]
        val[:, :n] = coef
        idx[:, n] = n + (qt - skip)
        val[:, n] = 1.0
        idx[:, n + 1] = vp_col[qp]
        val[:, n + 1] = 1.0
        h.addRows(q, np.zeros(q), np.full(q, np.inf), q * (n + 2), np.arange(0, q * (n + 2), n + 2, dtype=np.int32),
                  idx.ravel(), val.ravel())
        seen.update(zip(qt.tolist(), qp.tolist(), strict=True))
        if boxed:
            # trust region: alpha may at most double or halve per round, so a few constraints cannot make it
            # jump onto one category before that category's own violations have been generated
            h.changeColsBounds(n, np.arange(n, dtype=np.int32), alpha * 0.5, np.minimum(1.0, alpha * 2.0 + 1.0 / n))
        t0 = time.perf_counter()
        alpha, v_t, v_p = _solve_and_read(h, n, n_vt, T, skip, vp_col, data.n_pairs)
        t_solve += time.perf_counter() - t0
        history.append({"round": rounds, "new_constraints": int(q), "objective": float(h.getInfo().objective_function_value)})
    obj = float(h.getInfo().objective_function_value) if history else 0.0
    if converged:
        remaining, remaining_max = 0, 0.0
    return LPResult(alpha=alpha, objective=obj, steps_used=int(active.sum()), violated_left=remaining,
                    max_violation_left=remaining_max, slack_steps=float(v_t.sum()), slack_pairs=float(v_p.sum()),
                    constraints=len(seen), rounds=rounds, converged=converged, solve_seconds=t_solve,
                    search_seconds=t_search, history=history)
