"""Speed of exact byte-level probabilities with SmolLM2-135M on CPU, against plain token-level scoring.

Measures, on Python standard-library source and the Zen of Python:
  * scoring known text (tok bytes score): bytes/s, forward passes and forward tokens per byte, and the time
    relative to scoring the canonical tokens once (the token-level figure);
  * streaming (generation): byte-by-byte greedy choice + push, i.e. the next-byte decision at every byte;
  * one exact next-byte distribution (every vocabulary token checked).

    python benchmarks/bench_bytelevel.py            # writes benchmarks/results/bytelevel.md
"""

from __future__ import annotations

import argparse
import os
import platform
import sysconfig
import time
from pathlib import Path

from tokforensics.bytelevel.engine import ByteLevelLM
from tokforensics.lm import load_model

OUT = Path(__file__).with_name("results") / "bytelevel.md"


def texts(n_bytes: int) -> list[tuple[str, bytes]]:
    root = Path(sysconfig.get_paths()["stdlib"])
    out = []
    for name in ("json/encoder.py", "textwrap.py"):
        data = (root / name).read_bytes()
        out.append((name, data[1000:1000 + n_bytes]))
    zen = (root / "this.py").read_text()
    import codecs

    out.append(("Zen of Python", codecs.decode(zen.split('"""')[1], "rot13").encode()[:n_bytes]))
    return out


def timed(fn):
    t = time.perf_counter()
    r = fn()
    return r, time.perf_counter() - t


def bench(model: str | None, n_bytes: int, stream_bytes: int, threads: int) -> str:
    lm = load_model(model, threads=threads)
    eng = ByteLevelLM(lm)
    eng.state(b"warm up").logprob()
    rows = []
    for name, data in texts(n_bytes):
        ids = eng.tok.encode(data.decode())
        lm.reset()
        c0, t0 = lm.forward_calls, lm.forward_tokens
        tok_lp, tok_s = timed(lambda ids=ids: lm.score([[eng.bos_id]], [ids])[0])
        tok_calls, tok_toks = lm.forward_calls - c0, lm.forward_tokens - t0
        lm.reset()
        c0, t0, k0 = lm.forward_calls, lm.forward_tokens, eng.stats.checks
        byte_lp, byte_s = timed(lambda data=data: eng.state(data).logprob())
        calls, toks, checks = lm.forward_calls - c0, lm.forward_tokens - t0, eng.stats.checks - k0
        rows.append((name, len(data), len(ids), tok_s, byte_s, calls, toks, checks, tok_lp, byte_lp, tok_calls, tok_toks))
    # streaming: the next-byte decision (greedy, lazily checked) and a push, at every byte
    name, data = texts(n_bytes)[0]
    prompt, cont = data[:600], data[600:600 + stream_bytes]
    st = eng.state(prompt)
    st.logprob()
    c0, t0, k0 = lm.forward_calls, lm.forward_tokens, eng.stats.checks
    t = time.perf_counter()
    agree = 0
    for c in cont:
        agree += eng.greedy_byte(st).byte == c
        st.push(c)
    stream_s = time.perf_counter() - t
    s_calls, s_toks, s_checks = lm.forward_calls - c0, lm.forward_tokens - t0, eng.stats.checks - k0
    # one exact next-byte distribution
    st2 = eng.state(prompt)
    st2.logprob()
    k0 = eng.stats.checks
    nb, next_s = timed(st2.next_bytes)
    next_checks = eng.stats.checks - k0

    lines = [
        f"# Byte-level engine speed — {lm.name} on {lm.device} ({threads} torch thread(s))",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU cores (shared with other work while measuring); "
        f"torch fp32. GPU: not measured here (none available). Regenerate: `python benchmarks/bench_bytelevel.py`.",
        "",
        "## Scoring known text (`tok bytes score`)",
        "",
        "| text | bytes | tokens | token-level s | byte-level s | × token-level | bytes/s | forward passes/byte "
        "| forward tokens / canonical tokens | validity checks/byte | log P gain (nats) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (name, nb_, nt, ts, bs, calls, toks, checks, tlp, blp, _tc, _tt) in rows:
        lines.append(f"| {name} | {nb_:,} | {nt:,} | {ts:.2f} | {bs:.2f} | {bs / ts:.1f} | {nb_ / bs:,.0f} | "
                     f"{calls / nb_:.3f} | {toks / nt:.2f} | {checks / nb_:.1f} | {blp - tlp:.3f} |")
    lines += [
        "",
        "Known text is scored as one lattice: the engine collects every valid tokenization near each position "
        "first and asks the model in batches of up to 64 prefixes, so the shared prefix is computed once and a "
        "batched pass covers many bytes (forward passes per byte well below one).",
        "",
        "## Streaming (generation): next-byte decision + push at every byte",
        "",
        "| bytes | seconds | bytes/s | forward passes/byte | forward tokens/byte | validity checks/byte | "
        "greedy byte = true byte |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {len(cont)} | {stream_s:.1f} | {len(cont) / stream_s:.1f} | {s_calls / len(cont):.2f} | "
        f"{s_toks / len(cont):.2f} | {s_checks / len(cont):.0f} | {agree}/{len(cont)} |",
        "",
        "At most one batched forward pass per byte (none when no valid tokenization ends at that byte); the "
        "prefix stays in the key/value cache. Candidates are checked lazily, heaviest first, only until the "
        "greedy byte is certain.",
        "",
        "## One exact next-byte distribution (`tok bytes next`)",
        "",
        f"{next_s:.1f} s, {next_checks:,} validity checks (every token after each of {nb.frontier} frontier "
        f"tokenization(s) is checked against the tokenizer); {nb.covers} covers of the prompt.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--bytes", type=int, default=2000)
    ap.add_argument("--stream-bytes", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args()
    md = bench(a.model, a.bytes, a.stream_bytes, a.threads)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(md, encoding="utf-8")
    print(md)


if __name__ == "__main__":
    main()
