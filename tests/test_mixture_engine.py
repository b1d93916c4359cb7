"""Replay kernel against a plain-Python replay; lazy LP against the full LP written out and solved by pulp."""

from __future__ import annotations

import random

import numpy as np
import pulp
import pytest

from tokforensics.mixture import lp
from tokforensics.mixture.replay import replay, replay_reference


def _random_words(rng: random.Random, n_words: int, alphabet: int) -> dict[tuple[int, ...], int]:
    words = {}
    for _ in range(n_words):
        w = tuple(rng.randrange(alphabet) for _ in range(rng.randint(2, 7)))
        words[w] = words.get(w, 0) + rng.randint(1, 20)
    return words


def _train_merges(words_list, alphabet: int, n_merges: int, weights) -> list[tuple[int, int, int]]:
    """Greedy BPE on a weighted mixture: the merge list a trainer would produce."""
    state = {}
    for words, wt in zip(words_list, weights, strict=True):
        for w, c in words.items():
            state[w] = state.get(w, 0) + c * wt
    merges = []
    nxt = alphabet
    for _ in range(n_merges):
        counts = {}
        for w, c in state.items():
            for pair in zip(w, w[1:], strict=False):
                counts[pair] = counts.get(pair, 0) + c
        if not counts:
            break
        a, b = max(sorted(counts), key=lambda p: counts[p])
        merges.append((a, b, nxt))
        new = {}
        for w, c in state.items():
            out, j = [], 0
            while j < len(w):
                if j < len(w) - 1 and w[j] == a and w[j + 1] == b:
                    out.append(nxt)
                    j += 2
                else:
                    out.append(w[j])
                    j += 1
            new[tuple(out)] = new.get(tuple(out), 0) + c
        state = new
        nxt += 1
    return merges


def _arrays(words):
    syms, starts, counts = [], [0], []
    for w, c in sorted(words.items()):
        syms.extend(w)
        starts.append(len(syms))
        counts.append(c)
    return np.array(syms), np.array(starts), np.array(counts)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_replay_matches_reference(seed):
    rng = random.Random(seed)
    words = _random_words(rng, 300, 12)
    merges = _train_merges([words], 12, 40, [1])
    V = 12 + len(merges)
    tr = replay(*_arrays(words), np.array(merges), V)
    ref = replay_reference(words, merges)
    state = dict(zip(tr.init_keys.tolist(), tr.init_counts.tolist(), strict=True))
    e = 0
    for t, (a, b, _) in enumerate(merges):
        want = {x * V + y: c for (x, y), c in ref[t].items()}
        assert state == want, f"step {t}"
        assert tr.merged_counts[t] == want.get(a * V + b, 0)
        while e < len(tr.d_step) and tr.d_step[e] == t:
            k = int(tr.d_key[e])
            state[k] = state.get(k, 0) + int(tr.d_delta[e])
            if state[k] == 0:
                del state[k]
            e += 1
    assert state == {x * V + y: c for (x, y), c in ref[-1].items()}
    assert tr.total_pairs == sum(ref[0].values())


def _full_lp_objective(words_list, merges, V) -> float:
    """Every (step, competitor) constraint written out, solved by pulp: the obviously-correct LP."""
    tables = [replay_reference(w, merges) for w in words_list]
    n = len(words_list)
    totals = [sum(t[0].values()) for t in tables]
    prob = pulp.LpProblem("mixture", pulp.LpMinimize)
    alpha = [prob.add_variable(f"a{i}", 0, 1) for i in range(n)]
    prob += pulp.lpSum(alpha) == 1
    vt, vp, obj = {}, {}, []
    for t, (a, b, _) in enumerate(merges):
        m_counts = [tables[i][t].get((a, b), 0) for i in range(n)]
        if sum(m_counts) == 0:
            continue
        vt[t] = prob.add_variable(f"vt{t}", 0)
        obj.append(vt[t])
        pairs = set().union(*(tables[i][t].keys() for i in range(n))) - {(a, b)}
        for p in sorted(pairs):
            if p not in vp:
                vp[p] = prob.add_variable(f"vp{p[0]}_{p[1]}", 0)
                obj.append(vp[p])
            coef = [(m_counts[i] - tables[i][t].get(p, 0)) * lp.SCALE / totals[i] for i in range(n)]
            prob += pulp.lpSum(c * x for c, x in zip(coef, alpha, strict=True)) + vt[t] + vp[p] >= 0
    prob += pulp.lpSum(obj)
    prob.solve(pulp.HiGHS(msg=False))
    assert pulp.LpStatus[prob.status] == "Optimal"
    return pulp.value(prob.objective)


@pytest.mark.parametrize("seed", [0, 1])
def test_lazy_lp_reaches_the_full_lp_optimum(seed):
    rng = random.Random(seed)
    words_list = [_random_words(rng, 120, 10) for _ in range(3)]
    merges = _train_merges(words_list, 10, 25, [3, 1, 2])
    V = 10 + len(merges)
    trajs = [replay(*_arrays(w), np.array(merges), V) for w in words_list]
    keys = np.array([a * V + b for a, b, _ in merges])
    res = lp.solve(lp.combine(trajs, keys), per_step=2)
    assert res.converged
    want = _full_lp_objective(words_list, merges, V)
    assert res.objective == pytest.approx(want, rel=1e-6, abs=1e-6)


def test_consistent_data_recovers_the_mixture():
    """Counts that come from the very mixture the merges were trained on need no slack."""
    rng = random.Random(5)
    words_list = [_random_words(rng, 200, 9) for _ in range(3)]
    weights = [5, 1, 3]
    merges = _train_merges(words_list, 9, 15, weights)
    V = 9 + len(merges)
    trajs = [replay(*_arrays(w), np.array(merges), V) for w in words_list]
    res = lp.solve(lp.combine(trajs, np.array([a * V + b for a, b, _ in merges])))
    assert res.converged
    assert res.objective == pytest.approx(0.0, abs=1e-6)
    truth = np.array([w * t.total_pairs for w, t in zip(weights, trajs, strict=True)], dtype=float)
    truth /= truth.sum()
    # any alpha with zero slack is consistent with the merge order; the true one must be among them
    assert np.all(res.alpha >= 0) and res.alpha.sum() == pytest.approx(1.0)
    assert np.abs(res.alpha - truth).max() < 0.35
