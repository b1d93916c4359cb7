"""Prompts that end mid-token: naive prompting vs token healing vs exact byte-level, on Python source code.

For seeded random byte positions inside tokens of Python standard-library files, the prompt is the code before
the position (up to --context bytes, from a line start) and the target is the rest of the line (up to --max-bytes
bytes). For each of three ways of using the same model we measure

  * the log-likelihood of the true continuation:
        naive          log P(encode(target) | encode(prompt))           (prompt and target tokenized separately)
        token healing  log P(encode(r + target) | prompt minus its last token r) - log P(first token starts with r)
        byte level     log P(prompt + target) - log P(prompt)           (exact, summed over all tokenizations)
  * exact match: greedy decoding of as many bytes as the target has.

    python analyses/bytelevel_fim.py                       # SmolLM2-135M, 60 prompts (about 10 min on 2 CPU cores)
    python analyses/bytelevel_fim.py --n 200 --model M     # any transformers folder / GGUF

Writes analyses/results/bytelevel_fim.md and bytelevel_fim.json.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import random
import sysconfig
import time
from pathlib import Path

import numpy as np

from tokforensics.bytelevel import compare
from tokforensics.bytelevel.engine import ByteLevelLM
from tokforensics.lm import load_model

OUT = Path(__file__).with_name("results")
FILES = ["json/decoder.py", "json/encoder.py", "textwrap.py", "shlex.py", "fnmatch.py", "glob.py", "csv.py",
         "heapq.py", "bisect.py", "string.py", "calendar.py", "base64.py", "difflib.py", "argparse.py", "ast.py",
         "dataclasses.py", "functools.py", "statistics.py", "fractions.py", "pathlib.py", "random.py", "pprint.py",
         "configparser.py", "tokenize.py", "gettext.py", "ipaddress.py", "locale.py", "zipfile.py", "tarfile.py",
         "inspect.py"]


def pick_examples(tok, n: int, seed: int, context: int, max_bytes: int) -> list[dict]:
    """Seeded prompts ending strictly inside a token (not inside whitespace-only tokens)."""
    root = Path(sysconfig.get_paths()["stdlib"])
    rng = random.Random(seed)
    files = [f for f in FILES if (root / f).exists()]
    out: list[dict] = []
    tries = 0
    while len(out) < n and tries < n * 200:
        tries += 1
        name = rng.choice(files)
        data = (root / name).read_bytes()
        if not data.isascii():
            data = data.decode("utf-8").encode("utf-8")
        p = rng.randrange(context // 2, len(data) - 8)
        line_end = data.find(b"\n", p)
        if line_end < 0 or line_end - p < 4:
            continue
        target = data[p:min(line_end, p + max_bytes)]
        start = data.rfind(b"\n", 0, max(0, p - context)) + 1
        prompt = data[start:p]
        if not prompt.strip() or len(prompt) > context + 200:
            continue
        # the position must fall strictly inside a token of the canonical encoding of the surrounding text
        text = data[start:line_end].decode("utf-8")
        offs, pos = [], 0
        for i in tok.encode(text):
            b = tok.token_bytes[i]
            offs.append((pos, pos + len(b), b))
            pos += len(b)
        cut = len(prompt)
        inside = [o for o in offs if o[0] < cut < o[1]]
        if not inside or not inside[0][2].strip():
            continue
        out.append({"file": name, "offset": p, "prompt": prompt.decode("utf-8"), "target": target.decode("utf-8"),
                    "token": inside[0][2].decode("utf-8", "replace"), "into_token": cut - inside[0][0]})
    return out


def naive_ll(eng: ByteLevelLM, prompt: bytes, target: bytes) -> float:
    ids = eng.tok.encode(prompt.decode())
    return eng.lm.score([[eng.bos_id, *ids]], [eng.tok.encode(target.decode())])[0]


def healed_ll(eng: ByteLevelLM, prompt: bytes, target: bytes) -> float:
    ctx, removed, ok = compare.healed_first(eng, prompt)
    cont = eng.tok.encode((removed + target).decode("utf-8"))
    if not ok[cont[0]]:
        return -math.inf  # the healed text's own tokenization does not start with the removed bytes
    row = eng.lm.next_logprobs([ctx])[0][: len(ok)]
    log_z = float(np.logaddexp.reduce(row[ok]))
    return eng.lm.score([ctx], [cont])[0] - log_z


def run(model: str | None, n: int, seed: int, context: int, max_bytes: int, threads: int | None = 1) -> dict:
    t0 = time.perf_counter()
    lm = load_model(model, threads=threads)
    eng = ByteLevelLM(lm)
    examples = pick_examples(eng.tok, n, seed, context, max_bytes)
    rows = []
    for k, ex in enumerate(examples):
        x, y = ex["prompt"].encode(), ex["target"].encode()
        st = eng.state(x)
        lx = st.logprob()
        gen = st.fork()
        st.extend(y)
        byte_ll = st.logprob() - lx
        out, _ = eng.generate(x, len(y), st=gen)
        healed, _ = compare.healed_complete(eng, x, len(y))
        naive, _ = compare.naive_complete(eng, x, len(y))
        rows.append({**ex, "ll": {"naive": naive_ll(eng, x, y), "healing": healed_ll(eng, x, y), "byte": byte_ll},
                     "em": {"naive": naive[:len(y)] == y, "healing": healed[:len(y)] == y, "byte": out == y},
                     "out": {"naive": naive.decode("utf-8", "replace"), "healing": healed.decode("utf-8", "replace"),
                             "byte": out.decode("utf-8", "replace")}})
        print(f"[{k + 1}/{len(examples)}] {ex['file']}:{ex['offset']} …{ex['prompt'][-24:]!r} → {ex['target']!r} "
              f"EM n/h/b {rows[-1]['em']['naive']:d}{rows[-1]['em']['healing']:d}{rows[-1]['em']['byte']:d}",
              flush=True)
    return {"model": lm.name, "n": len(rows), "seed": seed, "context": context, "max_bytes": max_bytes,
            "seconds": time.perf_counter() - t0, "device": lm.device, "machine": platform.machine(),
            "threads": threads, "rows": rows}


def _ci(hits: list[bool], rng: np.random.Generator, b: int = 2000) -> tuple[float, float]:
    a = np.asarray(hits, dtype=float)
    boots = a[rng.integers(0, len(a), size=(b, len(a)))].mean(axis=1)
    return float(np.quantile(boots, 0.025)), float(np.quantile(boots, 0.975))


def report(res: dict) -> str:
    rng = np.random.default_rng(0)
    rows = res["rows"]
    nb = [len(r["target"].encode()) for r in rows]
    lines = [
        f"# Prompts ending mid-token: naive vs token healing vs exact byte level ({res['model']})",
        "",
        f"{res['n']} prompts from Python standard-library files (seed {res['seed']}), each ending strictly inside a "
        f"token of the canonical encoding; target = rest of the line, at most {res['max_bytes']} bytes "
        f"(mean {np.mean(nb):.1f}); prompt = up to {res['context']} bytes of preceding code from a line start. "
        f"Greedy decoding of as many bytes as the target. {res['device']}, {res.get('threads')} torch thread(s), "
        f"{res['seconds'] / 60:.1f} min. "
        f"Regenerate: `python analyses/bytelevel_fim.py`.",
        "",
        "| method | exact match | 95% CI | mean log-lik. of target (nats) | median | bits/byte | -inf |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    names = {"naive": "naive tokens", "healing": "token healing", "byte": "exact byte level"}
    for m in ("naive", "healing", "byte"):
        em = [r["em"][m] for r in rows]
        ll = np.asarray([r["ll"][m] for r in rows])
        fin = np.isfinite(ll)
        lo, hi = _ci(em, rng)
        bpb = -ll[fin].sum() / math.log(2) / sum(b for b, f in zip(nb, fin, strict=True) if f) if fin.any() else float("nan")
        lines.append(f"| {names[m]} | {np.mean(em):.1%} ({sum(em)}/{len(em)}) | {lo:.0%}–{hi:.0%} | "
                     f"{ll[fin].mean():.2f} | {np.median(ll[fin]):.2f} | {bpb:.2f} | {int((~fin).sum())} |")
    b_vs = {m: sum(r["em"]["byte"] and not r["em"][m] for r in rows) for m in ("naive", "healing")}
    m_vs = {m: sum(r["em"][m] and not r["em"]["byte"] for r in rows) for m in ("naive", "healing")}
    better = {m: sum(r["ll"]["byte"] > r["ll"][m] + 1e-9 for r in rows) for m in ("naive", "healing")}
    lines += [
        "",
        f"Exact match, byte level vs naive: byte level alone right {b_vs['naive']}, naive alone right {m_vs['naive']}; "
        f"vs token healing: {b_vs['healing']} / {m_vs['healing']}.",
        f"The byte-level log-likelihood is higher than naive on {better['naive']}/{len(rows)} prompts and higher "
        f"than token healing on {better['healing']}/{len(rows)}.",
        "",
        "Token-healing log-likelihood is −inf when the text's own tokenization of (removed bytes + target) does not "
        "start with a token that extends the removed bytes (the constraint then excludes the truth).",
        "",
        "## Examples (first 8)",
        "",
        "| prompt end | target | naive | token healing | byte level |",
        "|---|---|---|---|---|",
    ]

    def cell(s: str) -> str:
        return "`" + s.replace("|", "\\|").replace("\n", "↵").replace("`", "'") + "`"

    for r in rows[:8]:
        lines.append(f"| {cell(r['prompt'][-28:])} | {cell(r['target'])} | {cell(r['out']['naive'])} | "
                     f"{cell(r['out']['healing'])} | {cell(r['out']['byte'])} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="model spec (default: smollm2)")
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--context", type=int, default=384)
    ap.add_argument("--max-bytes", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 is fastest on a shared machine)")
    ap.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args()
    res = run(a.model, a.n, a.seed, a.context, a.max_bytes, a.threads)
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "bytelevel_fim.json").write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    md = report(res)
    (a.out / "bytelevel_fim.md").write_text(md, encoding="utf-8")
    print(md)


if __name__ == "__main__":
    main()
