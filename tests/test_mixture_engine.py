"""Replay kernel against a plain-Python replay; lazy LP against the full LP written out and solved by pulp."""

from __future__ import annotations

import random

import numpy as np
import pulp
import pytest

from tokforensics.mixture import lp
from tokforensics.mixture.infer import solve_shares
from tokforensics.mixture.replay import replay, replay_reference
from tokforensics.mixture.settings import MixtureSettings


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


def _full_lp(words_list, merges, V, min_support: int = 1, margin: float = 0.0, skip: int = 0,
             per: str = "state"):
    """Every (step, competitor) row written out, solved by pulp/HiGHS: the obviously-correct LP. margin: the
    noise-margin estimator's counts (competitor c - margin*sqrt(c), floored at 0; merge c + margin*sqrt(c)).
    skip: rows from merge `skip` on, counts normalised per category by `per`: "state", its pairs just before
    merge `skip` (the LP of the BPE run that starts there); "merges", its summed counts of merges skip..'s own
    pairs, each just before its merge (what --skip uses).

    Returns (objective, alpha)."""
    def lower(c):
        return max(c - margin * c ** 0.5, 0.0)

    def upper(c):
        return c + margin * c ** 0.5

    tables = [replay_reference(w, merges) for w in words_list]
    n = len(words_list)
    if per == "state":
        totals = [sum(t[skip].values()) for t in tables]
    else:
        totals = [max(sum(t[s].get((a, b), 0) for s, (a, b, _) in enumerate(merges) if s >= skip), 1)
                  for t in tables]
    prob = pulp.LpProblem("mixture", pulp.LpMinimize)
    alpha = [prob.add_variable(f"a{i}", 0, 1) for i in range(n)]
    prob += pulp.lpSum(alpha) == 1
    vt, vp, obj = {}, {}, []
    for t, (a, b, _) in enumerate(merges):
        if t < skip:
            continue
        m_counts = [tables[i][t].get((a, b), 0) for i in range(n)]
        if sum(m_counts) < min_support:
            continue
        vt[t] = prob.add_variable(f"vt{t}", 0)
        obj.append(vt[t])
        pairs = set().union(*(tables[i][t].keys() for i in range(n))) - {(a, b)}
        for p in sorted(pairs):
            if p not in vp:
                vp[p] = prob.add_variable(f"vp{p[0]}_{p[1]}", 0)
                obj.append(vp[p])
            coef = [(upper(m_counts[i]) - lower(tables[i][t].get(p, 0))) * lp.SCALE / totals[i] for i in range(n)]
            prob += pulp.lpSum(c * x for c, x in zip(coef, alpha, strict=True)) + vt[t] + vp[p] >= 0
    prob += pulp.lpSum(obj)
    prob.solve(pulp.HiGHS(msg=False))
    assert pulp.LpStatus[prob.status] == "Optimal"
    return pulp.value(prob.objective), np.array([x.value() for x in alpha])


def _full_lp_objective(words_list, merges, V) -> float:
    return _full_lp(words_list, merges, V)[0]


def _noisy_instance(seed: int):
    """Merges trained on one sample of each category, counts taken on another: the LP needs slack, as on real data."""
    rng = random.Random(seed)
    n = 3 + seed % 3
    train = [_random_words(rng, 150, 10) for _ in range(n)]
    merges = _train_merges(train, 10, 30, [rng.randint(1, 5) for _ in range(n)])
    test = [_random_words(rng, 150, 10) for _ in range(n)]
    V = 10 + len(merges)
    trajs = [replay(*_arrays(w), np.array(merges), V) for w in test]
    return test, merges, V, lp.combine(trajs, np.array([a * V + b for a, b, _ in merges]))


@pytest.mark.parametrize("method", ["auction", "rows", "matching"])
@pytest.mark.parametrize("seed", range(8))
def test_exact_solver_matches_the_full_lp(seed, method):
    test, merges, V, data = _noisy_instance(seed)
    want, want_alpha = _full_lp(test, merges, V)
    sol = lp.solve(data, method=method)
    d = sol.diagnostics
    assert d.stop_reason == "optimal" and d.optimal
    assert d.objective == pytest.approx(want, rel=1e-7)
    assert d.lower_bound <= d.objective and d.objective - d.lower_bound <= d.tolerance
    assert d.max_violation <= d.tolerance
    assert np.abs(sol.alpha - want_alpha).max() < 1e-7


@pytest.mark.parametrize("seed", range(6))
def test_normalised_at_is_the_full_lp_of_the_run_that_starts_there(seed):
    test, merges, V, data = _noisy_instance(seed)
    skip = 8 + seed
    want, want_alpha = _full_lp(test, merges, V, skip=skip, per="state")
    shifted, totals = lp.normalised_at(data, skip)
    assert totals.tolist() == [sum(replay_reference(w, merges)[skip].values()) for w in test]
    sol = lp.solve(shifted, skip=skip)
    assert sol.diagnostics.optimal
    assert sol.diagnostics.objective == pytest.approx(want, rel=1e-7)
    assert np.abs(sol.alpha - want_alpha).max() < 1e-7
    # normalised at step 0 instead it is another LP, with another optimum
    plain = lp.solve(data, skip=skip)
    assert plain.diagnostics.objective != pytest.approx(want, rel=1e-3)


@pytest.mark.parametrize("seed", range(6))
def test_skip_is_the_full_lp_normalised_by_the_constrained_merges(seed):
    test, merges, V, data = _noisy_instance(seed)
    skip = 8 + seed
    want, want_alpha = _full_lp(test, merges, V, skip=skip, per="merges")
    shifted, totals = lp.normalised_by_merges(data, skip)
    tables = [replay_reference(w, merges) for w in test]
    assert totals.tolist() == [sum(t[s].get((a, b), 0) for s, (a, b, _) in enumerate(merges) if s >= skip)
                               for t in tables]
    sol = lp.solve(shifted, skip=skip)
    assert sol.diagnostics.optimal
    assert sol.diagnostics.objective == pytest.approx(want, rel=1e-7)
    assert np.abs(sol.alpha - want_alpha).max() < 1e-7
    # it is not the LP normalised at the skipped state
    other = _full_lp(test, merges, V, skip=skip, per="state")[0]
    assert other != pytest.approx(want, rel=1e-3)
    # inference takes this path, and converts alpha to byte shares with the same totals
    trajs = [replay(*_arrays(w), np.array(merges), V) for w in test]
    n_bytes = np.arange(1.0, len(test) + 1) * 1000
    share, sol2, _ = solve_shares(trajs, n_bytes, np.array(merges), V, MixtureSettings(merges=len(merges), skip=skip))
    assert np.abs(sol2.alpha - want_alpha).max() < 1e-7
    raw = want_alpha * n_bytes / totals
    assert np.abs(share - raw / raw.sum()).max() < 1e-6


def test_normalised_by_merges_floors_a_category_without_those_pairs():
    test, merges, V, data = _noisy_instance(0)
    skip = len(merges) - 1
    trajs = [replay(*_arrays(w), np.array(merges), V) for w in test]
    # a category whose text is one symbol repeated, chosen so that it holds none of the last merge's pair
    a, b, _ = merges[-1]
    sym = next(s for s in range(10) if (s, s) != (a, b) and all((s, s) != (x, y) for x, y, _ in merges))
    trajs.append(replay(*_arrays({(sym, sym, sym): 5}), np.array(merges), V))
    data = lp.combine(trajs, np.array([a * V + b for a, b, _ in merges]))
    _, totals = lp.normalised_by_merges(data, skip)
    assert totals[-1] == 1.0 and np.all(totals[:-1] >= 1.0)
    sol = lp.solve(lp.normalised_by_merges(data, skip)[0], skip=skip)
    assert sol.diagnostics.optimal and np.all(np.isfinite(sol.alpha))


@pytest.mark.parametrize("exact_from", [0.0, 1.0])
@pytest.mark.parametrize("seed", range(4))
def test_auction_phases_each_reach_the_full_lp(seed, exact_from, monkeypatch):
    # EXACT_FROM 0: the auction brackets f(alpha) to the end; 1: f(alpha) is evaluated exactly by matching as soon
    # as the auction's bracket is what keeps the bounds apart. Both must end at the optimum of the LP written out.
    monkeypatch.setattr(lp, "EXACT_FROM", exact_from)
    calls = []
    evaluate = lp._Problem.evaluate
    monkeypatch.setattr(lp._Problem, "evaluate", lambda self, *a: calls.append(1) or evaluate(self, *a))
    test, merges, V, data = _noisy_instance(seed)
    want, want_alpha = _full_lp(test, merges, V)
    sol = lp.solve(data, method="auction")
    assert sol.diagnostics.optimal and sol.diagnostics.objective == pytest.approx(want, rel=1e-7)
    assert np.abs(sol.alpha - want_alpha).max() < 1e-7
    assert bool(calls) == (exact_from == 1.0)  # the phase under test is the one that ran


@pytest.mark.parametrize("seed", [0, 3])
def test_estimators_are_the_same_lp_over_fewer_merges(seed):
    test, merges, V, data = _noisy_instance(seed)
    for support in (0, 3):
        want, want_alpha = _full_lp(test, merges, V, min_support=support)
        sol = lp.solve(data, min_support=support)
        assert sol.diagnostics.optimal
        assert sol.diagnostics.objective == pytest.approx(want, rel=1e-7)
        assert np.abs(sol.alpha - want_alpha).max() < 1e-7


@pytest.mark.parametrize("seed", [0, 2, 5])
@pytest.mark.parametrize("margin", [0.5, 1.0, 2.0])
def test_noise_margin_is_the_full_lp_on_shifted_counts(seed, margin):
    test, merges, V, data = _noisy_instance(seed)
    want, want_alpha = _full_lp(test, merges, V, margin=margin)
    sol = lp.solve(data, margin=margin)
    assert sol.diagnostics.optimal
    assert sol.diagnostics.objective == pytest.approx(want, rel=1e-7, abs=1e-6)
    assert np.abs(sol.alpha - want_alpha).max() < 1e-6


@pytest.mark.parametrize("seed", [1, 4])
def test_row_generation_to_convergence_is_the_same_optimum(seed):
    """Three formulations: row generation (HiGHS over the most violated rows) run until no row is violated,
    minimising the exact total slack over alpha (a matching per alpha), and the auction's binding rows, must
    certify the same optimum."""
    _, _, _, data = _noisy_instance(seed)
    exact = lp.solve(data, method="matching")
    rows = lp.solve(data, max_rounds=10_000, method="rows")
    auct = lp.solve(data, max_rounds=10_000, method="auction")
    assert rows.diagnostics.stop_reason == "optimal" == auct.diagnostics.stop_reason
    assert rows.diagnostics.objective == pytest.approx(exact.diagnostics.objective, rel=1e-6)
    assert auct.diagnostics.objective == pytest.approx(exact.diagnostics.objective, rel=1e-6)


def test_a_budget_brackets_the_optimum_and_says_so():
    _, _, _, data = _noisy_instance(2)
    exact = lp.solve(data).diagnostics.objective
    sol = lp.solve(data, max_rounds=1)
    d = sol.diagnostics
    assert d.stop_reason == "round_limit" and not d.optimal
    assert d.lower_bound <= exact * (1 + 1e-9) and d.objective >= exact * (1 - 1e-9)


@pytest.mark.parametrize("seed", [0, 3, 6])
def test_the_auction_brackets_the_exact_slack_of_an_alpha(seed):
    """For any alpha, the auction's matching weight is below f(alpha) and its cover above it (f from the other
    formulation: a maximum-weight matching certified by separation over every row), and the bracket closes as the
    bid increment shrinks."""
    from tokforensics.mixture import auction

    _, _, _, data = _noisy_instance(seed)
    active = lp.constrained_steps(data, 0, 1)
    rng = np.random.default_rng(seed)
    for _ in range(3):
        alpha = rng.dirichlet(np.ones(data.n_cat))
        exact = lp._Problem(data, active, 8).evaluate(alpha, 1e-9).value
        widths = []
        for eps in (10.0, 1.0, 1e-3):
            b = auction.bracket(data, active, alpha, eps)
            assert b.lower <= exact * (1 + 1e-12) + 1e-9 and b.upper >= exact * (1 - 1e-12) - 1e-9
            assert b.upper - b.lower <= len(b.match_t) * eps + 1e-6
            widths.append(b.upper - b.lower)
        assert widths[-1] <= 1e-6 * max(1.0, exact) and widths[-1] <= widths[0]


def test_auction_kernels_against_brute_force():
    from tokforensics.mixture import auction

    rng = np.random.default_rng(3)
    theta = rng.random(37) * 10
    theta[rng.random(37) < 0.2] = np.inf
    size = 64
    low, at, low2 = auction._tree(theta, size)
    for _ in range(200):
        if rng.random() < 0.3:
            t = int(rng.integers(37))
            theta[t] = rng.random() * 10
            auction._set(low, at, low2, size, t, theta[t])
        lo = int(rng.integers(37))
        hi = int(rng.integers(lo, 37))
        a, i, a2 = auction._lowest_two(low, at, low2, size, lo, hi)
        part = np.sort(theta[lo:hi + 1])
        assert a == part[0] and (i < 0 or theta[i] == a)
        assert a2 == (part[1] if len(part) > 1 else np.inf)
    # the envelope sweep: max(M_t, max_p x_p(t) - v_p) at every step
    _, _, _, data = _noisy_instance(4)
    active = lp.constrained_steps(data, 0, 1)
    w = rng.random(data.n_cat) * data.scale
    M = (data.merged_counts * data.scale[None, :]) @ (w / data.scale)
    v_p = rng.random(data.n_pairs) * 5e3
    got = auction._envelope(data.n_pairs, data.T, active, data.init_p, data.init_c, data.init_n, data.d_step,
                            data.d_p, data.d_c, data.d_n, w, M, v_p)
    mix = np.zeros(data.n_pairs)
    np.add.at(mix, data.init_p, w[data.init_c] * data.init_n)
    e = 0
    for t in range(data.T):
        if active[t]:
            present = mix > 0
            top = (mix - v_p)[present].max() if present.any() else -np.inf
            assert got[t] == pytest.approx(max(M[t], top), rel=1e-12, abs=1e-9)
        else:
            assert got[t] == np.inf
        while e < len(data.d_step) and data.d_step[e] == t:
            mix[data.d_p[e]] += w[data.d_c[e]] * data.d_n[e]
            e += 1


def test_matching_kernel_against_assignment():
    from scipy.optimize import linear_sum_assignment

    rng = np.random.default_rng(0)
    for _ in range(60):
        R, C = int(rng.integers(1, 25)), int(rng.integers(1, 30))
        dense = np.where(rng.random((R, C)) < 0.3, rng.random((R, C)) * 10, 0.0)
        rows, cols = np.nonzero(dense)
        ptr = np.zeros(R + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=R), out=ptr[1:])
        match, y, z = lp._max_weight_matching(ptr, cols.astype(np.int64), dense[rows, cols], C)
        value = sum(dense[r, match[r]] for r in range(R) if match[r] >= 0)
        padded = np.zeros((R, C + R))
        padded[:, :C] = dense
        ri, ci = linear_sum_assignment(-padded)
        assert value == pytest.approx(padded[ri, ci].sum(), abs=1e-9)
        assert y.sum() + z.sum() == pytest.approx(value, abs=1e-9)  # the cover certifies the matching
        assert np.all(y[rows] + z[cols] >= dense[rows, cols] - 1e-9)
        used = [c for c in match if c >= 0]
        assert len(used) == len(set(used))


def test_pair_excess_against_brute_force():
    _, _, _, data = _noisy_instance(5)
    rng = np.random.default_rng(1)
    w = rng.random(data.n_cat) * data.scale
    theta = rng.random(data.T) * 3e4
    theta[rng.random(data.T) < 0.3] = np.inf
    v_p = rng.random(data.n_pairs) * 1e4
    best, best_t, vt, vp = lp._pair_excess(data.n_pairs, data.T, data.init_p, data.init_c, data.init_n, data.d_step,
                                           data.d_p, data.d_c, data.d_n, w, theta, v_p, 1e-9)
    # brute force: the mixture count of every pair at every step
    mix = np.zeros(data.n_pairs)
    np.add.at(mix, data.init_p, w[data.init_c] * data.init_n)
    want = np.full(data.n_pairs, -np.inf)
    e = 0
    for t in range(data.T):
        if np.isfinite(theta[t]):
            want = np.maximum(want, mix - theta[t])
        while e < len(data.d_step) and data.d_step[e] == t:
            mix[data.d_p[e]] += w[data.d_c[e]] * data.d_n[e]
            e += 1
    seen = want > -np.inf
    assert np.allclose(best[seen], want[seen]) and np.all(best[~seen] == -np.inf)
    assert set(vp.tolist()) == set(np.nonzero(want - v_p > 1e-9)[0].tolist())


def test_consistent_data_recovers_the_mixture():
    """Counts that come from the very mixture the merges were trained on need no slack."""
    rng = random.Random(5)
    words_list = [_random_words(rng, 200, 9) for _ in range(3)]
    weights = [5, 1, 3]
    merges = _train_merges(words_list, 9, 15, weights)
    V = 9 + len(merges)
    trajs = [replay(*_arrays(w), np.array(merges), V) for w in words_list]
    res = lp.solve(lp.combine(trajs, np.array([a * V + b for a, b, _ in merges])))
    assert res.diagnostics.optimal
    assert res.diagnostics.objective == pytest.approx(0.0, abs=1e-6)
    truth = np.array([w * t.total_pairs for w, t in zip(weights, trajs, strict=True)], dtype=float)
    truth /= truth.sum()
    # any alpha with zero slack is consistent with the merge order; the true one must be among them
    assert np.all(res.alpha >= 0) and res.alpha.sum() == pytest.approx(1.0)
    assert np.abs(res.alpha - truth).max() < 0.35
