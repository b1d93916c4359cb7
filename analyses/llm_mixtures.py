"""Inferred training mixtures of published tokenizers, beside Hayase et al. (2024), Table 3.

Usage: python analyses/llm_mixtures.py [--lp-rounds 0] [--bootstrap 0] [--only gpt2,gpt4o] [--pack default]
       python analyses/llm_mixtures.py --compare-packs default,v1   (the ablation table, from the two JSON files)
(--lp-rounds 0, the default: the certified optimum; N > 0: an APPROXIMATE budget, see docs/mixture.md).
Writes analyses/results/llm_mixtures.{json,md} for the default pack, llm_mixtures_<pack>.{json,md} for another
shipped pack (`--pack v1`: the old, smaller pack, as an ablation).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

from tokforensics.mixture.executor import LocalPoolExecutor
from tokforensics.mixture.infer import infer_mixture
from tokforensics.mixture.settings import DEFAULT_LP_ROUNDS, MixtureSettings
from tokforensics.tokenizer.view import load_tokenizer

# Web/Code/Books/Academic/Wiki/Non-English (%), Hayase et al. 2024
PAPER = {
    "gpt2": (83.6, 0.7, 15.4, 0.1, 0.0, 0.2),
    "gpt4": (27.3, 62.6, 6.8, 0.2, 0.0, 3.1),
    "gpt4o": (20.7, 32.8, 7.4, 0.0, 0.0, 39.0),
    "llama3": (12.7, 30.2, 8.5, 0.1, 0.0, 48.5),
    "claude-legacy": (12.7, 57.5, 17.4, 5.1, 3.7, 3.6),
    "mistral": (30.3, 25.8, 21.5, 5.3, 0.5, 16.6),
    "mistral-nemo": (17.1, 18.3, 9.6, 3.7, 4.6, 46.7),
    "qwen2.5": None,  # not in the paper
    "deepseek-v3": None,
}
LABEL = {"gpt2": "GPT-2", "gpt4": "GPT-3.5/4 (cl100k)", "gpt4o": "GPT-4o", "llama3": "Llama 3 (extension)",
         "claude-legacy": "Claude (pre-3)", "mistral": "Mistral", "mistral-nemo": "Mistral NeMo",
         "qwen2.5": "Qwen 2.5", "deepseek-v3": "DeepSeek-V3"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lp-rounds", type=int, default=DEFAULT_LP_ROUNDS or 0)
    ap.add_argument("--merges", type=int, default=30_000)
    ap.add_argument("--bootstrap", type=int, default=0)
    ap.add_argument("--only", default="")
    ap.add_argument("--pack", default="default")
    ap.add_argument("--stem", default="", help="results file name (default: llm_mixtures[_PACK]); a subset run "
                    "(--only) under its own name leaves the full table alone")
    ap.add_argument("--keep", action="store_true", help="take the tokenizers already in the stem's JSON from it (same "
                    "settings) and compute only the others: a long exact table can be grown a few rows at a time")
    ap.add_argument("--compare-packs", default="", help="two packs whose saved results to set side by side")
    args = ap.parse_args()
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    if args.compare_packs:
        a, b = args.compare_packs.split(",")
        (out / f"llm_mixtures_{a}_vs_{b}.md").write_text(compare_packs(out, a, b))
        return
    stem = args.stem or _stem(args.pack)
    names = [n for n in PAPER if not args.only or n in args.only.split(",")]
    kept: dict = {}
    saved = out / f"{stem}.json"
    if args.keep and saved.exists():
        before = json.loads(saved.read_text())
        same = ("lp_rounds", "merges", "bootstrap", "pack")
        if any(before["args"].get(k) != getattr(args, k) for k in same):
            raise SystemExit(f"--keep: {saved.name} was made with other settings ({before['args']}); drop --keep")
        kept = before["results"]
        names = [n for n in PAPER if n in kept or n in names]
    rows, full = [], {}
    for name in names:
        if name in kept:
            full[name] = kept[name]
            rows.append(_row(name, kept[name], None))
            continue
        tok = load_tokenizer(name)
        skip = 0
        merges = args.merges
        if name == "llama3":
            # Llama 3 extends cl100k: its first merges rebuild cl100k's 100,256 tokens; the paper solves over the
            # merges after them (Llama 3 as an extension of GPT-3.5's list).
            ids = tok.merge_ids()
            skip = int((ids[:, 2] < 100_256).sum())
            merges = min(len(ids), skip + args.merges)
        t0 = time.perf_counter()
        settings = MixtureSettings(merges=min(merges, len(tok.merge_ids())), skip=skip,
                                   max_rounds=args.lp_rounds or None, bootstrap=args.bootstrap)
        res = infer_mixture(tok, args.pack, settings=settings, executor=LocalPoolExecutor(2))
        full[name] = json.loads(json.dumps(dataclasses.asdict(res)))
        rows.append(_row(name, full[name], time.perf_counter() - t0))
        print(rows[-1], flush=True)
        # saved after each tokenizer, so an interrupted run can be resumed with --keep
        saved.write_text(json.dumps({"args": {**vars(args), "only": ",".join(full)}, "results": full}, indent=1) + "\n")
    args.only = ",".join(full) if args.only or kept else ""
    (out / f"{stem}.json").write_text(json.dumps({"args": vars(args), "results": full}, indent=1) + "\n")
    md = [
        "# Inferred mixtures of published tokenizers",
        "",
        f"Generated by `python analyses/llm_mixtures.py --lp-rounds {args.lp_rounds} --merges {args.merges} "
        f"--pack {args.pack}" + (f" --only {args.only} --stem {args.stem}" if args.stem else "") + "`",
        f"with the shipped category pack '{args.pack}' (see docs/corpora.md). Paper: Hayase et al. 2024, Table 3, with",
        "116 categories (111 languages + 5 English domains), about 1 GB per category. Their English is split into web,",
        "books, academic and wiki; ours is documentation and handbook English, so the paper's column here is the sum",
        "of those four. 'approximate' rows were stopped by the round budget: the bounds bracket the LP's optimum.",
        "Wall: the computing run's own total (a result served from the cache keeps the time it took to compute), on",
        "2 CPU cores shared with other work.",
        "",
        "| tokenizer | English % (ours) | English % (paper) | code % (ours) | code % (paper) | non-English % (ours) |"
        " non-English % (paper) | top 5 categories (ours, %) | LP | wall |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "Llama 3: solved over the merges after the ones that rebuild cl100k's tokens (the paper's extension analysis)"
        + (f": {full['llama3']['merges_used'] - full['llama3']['skip']:,} merges after the first "
           f"{full['llama3']['skip']:,}, one per token (docs/tokenizers.md)." if "llama3" in full else "."),
    ]
    (out / f"{stem}.md").write_text("\n".join(md) + "\n")


def _row(name: str, r: dict, wall: float | None) -> str:
    """One table row from a saved result (the JSON form, so kept and fresh rows render alike)."""
    g, gi = r["groups"], r.get("group_intervals") or {}
    p = PAPER[name]

    def cell(key: str) -> str:
        iv = gi.get(key)
        return f"{100 * g[key]:.1f}" + (f" [{100 * iv[0]:.1f}–{100 * iv[1]:.1f}]" if iv else "")

    paper = (f"{p[0] + p[2] + p[3] + p[4]:.1f}", f"{p[1]:.1f}", f"{p[5]:.1f}") if p else ("–", "–", "–")
    top = ", ".join(f"{c['name']} {100 * c['share']:.1f}" for c in r["categories"][:5])
    d = r["diagnostics"]
    state = "optimal" if not d["approximate"] else f"approximate (bounds {d['lower_bound']:.3g}–{d['objective']:.3g})"
    total = r["timing"].get("total", wall)
    return (f"| {LABEL[name]} | {cell('english')} | {paper[0]} | {cell('code')} | {paper[1]} | "
            f"{cell('non_english')} | {paper[2]} | {top} | {state} | {total:.0f} s |")


def _stem(pack: str) -> str:
    return "llm_mixtures" if pack == "default" else f"llm_mixtures_{pack}"


def compare_packs(out: Path, a: str, b: str) -> str:
    """English / code / non-English (%) per tokenizer on packs a and b, beside the paper, from saved results."""
    res = {pack: json.loads((out / f"{_stem(pack)}.json").read_text()) for pack in (a, b)}
    groups = ("english", "code", "non_english")
    rows = []
    errors: dict[str, list[float]] = {a: [], b: []}
    for name in PAPER:
        ra, rb = res[a]["results"].get(name), res[b]["results"].get(name)
        if ra is None or rb is None:
            continue
        p = PAPER[name]
        paper = " / ".join(f"{x:.1f}" for x in (p[0] + p[2] + p[3] + p[4], p[1], p[5])) if p else "–"
        if p:
            for pack, r in ((a, ra), (b, rb)):
                errors[pack] += [abs(100 * r["groups"][g] - x)
                                 for g, x in zip(groups, (p[0] + p[2] + p[3] + p[4], p[1], p[5]), strict=True)]
        cells = [" / ".join(f"{100 * r['groups'][g]:.1f}" for g in groups) for r in (ra, rb)]
        shift = 100 * (ra["groups"]["english"] - rb["groups"]["english"])
        bounds = [f"{r['diagnostics']['lower_bound']:.3g}–{r['diagnostics']['objective']:.3g}" for r in (ra, rb)]
        rows.append(f"| {LABEL[name]} | {cells[0]} | {cells[1]} | {paper} | {shift:+.1f} | {bounds[0]} | {bounds[1]} |")
    args = {pack: res[pack]["args"] for pack in (a, b)}
    same = {k: v for k, v in args[a].items() if k != "pack" and args[b].get(k) == v}
    return "\n".join([
        f"# Pack ablation: '{a}' against '{b}'",
        "",
        f"Generated by `python analyses/llm_mixtures.py --compare-packs {a},{b}` from "
        f"`{_stem(a)}.json` and `{_stem(b)}.json`; both runs used {json.dumps(same, sort_keys=True)}.",
        "Cells are English / code / non-English (%). 'LP bounds' bracket each run's optimum (both runs are",
        "approximate when the bounds differ).",
        "",
        f"| tokenizer | {a} | {b} | paper | English change ({a} − {b}, points) | LP bounds ({a}) | LP bounds ({b}) |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
        "Mean absolute difference from the paper over the tokenizers it reports (points, English, code and",
        f"non-English together): {a} {sum(errors[a]) / max(1, len(errors[a])):.1f}, "
        f"{b} {sum(errors[b]) / max(1, len(errors[b])):.1f}.",
        "",
    ])


if __name__ == "__main__":
    main()
