"""Speed of `tok arith`: the tokenizer probe (numbers per second) and the model probe (problems per second).

    python benchmarks/bench_arith.py            # writes benchmarks/results/arith.md (~10 min on 2 shared CPU cores)

Model probe baseline: the paper's loop (for each shot count, for each problem: one prompt, fresh few-shot
examples per problem), one greedy call and one scoring call per prompt. Compared: `probe_model`'s planned order
with the paper's examples, one at a time and in batches of 16, and with examples shared per length pair
(`--shot-sets 1`, the CLI default). Same model, same problem count, greedy decoding + log P(answer).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "results" / "arith.md"


def bench_tokenizers(names: list[str]) -> list[list]:
    from tokforensics.arith.probe import probe_tokenizer
    from tokforensics.tokenizer.view import load_tokenizer

    rows = []
    for name in names:
        tok = load_tokenizer(name)
        _ = tok.token_bytes, tok.bytes_to_id  # vocabulary tables are built once per tokenizer; not timed
        t0 = time.perf_counter()
        p = probe_tokenizer(tok, samples=200, max_digits=20)
        dt = time.perf_counter() - t0
        # encodes: 20 lengths x 200 x 2 contexts + 3 lengths x 200 x 5 formats + 11,000 inventory strings + 4
        n = 20 * 200 * 2 + 3 * 200 * 5 + 11_000 + 4
        rows.append([name, p.scheme, f"{dt:.2f}", f"{n / dt:,.0f}"])
        print(f"{name}: {dt:.2f} s", file=sys.stderr)
    return rows


CONFIGS = [
    ("paper's examples (fresh per problem), one prompt at a time, shots longest first",
     dict(batch_size=1, shot_sets=0)),
    ("paper's examples, batches of 16", dict(batch_size=16, shot_sets=0)),
    ("one example set per length pair, batches of 16 (CLI default)", dict(batch_size=16, shot_sets=1)),
]
KW = dict(digit_range=(7, 9), shots=(1, 8), formats=["native"])


def naive_loop(lm, problems: int) -> tuple[float, int]:
    """The baseline: the paper's loop (for each shot count, for each problem) one prompt at a time."""
    from tokforensics.arith.model import build_sequence, make_problems, prompt_format

    tok = lm.tokenizer
    fmt = prompt_format("native")
    probs = make_problems(KW["digit_range"], problems, max(KW["shots"]), seed=0)
    stop = {i for i, b in enumerate(tok.token_bytes) if b"\n" in b}
    t0 = time.perf_counter()
    n = 0
    for k in KW["shots"]:
        for p in probs:
            q = build_sequence(tok, fmt, p, k)
            lm.greedy([q.prompt], len(q.continuation) + 2, stop_ids=stop)
            lm.score([q.prompt], [q.continuation])
            n += 1
    return time.perf_counter() - t0, n


def bench_model(threads: int, problems: int, configs: list, baseline: bool) -> tuple[list[list], str]:
    from tokforensics.arith.model import probe_model
    from tokforensics.lm.adapter import load_model

    t0 = time.perf_counter()
    lm = load_model("smollm2", threads=threads)
    load_s = time.perf_counter() - t0
    rows = []
    base = None
    if baseline:
        calls0, toks0 = lm.forward_calls, lm.forward_tokens
        dt, n = naive_loop(lm, problems)
        base = n / dt
        rows.append(["baseline: the paper's loop, one prompt at a time", n, f"{dt:.1f}", f"{base:.2f}", "1.0×",
                     lm.forward_calls - calls0, f"{lm.forward_tokens - toks0:,}"])
        print(f"{threads} threads, baseline: {base:.2f} problems/s", file=sys.stderr)
    for label, kw in configs:
        calls0, toks0 = lm.forward_calls, lm.forward_tokens
        r = probe_model(lm, problems=problems, **KW, **kw)
        pps = r.problems_per_second
        rows.append([label, len(r.records), f"{r.seconds_greedy + r.seconds_score:.1f}", f"{pps:.2f}",
                     f"{pps / base:.1f}×" if base else "–", lm.forward_calls - calls0,
                     f"{lm.forward_tokens - toks0:,}"])
        print(f"{threads} threads, {label}: {pps:.2f} problems/s", file=sys.stderr)
    return rows, f"model load {load_s:.1f} s"


def md_table(head: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--problems", type=int, default=27, help="3 per length pair, so that examples can be shared")
    ap.add_argument("--skip-model", action="store_true")
    args = ap.parse_args(argv)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    parts = [
        "# `tok arith` speed",
        "",
        f"`python benchmarks/bench_arith.py` on {platform.machine()}, {os.cpu_count()} CPU cores "
        f"(load average {load:.1f} at start: the cores are shared, so absolute times vary run to run).",
        "",
        "## Tokenizer probe (200 numbers per length, lengths 1–20, 5 formats, 0–9999 inventory)",
        "",
        md_table(["tokenizer", "scheme", "seconds", "encodes/s"],
                 bench_tokenizers(["gpt4", "gpt2", "mistral", "smollm2", "llama3"])),
        "",
    ]
    if not args.skip_model:
        for th in args.threads:
            # every configuration with the first thread count; the default one alone with the others
            first = th == args.threads[0]
            rows, note = bench_model(th, args.problems, CONFIGS if first else CONFIGS[-1:], baseline=first)
            parts += [
                f"## Model probe: SmolLM2-135M, CPU, {th} torch thread{'s' if th > 1 else ''} ({note})",
                "",
                f"7–9 digit addends (nine length pairs), {args.problems} problems × 1 and 8 shots, format native; "
                "greedy decoding + log P(answer). `vs baseline`: within this table.",
                "",
                md_table(["configuration", "problems", "seconds", "problems/s", "vs baseline", "forward passes",
                          "tokens through the model"], rows),
                "",
            ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(parts) + "\n", encoding="utf-8")
    print(f"wrote {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
