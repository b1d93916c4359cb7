"""Scale study of streamed mixture inference on user directories, as ratios against BpeTrainer in the same run.

Corpora are made from the shipped default pack by seeded document resampling (documents drawn with replacement,
one document per line of a .txt file), written under a temporary folder, never into the repository. For each:

1. BpeTrainer (tokenizers, Rust, all cores) learns the same merges from the same .txt files, GPT-2 ByteLevel
   pretokenizer: the baseline.
2. `tok --json infer-mixture gpt2 --merges M --categories DIR` as a subprocess with an empty cache: wall time,
   peak RSS of its process tree (sampled every 50 ms), and its timing breakdown.
3. Counting alone in this process on one core (SerialExecutor): MB/s per core.

4. `--real`: the whole default pack (118 MB of real text in 93 languages, .jsonl.xz) as ONE category, for a
   pretoken table of realistic size (resampled corpora repeat their source's words): one-core count and replay
   seconds at 5,000 and 30,000 merges. This is what the 1 GB x 150 projection in docs/scale.md scales from.

Usage: python benchmarks/bench_scale.py [--sizes 10,100,300] [--categories 3,10,30] [--merges 5000] [--real]
Writes benchmarks/results/scale.md (and .json beside it); --real prints its row as JSON.
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACK = ROOT / "data" / "corpora" / "mixture" / "default"
SIZE_CATEGORIES = ["en-docs", "de", "python"]


def pack_docs(name: str) -> list[str]:
    with lzma.open(PACK / f"{name}.jsonl.xz", "rt", encoding="utf-8") as f:
        return [json.loads(line)["text"].replace("\n", " ") for line in f if line.strip()]


def make_corpus(root: Path, names: list[str], bytes_each: int, seed: int = 0) -> int:
    """One .txt per category of about `bytes_each` bytes, documents resampled with replacement (seeded)."""
    root.mkdir(parents=True, exist_ok=True)
    total = 0
    for name in names:
        docs = [d for d in pack_docs(name) if d.strip()]
        rng = random.Random(f"{seed}:{name}")
        with open(root / f"{name}.txt", "w", encoding="utf-8") as f:
            n = 0
            while n < bytes_each:
                d = rng.choice(docs) + "\n"
                f.write(d)
                n += len(d.encode("utf-8"))
        total += n
    return total


def bpe_trainer(files: list[Path], merges: int) -> float:
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tk = Tokenizer(models.BPE())
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=256 + merges, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    t0 = time.perf_counter()
    tk.train([str(f) for f in files], trainer)
    return time.perf_counter() - t0


def run_cli(corpus: Path, merges: int, cache: Path) -> dict:
    import psutil

    env = {**os.environ, "TOKFORENSICS_CACHE": str(cache), "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "tokforensics.cli", "--json", "infer-mixture", "gpt2", "--merges", str(merges),
           "--categories", str(corpus)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    peak = 0
    ps = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            rss = ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(recursive=True))
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.05)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"tok failed ({proc.returncode}): {err.decode()[-2000:]}")
    res = json.loads(out)
    return {"wall": wall, "peak_rss": peak, "timing": res["timing"],
            "shares": {c["name"]: c["share"] for c in res["categories"]}}


def count_only(corpus: Path, cache: Path) -> float:
    """Seconds to count the directory on one core, cache empty."""
    os.environ["TOKFORENSICS_CACHE"] = str(cache)
    from tokforensics.mixture import streaming
    from tokforensics.mixture.executor import SerialExecutor
    from tokforensics.tokenizer.view import load_tokenizer

    tok = load_tokenizer("gpt2")
    t0 = time.perf_counter()
    plan = streaming.plan_user_dir(tok, corpus, budget=None, seed=0, bootstrap=False, executor=SerialExecutor())
    streaming.count_plan(plan, SerialExecutor())
    return time.perf_counter() - t0


def real_table(work: Path) -> dict:
    """One category made of every default-pack file (symlinked): count on one core, then replay its table."""
    d = work / "real" / "all"
    d.mkdir(parents=True)
    for f in sorted(PACK.glob("*.jsonl.xz")):
        os.symlink(f, d / f.name)
    os.environ["TOKFORENSICS_CACHE"] = str(work / "cache-real")
    from tokforensics.mixture import streaming
    from tokforensics.mixture.executor import SerialExecutor
    from tokforensics.mixture.replay import replay
    from tokforensics.tokenizer.view import load_tokenizer

    tok = load_tokenizer("gpt2")
    t0 = time.perf_counter()
    plan = streaming.plan_user_dir(tok, d.parent, budget=None, seed=0, bootstrap=False, executor=SerialExecutor())
    [table] = streaming.count_plan(plan, SerialExecutor())
    t_count = time.perf_counter() - t0
    w = streaming.table_document_counts(tok, table).words
    row = {"bytes": table.n_bytes, "count_one_core": t_count, "distinct_words": len(w.counts),
           "symbols": len(w.symbols)}
    mi = tok.merge_ids()
    V = int(max(tok.vocab_size, mi.max() + 1))
    for m in (5000, 30000):
        t0 = time.perf_counter()
        replay(w.symbols, w.word_start, w.counts, mi[:m], V)
        row[f"replay_{m}"] = time.perf_counter() - t0
    return row


def study(label: str, names: list[str], bytes_each: int, merges: int, work: Path, single_core: bool) -> dict:
    corpus = work / label
    total = make_corpus(corpus, names, bytes_each)
    files = sorted(corpus.glob("*.txt"))
    t_train = bpe_trainer(files, merges)
    cli = run_cli(corpus, merges, work / f"cache-{label}")
    t_count1 = count_only(corpus, work / f"cache1-{label}") if single_core else None
    shutil.rmtree(corpus)
    for c in work.glob(f"cache*-{label}"):
        shutil.rmtree(c, ignore_errors=True)
    row = {"label": label, "categories": len(names), "bytes": total, "merges": merges, "bpe_trainer": t_train,
           **cli, "count_one_core": t_count1}
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10,100,300", help="total MB of the 3-category corpora")
    ap.add_argument("--categories", default="3,10,30", help="category counts at 1 MB each")
    ap.add_argument("--merges", type=int, default=5000)
    ap.add_argument("--real", action="store_true", help="only the realistic-table measurement (item 4)")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    work = Path(tempfile.mkdtemp(prefix="tok-scale-"))
    if args.real:
        try:
            print(json.dumps(real_table(work)))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return
    rows = []
    try:
        # the first run anywhere compiles the Numba kernels into their cache (tens of seconds on a loaded machine):
        # paid once per install, so not charged to the first row
        warm = work / "warm"
        make_corpus(warm, SIZE_CATEGORIES, 200_000)
        run_cli(warm, 200, work / "cache-warm")
        shutil.rmtree(warm)
        for mb in [int(x) for x in args.sizes.split(",") if x]:
            rows.append(study(f"size{mb}", SIZE_CATEGORIES, mb * 1_000_000 // 3, args.merges, work, True))
        pack = json.loads((PACK / "pack.json").read_text())
        names = [c["name"] for c in pack["categories"]]
        for n in [int(x) for x in args.categories.split(",") if x]:
            rows.append(study(f"cats{n}", names[:n], 1_000_000, args.merges, work, False))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    write(rows, args)


def write(rows: list[dict], args, render_only: bool = False) -> None:
    import numpy

    out = ROOT / "benchmarks" / "results" / "scale.md"
    if not render_only:
        (out.with_suffix(".json")).write_text(json.dumps(rows, indent=1) + "\n")
    lines = ["# Streamed mixture inference at scale", "",
             f"Measured in one run of `python benchmarks/bench_scale.py --sizes {args.sizes} --categories "
             f"{args.categories} --merges {args.merges}` on {platform.machine()}, {os.cpu_count()} CPU cores "
             f"(shared with other work while it ran), Python {platform.python_version()}, numpy {numpy.__version__}. "
             "Baseline: `tokenizers` BpeTrainer (Rust, all cores) learning the same merges from the same .txt files "
             "with the GPT-2 ByteLevel pretokenizer. `tok` runs as `tok --json infer-mixture gpt2 --merges "
             f"{args.merges} --categories DIR` with an empty cache and the default local pool (two workers here); "
             "RSS is the peak of its whole process tree.", "",
             "| corpus | categories | MB | BpeTrainer s | tok wall s | wall / trainer | count s | replay s | "
             "(plan + count + replay) / trainer | LP s | peak RSS MB | count MB/s, one core |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        t = r["timing"]
        cr = t.get("count_and_replay", 0.0) + t.get("sample", 0.0)
        one = f"{r['bytes'] / 1e6 / r['count_one_core']:.1f}" if r["count_one_core"] else "–"
        lines.append(f"| {r['label']} | {r['categories']} | {r['bytes'] / 1e6:.0f} | {r['bpe_trainer']:.1f} | "
                     f"{r['wall']:.1f} | **{r['wall'] / r['bpe_trainer']:.2f}** | {t.get('count', 0.0):.1f} | "
                     f"{t.get('replay', 0.0):.1f} | **{cr / r['bpe_trainer']:.2f}** | {t.get('solve', 0.0):.1f} | "
                     f"{r['peak_rss'] / 1e6:.0f} | {one} |")
    lines += ["", "plan + count + replay is the result's `sample` (listing, hashing, planning) plus "
              "`count_and_replay`; LP is the solve at the CLI's default budget (8 rounds). Wall includes Python "
              "start-up, tokenizer load and writing the result.", ""]
    out.write_text("\n".join(lines))
    print(out.read_text())


if __name__ == "__main__":
    main()
