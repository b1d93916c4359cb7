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


def bench_lp(budget: float) -> dict:
    from tokforensics.corpus.categories import load_categories
    from tokforensics.mixture import lp
    from tokforensics.mixture.executor import LocalPoolExecutor
    from tokforensics.mixture.infer import category_trajectories
    from tokforensics.tokenizer.view import load_tokenizer

    tok = load_tokenizer("gpt4o")
    mi = tok.merge_ids()[:30_000]
    cats = load_categories("default").categories
    texts = [c.text for c in cats]
    big = sorted(cats, key=lambda c: -c.n_bytes)[:12]
    texts += [c.text[len(c.text) // 2:] for c in big]  # extra categories: second halves of the largest ones
    t0 = time.perf_counter()
    trajs = category_trajectories(tok, texts, mi, LocalPoolExecutor(2))
    t_traj = time.perf_counter() - t0
    V = tok.vocab_size
    data = lp.combine(trajs, mi[:, 0] * V + mi[:, 1])
    t0 = time.perf_counter()
    res = lp.solve(data, time_limit=budget)
    t_lp = time.perf_counter() - t0
    return {"categories": len(texts), "merges": 30_000, "trajectories_s": t_traj, "lp_s": t_lp, "rounds": res.rounds,
            "constraints": res.constraints, "converged": res.converged, "search_s": res.search_seconds,
            "solve_s": res.solve_seconds, "violated_left": res.violated_left}


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
    ap.add_argument("--lp-budget", type=float, default=120.0)
    ap.add_argument("--skip-cli", action="store_true")
    args = ap.parse_args()
    r = bench_replay(args.merges)
    print(r, flush=True)
    lpres = bench_lp(args.lp_budget)
    print(lpres, flush=True)
    cli = {} if args.skip_cli else bench_cli()
    print(cli, flush=True)
    lines = [
        "# Mixture inference speed",
        "",
        f"Measured in one run of `python benchmarks/bench_mixture.py --merges {args.merges} --lp-budget {args.lp_budget:g}` "
        f"on {platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}, numpy {np.__version__}.",
        "",
        "## Replay vs BpeTrainer (baseline: `tokenizers` BpeTrainer, Rust, same corpus, same merges)",
        "",
        "| corpus bytes | merges | BpeTrainer s | our count s | our replay s | replay / train | (count + replay) / train |",
        "|---|---|---|---|---|---|---|",
        f"| {r['corpus_bytes']:,} | {r['merges']:,} | {r['train_s']:.2f} | {r['count_s']:.2f} | {r['replay_s']:.2f} | "
        f"**{r['ratio_kernel']:.2f}** | {r['ratio_total']:.2f} |",
        "",
        "## LP (gpt4o, 30,000 merges)",
        "",
        "| categories | trajectories s | LP budget s | LP s | rounds | constraints | converged | violated left |",
        "|---|---|---|---|---|---|---|---|",
        f"| {lpres['categories']} | {lpres['trajectories_s']:.1f} | {args.lp_budget:g} | {lpres['lp_s']:.1f} | "
        f"{lpres['rounds']} | {lpres['constraints']:,} | {lpres['converged']} | {lpres['violated_left']:,} |",
        "",
    ]
    if cli:
        lines += ["## `tok infer-mixture gpt4o` (subprocess, empty cache then warm)", "",
                  "| cold s | warm s |", "|---|---|", f"| {cli['cold']:.1f} | {cli['warm']:.1f} |", ""]
    (Path(__file__).parent / "results" / "mixture.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
