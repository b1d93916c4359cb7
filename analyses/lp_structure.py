"""How large the mixture LP's binding structure is (issue #10, section 1): why the certified optimum at 30,000
merges × the default pack is out of reach with row generation.

For one tokenizer and the default pack it builds the pair data that `tok infer-mixture` solves over (from the
cache when seen before) and counts, at uniform alpha with every slack at zero:

  - the intervals of constant count (pair, steps) and how many of them hold a violated row;
  - the violated (step, pair) rows, and the intervals' lengths in steps;
  - the "corner rows": for each merge and each category, that category's top competitor (the row that binds at the
    corner alpha = e_i of the simplex), deduplicated; also for the top 3.

Usage: python analyses/lp_structure.py [--tokenizer gpt4o] [--merges 30000]
Writes analyses/results/lp_structure.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numba as nb
import numpy as np

from tokforensics.mixture import infer, lp
from tokforensics.mixture.executor import default_executor
from tokforensics.mixture.settings import MixtureSettings
from tokforensics.tokenizer.view import load_tokenizer

RESULTS = Path(__file__).parent / "results"


@nb.njit(cache=True)
def violated_rows(n_pairs, T, init_p, init_c, init_n, d_step, d_p, d_c, d_n, w, theta):
    """(intervals with a positive mixture count, intervals holding a violated row, violated rows, histogram of
    violated rows per interval by floor(log2)) for rows theta_t >= x_p(t), brute force over each interval's steps."""
    mix = np.zeros(n_pairs)
    for e in range(init_p.shape[0]):
        mix[init_p[e]] += w[init_c[e]] * init_n[e]
    seg = np.zeros(n_pairs, dtype=np.int64)
    n_int = 0
    n_viol_int = 0
    n_rows = 0
    hist = np.zeros(32, dtype=np.int64)
    n_d = d_step.shape[0]
    for e in range(n_d + n_pairs):
        if e < n_d:
            t = d_step[e]
            p = d_p[e]
            if seg[p] > t:  # a second change of p at the same step: its interval is already closed
                mix[p] += w[d_c[e]] * d_n[e]
                continue
            lo, hi = seg[p], t
        else:
            p = e - n_d
            lo, hi = seg[p], T - 1
            if lo > hi:
                continue
        x = mix[p]
        if x > 0:
            n_int += 1
            c = 0
            for s in range(lo, hi + 1):
                if theta[s] < x:
                    c += 1
            if c > 0:
                n_viol_int += 1
                n_rows += c
                k = 0
                while (1 << (k + 1)) <= c:
                    k += 1
                hist[k] += 1
        if e < n_d:
            seg[p] = t + 1
            mix[p] += w[d_c[e]] * d_n[e]
    return n_int, n_viol_int, n_rows, hist


def corner_rows(data: lp.PairData, active: np.ndarray, k: int) -> tuple[int, int, int]:
    """Among each category's top-k competitors at each constrained merge: distinct (step, pair) rows, distinct
    (pair, interval of constant count) and distinct pairs."""
    mnorm = data.merged_counts * data.scale[None, :]
    keys = []
    for i in range(data.n_cat):
        w = np.zeros(data.n_cat)
        w[i] = data.scale[i]
        theta = np.where(active, mnorm[:, i], np.inf)
        st, sp, _ = lp._step_violations(data.n_pairs, data.T, active, data.init_p, data.init_c, data.init_n,
                                        data.d_step, data.d_p, data.d_c, data.d_n, data.merged_idx, w, theta,
                                        np.zeros(data.n_pairs), 1e-9, k)
        keys.append(st * data.n_pairs + sp)
    rows = np.unique(np.concatenate(keys))
    t, p = rows // data.n_pairs, rows % data.n_pairs
    # a pair's count is constant between its delta steps d: intervals [0, d1], [d1 + 1, d2], ...; the interval of
    # step t is the number of p's distinct delta steps below t
    span = data.T + 1
    deltas = np.unique(data.d_p * span + data.d_step)
    interval = np.searchsorted(deltas, p * span + t) - np.searchsorted(deltas, p * span)
    return len(rows), len(np.unique(p * span + interval)), len(np.unique(p))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokenizer", default="gpt4o")
    ap.add_argument("--merges", type=int, default=30_000)
    args = ap.parse_args()
    tok = load_tokenizer(args.tokenizer)
    settings = MixtureSettings(merges=min(args.merges, len(tok.merge_ids())))
    merge_ids = tok.merge_ids()[: settings.merges]
    pack = infer._load_pack("default", settings)
    trajs, _ = infer.category_trajectories(tok, [c.units() for c in pack.categories], merge_ids, default_executor())
    V = infer.vocabulary_span(tok, merge_ids)
    data = lp.combine(trajs, merge_ids[:, 0] * V + merge_ids[:, 1])
    active = lp.constrained_steps(data, 0, 1)
    alpha = np.full(data.n_cat, 1.0 / data.n_cat)
    theta = np.where(active, (data.merged_counts * data.scale[None, :]) @ alpha, np.inf)
    t0 = time.perf_counter()
    n_int, n_viol_int, n_rows, hist = violated_rows(data.n_pairs, data.T, data.init_p, data.init_c, data.init_n,
                                                    data.d_step, data.d_p, data.d_c, data.d_n,
                                                    alpha * data.scale, theta)
    corners = {k: corner_rows(data, active, k) for k in (1, 3)}
    out = {
        "tokenizer": args.tokenizer, "merges": settings.merges, "pack": pack.name, "categories": data.n_cat,
        "constrained_merges": int(active.sum()), "pairs": data.n_pairs, "count_changes": int(len(data.d_step)),
        "intervals": int(n_int), "violated_intervals": int(n_viol_int), "violated_rows": int(n_rows),
        "violated_rows_per_interval_log2_hist": [int(h) for h in hist[: int(np.nonzero(hist)[0].max()) + 1]],
        "corner_rows_top1": corners[1][0], "corner_rows_top3": corners[3][0],
        "corner_intervals_top1": corners[1][1], "corner_intervals_top3": corners[3][1],
        "corner_pairs_top1": corners[1][2], "corner_pairs_top3": corners[3][2],
        "seconds": round(time.perf_counter() - t0, 1),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "lp_structure.json").write_text(json.dumps(out, indent=1) + "\n")
    hist_txt = ", ".join(f"{1 << k}–{(1 << (k + 1)) - 1}: {h:,}" for k, h in
                         enumerate(out["violated_rows_per_interval_log2_hist"]))
    md = [
        "# The mixture LP's binding structure",
        "",
        f"Generated by `python analyses/lp_structure.py --tokenizer {args.tokenizer} --merges {settings.merges}` "
        f"on the '{pack.name}' pack ({data.n_cat} categories after the size filter).",
        "At uniform alpha with every slack at zero (the start of row generation).",
        "",
        "| quantity | value |",
        "|---|---|",
        f"| constrained merges | {out['constrained_merges']:,} |",
        f"| pairs | {out['pairs']:,} |",
        f"| count changes (deltas) | {out['count_changes']:,} |",
        f"| intervals of constant count with a positive count | {out['intervals']:,} |",
        f"| intervals holding a violated row | {out['violated_intervals']:,} |",
        f"| violated (step, pair) rows | {out['violated_rows']:,} |",
        f"| corner rows: each category's top competitor per merge, distinct | {out['corner_rows_top1']:,} "
        f"({out['corner_rows_top1'] / out['constrained_merges']:.1f} per merge) |",
        f"| corner rows, top 3 per category | {out['corner_rows_top3']:,} |",
        f"| distinct (pair, interval) among the corner rows, top 1 / top 3 | {out['corner_intervals_top1']:,} / "
        f"{out['corner_intervals_top3']:,} |",
        f"| distinct pairs among the corner rows, top 1 / top 3 | {out['corner_pairs_top1']:,} / "
        f"{out['corner_pairs_top3']:,} |",
        "",
        f"Violated rows per violated interval (steps): {hist_txt}.",
        "",
    ]
    (RESULTS / "lp_structure.md").write_text("\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    main()
