"""Controlled extension experiments: does `--skip` recover the mixture a vocabulary *extension* was trained on?

Llama 3's tokenizer is cl100k's 100,000 merges followed by 27,049 merges learned on new data, and the paper infers
the mixture of that new data by solving over the extension's merges only (`--skip 100000`). This script builds
that situation on real text with a known answer. Each seeded trial:

1. draws a base category from the default pack's English group and n - 1 further categories from every group
   (English, code, non-English), then an extension mixture w from the uniform simplex over all n;
2. trains a **base** BPE tokenizer (`tokenizers` BpeTrainer, Digits + ByteLevel, the controlled experiments'
   tokenizer) on --base-bytes of the base category alone: --base-merges merges;
3. trains the **extension** on about --train-bytes of the mixture w, continuing from the base state: the
   training text is pretokenized and encoded by the base tokenizer, each base token becomes one private-use
   character, and BpeTrainer learns --ext-merges merges over those characters (so its merges are merges of base
   tokens, exactly as a trainer that continued from the base vocabulary would choose them);
4. replays base + extension merges over the held-out half of each category (alternate lines; training used the
   other half) and infers the extension's mixture four ways, each LP solved to its certified optimum:
   - `skip`: the library's `--skip <base merges>` (each category's counts normalised by its summed counts of the
     extension merges' own pairs, `lp.normalised_by_merges`);
   - `skip_state`: the same rows, counts normalised by each category's pairs where the extension starts
     (`lp.normalised_at`, the LP of a BPE run that starts there; `--skip` in LP version 7);
   - `skip_step0`: the same rows, counts normalised at step 0 (`--skip` before LP version 7);
   - `no_skip`: every merge, base included (what a user who ignores the extension gets).
   Errors are log10 of the mean squared error of the byte shares against w's byte shares; `base_bias` is the
   inferred minus the true share of the base category, the quantity the synthetic study found biased.

Usage: python analyses/extension_experiment.py [--trials 20] [--n 5] [--seed 0] [--samples 100000,500000,0]
Each held-out sample size (0: the whole held-out half) runs the same seeded trials (same categories, mixtures and
tokenizers), so the sizes differ only in how much text the counts come from. Writes
analyses/results/extension_experiment.{json,md}.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results"
PUA = 0xF0000  # Supplementary Private Use Area-A: 65,534 code points, none of them whitespace
METHODS = ("skip", "skip_state", "skip_step0", "no_skip")


def _hf_merges(path: str) -> list[tuple[str, str]]:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))["model"]["merges"]
    # tokenizers writes "a b" strings in older releases and [a, b] pairs in newer ones
    return [tuple(m.split(" ", 1)) if isinstance(m, str) else (m[0], m[1]) for m in raw]


def _extension_merges(base_path: str, parts: list[str], n_merges: int, vocab_size: int) -> np.ndarray:
    """(k, 3) merges of base-token ids learned on `parts`, continuing from the base tokenizer's state."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    base = Tokenizer.from_file(base_path)
    pieces: collections.Counter[str] = collections.Counter()
    for part in parts:
        for line in part.splitlines():
            pieces.update(p for p, _ in base.pre_tokenizer.pre_tokenize_str(line))
    words = {p: "".join(chr(PUA + t.id) for t in base.model.tokenize(p)) for p in pieces}
    alphabet = {ch for w in words.values() for ch in w}

    def corpus():
        for p, c in pieces.items():
            yield " ".join([words[p]] * c)

    ext = Tokenizer(models.BPE())
    ext.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    trainer = trainers.BpeTrainer(vocab_size=len(alphabet) + n_merges, show_progress=False, min_frequency=2)
    ext.train_from_iterator(corpus(), trainer)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "ext.json")
        ext.save(path)
        pairs = _hf_merges(path)
    ids = {ch: ord(ch) - PUA for ch in alphabet}
    rows = []
    for a, b in pairs:
        new = vocab_size + len(rows)
        rows.append((ids[a], ids[b], new))
        ids[a + b] = new
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


def _log10_mse(est: np.ndarray, truth: np.ndarray) -> float:
    return float(np.log10(max(float(np.mean((est - truth) ** 2)), 1e-30)))


def trial(rng: np.random.Generator, english: list, others: list, args, sample_bytes: int | None) -> dict:
    from tokforensics.mixture import lp
    from tokforensics.mixture.executor import SerialExecutor
    from tokforensics.mixture.experiment import _prefix_lines, _split, _train_bpe
    from tokforensics.mixture.infer import category_trajectories, solve_shares
    from tokforensics.mixture.settings import MixtureSettings
    from tokforensics.tokenizer.view import load_tokenizer

    t0 = time.perf_counter()
    base_cat = english[int(rng.integers(len(english)))]
    pool = [c for c in others if c.name != base_cat.name]
    chosen = [base_cat] + [pool[i] for i in sorted(rng.choice(len(pool), size=args.n - 1, replace=False))]
    w = rng.dirichlet(np.ones(args.n))
    halves = [_split(c.text) for c in chosen]
    avail = np.array([len(a.encode("utf-8")) for a, _ in halves], dtype=float)
    total = float(min(args.train_bytes, np.min(avail / w)))
    parts = [a.encode("utf-8")[: int(total * wi)].decode("utf-8", "ignore") for (a, _), wi in zip(halves, w, strict=True)]
    used = np.array([len(p.encode("utf-8")) for p in parts], dtype=float)
    truth = used / used.sum()
    with tempfile.TemporaryDirectory() as d:
        base_path = os.path.join(d, "base.json")
        base_text = halves[0][0].encode("utf-8")[: args.base_bytes].decode("utf-8", "ignore")
        _train_bpe([base_text], args.base_merges, base_path)
        tok = load_tokenizer(base_path)
        base_mi = tok.merge_ids()
        ext_mi = _extension_merges(base_path, [p for p in parts if p], args.ext_merges, tok.vocab_size)
    mi = np.vstack([base_mi, ext_mi])
    skip = len(base_mi)
    tests = [_prefix_lines(b, sample_bytes) for _, b in halves]
    trajs, _ = category_trajectories(tok, tests, mi, SerialExecutor())
    n_bytes = np.array([sum(len(x.encode("utf-8")) for x in t) for t in tests], dtype=float)
    V = int(mi.max()) + 1
    prep = time.perf_counter() - t0
    shares, stops = {}, {}
    settings = MixtureSettings(skip=skip).resolved(len(mi))
    shares["skip"], sol, _ = solve_shares(trajs, n_bytes, mi, V, settings)
    stops["skip"] = sol.diagnostics.stop_reason
    data = lp.combine(trajs, mi[:, 0] * V + mi[:, 1])
    # LP version 7's --skip: normalised by the pairs left where the extension starts
    state, pairs_s = lp.normalised_at(data, skip)
    sols = lp.solve(state, skip=skip, min_support=settings.min_support, margin=settings.margin)
    raw = sols.alpha * n_bytes / pairs_s
    shares["skip_state"], stops["skip_state"] = raw / raw.sum(), sols.diagnostics.stop_reason
    # before LP version 7: the same rows, normalised at step 0
    pairs0 = np.array([tr.total_pairs for tr in trajs], dtype=float)
    sol0 = lp.solve(data, skip=skip, min_support=settings.min_support, margin=settings.margin)
    raw = sol0.alpha * n_bytes / pairs0
    shares["skip_step0"], stops["skip_step0"] = raw / raw.sum(), sol0.diagnostics.stop_reason
    shares["no_skip"], soln, _ = solve_shares(trajs, n_bytes, mi, V, MixtureSettings().resolved(len(mi)))
    stops["no_skip"] = soln.diagnostics.stop_reason
    guess = rng.dirichlet(np.ones(args.n))
    return {
        "categories": [c.name for c in chosen], "base": base_cat.name, "base_merges": skip,
        "ext_merges": len(ext_mi), "truth": truth.round(6).tolist(),
        "inferred": {m: s.round(6).tolist() for m, s in shares.items()},
        "log10_mse": {m: _log10_mse(s, truth) for m, s in shares.items()},
        "base_bias": {m: float(s[0] - truth[0]) for m, s in shares.items()},
        "stop_reason": stops, "log10_mse_random": _log10_mse(guess, truth),
        "log10_mse_uniform": _log10_mse(np.full(args.n, 1.0 / args.n), truth),
        "seconds": round(time.perf_counter() - t0, 1), "prep_seconds": round(prep, 1),
    }


def _mean_se(v) -> tuple[float, float]:
    v = np.asarray(v, dtype=float)
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else 0.0


def table(doc: dict) -> str:
    a = doc["args"]
    out = [
        "# Controlled extension experiments (`--skip` on real text)", "",
        f"Generated by `python analyses/extension_experiment.py --trials {a['trials']} --n {a['n']} "
        f"--seed {a['seed']} --samples {a['samples']}` ({doc['platform']}; {doc['seconds']:.0f} s in all). Each "
        f"trial: a base tokenizer of {a['base_merges']:,} merges trained on {a['base_bytes']:,} bytes of one "
        f"English category alone, then {a['ext_merges']:,} extension merges trained, continuing from the base "
        f"state, on about {a['train_bytes']:,} bytes of a known mixture of n = {a['n']} categories (the base "
        f"category and {a['n'] - 1} drawn from English, code and non-English, default pack); inference replays "
        "base + extension merges over the held-out half of each category and solves each LP to its certified "
        "optimum (estimator `observed`). Every sample size runs the same trials.", "",
        "Error: log10 MSE of the extension's byte shares (lower is better; mean ± standard error over trials). "
        "Base bias: inferred minus true share of the base category, in points.", "",
    ]
    for setting in doc["settings"]:
        out += _setting_table(setting)
    return "\n".join(out)


def _setting_table(setting: dict) -> list[str]:
    rows = setting["trials"]
    size = setting["sample_bytes"]
    out = [f"## Held-out sample: {f'{size:,} bytes' if size else 'the whole held-out half'} per category", "",
           "| method | log10 MSE | base bias (points) | abs. base bias (points) | better than `--skip` in |",
           "|---|---|---|---|---|"]
    ref = np.array([r["log10_mse"]["skip"] for r in rows])
    label = {"skip": "`--skip`: normalised by the extension merges' pair counts (LP version 8, the library)",
             "skip_state": "normalised by the pairs left where the extension starts (LP version 7)",
             "skip_step0": "normalised at step 0 (before LP version 7)",
             "no_skip": "no `--skip` (base merges included)"}
    for m in METHODS:
        v = np.array([r["log10_mse"][m] for r in rows])
        b = np.array([r["base_bias"][m] for r in rows]) * 100
        mu, se = _mean_se(v)
        bm, bse = _mean_se(b)
        am, ase = _mean_se(np.abs(b))
        better = "–" if m == "skip" else f"{int((v < ref).sum())} of {len(v)}"
        out.append(f"| {label[m]} | {mu:.2f} ± {se:.2f} | {bm:+.1f} ± {bse:.1f} | {am:.1f} ± {ase:.1f} | {better} |")
    for key, name in (("log10_mse_uniform", "uniform guess"), ("log10_mse_random", "random guess")):
        mu, se = _mean_se([r[key] for r in rows])
        out.append(f"| {name} | {mu:.2f} ± {se:.2f} | | | |")
    truth0 = np.array([r["truth"][0] for r in rows])
    stops = collections.Counter(s for r in rows for s in r["stop_reason"].values())
    out += ["", f"True base-category share: mean {truth0.mean() * 100:.1f} %, range {truth0.min() * 100:.1f}–"
            f"{truth0.max() * 100:.1f} %. LP stop reasons: "
            + ", ".join(f"{k} {v}" for k, v in sorted(stops.items())) + f". Time: {setting['seconds']:.0f} s.", ""]
    out += ["| trial | base | truth (base first) | `--skip` | pairs left | step 0 | no skip |",
            "|---|---|---|---|---|---|---|"]
    for k, r in enumerate(rows):
        f = "/".join(f"{x * 100:.0f}" for x in r["truth"])
        cells = [" / ".join(f"{x * 100:.0f}" for x in r["inferred"][m]) for m in METHODS]
        out.append(f"| {k} | {r['base']} | {f} | " + " | ".join(cells) + " |")
    return out + [""]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--n", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--base-merges", type=int, default=1000)
    ap.add_argument("--ext-merges", type=int, default=1000)
    ap.add_argument("--base-bytes", type=int, default=1_000_000)
    ap.add_argument("--train-bytes", type=int, default=1_000_000)
    ap.add_argument("--samples", default="100000,500000,0", help="held-out bytes per category, comma-separated "
                    "(0: the whole held-out half)")
    ap.add_argument("--table-only", action="store_true", help="rewrite the md from the saved JSON")
    args = ap.parse_args()
    RESULTS.mkdir(exist_ok=True)
    if args.table_only:
        doc = json.loads((RESULTS / "extension_experiment.json").read_text())
        (RESULTS / "extension_experiment.md").write_text(table(doc))
        return
    os.environ.setdefault("TOKFORENSICS_CACHE", tempfile.mkdtemp(prefix="tok-ext-"))
    from tokforensics.corpus.categories import load_categories

    cats = load_categories("default").categories
    english = [c for c in cats if c.group == "english"]
    others = [c for c in cats if c.group in ("english", "code", "non_english")]
    t0 = time.perf_counter()
    settings = []
    for size in (int(x) for x in args.samples.split(",")):
        rng = np.random.default_rng(args.seed)  # the same trials at every sample size
        t1 = time.perf_counter()
        rows = []
        for k in range(args.trials):
            rows.append(trial(rng, english, others, args, size or None))
            r = rows[-1]
            print(f"sample {size}: trial {k + 1}/{args.trials} ({r['seconds']:.0f} s): "
                  + ", ".join(f"{m} {r['log10_mse'][m]:.2f}" for m in METHODS), file=sys.stderr, flush=True)
        settings.append({"sample_bytes": size, "seconds": round(time.perf_counter() - t1, 1), "trials": rows})
    doc = {"args": {k: v for k, v in vars(args).items() if k != "table_only"}, "platform": f"{platform.machine()}, "
           f"{os.cpu_count()} CPU cores, Python {platform.python_version()}",
           "seconds": round(time.perf_counter() - t0, 1), "settings": settings}
    (RESULTS / "extension_experiment.json").write_text(json.dumps(doc, indent=1) + "\n")
    (RESULTS / "extension_experiment.md").write_text(table(doc))


if __name__ == "__main__":
    main()
