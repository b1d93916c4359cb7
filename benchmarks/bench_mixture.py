"""Speed of data-mixture inference, as ratios measured in one run.

1. Replay vs training: `tokenizers`' BpeTrainer learns N merges from a corpus; we replay those N merges over the
   same corpus. Ratio = our time / trainer time (target <= 1.0). Reported for the Numba replay kernel alone and
   for pretokenize + count + replay.
2. LP: 30,000 gpt4o merges over >= 100 categories (the default pack plus second halves of its largest
   categories), constraint generation with a fixed budget: rounds, constraints, seconds per round.
3. `tok infer-mixture gpt4o`: cold (empty cache) and warm wall time, as a subprocess.

Usage: python benchmarks/bench_mixture.py [--merges 5000] [--lp-budget 120]
Writes benchmarks/results/mixture.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def bench_replay(n_merges: int) -> dict:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    from tokforensics.corpus.categories import load_categories
    from tokforensics.mixture.counts import word_arrays
    from tokforensics.mixture.replay import replay
    from tokforensics.tokenizer.view import load_tokenizer

    pack = load_categories("default")
    corpus = "".join(c.text for c in pack.categories if c.name in ("en", "de", "fr", "ru", "python", "java"))
    tk = Tokenizer(models.BPE())
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=256 + n_merges, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    t0 = time.perf_counter()
    tk.train_from_iterator([corpus], trainer)
    t_train = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "tokenizer.json")
        tk.save(path)
        tok = load_tokenizer(path)
        mi = tok.merge_ids()
        # warm the JIT on a tiny input so compile time is not counted
        wa_small = word_arrays(tok, corpus[:2000])
        replay(wa_small.symbols, wa_small.word_start, wa_small.counts, mi[:10], tok.vocab_size)
        t0 = time.perf_counter()
        wa = word_arrays(tok, corpus)
        t_count = time.perf_counter() - t0
        t0 = time.perf_counter()
        replay(wa.symbols, wa.word_start, wa.counts, mi, tok.vocab_size)
        t_replay = time.perf_counter() - t0
    return {"corpus_bytes": len(corpus.encode()), "merges": len(mi), "train_s": t_train, "count_s": t_count,
            "replay_s": t_replay, "ratio_kernel": t_replay / t_train, "ratio_total": (t_count + t_replay) / t_train}


def _pack_data(merges: int, n_cat: int | None):
    from tokforensics.corpus.categories import load_categories
    from tokforensics.mixture import lp
    from tokforensics.mixture.executor import LocalPoolExecutor
    from tokforensics.mixture.infer import category_trajectories, vocabulary_span
    from tokforensics.tokenizer.view import load_tokenizer

    tok = load_tokenizer("gpt4o")
    mi = tok.merge_ids()[:merges]
    cats = [c for c in load_categories("default").categories if c.n_bytes >= 50_000]
    cats = sorted(cats, key=lambda c: -c.n_bytes)[:n_cat] if n_cat else cats
    trajs, _ = category_trajectories(tok, [c.units() for c in cats], mi, LocalPoolExecutor(2))
    V = vocabulary_span(tok, mi)
    return lp.combine(trajs, mi[:, 0] * V + mi[:, 1]), len(cats)


def bench_lp(grid: list[tuple[int, int | None]], rounds: int, exact_limit: float) -> list[dict]:
    """The LP's cost against merges and categories: the certified solve where it finishes within
    `exact_limit` seconds of rounds, and the default budget of `rounds` row-generation rounds."""
    from tokforensics.mixture import lp

    out = []
    for merges, n_cat in grid:
        data, n = _pack_data(merges, n_cat)
        t0 = time.perf_counter()
        budget = lp.solve(data, max_rounds=rounds).diagnostics
        t_budget = time.perf_counter() - t0
        row = {"merges": merges, "categories": n, "rounds_s": t_budget, "rounds_gap": budget.gap / max(budget.objective, 1e-12),
               "rounds_stop": budget.stop_reason}
        if exact_limit > 0:
            t0 = time.perf_counter()
            ex = lp.solve(data, time_limit=None) if merges * n <= exact_limit else None
            row["exact_s"] = time.perf_counter() - t0 if ex else None
            row["exact_stop"] = ex.diagnostics.stop_reason if ex else "not run (too large for this benchmark)"
        out.append(row)
        print(row, flush=True)
    return out


def bench_cli() -> dict:
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as d:
        env["TOKFORENSICS_CACHE"] = d
        out = {}
        for label in ("cold", "warm"):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "tokforensics", "--json", "infer-mixture", "gpt4o"], env=env,
                           check=True, stdout=subprocess.DEVNULL)
            out[label] = time.perf_counter() - t0
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--merges", type=int, default=5000)
    ap.add_argument("--lp-rounds", type=int, default=8)
    ap.add_argument("--exact-size", type=int, default=30_000,
                    help="run the certified solve only where merges x categories is at most this")
    ap.add_argument("--skip-cli", action="store_true")
    args = ap.parse_args()
    r = bench_replay(args.merges)
    print(r, flush=True)
    grid = [(500, 10), (1000, 10), (2000, 10), (500, 30), (5000, None), (10_000, None), (30_000, None)]
    lps = bench_lp(grid, args.lp_rounds, args.exact_size)
    cli = {} if args.skip_cli else bench_cli()
    print(cli, flush=True)
    lines = [
        "# Mixture inference speed",
        "",
        f"Measured in one run of `python benchmarks/bench_mixture.py --merges {args.merges} --lp-rounds {args.lp_rounds} "
        f"--exact-size {args.exact_size}` on {platform.machine()}, {os.cpu_count()} CPU cores, Python "
        f"{platform.python_version()}, numpy {np.__version__}.",
        "",
        "## Replay vs BpeTrainer (baseline: `tokenizers` BpeTrainer, Rust, same corpus, same merges)",
        "",
        "| corpus bytes | merges | BpeTrainer s | our count s | our replay s | replay / train | (count + replay) / train |",
        "|---|---|---|---|---|---|---|",
        f"| {r['corpus_bytes']:,} | {r['merges']:,} | {r['train_s']:.2f} | {r['count_s']:.2f} | {r['replay_s']:.2f} | "
        f"**{r['ratio_kernel']:.2f}** | {r['ratio_total']:.2f} |",
        "",
        "## LP cost against merges and categories (gpt4o, default pack)",
        "",
        f"| merges | categories | {args.lp_rounds} rounds s | gap left (of upper bound) | certified solve s |",
        "|---|---|---|---|---|",
        *[f"| {x['merges']:,} | {x['categories']} | {x['rounds_s']:.1f} | {100 * x['rounds_gap']:.1f}% | "
          + (f"{x['exact_s']:.1f}" if x.get("exact_s") is not None else x.get("exact_stop", "–")) + " |" for x in lps],
        "",
    ]
    if cli:
        lines += ["## `tok infer-mixture gpt4o` (subprocess, empty cache then warm; the default LP budget)", "",
                  "| cold s | warm s | cold / BpeTrainer on the same pack |", "|---|---|---|",
                  f"| {cli['cold']:.1f} | {cli['warm']:.1f} | see docs/mixture.md |", ""]
    (Path(__file__).parent / "results" / "mixture.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
